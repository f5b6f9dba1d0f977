#include "plan/render.h"

#include <gtest/gtest.h>

namespace orch::plan {
namespace {

using nlohmann::json;

Change Make(const std::string& addr, Action a, std::string reason = "") {
  Change c;
  c.address = addr;
  c.action = a;
  c.reason = std::move(reason);
  return c;
}

Plan Sample() {
  Plan p;
  p.deployment = "demo";
  Change lb = Make("api.lb", Action::kUpdate, "listeners, password changed");
  lb.changed_keys = {"listeners", "password"};
  lb.prior.attributes = {{"listeners", json::array({{{"port", 80}}})}, {"password", "hunter2"}};
  lb.desired.attributes = {{"listeners", json::array({{{"port", 8080}}})}, {"password", "s3cret"}};
  Change ud = Make("api.instance[0]", Action::kUpdate, "user_data, tags changed");
  ud.changed_keys = {"user_data", "tags"};
  ud.prior.attributes = {{"user_data", {{"vars", {{"x", "old-secret"}}}}}, {"tags", {{"token", "t1"}}}};
  ud.desired.attributes = {{"user_data", {{"vars", {{"x", "new-secret"}}}}}, {"tags", {{"token", "t2"}}}};
  Change longv = Make("api.firewall", Action::kUpdate, "rules changed");
  longv.changed_keys = {"rules"};
  longv.desired.attributes = {{"rules", std::string(100, 'x')}};
  p.changes = {ud,
               Make("api.instance[2]", Action::kCreate, "not in state"),
               Make("api.instance[3]", Action::kCreate, "deleted outside orchestrator"),
               longv,
               lb,
               Make("db.instance[0]", Action::kReplace, "size changed"),
               Make("db.instance[1]", Action::kNoop),
               Make("old.instance[0]", Action::kDelete, "not in the spec"),
               Make("orphan/do/volume/7", Action::kDelete, "orphan: a second resource claiming address x"),
               Make("web.instance[1]", Action::kAdopt, "found in the cloud")};
  return p;
}

TEST(RenderTest, TerraformStyleLines) {
  EXPECT_EQ(RenderPlan(Sample()),
            "  ~ api.instance[0] (update in place) user_data: (changed); tags: (changed)\n"
            "  + api.instance[2] (create)\n"
            "  + api.instance[3] (create: deleted outside orchestrator)\n"
            "  ~ api.firewall (update in place) rules: (none) -> \"" + std::string(56, 'x') + "...\n"
            "  ~ api.lb (update in place) listeners: [{\"port\":80}] -> [{\"port\":8080}]; password: (changed)\n"
            "-/+ db.instance[0] (replace: size changed)\n"
            "  - old.instance[0] (delete)\n"
            "  - orphan/do/volume/7 (delete: orphan: a second resource claiming address x)\n"
            " <= web.instance[1] (adopt: found in the cloud)\n"
            "\n"
            "Plan: 2 to add, 3 to change, 1 to replace, 2 to destroy, 1 to adopt.\n");
}

TEST(RenderTest, DriftShowsTheLiveValueAndARefreshOnlySummary) {
  Plan p;
  p.deployment = "demo";
  Change fw = Make("api.firewall", Action::kUpdate, "drift: rules changed outside orchestrator");
  fw.changed_keys = {"rules"};
  fw.prior.attributes = {{"rules", json::array({"22"})}};
  fw.desired.attributes = {{"rules", json::array({"22"})}};
  fw.drift = {{"rules", json::array({"22", "all"})}};
  fw.outside = true;
  p.changes = {fw};
  RenderOptions o;
  o.refresh_only = true;
  EXPECT_EQ(RenderPlan(p, o),
            "  ~ api.firewall (update in place: drift: rules changed outside orchestrator) "
            "rules: -\"all\"\n"
            "\n"
            "Drift: 1 resource changed outside orchestrator; 'orchestrator deploy' puts the declared state back.\n");
  p.changes.clear();
  EXPECT_EQ(RenderPlan(p, o), "No drift: the clouds match the state.\n");
}

TEST(RenderTest, SecretsNeverAppear) {
  std::string out = RenderPlan(Sample(), {true, true});
  for (const char* secret : {"hunter2", "s3cret", "old-secret", "new-secret", "t1\"", "t2\""})
    EXPECT_EQ(out.find(secret), std::string::npos) << secret;
}

TEST(RenderTest, ColourAndNoopOnlyWhenAsked) {
  std::string plain = RenderPlan(Sample());
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  EXPECT_EQ(plain.find("db.instance[1]"), std::string::npos);
  std::string color = RenderPlan(Sample(), {true, true});
  EXPECT_NE(color.find("\033[32m  + api.instance[2] (create)\033[0m\n"), std::string::npos);
  EXPECT_NE(color.find("\033[31m  - old.instance[0] (delete)\033[0m\n"), std::string::npos);
  EXPECT_NE(color.find("    db.instance[1] (no change)\n"), std::string::npos);
}

TEST(RenderTest, MovesComeFirstAndAreCounted) {
  Plan p;
  p.changes = {Make("front.instance[0]", Action::kNoop), Make("front.lb", Action::kUpdate, "listeners changed")};
  p.changes[1].changed_keys = {"listeners"};
  p.moved = {{"web.instance[0]", "front.instance[0]"}, {"web.lb", "front.lb"}};
  EXPECT_EQ(RenderPlan(p),
            "  # web.instance[0] has moved to front.instance[0]\n"
            "  # web.lb has moved to front.lb\n"
            "  ~ front.lb (update in place) listeners: (none) -> (none)\n"
            "\n"
            "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy, 0 to adopt, 2 to move.\n");
  p.changes.pop_back();
  EXPECT_EQ(SummaryLine(p), "Plan: 0 to add, 0 to change, 0 to replace, 0 to destroy, 0 to adopt, 2 to move.");
}

TEST(RenderTest, NothingToDo) {
  Plan p;
  p.changes = {Make("a.lb", Action::kNoop), Make("b.lb", Action::kNoop)};
  EXPECT_EQ(RenderPlan(p), "No changes. 2 resources up to date.\n");
  EXPECT_EQ(SummaryLine(p), "No changes.");
}

TEST(RenderTest, StaleResourcesAreShownEvenWithoutChanges) {
  Plan p;
  Change api = Make("api.instance[0]", Action::kNoop);
  api.stale = "db.instance[1] private_ip changed";
  p.changes = {api, Make("db.instance[0]", Action::kNoop)};
  EXPECT_EQ(RenderPlan(p),
            "  ! api.instance[0] (stale: db.instance[1] private_ip changed)\n"
            "\n"
            "No changes. 2 resources up to date.\n"
            "1 resource is stale (!): made with values that have changed since; they keep them until "
            "'orchestrator deploy --replace ADDRESS|TIER' rebuilds them.\n");
}

}  // namespace
}  // namespace orch::plan
