#include "plan/protect.h"

#include "util/strings.h"

namespace orch::plan {

Status CheckProtected(const Plan& plan, const std::map<std::string, std::string>& protected_tiers,
                      const std::vector<std::string>& allow) {
  std::map<std::string, std::vector<const Change*>> refused;  // tier -> changes
  for (const Change& c : plan.changes) {
    if (c.action != Action::kDelete && c.action != Action::kReplace) continue;
    if (c.kind != model::Kind::kInstance && c.kind != model::Kind::kInstanceGroup && c.kind != model::Kind::kVolume)
      continue;
    auto a = model::Address::Parse(c.address);
    if (!a.ok() || !protected_tiers.count(a->tier)) continue;
    bool allowed = false;
    for (const std::string& x : allow) allowed = allowed || x == c.address || x == a->tier;
    if (!allowed) refused[a->tier].push_back(&c);
  }
  if (refused.empty()) return Status::OK();
  std::string msg;
  std::vector<std::string> flags;
  for (const auto& [tier, changes] : refused) {
    std::vector<std::string> what;
    for (const Change* c : changes) {
      what.push_back(c->address + " (" + std::string(ActionName(c->action)) + ": " + c->reason + ")");
      flags.push_back("--allow-destroy " + c->address);
    }
    msg += (msg.empty() ? "" : "; ") + std::string("tier '") + tier + "' is protected (protect: true at " +
           protected_tiers.at(tier) + ") and this plan would destroy " + Join(what, ", ");
  }
  return Status::InvalidArgument(msg + ". Nothing was changed. To go ahead, name them: " + Join(flags, " ") +
                                    " (or --allow-destroy TIER for all of a tier's), or remove protect: true");
}

}  // namespace orch::plan
