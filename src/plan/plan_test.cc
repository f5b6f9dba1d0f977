#include "plan/plan.h"

#include <gtest/gtest.h>

#include "plan/plan_test_util.h"

namespace orch::plan {
namespace {

using nlohmann::json;

TEST(ActionTest, NamesRoundTrip) {
  for (Action a : {Action::kNoop, Action::kCreate, Action::kUpdate, Action::kReplace, Action::kDelete,
                   Action::kAdopt}) {
    auto back = ActionFromName(ActionName(a));
    ASSERT_TRUE(back.has_value()) << ActionName(a);
    EXPECT_EQ(*back, a);
  }
  EXPECT_EQ(ActionName(Action::kNoop), "no-op");
  EXPECT_FALSE(ActionFromName("destroy").has_value());
}

// A plan with every action: built by the planner from a deployed state with
// drift (a changed size, a removed tier member, an adopted and an orphan resource).
Plan MixedPlan() {
  testutil::SimCloud cloud;
  state::State st;
  st.lineage = "lin-9";
  auto first = MakePlan(testutil::Input(testutil::Desired(testutil::DemoSpec(3)), st));
  EXPECT_TRUE(first.ok());
  cloud.Apply(*first, &st);
  PlanInput in = testutil::Input(testutil::Desired(testutil::DemoSpec(2, "xl")), st);
  in.state.resources.erase("image.ubuntu");
  state::ResourceState orphan;
  orphan.address = "gone.lb";
  orphan.kind = "load_balancer";
  orphan.id = "lb-1";
  in.observed["cloud"].push_back(orphan);
  in.diff = [](const model::Resource& d, const state::ResourceState& prior) {
    if (d.attributes == prior.attributes) return DiffDecision::kNoop;
    return d.address.kind == model::Kind::kInstance ? DiffDecision::kReplace : DiffDecision::kUpdate;
  };
  auto p = MakePlan(in);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return *p;
}

TEST(PlanTest, SummarizeAndHasChanges) {
  Plan p = MixedPlan();
  Plan::Summary s = p.Summarize();
  EXPECT_EQ(s.replace, 2);  // db.instance[0..1]
  EXPECT_EQ(s.stale, 2);    // api.instance[0..1]: their seeds change
  EXPECT_EQ(s.destroy, 3);  // db.instance[2], db.volume.data[2], gone.lb
  EXPECT_EQ(s.adopt, 1);    // image.ubuntu
  EXPECT_EQ(s.update, 2);   // db.volume.data[0..1]
  EXPECT_EQ(s.create, 0);
  EXPECT_EQ(s.create + s.update + s.replace + s.destroy + s.adopt + s.noop, static_cast<int>(p.changes.size()));
  EXPECT_TRUE(p.HasChanges());
  Plan empty;
  EXPECT_FALSE(empty.HasChanges());
  Change noop;
  empty.changes.push_back(noop);
  EXPECT_FALSE(empty.HasChanges());
  EXPECT_EQ(empty.Summarize().noop, 1);
}

TEST(PlanTest, JsonRoundTrip) {
  Plan p = MixedPlan();
  p.spec_digest = "abc123";
  p.state_serial = 1ull << 40;
  json j = p.ToJson();
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["summary"]["replace"], 2);
  EXPECT_EQ(j["summary"]["stale"], 2);
  for (const json& c : j["changes"])
    if (c["address"] == "api.instance[0]")
      EXPECT_EQ(c["stale"], "db.instance[0] is replaced, db.instance[1] is replaced, db.instance[2] is deleted");
  EXPECT_EQ(j["state"]["serial"], 1ull << 40);
  auto back = Plan::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), j);
  EXPECT_EQ(back->deployment, p.deployment);
  EXPECT_EQ(back->state_lineage, "lin-9");
  ASSERT_EQ(back->changes.size(), p.changes.size());
  for (size_t i = 0; i < p.changes.size(); ++i) {
    const Change& a = p.changes[i];
    const Change& b = back->changes[i];
    EXPECT_EQ(a.address, b.address);
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.action, b.action);
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.depends_on, b.depends_on);
    EXPECT_EQ(a.changed_keys, b.changed_keys);
    if (a.action != Action::kDelete) {
      EXPECT_EQ(a.desired.address, b.desired.address);
      EXPECT_EQ(a.desired.depends_on, b.desired.depends_on);
      EXPECT_EQ(a.desired.attributes, b.desired.attributes);
      EXPECT_EQ(a.desired.tags, b.desired.tags);
    }
    EXPECT_EQ(a.prior.id, b.prior.id);
    EXPECT_EQ(a.prior.outputs, b.prior.outputs);
  }
  // Survives a trip through text.
  auto again = Plan::FromJson(json::parse(j.dump(2)));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToJson(), j);
}

TEST(PlanTest, DriftAndOutsideRoundTripAndAreOptionalWhenRead) {
  Plan p = MixedPlan();
  p.changes[0].drift = {{"rules", json::array({{{"protocol", "tcp"}}})}};
  p.changes[0].outside = true;
  json j = p.ToJson();
  EXPECT_EQ(j["changes"][0]["drift"], p.changes[0].drift);
  EXPECT_EQ(j["changes"][0]["outside"], true);
  EXPECT_EQ(j["changes"][1]["drift"], json::object());
  EXPECT_EQ(j["changes"][1]["outside"], false);
  auto back = Plan::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->changes[0].drift, p.changes[0].drift);
  EXPECT_TRUE(back->changes[0].outside);
  EXPECT_FALSE(back->changes[1].outside);
  // A plan saved before these fields existed still reads.
  for (json& c : j["changes"]) {
    c.erase("drift");
    c.erase("outside");
  }
  back = Plan::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->changes[0].drift.empty());
  EXPECT_FALSE(back->changes[0].outside);
  j["changes"][0]["drift"] = "rules";
  back = Plan::FromJson(j);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("'drift' must be an object"), std::string::npos) << back.status().message();
}

TEST(PlanTest, MovesRoundTripCountAsChangesAndAreOptionalWhenRead) {
  Plan p;
  p.deployment = "demo";
  Change noop;
  noop.address = "front.instance[0]";
  noop.desired.address = *model::Address::Parse("front.instance[0]");
  noop.prior.address = "front.instance[0]";
  p.changes = {noop};
  EXPECT_FALSE(p.HasChanges());
  p.moved = {{"web.instance[0]", "front.instance[0]"}};
  EXPECT_TRUE(p.HasChanges()) << "a move is written to the state on apply";
  EXPECT_EQ(p.Summarize().moved, 1);
  EXPECT_TRUE(p.OutsideOnly().moved.empty()) << "a move is no drift";
  json j = p.ToJson();
  EXPECT_EQ(j["moved"], json::parse(R"([{"from": "web.instance[0]", "to": "front.instance[0]"}])"));
  EXPECT_EQ(j["summary"]["moved"], 1);
  auto back = Plan::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->moved, p.moved);
  j.erase("moved");
  back = Plan::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->moved.empty());
  j["moved"] = json::array({{{"from", "web.lb"}}});
  back = Plan::FromJson(j);
  EXPECT_EQ(back.status().message(), "plan.moved[0]: missing 'to'");
}

TEST(PlanTest, FromJsonNamesTheBadField) {
  json good = MixedPlan().ToJson();
  auto err = [](json j) {
    auto p = Plan::FromJson(j);
    EXPECT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    return p.status().message();
  };
  json j = good;
  j["format_version"] = 2;
  EXPECT_EQ(err(j), "plan: unsupported format_version 2 (this build reads 1)");
  j = good;
  j.erase("deployment");
  EXPECT_EQ(err(j), "plan: missing 'deployment'");
  j = good;
  j["changes"][0]["action"] = "explode";
  EXPECT_EQ(err(j), "plan.changes[0] (" + good["changes"][0]["address"].get<std::string>() +
                        "): unknown action 'explode'");
  j = good;
  j["changes"][1]["kind"] = "droplet";
  EXPECT_NE(err(j).find("unknown kind 'droplet'"), std::string::npos);
  j = good;
  j["changes"][0]["desired"]["address"] = "api.bogus[0]";
  EXPECT_NE(err(j).find("unknown kind 'bogus'"), std::string::npos);
  j = good;
  j["state"]["serial"] = -1;
  EXPECT_EQ(err(j), "plan.state: 'serial' must be a non-negative integer");
  j = good;
  j["changes"][0]["depends_on"] = json::array({1});
  EXPECT_NE(err(j).find("'depends_on' must be an array of strings"), std::string::npos);
  EXPECT_EQ(err(json::array()), "plan: expected a JSON object");
}

}  // namespace
}  // namespace orch::plan
