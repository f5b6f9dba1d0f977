// Targeting (`plan --target ADDR`, `deploy --target ADDR`): narrowing a plan
// to some addresses and what they need.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "model/resource.h"
#include "plan/plan.h"
#include "util/status.h"

namespace orch::plan {

// Keeps the changes whose address is one of `targets` (or inside a target
// tier: "api" selects "api.*"), plus every change they depend on. Deletes
// pull in nothing. No targets: the plan is unchanged.
void FilterTargets(Plan* p, const std::vector<std::string>& targets);

// The instances and groups `deploy --replace ARG` names: an address, or a
// tier for all of its instances and groups. InvalidArgument for an argument
// that names none of `desired`, listing the tiers that have some.
Result<std::set<std::string>> ReplaceAddresses(const std::vector<model::Resource>& desired,
                                               const std::vector<std::string>& args);

}  // namespace orch::plan
