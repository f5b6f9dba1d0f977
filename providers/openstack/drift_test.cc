// What the OpenStack provider reads back for drift (drift.h) and how Diff
// tells a live value from the recorded one: in place for the firewall's
// rules, the load balancer's listeners, health check and members, a
// volume's attachment and a floating IP's assignment.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "providers/openstack/drift.h"
#include "providers/openstack/os_provider.h"

namespace orch::providers::openstack {
namespace {

using nlohmann::json;
using plan::DiffDecision;

json SpecRules() {
  return json::array({{{"protocol", "tcp"}, {"ports", "9042"}, {"sources", json::array()},
                       {"source_tags", {"demo-api", "demo-workers"}}},
                      {{"protocol", "tcp"}, {"ports", "22"}, {"sources", {"192.168.10.0/24", "10.1.2.3"}},
                       {"source_tags", json::array()}},
                      {{"protocol", "tcp"}, {"ports", "8000-8100"}, {"sources", json::array()},
                       {"source_tags", json::array()}}});
}

std::vector<json> NeutronRules() {
  auto rule = [](int lo, int hi, json remote_ip, json remote_group) {
    return json{{"id", "r"}, {"direction", "ingress"}, {"ethertype", "IPv4"}, {"protocol", "tcp"},
                {"port_range_min", lo}, {"port_range_max", hi}, {"remote_ip_prefix", remote_ip},
                {"remote_group_id", remote_group}, {"security_group_id", "sg-db"}};
  };
  return {rule(9042, 9042, nullptr, "sg-api"), rule(9042, 9042, nullptr, "sg-workers"),
          rule(22, 22, "192.168.10.0/24", nullptr), rule(22, 22, "10.1.2.3/32", nullptr),
          rule(8000, 8100, "0.0.0.0/0", nullptr)};
}

const std::map<std::string, std::string> kGroups = {{"sg-api", "demo-api"}, {"sg-workers", "demo-workers"}};

TEST(OpenStackDrift, LiveRulesCompareEqualToTheSpecRulesTheyWereMadeFrom) {
  json live = LiveRules(NeutronRules(), kGroups);
  ASSERT_EQ(live.size(), 5u);
  EXPECT_EQ(live[0]["source_tags"], json::array({"demo-api"}));
  EXPECT_EQ(live[4]["ports"], "8000-8100");
  EXPECT_EQ(CanonicalRules(live), CanonicalRules(SpecRules()));
  // One source gone is a difference.
  std::vector<json> fewer = NeutronRules();
  fewer.erase(fewer.begin() + 2);
  EXPECT_NE(CanonicalRules(LiveRules(fewer, kGroups)), CanonicalRules(SpecRules()));
  // Egress rules are not the firewall's.
  std::vector<json> more = NeutronRules();
  more.push_back({{"direction", "egress"}, {"protocol", nullptr}, {"security_group_id", "sg-db"}});
  EXPECT_EQ(CanonicalRules(LiveRules(more, kGroups)), CanonicalRules(SpecRules()));
}

TEST(OpenStackDrift, RuleDefaults) {
  // No ports: all of them; no source: everyone; icmp: no ports.
  EXPECT_EQ(CanonicalRules(json::array({{{"protocol", "tcp"}}})), json::array({"tcp|1|65535|ip:0.0.0.0/0"}));
  EXPECT_EQ(CanonicalRules(json::array({{{"protocol", "icmp"}, {"ports", "8"}}})), json::array({"icmp|-1|-1|ip:0.0.0.0/0"}));
}

TEST(OpenStackDrift, HealthCheckFromTheMonitor) {
  json monitor = {{"type", "HTTP"}, {"delay", 10}, {"timeout", 5}, {"max_retries", 3}, {"max_retries_down", 3},
                  {"url_path", "/health"}};
  json spec = {{"protocol", "http"}, {"port", 8080}, {"path", "/health"}, {"interval_s", 10}, {"timeout_s", 5},
               {"healthy_threshold", 3}, {"unhealthy_threshold", 3}};
  EXPECT_EQ(CanonicalHealthCheck(LiveHealthCheck(&monitor)), CanonicalHealthCheck(spec));
  EXPECT_TRUE(LiveHealthCheck(nullptr).is_null());
  monitor["url_path"] = "/";
  EXPECT_NE(CanonicalHealthCheck(LiveHealthCheck(&monitor)), CanonicalHealthCheck(spec));
  // A tcp check has no path.
  json tcp = {{"protocol", "tcp"}, {"path", "/x"}};
  json tcp_monitor = {{"type", "TCP"}, {"delay", 10}, {"timeout", 5}, {"max_retries", 3}, {"max_retries_down", 3}};
  EXPECT_EQ(CanonicalHealthCheck(LiveHealthCheck(&tcp_monitor)), CanonicalHealthCheck(tcp));
}

TEST(OpenStackDrift, ListenersFromListenerPoolAndMembers) {
  json listener = {{"protocol", "HTTP"}, {"protocol_port", 80}};
  json pool = {{"protocol", "HTTP"}};
  json desired = json::array({{{"protocol", "http"}, {"port", 80}, {"target_port", 8080}, {"target_protocol", "http"}}});
  json live = json::array({LiveListener(listener, &pool, {json{{"address", "10.0.0.5"}, {"protocol_port", 8080}}})});
  EXPECT_EQ(CanonicalListeners(live), CanonicalListeners(desired));
  // No members left: the target port is not known, and taken from the desired.
  json bare = json::array({LiveListener(listener, &pool, {})});
  EXPECT_TRUE(bare[0]["target_port"].is_null());
  json filled = FillUnreported({{"listeners", bare}}, {{"listeners", desired}});
  EXPECT_EQ(CanonicalListeners(filled["listeners"]), CanonicalListeners(desired));
  EXPECT_EQ(CanonicalIps("10.0.0.6, 10.0.0.5"), json::array({"10.0.0.5", "10.0.0.6"}));
}

class OpenStackDiff : public ::testing::Test {
 protected:
  OpenStackProvider provider_{engine::ProviderEnv{}};

  static model::Resource Desired(model::Kind kind, json attributes) {
    model::Resource r;
    r.address = {"api", kind, "", -1};
    r.attributes = std::move(attributes);
    return r;
  }
  static state::ResourceState Prior(json attributes) {
    state::ResourceState p;
    p.id = "id-1";
    p.attributes = std::move(attributes);
    return p;
  }
  static json Lb() {
    return {{"region", "RegionOne"},
            {"network", "net-1"},
            {"listeners", {{{"protocol", "http"}, {"port", 80}, {"target_port", 8080}, {"target_protocol", "http"}}}},
            {"health_check", {{"protocol", "http"}, {"port", 80}, {"path", "/health"}, {"interval_s", 10},
                              {"timeout_s", 5}, {"healthy_threshold", 3}, {"unhealthy_threshold", 3}}},
            {"targets", {{"tier", "api"}, {"tag", "demo-api"}, {"private_ips", {"10.0.0.5", "10.0.0.6"}}}}};
  }
};

TEST_F(OpenStackDiff, LoadBalancerChildrenChangeInPlace) {
  const model::Resource d = Desired(model::Kind::kLoadBalancer, Lb());
  EXPECT_EQ(provider_.Diff(d, Prior(Lb())), DiffDecision::kNoop);
  // As Discover reports them after the monitor and a member were deleted.
  json live = Lb();
  live["health_check"] = nullptr;
  EXPECT_EQ(provider_.Diff(d, Prior(live)), DiffDecision::kUpdate);
  live = Lb();
  live["targets"] = {{"private_ips", {"10.0.0.6"}}};
  EXPECT_EQ(provider_.Diff(d, Prior(live)), DiffDecision::kUpdate);
  // The reported members in another order, without tier and tag: the same.
  live["targets"] = {{"private_ips", {"10.0.0.6", "10.0.0.5"}}};
  EXPECT_EQ(provider_.Diff(d, Prior(live)), DiffDecision::kNoop);
  // The monitor as Octavia reports it (no port): the same.
  live = Lb();
  live["health_check"].erase("port");
  EXPECT_EQ(provider_.Diff(d, Prior(live)), DiffDecision::kNoop);
  // A listener more: in place.
  json more = Lb();
  more["listeners"].push_back({{"protocol", "tcp"}, {"port", 443}, {"target_port", 443}, {"target_protocol", "tcp"}});
  EXPECT_EQ(provider_.Diff(Desired(model::Kind::kLoadBalancer, more), Prior(Lb())), DiffDecision::kUpdate);
  // Another network or tier: replaced.
  json other = Lb();
  other["network"] = "net-2";
  EXPECT_EQ(provider_.Diff(Desired(model::Kind::kLoadBalancer, other), Prior(Lb())), DiffDecision::kReplace);
  other = Lb();
  other["targets"]["tier"] = "web";
  EXPECT_EQ(provider_.Diff(Desired(model::Kind::kLoadBalancer, other), Prior(Lb())), DiffDecision::kReplace);
}

TEST_F(OpenStackDiff, FirewallRulesChangeInPlaceAndCompareByWhatNeutronHolds) {
  json a = {{"rules", SpecRules()}, {"target_tag", "demo-db"}};
  const model::Resource d = Desired(model::Kind::kFirewall, a);
  json live = a;
  live["rules"] = LiveRules(NeutronRules(), kGroups);
  EXPECT_EQ(provider_.Diff(d, Prior(live)), DiffDecision::kNoop);
  std::vector<json> fewer = NeutronRules();
  fewer.pop_back();
  live["rules"] = LiveRules(fewer, kGroups);
  EXPECT_EQ(provider_.Diff(d, Prior(live)), DiffDecision::kUpdate);
  json moved = a;
  moved["target_tag"] = "demo-other";
  EXPECT_EQ(provider_.Diff(d, Prior(moved)), DiffDecision::kReplace);
}

TEST_F(OpenStackDiff, AttachmentAndAssignmentChangeInPlace) {
  json vol = {{"size_gb", 1}, {"region", "RegionOne"}, {"instance", "db.instance[0]"}, {"instance_id", "srv-1"}};
  const model::Resource dv = Desired(model::Kind::kVolume, vol);
  json detached = vol;
  detached["instance_id"] = "";
  EXPECT_EQ(provider_.Diff(dv, Prior(detached)), DiffDecision::kUpdate);
  json bigger = vol;
  bigger["size_gb"] = 2;
  EXPECT_EQ(provider_.Diff(Desired(model::Kind::kVolume, bigger), Prior(vol)), DiffDecision::kReplace);
  json fip = {{"region", "RegionOne"}, {"instance", "mon.instance[0]"}, {"instance_id", "srv-2"}};
  json unassigned = fip;
  unassigned["instance_id"] = "";
  EXPECT_EQ(provider_.Diff(Desired(model::Kind::kFloatingIp, fip), Prior(unassigned)), DiffDecision::kUpdate);
  // Without a recorded id there is nothing to update.
  state::ResourceState no_id = Prior(unassigned);
  no_id.id.clear();
  EXPECT_EQ(provider_.Diff(Desired(model::Kind::kFloatingIp, fip), no_id), DiffDecision::kReplace);
}

// docs/providers/openstack.md carries the table the handlers' declarations
// render, between its markers.
TEST(OpenStackHandlers, AttributeTableIsDocumented) {
  OpenStackProvider provider{engine::ProviderEnv{}};
  const std::string want = common::AttributeTable(provider.handlers());
  const std::string path = std::string(ORCH_SOURCE_DIR) + "/docs/providers/openstack.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(common::DocumentedAttributeTable(doc.str()), want)
      << path << " should hold, between <!-- BEGIN attributes --> and <!-- END attributes -->:\n" << want;
}

TEST(OpenStackHandlers, EveryKindHasItsHandler) {
  OpenStackProvider provider{engine::ProviderEnv{}};
  for (model::Kind k : {model::Kind::kNetwork, model::Kind::kFirewall, model::Kind::kSshKey, model::Kind::kImage,
                        model::Kind::kInstance, model::Kind::kVolume, model::Kind::kFloatingIp,
                        model::Kind::kLoadBalancer}) {
    EXPECT_NE(provider.handlers().Find(k), nullptr) << model::KindName(k);
    EXPECT_TRUE(provider.GetCapabilities().kinds.count(k)) << model::KindName(k);
  }
  EXPECT_EQ(provider.handlers().Find(model::Kind::kInstanceGroup), nullptr);
}

}  // namespace
}  // namespace orch::providers::openstack
