// What the OpenStack provider reads back for drift (drift.h) and how Diff
// tells a live value from the recorded one: in place for the firewall's
// rules, the load balancer's listeners, health check and members, a
// volume's attachment and a floating IP's assignment.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>

#include "providers/openstack/drift.h"
#include "providers/openstack/os_provider.h"
#include "testing/fake_clock.h"
#include "testing/scripted_transport.h"

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

// Discover against a scripted cloud: what it reads back, with one list call
// per kind (members: one per pool).
class OpenStackDiscoverDrift : public ::testing::Test {
 protected:
  void SetUp() override {
    transport_.SetFallback([this](const env::HttpRequest& r) { return Answer(r); });
    ConfigSources sources;
    sources.getenv = [](const std::string&) { return std::string(); };
    sources.home = "/nonexistent";
    sources.cwd = "/nonexistent";
    sources.system_dirs = {};
    engine::ProviderEnv env;
    env.clock = &clock_;
    env.transport = &transport_;
    provider_ = std::make_unique<OpenStackProvider>(env, Tuning{}, sources);
    engine::ProviderConfig c;
    c.name = "os";
    c.type = "openstack";
    c.deployment = "demo";
    c.region = "RegionOne";
    c.settings = {{"auth_url", "http://keystone:5000"}, {"username", "u"}, {"password", "pw"}, {"project_name", "p"}};
    ASSERT_TRUE(provider_->Configure(c).ok());
  }

  static env::HttpResponse Json(const json& j) {
    return env::HttpResponse{200, {{"Content-Type", "application/json"}}, j.dump()};
  }
  static json Tags(const std::string& address) {
    json t = json::array({"orchestrator-deployment=demo"});
    if (!address.empty()) t.push_back("orchestrator-address=" + address);
    return t;
  }

  Result<env::HttpResponse> Answer(const env::HttpRequest& req) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(req.method + " " + req.url.substr(0, req.url.find('?')));
    }
    const std::string& u = req.url;
    if (req.method == "POST" && u == "http://keystone:5000/v3/auth/tokens") {
      json catalog = json::array();
      for (auto [type, url] : {std::pair{"compute", "http://nova/v2.1"}, {"network", "http://neutron"},
                               {"image", "http://glance"}, {"volumev3", "http://cinder/v3/p1"},
                               {"load-balancer", "http://octavia"}})
        catalog.push_back({{"type", type},
                           {"endpoints", {{{"interface", "public"}, {"region_id", "RegionOne"}, {"url", url}}}}});
      json body = {{"token", {{"expires_at", "2027-01-01T00:00:00Z"}, {"project", {{"id", "p1"}}}, {"catalog", catalog}}}};
      return env::HttpResponse{201, {{"X-Subject-Token", "tok"}, {"Content-Type", "application/json"}}, body.dump()};
    }
    auto starts = [&](const std::string& prefix) { return u.rfind(prefix, 0) == 0; };
    if (u == "http://nova/v2.1") return Json({{"version", {{"id", "v2.1"}, {"min_version", "2.1"}, {"version", "2.79"}}}});
    if (u == "http://cinder/v3/") return Json({{"versions", {{{"id", "v3.0"}, {"min_version", "3.0"}, {"version", "3.59"}}}}});
    if (starts("http://nova/v2.1/servers/detail"))
      return Json({{"servers", {{{"id", "s-1"}, {"name", "demo-api-0"}, {"status", "ACTIVE"},
                                 {"tags", Tags("api.instance[0]")}, {"flavor", {{"original_name", "m1.tiny"}}}}}}});
    if (starts("http://nova/v2.1/flavors"))
      return Json({{"flavors", {{{"id", "1"}, {"name", "m1.tiny"}}, {{"id", "2"}, {"name", "m1.small"}}}}});
    if (starts("http://nova/v2.1/os-keypairs")) return Json({{"keypairs", json::array()}});
    if (starts("http://neutron/v2.0/networks")) return Json({{"networks", json::array()}});
    if (starts("http://neutron/v2.0/security-groups"))
      return Json({{"security_groups", {{{"id", "sg-db"}, {"name", "demo-database"}, {"tags", Tags("database.firewall")}},
                                        {{"id", "sg-api"}, {"name", "demo-api"}, {"tags", Tags("")}}}}});
    if (starts("http://neutron/v2.0/security-group-rules"))
      return Json({{"security_group_rules",
                    {{{"id", "r1"}, {"security_group_id", "sg-db"}, {"direction", "ingress"}, {"protocol", "tcp"},
                      {"port_range_min", 9042}, {"port_range_max", 9042}, {"remote_ip_prefix", nullptr},
                      {"remote_group_id", "sg-api"}},
                     {{"id", "r2"}, {"security_group_id", "sg-other"}, {"direction", "ingress"}, {"protocol", "tcp"},
                      {"port_range_min", 22}, {"port_range_max", 22}, {"remote_ip_prefix", "0.0.0.0/0"}}}}});
    if (starts("http://neutron/v2.0/floatingips"))
      return Json({{"floatingips", {{{"id", "fip-1"}, {"floating_ip_address", "203.0.113.3"}, {"port_id", nullptr},
                                     {"tags", Tags("monitoring.fip[0]")}}}}});
    if (starts("http://octavia/v2/lbaas/loadbalancers"))
      return Json({{"loadbalancers", {{{"id", "lb-1"}, {"name", "demo-api-lb"}, {"vip_address", "10.0.0.9"},
                                       {"provisioning_status", "ACTIVE"}, {"tags", Tags("api.lb")}}}}});
    if (starts("http://octavia/v2/lbaas/listeners"))
      return Json({{"listeners", {{{"id", "l-1"}, {"name", "demo-api-lb-80"}, {"protocol", "HTTP"},
                                   {"protocol_port", 80}, {"default_pool_id", "pool-1"},
                                   {"loadbalancers", {{{"id", "lb-1"}}}}, {"provisioning_status", "ACTIVE"}}}}});
    if (starts("http://octavia/v2/lbaas/pools/pool-1/members"))
      return Json({{"members", {{{"id", "m-1"}, {"address", "10.0.0.6"}, {"protocol_port", 8080},
                                 {"provisioning_status", "ACTIVE"}},
                                {{"id", "m-2"}, {"address", "10.0.0.5"}, {"protocol_port", 8080},
                                 {"provisioning_status", "PENDING_DELETE"}}}}});
    if (starts("http://octavia/v2/lbaas/pools"))
      return Json({{"pools", {{{"id", "pool-1"}, {"protocol", "HTTP"}, {"provisioning_status", "ACTIVE"}}}}});
    if (starts("http://octavia/v2/lbaas/healthmonitors")) return Json({{"healthmonitors", json::array()}});
    if (starts("http://cinder/v3/p1/volumes/detail"))
      return Json({{"volumes", {{{"id", "vol-1"}, {"name", "demo-db-data-0"}, {"status", "available"},
                                 {"attachments", json::array()},
                                 {"metadata", {{"orchestrator-deployment", "demo"},
                                               {"orchestrator-address", "database.volume.data[0]"}}}}}}});
    return env::HttpResponse{500, {}, "{}"};
  }

  int Count(const std::string& call) {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(std::count(calls_.begin(), calls_.end(), call));
  }

  testing::FakeClock clock_;
  testing::ScriptedTransport transport_;
  std::unique_ptr<OpenStackProvider> provider_;
  std::mutex mu_;
  std::vector<std::string> calls_;
};

TEST_F(OpenStackDiscoverDrift, ReadsBackWhatChangedOutside) {
  Result<std::vector<engine::ObservedResource>> found = provider_->Discover("demo");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::map<std::string, json> attrs;
  for (const engine::ObservedResource& o : *found) attrs[o.address] = o.attributes;
  // The firewall's own ingress rules, the remote group by its name.
  EXPECT_EQ(attrs["database.firewall"]["rules"],
            json::array({{{"protocol", "tcp"}, {"ports", "9042"}, {"sources", json::array()},
                          {"source_tags", {"demo-api"}}}}));
  // The monitor gone, one member left (the other one being deleted).
  EXPECT_TRUE(attrs["api.lb"]["health_check"].is_null());
  EXPECT_EQ(attrs["api.lb"]["targets"], json({{"private_ips", {"10.0.0.6"}}}));
  EXPECT_EQ(attrs["api.lb"]["listeners"],
            json::array({{{"protocol", "http"}, {"port", 80}, {"target_protocol", "http"}, {"target_port", 8080}}}));
  EXPECT_EQ(attrs["database.volume.data[0]"], json({{"instance_id", ""}}));
  EXPECT_EQ(attrs["monitoring.fip[0]"], json({{"instance_id", ""}}));
  // The flavor by name.
  EXPECT_EQ(attrs["api.instance[0]"], json({{"size", "m1.tiny"}}));
  // One list call per kind; members per pool.
  EXPECT_EQ(Count("GET http://nova/v2.1/flavors"), 1);
  EXPECT_EQ(Count("GET http://neutron/v2.0/security-group-rules"), 1);
  EXPECT_EQ(Count("GET http://octavia/v2/lbaas/listeners"), 1);
  EXPECT_EQ(Count("GET http://octavia/v2/lbaas/pools"), 1);
  EXPECT_EQ(Count("GET http://octavia/v2/lbaas/healthmonitors"), 1);
  EXPECT_EQ(Count("GET http://octavia/v2/lbaas/pools/pool-1/members"), 1);

  // Laid over the recorded load balancer, the read-back plans an update.
  json recorded = {{"region", "RegionOne"},
                   {"network", "net-1"},
                   {"listeners", {{{"protocol", "http"}, {"port", 80}, {"target_port", 8080}, {"target_protocol", "http"}}}},
                   {"health_check", {{"protocol", "http"}, {"port", 80}, {"path", "/health"}, {"interval_s", 10},
                                     {"timeout_s", 5}, {"healthy_threshold", 3}, {"unhealthy_threshold", 3}}},
                   {"targets", {{"tier", "api"}, {"tag", "demo-api"}, {"private_ips", {"10.0.0.5", "10.0.0.6"}}}}};
  model::Resource desired;
  desired.address = {"api", model::Kind::kLoadBalancer, "", -1};
  desired.attributes = recorded;
  state::ResourceState live;
  live.id = "lb-1";
  live.attributes = recorded;
  live.attributes["listeners"] = attrs["api.lb"]["listeners"];
  EXPECT_EQ(provider_->Diff(desired, live), DiffDecision::kNoop);
  live.attributes["health_check"] = attrs["api.lb"]["health_check"];
  EXPECT_EQ(provider_->Diff(desired, live), DiffDecision::kUpdate);
}

TEST_F(OpenStackDiscoverDrift, FlavorComparedByName) {
  ASSERT_TRUE(provider_->Discover("demo").ok());
  model::Resource desired;
  desired.address = {"api", model::Kind::kInstance, "", 0};
  desired.attributes = {{"size", "1"}, {"image", "img"}};
  state::ResourceState live;
  live.id = "s-1";
  live.attributes = {{"size", "m1.tiny"}, {"image", "img"}};
  // Given by id, read back by name: the same flavor.
  EXPECT_EQ(provider_->Diff(desired, live), DiffDecision::kNoop);
  // Resized outside: a new server.
  live.attributes["size"] = "m1.small";
  EXPECT_EQ(provider_->Diff(desired, live), DiffDecision::kReplace);
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
