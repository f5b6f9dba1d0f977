#include "plan/targets.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace orch::plan {
namespace {

Change MakeChange(const std::string& addr, Action action, std::vector<std::string> deps) {
  Change c;
  c.address = addr;
  c.action = action;
  c.depends_on = std::move(deps);
  return c;
}

TEST(TargetsTest, KeepsTargetsAndTheirDependencies) {
  Plan p;
  p.changes = {MakeChange("network.main", Action::kCreate, {}),
               MakeChange("cassandra.instance[0]", Action::kCreate, {"network.main"}),
               MakeChange("api.instance[0]", Action::kCreate, {"network.main", "cassandra.instance[0]"}),
               MakeChange("api.lb", Action::kCreate, {"api.instance[0]"}),
               MakeChange("monitoring.instance[0]", Action::kCreate, {"network.main"}),
               MakeChange("old.instance[0]", Action::kDelete, {})};
  FilterTargets(&p, {"api.instance[0]"});
  std::vector<std::string> kept;
  for (const auto& c : p.changes) kept.push_back(c.address);
  EXPECT_EQ(kept, (std::vector<std::string>{"network.main", "cassandra.instance[0]", "api.instance[0]"}));
}

TEST(TargetsTest, TierNameSelectsTheWholeTierAndNoTargetsKeepsAll) {
  Plan p;
  p.changes = {MakeChange("api.instance[0]", Action::kCreate, {}),
               MakeChange("api.lb", Action::kCreate, {"api.instance[0]"}),
               MakeChange("apiary.instance[0]", Action::kCreate, {})};
  Plan all = p;
  FilterTargets(&all, {});
  EXPECT_EQ(all.changes.size(), 3u);
  FilterTargets(&p, {"api"});
  ASSERT_EQ(p.changes.size(), 2u);
  EXPECT_EQ(p.changes[1].address, "api.lb");
}

}  // namespace
}  // namespace orch::plan
