// Protected tiers (`protect: true`, Terraform's prevent_destroy): a plan
// that would delete or replace an instance, group or volume of such a tier
// is refused unless `--allow-destroy` names it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "util/status.h"

namespace orch::plan {

// `protected_tiers`: tier -> where its `protect: true` is ("spec.yaml:40:5").
// `allow`: addresses, or tiers for all of theirs. InvalidArgument naming
// each refused change with its reason and the flags that would allow it.
Status CheckProtected(const Plan& plan, const std::map<std::string, std::string>& protected_tiers,
                      const std::vector<std::string>& allow);

}  // namespace orch::plan
