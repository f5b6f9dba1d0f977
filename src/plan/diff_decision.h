// How a resource already in the cloud becomes its desired form: the answer
// of a diff (Provider::Diff, or PlanInput::diff). One vocabulary for the
// engine, the providers and the planner, which turns it into a plan Action.
#pragma once

namespace orch::plan {

enum class DiffDecision {
  kNoop,     // nothing to do
  kUpdate,   // changed in place
  kReplace,  // deleted and created again
};

}  // namespace orch::plan
