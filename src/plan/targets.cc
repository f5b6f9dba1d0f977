#include "plan/targets.h"

#include <map>
#include <set>

#include "util/strings.h"

namespace orch::plan {

void FilterTargets(Plan* p, const std::vector<std::string>& targets) {
  if (targets.empty()) return;
  auto matches = [&](const std::string& addr) {
    for (const std::string& t : targets) {
      if (addr == t || StartsWith(addr, t + ".") || StartsWith(addr, t + "[")) return true;
    }
    return false;
  };
  std::map<std::string, const Change*> by_addr;
  for (const auto& c : p->changes) by_addr[c.address] = &c;
  std::set<std::string> keep;
  std::vector<std::string> todo;
  for (const auto& c : p->changes) {
    if (matches(c.address)) todo.push_back(c.address);
  }
  while (!todo.empty()) {
    std::string a = todo.back();
    todo.pop_back();
    if (!keep.insert(a).second) continue;
    auto it = by_addr.find(a);
    if (it == by_addr.end()) continue;
    if (it->second->action == Action::kDelete) continue;  // deletes pull in nothing
    for (const auto& d : it->second->depends_on) todo.push_back(d);
  }
  std::vector<Change> kept;
  for (auto& c : p->changes) {
    if (keep.count(c.address)) kept.push_back(std::move(c));
  }
  p->changes = std::move(kept);
}

Result<std::set<std::string>> ReplaceAddresses(const std::vector<model::Resource>& desired,
                                               const std::vector<std::string>& args) {
  std::set<std::string> out;
  std::set<std::string> tiers;
  for (const std::string& arg : args) {
    bool found = false;
    for (const model::Resource& r : desired) {
      if (r.address.kind != model::Kind::kInstance && r.address.kind != model::Kind::kInstanceGroup) continue;
      tiers.insert(r.address.tier);
      std::string addr = r.address.ToString();
      if (addr == arg || r.address.tier == arg) {
        out.insert(addr);
        found = true;
      }
    }
    if (!found)
      return Status::InvalidArgument("--replace " + arg + ": no instance, group or tier of that name in the spec" +
                                     (tiers.empty() ? "" : " (tiers with instances: " +
                                                               Join({tiers.begin(), tiers.end()}, ", ") + ")"));
  }
  return out;
}

}  // namespace orch::plan
