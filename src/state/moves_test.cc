#include "state/moves.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orch::state {
namespace {

using ::testing::ElementsAre;

ResourceState Rec(const std::string& address, const std::string& id, std::vector<std::string> deps = {}) {
  ResourceState r;
  r.address = address;
  r.id = id;
  r.provider = "do";
  r.cloud_name = "demo-" + id;
  r.depends_on = std::move(deps);
  return r;
}

State Sample() {
  State s;
  s.serial = 4;
  for (ResourceState r : {Rec("network.main", "vpc-1"), Rec("web.instance[0]", "d-10", {"network.main"}),
                          Rec("web.instance[1]", "d-11", {"network.main"}),
                          Rec("web.volume.data[0]", "v-1", {"web.instance[0]"}),
                          Rec("web.lb", "lb-1", {"web.instance[0]", "web.instance[1]"}),
                          Rec("db.instance[0]", "d-20", {"network.main"})})
    s.resources[r.address] = r;
  s.resources["web.lb"].outputs = {{"members", {"web.instance[0]", "web.instance[1]"}}, {"ip", "192.0.2.9"}};
  s.resources["web.lb"].attributes = {{"targets", {{"tier", "web"}, {"tag", "demo-web"}}}, {"name", "web"}};
  s.resources["web.instance[0]"].attributes = {{"group", "web"}, {"size", "web"}};
  return s;
}

Move M(std::string from, std::string to, int line = 0) {
  Move m{std::move(from), std::move(to), {}};
  if (line) m.where = SourceRange{"spec.yaml", {line, 5}, {line, 5}};
  return m;
}

std::vector<std::string> Keys(const State& s) {
  std::vector<std::string> out;
  for (const auto& [a, r] : s.resources) out.push_back(a);
  return out;
}

std::vector<std::string> Messages(const Diagnostics& d) {
  std::vector<std::string> out;
  for (const Diagnostic& x : d.items()) out.push_back(FormatDiagnosticLine(x));
  return out;
}

TEST(MovesTest, TierMoveRenamesEveryAddressOfTheTierAndTheReferencesToThem) {
  State s = Sample();
  auto moved = ApplyMoves({M("web", "front")}, &s);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_THAT(*moved, ElementsAre(MovedAddress{"web.instance[0]", "front.instance[0]"},
                                  MovedAddress{"web.instance[1]", "front.instance[1]"},
                                  MovedAddress{"web.lb", "front.lb"},
                                  MovedAddress{"web.volume.data[0]", "front.volume.data[0]"}));
  EXPECT_THAT(Keys(s), ElementsAre("db.instance[0]", "front.instance[0]", "front.instance[1]", "front.lb",
                                   "front.volume.data[0]", "network.main"));
  const ResourceState& lb = s.resources.at("front.lb");
  EXPECT_EQ(lb.address, "front.lb");
  EXPECT_EQ(lb.id, "lb-1");
  EXPECT_EQ(lb.cloud_name, "demo-lb-1") << "the cloud name stays";
  EXPECT_THAT(lb.depends_on, ElementsAre("front.instance[0]", "front.instance[1]"));
  EXPECT_EQ(lb.outputs["members"], nlohmann::json({"front.instance[0]", "front.instance[1]"}));
  EXPECT_EQ(lb.outputs["ip"], "192.0.2.9");
  EXPECT_EQ(lb.attributes, nlohmann::json::parse(R"({"targets": {"tier": "front", "tag": "demo-web"}, "name": "web"})"))
      << "the tier it serves follows; other values are the cloud's business";
  EXPECT_THAT(s.resources.at("front.volume.data[0]").depends_on, ElementsAre("front.instance[0]"));
  EXPECT_EQ(s.resources.at("front.instance[0]").attributes,
            nlohmann::json::parse(R"({"group": "front", "size": "web"})"));
  EXPECT_THAT(s.resources.at("db.instance[0]").depends_on, ElementsAre("network.main"));
  EXPECT_EQ(s.serial, 4u) << "the store bumps the serial when the state is written";
}

TEST(MovesTest, AddressMoveRenamesThatResourceOnly) {
  State s = Sample();
  auto moved = ApplyMoves({M("web.instance[1]", "web.instance[5]")}, &s);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_THAT(*moved, ElementsAre(MovedAddress{"web.instance[1]", "web.instance[5]"}));
  EXPECT_EQ(s.resources.at("web.instance[5]").id, "d-11");
  EXPECT_TRUE(s.resources.count("web.instance[0]"));
  EXPECT_THAT(s.resources.at("web.lb").depends_on, ElementsAre("web.instance[0]", "web.instance[5]"));
}

TEST(MovesTest, TopLevelAddressMove) {
  State s = Sample();
  auto moved = ApplyMoves({M("network.main", "network.core")}, &s);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(s.resources.at("network.core").id, "vpc-1");
  EXPECT_THAT(s.resources.at("db.instance[0]").depends_on, ElementsAre("network.core"));
}

TEST(MovesTest, IntentsMoveWithTheirTier) {
  State s = Sample();
  Intent in;
  in.address = "web.instance[2]";
  in.action = "create";
  s.intents[in.address] = in;
  ASSERT_TRUE(ApplyMoves({M("web", "front")}, &s).ok());
  ASSERT_TRUE(s.intents.count("front.instance[2]"));
  EXPECT_EQ(s.intents.at("front.instance[2]").address, "front.instance[2]");
  EXPECT_FALSE(s.intents.count("web.instance[2]"));
}

TEST(MovesTest, AMoveAlreadyAppliedIsANoop) {
  State s = Sample();
  ASSERT_TRUE(ApplyMoves({M("web", "front")}, &s).ok());
  State again = s;
  auto moved = ApplyMoves({M("web", "front"), M("web.instance[0]", "web.instance[9]")}, &again);
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_TRUE(moved->empty());
  EXPECT_EQ(again.ToJson(), s.ToJson());
}

TEST(MovesTest, RequireFromReportsAnUnknownFrom) {
  State s = Sample();
  auto moved = ApplyMoves({M("api", "front")}, &s, /*require_from=*/true);
  EXPECT_TRUE(moved.status().IsNotFound());
  EXPECT_EQ(moved.status().message(), "no tier 'api' in state; see 'orchestrator state list'");
  moved = ApplyMoves({M("web.instance[7]", "web.instance[8]")}, &s, true);
  EXPECT_EQ(moved.status().message(), "no resource 'web.instance[7]' in state; see 'orchestrator state list'");
}

TEST(MovesTest, TargetAlreadyRecordedIsAnErrorAndChangesNothing) {
  State s = Sample();
  State before = s;
  auto moved = ApplyMoves({M("network.main", "network.spare", 3), M("web.instance[0]", "db.instance[0]", 7)}, &s);
  EXPECT_EQ(moved.status().message(),
            "spec.yaml:7:5: moved from 'web.instance[0]' to 'db.instance[0]': cannot move 'web.instance[0]' to "
            "'db.instance[0]': the state already records id d-20 at 'db.instance[0]'; remove that record first "
            "(orchestrator state rm db.instance[0]) or pick another address");
  EXPECT_EQ(s.ToJson(), before.ToJson());
}

TEST(MovesTest, TierMoveOntoARecordedTierIsAnError) {
  State s = Sample();
  auto moved = ApplyMoves({M("web", "db")}, &s);
  EXPECT_FALSE(moved.ok());
  EXPECT_THAT(moved.status().message(), ::testing::HasSubstr("the state already records id d-20 at 'db.instance[0]'"));
}

TEST(MovesTest, MalformedMoves) {
  State s = Sample();
  auto msg = [&](Move m) { return ApplyMoves({std::move(m)}, &s).status().message(); };
  EXPECT_EQ(msg(M("web", "web", 2)),
            "spec.yaml:2:5: moved from 'web' to 'web': 'from' and 'to' are both 'web'; a move needs two different "
            "names");
  EXPECT_EQ(msg(M("web", "front.instance[0]")),
            "moved from 'web' to 'front.instance[0]': 'web' and 'front.instance[0]' are not of one sort: move a tier "
            "to a tier, or an address to an address");
  EXPECT_EQ(msg(M("web.instance[0]", "web.volume.data[0]")),
            "moved from 'web.instance[0]' to 'web.volume.data[0]': 'web.instance[0]' is instance but "
            "'web.volume.data[0]' is volume; a resource can only move to an address of its own kind");
  EXPECT_EQ(msg(M("network", "front")),
            "moved from 'network' to 'front': 'from: network' is neither a tier name nor a resource address (such as "
            "web.instance[0])");
  EXPECT_THAT(msg(M("web.instance[x]", "web.instance[1]")),
              ::testing::StartsWith("moved from 'web.instance[x]' to 'web.instance[1]': 'from: web.instance[x]' is "
                                    "not a resource address: "));
}

TEST(MovesTest, MoveAddressesNeedsEveryFrom) {
  State s = Sample();
  EXPECT_TRUE(MoveAddresses({{"web.lb", "front.lb"}}, &s).ok());
  Status st = MoveAddresses({{"web.lb", "front.lb"}}, &s);
  EXPECT_TRUE(st.IsNotFound());
  EXPECT_EQ(st.message(), "no resource 'web.lb' in state to move to 'front.lb'");
}

TEST(MovesTest, CheckMovesAgainstTheSpec) {
  std::set<std::string> declared = {"network.main", "front.instance[0]", "front.lb", "db.instance[0]",
                                    "db.instance[1]"};
  EXPECT_TRUE(CheckMoves({M("web", "front"), M("db.instance[2]", "db.instance[1]")}, declared).empty());
  EXPECT_THAT(Messages(CheckMoves({M("web", "api", 2), M("front", "web", 3), M("db.instance[0]", "db.instance[4]", 4),
                                   M("web.lb", "front.group", 5)},
                                  declared)),
              ElementsAre("spec.yaml:2:5: error: tier 'api' is not declared in the spec; moved from 'web' to 'api' "
                          "needs a tier 'api' under 'tiers:'",
                          "spec.yaml:3:5: error: tier 'web' is not declared in the spec; moved from 'front' to 'web' "
                          "needs a tier 'web' under 'tiers:'",
                          "spec.yaml:3:5: error: tier 'front' is still declared in the spec; remove it (or rename it "
                          "to 'web') for its resources to move",
                          "spec.yaml:4:5: error: 'db.instance[4]' is not declared in the spec; moved from "
                          "'db.instance[0]' to 'db.instance[4]' needs the spec to declare it",
                          "spec.yaml:4:5: error: 'db.instance[0]' is still declared in the spec; remove it for it to "
                          "move to 'db.instance[4]'",
                          "spec.yaml:5:5: error: 'web.lb' is load_balancer but 'front.group' is instance_group; a "
                          "resource can only move to an address of its own kind"));
}

TEST(MovesTest, MovedResourcesKeepTheirRecordedNames) {
  State s;
  ResourceState was = Rec("front.instance[0]", "d-10");
  was.cloud_name = "demo-web-0";
  was.tags = {{"orchestrator-address", "web.instance[0]"}};
  was.attributes = {{"user_data", {{"vars", {{"self", {{"name", "demo-web-0"}, {"tier", "web"}}}, {"port", "80"}}}}},
                    {"target_tag", "demo-web"}};
  s.resources[was.address] = was;
  ResourceState same = Rec("db.instance[0]", "d-20");
  same.cloud_name = "demo-db-0";
  s.resources[same.address] = same;
  ResourceState ip = Rec("db.fip[0]", "192.0.2.7");  // named by the cloud, never moved
  ip.cloud_name = "192.0.2.7";
  ip.tags = {{"orchestrator-address", "db.fip[0]"}};
  s.resources[ip.address] = ip;
  model::Resource moved;
  moved.address = *model::Address::Parse("front.instance[0]");
  moved.cloud_name = "demo-front-0";
  moved.attributes = {{"hostname", "demo-front-0"},
                      {"user_data", {{"vars", {{"self", {{"name", "demo-front-0"}, {"tier", "front"}}}, {"port", "81"}}}}},
                      {"target_tag", "demo-front"}};
  model::Resource db;
  db.address = *model::Address::Parse("db.instance[0]");
  db.cloud_name = "demo-db-0";
  db.attributes = {{"hostname", "demo-db-0"}, {"rules", {{{"source_tags", {"demo-front", "demo-db"}}}}}};
  model::Resource fresh;
  fresh.address = *model::Address::Parse("front.instance[1]");
  fresh.cloud_name = "demo-front-1";
  fresh.attributes = {{"target_tag", "demo-front"}};
  model::Resource fip;
  fip.address = *model::Address::Parse("db.fip[0]");
  fip.cloud_name = "demo-db-fip-0";
  std::vector<model::Resource> desired = {moved, db, fresh, fip};
  KeepRecordedNames(s, &desired);
  EXPECT_EQ(desired[0].cloud_name, "demo-web-0");
  EXPECT_EQ(desired[0].attributes["hostname"], "demo-web-0");
  EXPECT_EQ(desired[0].attributes["user_data"]["vars"]["self"], was.attributes["user_data"]["vars"]["self"]);
  EXPECT_EQ(desired[0].attributes["user_data"]["vars"]["port"], "81") << "the spec's own values are planned as usual";
  EXPECT_EQ(desired[0].attributes["target_tag"], "demo-web") << "the tier's cloud tag stays";
  EXPECT_EQ(desired[1].attributes["hostname"], "demo-db-0");
  EXPECT_EQ(desired[1].attributes["rules"][0]["source_tags"], nlohmann::json({"demo-web", "demo-db"}))
      << "other tiers refer to the tag the cloud has";
  EXPECT_EQ(desired[2].cloud_name, "demo-front-1") << "not recorded: named after its address";
  EXPECT_EQ(desired[2].attributes["target_tag"], "demo-web") << "a new member joins the tag the tier has";
  EXPECT_EQ(desired[3].cloud_name, "demo-db-fip-0") << "its address tag is its address: not moved";
}

}  // namespace
}  // namespace orch::state
