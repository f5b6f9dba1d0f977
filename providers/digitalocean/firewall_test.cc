// firewall.cc
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "providers/digitalocean/drift.h"
#include "providers/digitalocean/test_fixture.h"

namespace orch::providers::digitalocean {
namespace {

using namespace test;  // NOLINT: the fixture's helpers
using nlohmann::json;

TEST(DoFirewallRulesTest, CanonicalFormIgnoresOrderDefaultsAndPortSpelling) {
  json a = {{{"protocol", "tcp"}, {"ports", "22"}, {"sources", {"b", "a"}}},
            {{"protocol", "icmp"}, {"ports", "all"}},
            {{"protocol", "udp"}, {"ports", ""}, {"sources", json::array()}, {"source_tags", json::array()}}};
  json b = {{{"protocol", "udp"}, {"ports", "1-65535"}, {"sources", {"0.0.0.0/0", "::/0"}}},
            {{"protocol", "tcp"}, {"ports", "22"}, {"sources", {"a", "b"}}, {"source_tags", json::array()}},
            {{"protocol", "icmp"}, {"sources", {"::/0", "0.0.0.0/0"}}}};
  EXPECT_EQ(CanonicalFirewallRules(a), CanonicalFirewallRules(b));
  b[1]["ports"] = "23";
  EXPECT_NE(CanonicalFirewallRules(a), CanonicalFirewallRules(b));
  EXPECT_EQ(CanonicalFirewallRules("not rules"), json::array());
}

TEST_F(DoProviderTest, FirewallRulesAreUpdatedWithPut) {
  model::Resource fw;
  fw.address = *model::Address::Parse("api.firewall");
  fw.cloud_name = "demo-api-fw";
  fw.attributes = {{"rules", {{{"protocol", "tcp"}, {"ports", "8080"}, {"sources", {"10.0.0.0/8"}}}}},
                   {"target_tag", "demo-api"}};
  state::ResourceState prior;
  prior.address = "api.firewall";
  prior.id = "fw1";
  prior.cloud_name = "demo-api-fw";
  transport_.ExpectReply("GET", std::string(kBase) + "/tags/demo-api", 200, R"({"tag":{"name":"demo-api"}})");
  transport_.ExpectReply("PUT", std::string(kBase) + "/firewalls/fw1", 200, R"({"firewall":{"id":"fw1"}})");
  auto r = provider_->Update(fw, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "fw1");
  json body = json::parse(transport_.Requests().back().body);
  EXPECT_EQ(body["name"], "demo-api-fw");
  EXPECT_EQ(body["inbound_rules"][0]["ports"], "8080");
  EXPECT_EQ(body["inbound_rules"][0]["sources"]["addresses"], json::array({"10.0.0.0/8"}));
  EXPECT_EQ(body["tags"], json::array({"demo-api"}));
  EXPECT_TRUE(transport_.Unexpected().empty());
}

}  // namespace
}  // namespace orch::providers::digitalocean
