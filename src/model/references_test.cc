#include "model/references.h"

#include <gtest/gtest.h>

#include <map>

#include "model/expand.h"

namespace orch::model {
namespace {

using nlohmann::json;

TEST(ReferencedAddressesTest, TiersExpandToKnownAddresses) {
  std::vector<Address> known = {
      {"db", Kind::kInstance, "", 0}, {"db", Kind::kInstance, "", 1}, {"db", Kind::kVolume, "data", 0},
      {"api", Kind::kInstanceGroup, "", -1}, {"web", Kind::kLoadBalancer, "", -1},
      {"web", Kind::kInstance, "", 0}};
  json attrs = {{"user_data", {{"vars", {{"cp", "${tiers.db.private_ips}"}, {"lb", "${tiers.web.lb_ip}"}}}}},
                {"list", json::array({"${tiers.api.names}", "${ref:network.main.id}", "$${ref:image.x.id}"})}};
  auto refs = ReferencedAddresses(attrs, known);
  EXPECT_EQ(refs, (std::vector<std::string>{"api.group", "db.instance[0]", "db.instance[1]", "network.main",
                                            "web.lb"}));
  EXPECT_TRUE(HasReferences("a ${ref:x.y.z}"));
  EXPECT_FALSE(HasReferences("a $${ref:x.y.z} ${env:X}"));
}

}  // namespace
}  // namespace orch::model

namespace orch::model {
namespace {

TEST(ResolveReferencesWithTest, CallerDecidesEachExpression) {
  std::vector<std::string> seen;
  auto r = ResolveReferencesWith(
      nlohmann::json{{"a", "x=${ref:db.instance[0].id};y=${tiers.db.count}"}, {"b", {"${ref:network.main.id}"}}},
      [&](std::string_view e) -> Result<nlohmann::json> {
        seen.emplace_back(e);
        return nlohmann::json("<" + std::string(e) + ">");
      });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["a"], "x=<ref:db.instance[0].id>;y=<tiers.db.count>");
  EXPECT_EQ((*r)["b"][0], "<ref:network.main.id>");
  EXPECT_EQ(seen.size(), 3u);
  auto err = ResolveReferencesWith(nlohmann::json("${ref:a.lb.ip}"),
                                   [](std::string_view) -> Result<nlohmann::json> { return Status::Timeout("t"); });
  EXPECT_TRUE(err.status().IsTimeout());
}

}  // namespace
}  // namespace orch::model

namespace orch::model {
namespace {

using nlohmann::json;

TEST(ExpandSelfReferencesTest, SubstitutesPerInstanceValuesAndKeepsEscapes) {
  SelfValues self{"db", 3, "demo-db-3", "do", "nyc3", "nyc3-a"};
  auto r = ExpandSelfReferences(json{{"user_data", {{"vars", {{"i", "${self.index}"},
                                                           {"dc", "${self.provider}-${self.region}"},
                                                           {"who", "${self.name}/${self.tier}@${self.zone}"},
                                                           {"lit", "$${self.index} ${HOME}"},
                                                           {"n", 7}}}}}},
                                self);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const json& v = (*r)["user_data"]["vars"];
  EXPECT_EQ(v["i"], "3");
  EXPECT_EQ(v["dc"], "do-nyc3");
  EXPECT_EQ(v["who"], "demo-db-3/db@nyc3-a");
  EXPECT_EQ(v["lit"], "$${self.index} ${HOME}");
  EXPECT_EQ(v["n"], 7);
}

TEST(ExpandSelfReferencesTest, PriorPrivateIpsAreRefsToEarlierInstancesCappedAtN) {
  auto seeds = [](int index) {
    auto r = ExpandSelfReferences(json("${self.prior_private_ips:2}"), SelfValues{"db", index, "", "", "", ""});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->get<std::string>() : std::string();
  };
  EXPECT_EQ(seeds(0), "");
  EXPECT_EQ(seeds(1), "${ref:db.instance[0].private_ip}");
  EXPECT_EQ(seeds(2), "${ref:db.instance[0].private_ip},${ref:db.instance[1].private_ip}");
  EXPECT_EQ(seeds(7), "${ref:db.instance[0].private_ip},${ref:db.instance[1].private_ip}");
}

TEST(ExpandSelfReferencesTest, ErrorsNameTheExpression) {
  auto group = ExpandSelfReferences(json("${self.index}"), SelfValues{"api", -1, "demo-api", "", "", ""});
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.status().message(),
            "${self.index}: tier 'api' is a native instance group, whose members have no index");
  auto unknown = ExpandSelfReferences(json("x ${self.ip}"), SelfValues{"db", 0, "", "", "", ""});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("${self.ip}: unknown self attribute"), std::string::npos);
  EXPECT_FALSE(ExpandSelfReferences(json("${self.prior_private_ips:x}"), SelfValues{"db", 1, "", "", "", ""}).ok());
  // The group's name needs no index.
  auto name = ExpandSelfReferences(json("${self.name}"), SelfValues{"api", -1, "demo-api", "", "", ""});
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "demo-api");
}

// Seeds through ${self.prior_private_ips:2} are real edges: instance 1 waits
// for 0, and every later instance for 0 and 1 (and for nothing later).
class SeedEdgesTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SeedEdgesTest, SeedReferencesBecomeDependencies) {
  spec::Spec s;
  s.deployment = "demo";
  spec::ProviderSpec p;
  p.name = "cloud";
  p.type = "fake";
  p.region = "r1";
  s.providers["cloud"] = p;
  spec::TierSpec db;
  db.name = "db";
  db.provider = "cloud";
  db.count = 4;
  db.size = "m";
  db.image = "debian-12";
  db.user_data = spec::UserDataSpec{"/t/db.tmpl", {{"seeds", GetParam()}, {"index", "${self.index}"}}, {}};
  s.tiers = {db};
  Diagnostics diags;
  Expansion ex = Expand(s, [](const std::string&) { return ProviderTraits{}; }, &diags);
  ASSERT_FALSE(diags.HasErrors());
  std::map<std::string, std::vector<std::string>> deps;
  for (const Resource& r : ex.resources) {
    for (const Address& a : r.depends_on) deps[r.address.ToString()].push_back(a.ToString());
    if (r.address.kind != Kind::kInstance) continue;
    const json& vars = r.attributes["user_data"]["vars"];
    EXPECT_EQ(vars["index"], std::to_string(r.address.index));
    EXPECT_EQ(vars["self"], (json{{"index", std::to_string(r.address.index)}, {"name", r.cloud_name},
                                  {"tier", "db"}, {"provider", "cloud"}, {"region", "r1"}, {"zone", ""}}));
  }
  using V = std::vector<std::string>;
  EXPECT_EQ(deps["db.instance[0]"], V{});
  EXPECT_EQ(deps["db.instance[1]"], V{"db.instance[0]"});
  EXPECT_EQ(deps["db.instance[2]"], (V{"db.instance[0]", "db.instance[1]"}));
  EXPECT_EQ(deps["db.instance[3]"], (V{"db.instance[0]", "db.instance[1]"}));
}

// ${self.seeds:2} has the same edges as ${self.prior_private_ips:2}; its
// value is resolved from state when the node is made (state/references.h).
INSTANTIATE_TEST_SUITE_P(PriorAndSeeds, SeedEdgesTest,
                         ::testing::Values("${self.prior_private_ips:2}", "${self.seeds:2}"));

TEST(ExpandSelfReferencesTest, SelfSeedsNamesTheInstance) {
  auto r = ExpandSelfReferences(json("${self.seeds:2}"), SelfValues{"db", 3, "", "", "", ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "${seeds:db.instance[3]:2}");
  auto seeds = ParseSeedsReference("seeds:db.instance[3]:2");
  ASSERT_TRUE(seeds.ok());
  EXPECT_EQ(seeds->member.index, 3);
  EXPECT_EQ(seeds->count, 2);
  EXPECT_FALSE(ExpandSelfReferences(json("${self.seeds:x}"), SelfValues{"db", 1, "", "", "", ""}).ok());
  EXPECT_FALSE(ExpandSelfReferences(json("${self.seeds:2}"), SelfValues{"db", -1, "", "", "", ""}).ok());
}

}  // namespace
}  // namespace orch::model
