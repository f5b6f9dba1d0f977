// Human rendering of a Plan, in the style of `terraform plan`:
//
//     + api.instance[2] (create)
//     ~ api.lb (update in place) listeners: [...] -> [...]
//   -/+ db.instance[0] (replace: size changed)
//     - old.instance[0] (delete)
//    <= web.instance[1] (adopt)
//     # old.lb has moved to new.lb
//
//   Plan: 3 to add, 1 to change, 0 to replace, 2 to destroy, 1 to adopt, 1 to move.
//
// Moves (Plan::moved) come first, one "# FROM has moved to TO" line each, and
// the summary counts them only when there are any ("N to move"). Then one
// line per change in address order; the reason is shown after the
// action unless it is the obvious one ("not in state" for a create, "not in
// the spec"/"teardown" for a delete, "KEYS changed" for an update). Update lines list each changed key with
// its old and new value, compact JSON cut at 60 characters; values under keys
// that look secret (password, secret, token, credential, private_key) and
// user_data are never printed, only "(changed)". ANSI colour only when
// options.color is set.
#pragma once

#include <string>

#include "plan/plan.h"

namespace orch::plan {

struct RenderOptions {
  bool color = false;
  bool show_noop = false;  // list unchanged resources too ("    x (no change)")
  // A drift report (plan --refresh-only, of Plan::OutsideOnly()): its own
  // summary line instead of the plan's.
  bool refresh_only = false;
};

std::string RenderPlan(const Plan& plan, const RenderOptions& options = {});

// "Plan: 3 to add, 1 to change, 0 to replace, 2 to destroy, 1 to adopt."
// (", 1 to move" before the period when the plan moves addresses)
// (update counts as change; "No changes." when there is nothing to do).
std::string SummaryLine(const Plan& plan);
// "Drift: 2 resources changed outside orchestrator; ..." or "No drift: ...".
std::string DriftSummaryLine(const Plan& plan);

}  // namespace orch::plan
