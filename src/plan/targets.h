// Targeting (`plan --target ADDR`, `deploy --target ADDR`): narrowing a plan
// to some addresses and what they need.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"

namespace orch::plan {

// Keeps the changes whose address is one of `targets` (or inside a target
// tier: "api" selects "api.*"), plus every change they depend on. Deletes
// pull in nothing. No targets: the plan is unchanged.
void FilterTargets(Plan* p, const std::vector<std::string>& targets);

}  // namespace orch::plan
