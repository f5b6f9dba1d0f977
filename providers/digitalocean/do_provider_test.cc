#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "http/redact.h"
#include "providers/digitalocean/do_provider.h"
#include "providers/digitalocean/drift.h"
#include "providers/digitalocean/tags.h"
#include "testing/fake_clock.h"
#include "providers/digitalocean/test_fixture.h"
#include "testing/scripted_transport.h"

// The provider itself: Configure, Discover (every kind, drift attributes)
// and Diff routed to the kinds' handlers.
namespace orch::providers::digitalocean {
namespace {

using namespace test;  // NOLINT: the fixture's helpers
using nlohmann::json;

TEST(DoConfigureTest, MissingTokenNamesEverySource) {
  unsetenv("DIGITALOCEAN_TOKEN");
  unsetenv("DIGITALOCEAN_ACCESS_TOKEN");
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  DigitalOceanProvider p(engine::ProviderEnv{&clock, &transport, ""});
  engine::ProviderConfig c;
  c.name = "do";
  Status st = p.Configure(c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  for (const char* s : {"token", "DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"})
    EXPECT_NE(st.message().find(s), std::string::npos) << s;
}

TEST(DoConfigureTest, TokenFromEnvironmentAndEndpointOverride) {
  setenv("DIGITALOCEAN_ACCESS_TOKEN", "env-token-xyz", 1);
  setenv("DIGITALOCEAN_API_URL", "http://env.test/v2/", 1);
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  DigitalOceanProvider p(engine::ProviderEnv{&clock, &transport, ""});
  engine::ProviderConfig c;
  c.name = "do";
  c.deployment = "demo";
  ASSERT_TRUE(p.Configure(c).ok());
  transport.ExpectReply("GET", "http://env.test/v2/droplets?", 200, R"({"droplets":[],"links":{}})");
  for (auto [path, key] : std::vector<std::pair<std::string, std::string>>{{"volumes", "volumes"},
                                                                          {"vpcs", "vpcs"},
                                                                          {"tags", "tags"},
                                                                          {"firewalls", "firewalls"},
                                                                          {"load_balancers", "load_balancers"},
                                                                          {"account/keys", "ssh_keys"},
                                                                          {"reserved_ips", "reserved_ips"}})
    transport.ExpectReply("GET", "http://env.test/v2/" + path, 200, "{\"" + key + "\":[]}");
  ASSERT_TRUE(p.Discover("demo").ok());
  auto reqs = transport.Requests();
  ASSERT_FALSE(reqs.empty());
  bool bearer = false;
  for (auto& [k, v] : reqs[0].headers) bearer |= (k == "Authorization" && v == "Bearer env-token-xyz");
  EXPECT_TRUE(bearer);
  EXPECT_EQ(http::Redact("token env-token-xyz"), "token [REDACTED]");
  unsetenv("DIGITALOCEAN_ACCESS_TOKEN");
  unsetenv("DIGITALOCEAN_API_URL");
}

TEST_F(DoProviderTest, DiscoverPaginatesAndMapsEveryKind) {
  std::string p2 = std::string(kBase) + "/droplets?page=2&per_page=200&tag_name=orchestrator-deployment%3Ademo";
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-deployment%3Ademo&per_page=200", 200,
                         json({{"droplets", {Droplet(1, "db.instance[0]", "active")}},
                               {"links", {{"pages", {{"next", p2}, {"last", p2}}}}}, {"meta", {{"total", 2}}}}).dump());
  // Multi-created: no address tag, known by its exact name and tier tag.
  json batched = Droplet(3, "web.instance[1]", "active");
  batched["tags"] = {DeploymentTag("demo"), "orchestrator-tier:web", "demo-web"};
  json stray = batched;  // not named like a member of its tier
  stray["id"] = 4;
  stray["name"] = "demo-web-one";
  transport_.ExpectReply("GET", p2, 200,
                         json({{"droplets", {Droplet(2, "mon.instance[0]", "active"), batched, stray}},
                               {"links", {{"pages", {{"prev", "x"}}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/volumes", 200,
                         json({{"volumes", {{{"id", "v1"}, {"name", "demo-db-data-0"}, {"tags", {DeploymentTag("demo"), AddressTag("db.volume.data[0]")}}},
                                            {{"id", "v2"}, {"name", "other"}, {"tags", json::array()}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/vpcs", 200,
                         json({{"vpcs", {{{"id", "vpc1"}, {"name", "demo-main"}, {"description", DeploymentTag("demo") + " " + AddressTag("network.main")}}, {{"id", "vpc2"}, {"name", "demo-other"}, {"description", DeploymentTag("demo-x") + " " + AddressTag("network.other")}}, {{"id", "d"}, {"name", "default-nyc3"}, {"default", true}}}}}).dump());
  // demo-x is another deployment: its names start with "demo-" too.
  transport_.ExpectReply("GET", std::string(kBase) + "/tags", 200,
                         json({{"tags", {{{"name", DeploymentTag("demo")}}, {{"name", DeploymentTag("demo-x")}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/firewalls", 200,
                         json({{"firewalls", {{{"id", "fw1"}, {"name", "demo-db-fw"}, {"tags", {"demo-db"}}},
                                              {{"id", "fw2"}, {"name", "prod-db-fw"}, {"tags", {"prod-db"}}},
                                              {{"id", "fw3"}, {"name", "demo-x-db-fw"}, {"tags", {"demo-x-db"}}},
                                              {{"id", "fw4"}, {"name", "demo-web-fw"}, {"tags", {"other"}}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/load_balancers", 200,
                         json({{"load_balancers", {{{"id", "lb1"}, {"name", "demo-api-lb"}, {"ip", "5.5.5.5"}, {"tag", "demo-api"}},
                                                   {{"id", "lb2"}, {"name", "demo-x-api-lb"}, {"ip", "6.6.6.6"}, {"tag", "demo-x-api"}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/account/keys", 200,
                         json({{"ssh_keys", {{{"id", 7}, {"name", "demo-ops"}, {"fingerprint", "aa"}},
                                             {{"id", 8}, {"name", "demo-x-ops"}, {"fingerprint", "bb"}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips", 200,
                         json({{"reserved_ips", {{{"ip", "9.9.9.9"}, {"droplet", {{"id", 2}}}}, {{"ip", "8.8.8.8"}, {"droplet", nullptr}}}}}).dump());
  auto found = provider_->Discover("demo");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::map<std::string, engine::ObservedResource> by;
  for (auto& o : *found) by[o.address] = o;
  EXPECT_EQ(by.size(), 10u);  // 9 addresses and "" for the stray droplet (an orphan)
  EXPECT_EQ(by["web.instance[1]"].id, "3");
  EXPECT_EQ(by["web.instance[1]"].tags[std::string(model::kTagAddress)], "web.instance[1]");
  EXPECT_EQ(by[""].id, "4");
  EXPECT_EQ(by["db.instance[0]"].id, "1");
  EXPECT_EQ(by["mon.instance[0]"].outputs["private_ip"], "10.0.0.2");
  EXPECT_EQ(by["db.volume.data[0]"].id, "v1");
  EXPECT_EQ(by["network.main"].id, "vpc1");
  EXPECT_EQ(by["db.firewall"].id, "fw1");
  EXPECT_EQ(by["api.lb"].outputs["ip"], "5.5.5.5");
  EXPECT_EQ(by["ssh_key.ops@do"].id, "7");
  EXPECT_EQ(by["mon.fip[0]"].outputs["ip"], "9.9.9.9");
  EXPECT_TRUE(transport_.Unexpected().empty());
}

// Drift: Discover reports back what state records (firewall rules and tag,
// a droplet's tier tag, attachments and assignments) in the recorded form.
TEST_F(DoProviderTest, DiscoverReportsTheLiveAttributesComparedForDrift) {
  json tagged = Droplet(1, "db.instance[0]", "active");
  json untagged = Droplet(2, "db.instance[1]", "active");
  tagged["tags"].push_back("demo-db");
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-deployment%3Ademo&per_page=200", 200,
                         json({{"droplets", {tagged, untagged}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/volumes", 200,
                         json({{"volumes", {{{"id", "v1"}, {"name", "demo-db-data-0"}, {"droplet_ids", {1}},
                                             {"tags", {DeploymentTag("demo"), AddressTag("db.volume.data[0]")}}},
                                            {{"id", "v2"}, {"name", "demo-db-data-1"}, {"droplet_ids", json::array()},
                                             {"tags", {DeploymentTag("demo"), AddressTag("db.volume.data[1]")}}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/vpcs", 200, json({{"vpcs", json::array()}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/tags", 200, json({{"tags", json::array()}}).dump());
  json rules = {{{"protocol", "tcp"}, {"ports", "22"}, {"sources", {{"addresses", {"0.0.0.0/0", "::/0"}}}}},
                {{"protocol", "tcp"}, {"ports", "9042"}, {"sources", {{"tags", {"demo-api"}}}}}};
  transport_.ExpectReply("GET", std::string(kBase) + "/firewalls", 200,
                         json({{"firewalls", {{{"id", "fw1"}, {"name", "demo-db-fw"}, {"tags", {"demo-db"}},
                                               {"inbound_rules", rules}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/load_balancers", 200, json({{"load_balancers", json::array()}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/account/keys", 200, json({{"ssh_keys", json::array()}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips", 200,
                         json({{"reserved_ips", {{{"ip", "9.9.9.9"}, {"droplet", {{"id", 1}}}}}}}).dump());
  auto found = provider_->Discover("demo");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::map<std::string, engine::ObservedResource> by;
  for (auto& o : *found) by[o.address] = o;
  EXPECT_EQ(by["db.instance[0]"].attributes["target_tag"], "demo-db");
  EXPECT_EQ(by["db.instance[1]"].attributes["target_tag"], "");  // taken off outside
  EXPECT_EQ(by["db.volume.data[0]"].attributes, json({{"instance_id", "1"}}));
  EXPECT_EQ(by["db.volume.data[1]"].attributes, json({{"instance_id", ""}}));
  EXPECT_EQ(by["db.fip[0]"].attributes, json({{"instance_id", "1"}}));
  EXPECT_EQ(by["db.firewall"].attributes["target_tag"], "demo-db");
  // What is read back is what the kind declares reported (the docs' "Drift
  // checked" column).
  for (const auto& [address, o] : by) {
    const common::ResourceHandler* h = provider_->handlers().Find(*model::KindFromName(o.kind));
    ASSERT_NE(h, nullptr) << address;
    std::set<std::string> reported;
    for (const common::AttributeSpec& a : h->Attributes())
      if (a.reported) reported.insert(a.name);
    for (auto it = o.attributes.begin(); it != o.attributes.end(); ++it)
      EXPECT_TRUE(reported.count(it.key())) << address << " reports " << it.key() << ", not declared reported";
  }
  // The live rules, in the spec's form, compare equal to the rules they came
  // from; one more rule opened outside does not.
  model::Resource fw;
  fw.address = *model::Address::Parse("db.firewall");
  fw.attributes = {{"rules", {{{"protocol", "tcp"}, {"ports", "9042"}, {"sources", json::array()}, {"source_tags", {"demo-api"}}},
                              {{"protocol", "tcp"}, {"ports", "22"}, {"sources", json::array()}, {"source_tags", json::array()}}}},
                   {"target_tag", "demo-db"}};
  state::ResourceState live;
  live.id = "fw1";
  live.attributes = by["db.firewall"].attributes;
  EXPECT_EQ(provider_->Diff(fw, live), plan::DiffDecision::kNoop);
  live.attributes["rules"].push_back({{"protocol", "tcp"}, {"ports", "0"}, {"sources", {"0.0.0.0/0"}}, {"source_tags", json::array()}});
  EXPECT_EQ(provider_->Diff(fw, live), plan::DiffDecision::kUpdate);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(DoProviderTest, DiffUpdatesInPlaceOnlyWhatTheApiCanChange) {
  model::Resource inst = Instance(0);
  state::ResourceState p;
  p.id = "42";
  p.attributes = inst.attributes;
  EXPECT_EQ(provider_->Diff(inst, p), plan::DiffDecision::kNoop);
  p.attributes["size"] = "s-2vcpu-4gb";
  EXPECT_EQ(provider_->Diff(inst, p), plan::DiffDecision::kUpdate);  // resize
  p.attributes["target_tag"] = "demo-old";
  p.attributes.erase("group");
  EXPECT_EQ(provider_->Diff(inst, p), plan::DiffDecision::kUpdate);  // retag, count -> group
  for (const char* key : {"user_data", "image", "region", "ssh_keys", "network"}) {
    state::ResourceState q = p;
    q.attributes[key] = "changed";
    EXPECT_EQ(provider_->Diff(inst, q), plan::DiffDecision::kReplace) << key;
  }
  state::ResourceState unknown = p;
  unknown.id = "";
  EXPECT_EQ(provider_->Diff(inst, unknown), plan::DiffDecision::kReplace);

  model::Resource v;
  v.address = *model::Address::Parse("db.volume.data[0]");
  v.attributes = {{"size_gb", 200}, {"region", "nyc3"}, {"instance_id", "42"}};
  state::ResourceState pv;
  pv.id = "vol-1";
  pv.attributes = v.attributes;
  pv.attributes["size_gb"] = 100;
  EXPECT_EQ(provider_->Diff(v, pv), plan::DiffDecision::kUpdate);  // grows
  pv.attributes["size_gb"] = 300;
  EXPECT_EQ(provider_->Diff(v, pv), plan::DiffDecision::kReplace);  // volumes never shrink
  pv.attributes["size_gb"] = 200;
  pv.attributes["instance_id"] = "41";
  EXPECT_EQ(provider_->Diff(v, pv), plan::DiffDecision::kUpdate);  // its droplet was replaced: reattach
  pv.attributes["type"] = "other";
  EXPECT_EQ(provider_->Diff(v, pv), plan::DiffDecision::kReplace);

  model::Resource ip;
  ip.address = *model::Address::Parse("mon.fip[0]");
  ip.attributes = {{"region", "nyc3"}, {"instance", "mon.instance[0]"}, {"instance_id", "43"}};
  state::ResourceState pi;
  pi.id = "1.2.3.4";
  pi.attributes = ip.attributes;
  pi.attributes["instance_id"] = "42";
  EXPECT_EQ(provider_->Diff(ip, pi), plan::DiffDecision::kUpdate);  // reassign, same address
  pi.attributes["region"] = "fra1";
  EXPECT_EQ(provider_->Diff(ip, pi), plan::DiffDecision::kReplace);

  model::Resource fw;
  fw.address = *model::Address::Parse("api.firewall");
  fw.attributes = {{"rules", json::array()}, {"target_tag", "demo-api"}};
  state::ResourceState pf;
  pf.id = "fw1";
  pf.attributes = {{"rules", {{{"protocol", "tcp"}, {"ports", "22"}}}}, {"target_tag", "demo-api"}};
  EXPECT_EQ(provider_->Diff(fw, pf), plan::DiffDecision::kUpdate);
}

}  // namespace
}  // namespace orch::providers::digitalocean
