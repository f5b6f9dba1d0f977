// Saved plan files: `orchestrator plan --out FILE` writes one and
// `orchestrator deploy FILE` applies exactly it (docs/cli.md).
//
// A JSON object: {"format_version": 1, "spec": the spec path the plan was
// made from, "targets": [--target values], "plan": Plan::ToJson()}. The
// plan carries the spec digest and state serial/lineage, so deploy refuses
// it once the spec or the state changed. Stateless and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plan/plan.h"
#include "util/status.h"

namespace orch::plan {

inline constexpr int kPlanFileFormat = 1;

struct PlanFile {
  std::string spec;  // "" when the file names none
  std::vector<std::string> targets;
  nlohmann::json plan;  // as saved; Plan::FromJson decodes it
};

// Writes `p` with the spec path and targets it was made from (replacing
// `path`). InvalidArgument naming the file when it cannot be written.
Status WritePlanFile(const std::string& path, const std::string& spec, const std::vector<std::string>& targets,
                     const Plan& p);

// The saved plan in `path`, or nullopt when `path` is not one (unreadable,
// not a JSON object, or without format_version and plan): deploy then takes
// it for a spec.
std::optional<PlanFile> ReadPlanFile(const std::string& path);

}  // namespace orch::plan
