#include <gtest/gtest.h>

#include "providers/gce/gce_provider.h"

namespace orch::providers::gce {
namespace {

using nlohmann::json;

// Drift of firewalls: the rules read back in the spec's form and the diff
// that tells a change of meaning from one of form.
TEST(GceDrift, FirewallRulesAreReadBackInTheSpecsFormByRuleIndex) {
  std::vector<json> rules = {
      {{"name", "demo-db-fw-1"}, {"allowed", json::array({{{"IPProtocol", "tcp"}, {"ports", json::array({"7000"})}}})},
       {"sourceTags", json::array({"demo-db"})}, {"targetTags", json::array({"demo-db"})}},
      {{"name", "demo-db-fw-0"},
       {"allowed", json::array({{{"IPProtocol", "tcp"}, {"ports", json::array({"22", "80"})}}})},
       {"sourceRanges", json::array({"10.0.0.0/8"})}, {"targetTags", json::array({"demo-db"})}}};
  json live = LiveFirewallAttributes(rules);
  EXPECT_EQ(live["target_tag"], "demo-db");
  ASSERT_EQ(live["rules"].size(), 2u);
  EXPECT_EQ(live["rules"][0], json({{"protocol", "tcp"}, {"ports", "22,80"}, {"sources", {"10.0.0.0/8"}},
                                    {"source_tags", json::array()}}));
  EXPECT_EQ(live["rules"][1]["source_tags"], json::array({"demo-db"}));
  // Rules that disagree on the target tag report none.
  rules[0]["targetTags"] = json::array({"other"});
  EXPECT_EQ(LiveFirewallAttributes(rules)["target_tag"], "");

  json recorded = {{"network", "global/networks/demo-main"},
                   {"target_tag", "demo-db"},
                   {"rules", {{{"protocol", "tcp"}, {"ports", "22, 80"}, {"sources", {"10.0.0.0/8"}}, {"source_tags", json::array()}},
                              {{"protocol", "tcp"}, {"ports", "7000"}, {"sources", json::array()}, {"source_tags", {"demo-db"}}}}}};
  json probe = recorded;
  probe["rules"] = live["rules"];
  EXPECT_EQ(DiffFirewall(recorded, probe), plan::DiffDecision::kNoop);  // "22, 80" is "22,80"
  probe["rules"][0]["sources"] = json::array({"0.0.0.0/0"});
  EXPECT_EQ(DiffFirewall(recorded, probe), plan::DiffDecision::kUpdate);
  probe = recorded;
  probe["target_tag"] = "";
  EXPECT_EQ(DiffFirewall(recorded, probe), plan::DiffDecision::kUpdate);
  probe = recorded;
  probe["rules"].erase(1);  // a rule deleted outside is inserted again
  EXPECT_EQ(DiffFirewall(recorded, probe), plan::DiffDecision::kUpdate);
  probe = recorded;
  probe["network"] = "global/networks/other";
  EXPECT_EQ(DiffFirewall(recorded, probe), plan::DiffDecision::kReplace);
  // No source is GCE's 0.0.0.0/0.
  json open = recorded;
  open["rules"][0]["sources"] = json::array();
  json open_live = open;
  open_live["rules"][0]["sources"] = json::array({"0.0.0.0/0"});
  EXPECT_EQ(DiffFirewall(open, open_live), plan::DiffDecision::kNoop);
}

}  // namespace
}  // namespace orch::providers::gce
