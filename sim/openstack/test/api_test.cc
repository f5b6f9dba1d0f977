// The Api surface used by the cloudsim dispatcher: fault-injection error
// forms, ListResources, Save/Load/Reset, and request throughput.
#include <gtest/gtest.h>

#include <chrono>

#include "openstack/test/test_util.h"

namespace cloudsim::openstack::testing {
namespace {

HttpRequest Req(const std::string& path) {
  HttpRequest r;
  r.method = "GET";
  r.path = path;
  return r;
}

json Body(const HttpResponse& r) { return json::parse(r.body); }

TEST(OpenStackApiTest, NameAndErrorForms) {
  Harness h;
  Api& api = h.api();
  EXPECT_EQ(api.Name(), "openstack");
  HttpResponse q = api.QuotaError(Req("/compute/v2.1/servers"));
  EXPECT_EQ(q.status, 403);
  EXPECT_EQ(Body(q)["forbidden"]["message"], "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances");
  EXPECT_EQ(api.QuotaError(Req("/network/v2.0/ports")).status, 409);
  EXPECT_EQ(Body(api.QuotaError(Req("/network/v2.0/ports")))["NeutronError"]["type"], "OverQuota");
  EXPECT_EQ(api.QuotaError(Req("/volume/v3/x/volumes")).status, 413);
  EXPECT_EQ(Body(api.QuotaError(Req("/volume/v3/x/volumes")))["overLimit"]["code"], 413);
  HttpResponse rl = api.RateLimitError(Req("/network/v2.0/ports"));
  EXPECT_EQ(rl.status, 429);
  bool retry_after = false;
  for (const auto& [k, v] : rl.headers) retry_after = retry_after || k == "Retry-After";
  EXPECT_TRUE(retry_after);
  EXPECT_EQ(Body(api.RateLimitError(Req("/compute/v2.1/servers")))["overLimit"]["code"], 429);
  EXPECT_EQ(Body(api.ServerError(Req("/compute/v2.1/servers"), 500))["computeFault"]["code"], 500);
  EXPECT_EQ(Body(api.ServerError(Req("/compute/v2.1/servers"), 503))["serviceUnavailable"]["code"], 503);
  EXPECT_EQ(Body(api.ServerError(Req("/network/v2.0/ports"), 500))["NeutronError"]["type"], "HTTPInternalServerError");
  EXPECT_EQ(Body(api.ServerError(Req("/load-balancer/v2/lbaas/loadbalancers"), 500))["faultcode"], "Server");
  EXPECT_EQ(Body(api.ServerError(Req("/image/v2/images"), 502))["code"], "502 Bad Gateway");
  EXPECT_EQ(Body(api.ServerError(Req("/identity/v3/auth/tokens"), 500))["error"]["code"], 500);
}

TEST(OpenStackApiTest, ListSaveLoadReset) {
  Harness h;
  h.Login();
  auto [net, subnet] = h.MakeNetwork("n", "10.1.0.0/24");
  json body = {{"server", {{"name", "vm"}, {"imageRef", h.ImageId("ubuntu-22.04")}, {"flavorRef", "2"},
                           {"networks", {{{"uuid", net}}}}, {"tags", {"t"}}, {"metadata", {{"k", "v"}}}}}};
  std::string sid = h.Call("POST", "/compute/v2.1/servers", body).body["server"]["id"];
  std::vector<SimResource> res;
  h.api().ListResources(&res);
  bool found = false;
  for (const auto& r : res) {
    if (r.kind != "server") continue;
    found = true;
    EXPECT_EQ(r.api, "openstack");
    EXPECT_EQ(r.id, sid);
    EXPECT_EQ(r.status, "BUILD");
    EXPECT_EQ(r.tags, std::vector<std::string>{"t"});
    EXPECT_EQ(r.labels.at("k"), "v");
  }
  EXPECT_TRUE(found);
  json saved = h.api().Save();
  h.api().Reset();
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers").status, 401);  // tokens are gone too
  h.Login();
  EXPECT_TRUE(h.Call("GET", "/compute/v2.1/servers").body["servers"].empty());
  EXPECT_EQ(h.Call("GET", "/image/v2/images").body["images"].size(), 2u);
  h.api().Load(saved);
  h.Login();
  h.Advance(60);
  Reply s = h.Call("GET", "/compute/v2.1/servers/" + sid);
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.body["server"]["status"], "ACTIVE");
  EXPECT_EQ(s.body["server"]["addresses"]["n"][0]["addr"], "10.1.0.2");
  // Addresses allocated before Save stay allocated after Load.
  Reply p = h.Call("POST", "/network/v2.0/ports", {{"port", {{"network_id", net}}}});
  EXPECT_EQ(p.body["port"]["fixed_ips"][0]["ip_address"], "10.1.0.3");
  // Queued completions survive too: the delete finishes after Load.
  h.Call("DELETE", "/compute/v2.1/servers/" + sid);
  json saved2 = h.api().Save();
  h.api().Load(saved2);
  h.Login();
  h.Advance(30);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers/" + sid).status, 404);
}

TEST(OpenStackApiTest, ThroughputWithManyLiveResources) {
  Harness h;
  std::vector<std::string> nets, ports;
  // Two projects, each near its network and port quotas: ~1,100 live objects.
  for (auto [user, pw] : {std::pair{"demo", "cloudsim-demo"}, std::pair{"admin", "cloudsim-admin"}}) {
    h.Login(user, pw, user);
    for (int i = 0; i < 90; ++i)
      nets.push_back(h.MakeNetwork(std::string(user) + std::to_string(i), "10." + std::to_string(i) + ".0.0/24").first);
    for (int i = 0; i < 420; ++i)
      ports.push_back(h.Call("POST", "/network/v2.0/ports", {{"port", {{"network_id", nets[nets.size() - 1 - i % 90]}}}}).body["port"]["id"]);
  }
  for (int i = 0; i < 10; ++i)
    h.Call("POST", "/compute/v2.1/servers", {{"server", {{"name", "s" + std::to_string(i)}, {"imageRef", h.ImageId("cirros-0.6.2-x86_64-disk")},
                                                        {"flavorRef", "1"}, {"networks", {{{"uuid", nets.back()}}}}}}});
  std::vector<SimResource> res;
  h.api().ListResources(&res);
  ASSERT_GE(res.size(), 1000u);
  const int kCalls = 2000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) {
    switch (i % 4) {
      case 0: ASSERT_EQ(h.Call("GET", "/network/v2.0/ports/" + ports[i % ports.size()]).status, 200); break;
      case 1: ASSERT_EQ(h.Call("GET", "/network/v2.0/ports?device_id=" + ports[i % ports.size()]).status, 200); break;
      case 2: ASSERT_EQ(h.Call("GET", "/network/v2.0/networks/" + nets[i % nets.size()]).status, 200); break;
      default: ASSERT_EQ(h.Call("GET", "/compute/v2.1/servers?limit=5").status, 200); break;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double rate = kCalls / secs;
  std::printf("openstack in-process throughput: %.0f req/s with %zu live resources\n", rate, res.size());
  // A loose bar (also met by unoptimised builds on a busy machine): it
  // catches per-request work that grows with the number of live objects.
  EXPECT_GT(rate, 50.0);
}

}  // namespace
}  // namespace cloudsim::openstack::testing
