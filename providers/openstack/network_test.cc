// Networks named with `existing:` (a lookup, never created or deleted),
// against a scripted Keystone + Nova + Neutron.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "providers/openstack/os_provider.h"
#include "testing/fake_clock.h"
#include "testing/scripted_transport.h"

namespace orch::providers::openstack {
namespace {

using nlohmann::json;

constexpr const char* kNetA = "11111111-1111-4111-8111-111111111111";
constexpr const char* kNetB = "22222222-2222-4222-8222-222222222222";

// A Neutron holding `networks` and `subnets`, filtering lists by name, id
// and network_id the way Neutron does; every other call is recorded.
class FakeNeutron {
 public:
  std::vector<json> networks, subnets, server_groups;

  Result<env::HttpResponse> Answer(const env::HttpRequest& req) {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(req.method + " " + req.url);
    if (req.method == "POST" && req.url == "http://keystone:5000/v3/auth/tokens") {
      json catalog = json::array();
      for (auto [type, url] : {std::pair{"compute", "http://nova/v2.1"}, {"network", "http://neutron"},
                               {"image", "http://glance"}})
        catalog.push_back({{"type", type},
                           {"endpoints", {{{"interface", "public"}, {"region_id", "RegionOne"}, {"url", url}}}}});
      json body = {{"token", {{"expires_at", "2027-01-01T00:00:00Z"}, {"project", {{"id", "p1"}}}, {"catalog", catalog}}}};
      return env::HttpResponse{201, {{"X-Subject-Token", "tok"}, {"Content-Type", "application/json"}}, body.dump()};
    }
    if (req.method == "GET" && req.url == "http://nova/v2.1")
      return Json({{"version", {{"id", "v2.1"}, {"min_version", "2.1"}, {"version", "2.79"}}}});
    const std::string neutron = "http://neutron/v2.0/";
    if (req.method == "GET" && req.url.rfind(neutron + "networks?", 0) == 0)
      return Json({{"networks", Filter(networks, req.url)}});
    if (req.method == "GET" && req.url.rfind(neutron + "subnets?", 0) == 0)
      return Json({{"subnets", Filter(subnets, req.url)}});
    // The teardown sweep's lists (servers, security groups, server groups): empty.
    if (req.method == "GET" && req.url.find("/servers/detail") != std::string::npos) return Json({{"servers", json::array()}});
    if (req.method == "GET" && req.url.find("/security-groups") != std::string::npos)
      return Json({{"security_groups", json::array()}});
    if (req.method == "GET" && req.url.find("/os-server-groups") != std::string::npos)
      return Json({{"server_groups", server_groups}});
    if (req.method == "DELETE" && req.url.rfind("http://nova/v2.1/os-server-groups/", 0) == 0)
      return env::HttpResponse{204, {}, ""};
    return env::HttpResponse{500, {}, "{}"};
  }

  std::vector<std::string> Calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  // Calls other than GETs.
  std::vector<std::string> Mutations() const {
    std::vector<std::string> out;
    for (const std::string& c : Calls())
      if (c.rfind("GET ", 0) != 0 && c.find("/auth/tokens") == std::string::npos) out.push_back(c);
    return out;
  }

 private:
  static env::HttpResponse Json(const json& j) {
    return env::HttpResponse{200, {{"Content-Type", "application/json"}}, j.dump()};
  }
  // Applies the name, id and network_id filters of the query (paging
  // parameters are ignored; the tests' names need no URL encoding).
  static json Filter(const std::vector<json>& docs, const std::string& url) {
    std::vector<std::pair<std::string, std::string>> filters;
    std::string q = url.substr(url.find('?') + 1);
    for (size_t start = 0; start <= q.size();) {
      size_t amp = q.find('&', start);
      std::string kv = q.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      size_t eq = kv.find('=');
      std::string k = kv.substr(0, eq == std::string::npos ? 0 : eq);
      if (k == "name" || k == "id" || k == "network_id") filters.push_back({k, kv.substr(eq + 1)});
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
    json out = json::array();
    for (const json& d : docs) {
      bool ok = true;
      for (const auto& [k, v] : filters) ok = ok && d.contains(k) && d[k].is_string() && d[k] == v;
      if (ok) out.push_back(d);
    }
    return out;
  }

  mutable std::mutex mu_;
  std::vector<std::string> calls_;
};

class ExistingNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    transport_.SetFallback([this](const env::HttpRequest& r) { return cloud_.Answer(r); });
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
    c.settings = {{"auth_url", "http://keystone:5000"}, {"username", "u"}, {"password", "pw"},
                  {"project_name", "research"}};
    ASSERT_TRUE(provider_->Configure(c).ok());
  }

  static model::Resource Network(const std::string& existing) {
    model::Resource r;
    r.address = {"", model::Kind::kNetwork, "app", -1};
    r.provider = "os";
    r.cloud_name = "demo-app";
    r.tags = {{std::string(model::kTagDeployment), "demo"}, {std::string(model::kTagAddress), "network.app"}};
    r.attributes = {{"existing", existing}, {"lookup", true}, {"region", "RegionOne"}};
    return r;
  }

  static json Net(const std::string& id, const std::string& name) {
    return {{"id", id}, {"name", name}, {"status", "ACTIVE"}, {"tags", json::array()}};
  }
  static json Subnet(const std::string& id, const std::string& net, int version, const std::string& cidr) {
    return {{"id", id}, {"network_id", net}, {"ip_version", version}, {"cidr", cidr}};
  }

  testing::FakeClock clock_;
  testing::ScriptedTransport transport_;
  FakeNeutron cloud_;
  std::unique_ptr<OpenStackProvider> provider_;
  engine::ApplyContext ctx_;
};

TEST_F(ExistingNetworkTest, OneNetworkByNameIsFoundWithItsIpv4Subnet) {
  cloud_.networks = {Net(kNetA, "project-net"), Net(kNetB, "other")};
  cloud_.subnets = {Subnet("s6", kNetA, 6, "fd00::/64"), Subnet("s4", kNetA, 4, "192.168.10.0/24"),
                    Subnet("sb", kNetB, 4, "10.9.0.0/24")};
  Result<engine::ObservedResource> o = provider_->Create(Network("project-net"), ctx_);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->id, kNetA);
  EXPECT_EQ(o->cloud_name, "project-net");
  EXPECT_EQ(o->outputs, (json{{"id", kNetA}, {"subnet_id", "s4"}, {"cidr", "192.168.10.0/24"}}));
  EXPECT_EQ(cloud_.Mutations(), std::vector<std::string>{}) << "a lookup creates and tags nothing";
}

TEST_F(ExistingNetworkTest, AnIdIsLookedUpById) {
  cloud_.networks = {Net(kNetA, "dup"), Net(kNetB, "dup")};
  cloud_.subnets = {Subnet("sb", kNetB, 4, "10.9.0.0/24")};
  Result<engine::ObservedResource> o = provider_->Create(Network(kNetB), ctx_);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->id, kNetB);
  EXPECT_EQ(o->outputs["subnet_id"], "sb");
  bool by_id = false;
  for (const std::string& c : cloud_.Calls())
    by_id |= c.rfind(std::string("GET http://neutron/v2.0/networks?id=") + kNetB, 0) == 0;
  EXPECT_TRUE(by_id);
}

TEST_F(ExistingNetworkTest, NoneIsAnErrorNamingTheNetworkAndTheProject) {
  cloud_.networks = {Net(kNetA, "other")};
  Result<engine::ObservedResource> o = provider_->Create(Network("project-net"), ctx_);
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(o.status().IsNotFound());
  EXPECT_EQ(o.status().message(),
            "network.app: no network 'project-net' is visible to project 'research' in region RegionOne (provider "
            "'os', credentials from provider settings); list them with `openstack network list`");
}

TEST_F(ExistingNetworkTest, SeveralAreAnErrorAskingForTheId) {
  cloud_.networks = {Net(kNetA, "shared"), Net(kNetB, "shared")};
  Result<engine::ObservedResource> o = provider_->Create(Network("shared"), ctx_);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(o.status().message(),
            std::string("network.app: 2 networks named 'shared' are visible to project 'research' in region RegionOne "
                        "(provider 'os', credentials from provider settings) (ids ") +
                kNetA + ", " + kNetB + "); give the id of one in 'existing' instead");
}

TEST_F(ExistingNetworkTest, ANetworkWithoutIpv4SubnetIsRefused) {
  cloud_.networks = {Net(kNetA, "v6only")};
  cloud_.subnets = {Subnet("s6", kNetA, 6, "fd00::/64")};
  Result<engine::ObservedResource> o = provider_->Create(Network("v6only"), ctx_);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(o.status().message(),
            std::string("network.app: network 'v6only' (") + kNetA +
                ") has no IPv4 subnet visible to project 'research' in region RegionOne (provider 'os', credentials "
                "from provider settings) for the servers; add one (`openstack subnet create --network " +
                kNetA + " ...`) or name another network");
}

TEST_F(ExistingNetworkTest, TeardownLeavesTheNetworkAlone) {
  state::ResourceState prior;
  prior.address = "network.app";
  prior.kind = "network";
  prior.provider = "os";
  prior.id = kNetA;
  prior.cloud_name = "project-net";
  prior.attributes = Network("project-net").attributes;
  Status st = provider_->Delete(prior, ctx_);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(cloud_.Mutations(), std::vector<std::string>{});
  for (const std::string& c : cloud_.Calls()) {
    EXPECT_EQ(c.find("/routers"), std::string::npos) << c;
    EXPECT_EQ(c.find("/subnets"), std::string::npos) << c;
  }
}

// Server groups have no tags: the teardown sweep knows its own empty ones by
// name only, and must not take a neighbour's whose deployment name extends it.
TEST_F(ExistingNetworkTest, TeardownSweepsOnlyItsOwnEmptyServerGroups) {
  auto group = [](const std::string& id, const std::string& name, json members) {
    return json{{"id", id}, {"name", name}, {"policy", "soft-anti-affinity"}, {"members", members}};
  };
  cloud_.server_groups = {group("g1", "demo.api", json::array()),  group("g2", "demo.web", {"s1"}),
                          group("g3", "demo-x.api", json::array()), group("g4", "demo-x-api", json::array()),
                          group("g5", "demo-db", json::array()),    group("g6", "demox.api", json::array()),
                          group("g7", "demo", json::array())};
  state::ResourceState prior;
  prior.address = "network.app";
  prior.kind = "network";
  prior.provider = "os";
  prior.id = kNetA;
  prior.attributes = Network("project-net").attributes;
  ASSERT_TRUE(provider_->Delete(prior, ctx_).ok());
  // g1: this deployment's and empty; g5: the earlier "<deployment>-<tier>"
  // form, unambiguous with a tier without '-'. g2 still has a member.
  EXPECT_EQ(cloud_.Mutations(), (std::vector<std::string>{"DELETE http://nova/v2.1/os-server-groups/g1",
                                                           "DELETE http://nova/v2.1/os-server-groups/g5"}));
}

TEST(ServerGroupNameTest, NamesTellDeploymentsApart) {
  EXPECT_EQ(ServerGroupName("nbr", "api"), "nbr.api");
  EXPECT_TRUE(OwnServerGroup("nbr.api", "nbr"));
  EXPECT_TRUE(OwnServerGroup("nbr.x-api", "nbr"));
  EXPECT_FALSE(OwnServerGroup("nbr-x.api", "nbr"));
  EXPECT_TRUE(OwnServerGroup("nbr-x.api", "nbr-x"));
  EXPECT_TRUE(OwnServerGroup("nbr-api", "nbr"));     // earlier form
  EXPECT_FALSE(OwnServerGroup("nbr-x-api", "nbr"));  // could be nbr-x's
  EXPECT_FALSE(OwnServerGroup("nbr.", "nbr"));
  EXPECT_FALSE(OwnServerGroup("nbr", "nbr"));
}

}  // namespace
}  // namespace orch::providers::openstack
