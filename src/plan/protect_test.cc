#include "plan/protect.h"

#include <gtest/gtest.h>

namespace orch::plan {
namespace {

Change Make(const std::string& addr, model::Kind kind, Action a, std::string reason) {
  Change c;
  c.address = addr;
  c.kind = kind;
  c.action = a;
  c.reason = std::move(reason);
  return c;
}

Plan Shrink() {
  Plan p;
  p.changes = {Make("db.instance[2]", model::Kind::kInstance, Action::kDelete, "not in the spec"),
               Make("db.volume.data[2]", model::Kind::kVolume, Action::kDelete, "DATA: not in the spec"),
               Make("db.firewall", model::Kind::kFirewall, Action::kDelete, "not in the spec"),
               Make("db.instance[0]", model::Kind::kInstance, Action::kNoop, ""),
               Make("api.instance[0]", model::Kind::kInstance, Action::kReplace, "size changed")};
  return p;
}

TEST(ProtectTest, RefusesToDestroyAProtectedTiersInstancesAndVolumes) {
  Status st = CheckProtected(Shrink(), {{"db", "spec.yaml:12:5"}}, {});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(),
            "tier 'db' is protected (protect: true at spec.yaml:12:5) and this plan would destroy db.instance[2] "
            "(delete: not in the spec), db.volume.data[2] (delete: DATA: not in the spec). Nothing was changed. "
            "To go ahead, name them: --allow-destroy db.instance[2] --allow-destroy db.volume.data[2] (or "
            "--allow-destroy TIER for all of a tier's), or remove protect: true");
}

TEST(ProtectTest, AllowDestroyNamesAddressesOrTheTier) {
  EXPECT_TRUE(CheckProtected(Shrink(), {{"db", "s:1:1"}}, {"db.instance[2]", "db.volume.data[2]"}).ok());
  EXPECT_TRUE(CheckProtected(Shrink(), {{"db", "s:1:1"}}, {"db"}).ok());
  Status one = CheckProtected(Shrink(), {{"db", "s:1:1"}}, {"db.instance[2]"});
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.message().find("db.instance[2] (delete"), std::string::npos);
  EXPECT_NE(one.message().find("--allow-destroy db.volume.data[2]"), std::string::npos);
}

TEST(ProtectTest, ReplacementsCountAndUnprotectedTiersPass) {
  EXPECT_TRUE(CheckProtected(Shrink(), {}, {}).ok());
  Status st = CheckProtected(Shrink(), {{"api", "s:3:5"}}, {});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("api.instance[0] (replace: size changed)"), std::string::npos);
}

}  // namespace
}  // namespace orch::plan
