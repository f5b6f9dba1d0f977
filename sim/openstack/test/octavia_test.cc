#include <gtest/gtest.h>

#include "openstack/test/test_util.h"

namespace cloudsim::openstack::testing {
namespace {

class OctaviaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Login();
    std::tie(net, subnet) = h.MakeNetwork("lbnet", "10.20.0.0/24");
  }
  std::string ActiveLb() {
    Reply r = h.Call("POST", lbs, {{"loadbalancer", {{"name", "lb"}, {"vip_subnet_id", subnet}, {"tags", {"x"}}}}});
    EXPECT_EQ(r.status, 201) << r.raw;
    h.Advance(100);
    return r.body["loadbalancer"]["id"];
  }
  std::string Status(const std::string& id) {
    return h.Call("GET", lbs + "/" + id).body["loadbalancer"]["provisioning_status"];
  }
  Harness h;
  std::string net, subnet;
  const std::string lbs = "/load-balancer/v2/lbaas/loadbalancers";
};

TEST_F(OctaviaTest, CreateAllocatesVipPortAndBecomesActive) {
  Reply r = h.Call("POST", lbs, {{"loadbalancer", {{"name", "lb"}, {"vip_subnet_id", subnet}}}});
  ASSERT_EQ(r.status, 201);
  const json& lb = r.body["loadbalancer"];
  EXPECT_EQ(lb["provisioning_status"], "PENDING_CREATE");
  EXPECT_EQ(lb["operating_status"], "OFFLINE");
  EXPECT_EQ(lb["vip_network_id"], net);
  Reply port = h.Call("GET", "/network/v2.0/ports/" + lb["vip_port_id"].get<std::string>());
  ASSERT_EQ(port.status, 200);
  EXPECT_EQ(port.body["port"]["fixed_ips"][0]["ip_address"], lb["vip_address"]);
  std::string id = lb["id"];
  h.Advance(30);
  EXPECT_EQ(Status(id), "PENDING_CREATE");  // ~60 s
  h.Advance(60);
  EXPECT_EQ(Status(id), "ACTIVE");
  EXPECT_EQ(h.Call("GET", lbs + "/" + id).body["loadbalancer"]["operating_status"], "ONLINE");
  EXPECT_EQ(h.Call("POST", lbs, {{"loadbalancer", {{"name", "novip"}}}}).status, 400);
  Reply by_net = h.Call("POST", lbs, {{"loadbalancer", {{"vip_network_id", net}}}});
  EXPECT_EQ(by_net.body["loadbalancer"]["vip_subnet_id"], subnet);
}

TEST_F(OctaviaTest, ImmutableWhilePending) {
  Reply r = h.Call("POST", lbs, {{"loadbalancer", {{"name", "lb"}, {"vip_subnet_id", subnet}}}});
  std::string id = r.body["loadbalancer"]["id"];
  json listener = {{"listener", {{"loadbalancer_id", id}, {"protocol", "HTTP"}, {"protocol_port", 80}}}};
  Reply busy = h.Call("POST", "/load-balancer/v2/lbaas/listeners", listener);
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(busy.body, json({{"faultcode", "Client"},
                             {"faultstring", "Load Balancer " + id + " is immutable and cannot be updated."},
                             {"debuginfo", nullptr}}));
  h.Advance(100);
  Reply l = h.Call("POST", "/load-balancer/v2/lbaas/listeners", listener);
  ASSERT_EQ(l.status, 201);
  EXPECT_EQ(l.body["listener"]["provisioning_status"], "PENDING_CREATE");
  EXPECT_EQ(Status(id), "PENDING_UPDATE");
  Reply pool = h.Call("POST", "/load-balancer/v2/lbaas/pools",
                      {{"pool", {{"listener_id", l.body["listener"]["id"]}, {"protocol", "HTTP"}, {"lb_algorithm", "ROUND_ROBIN"}}}});
  EXPECT_EQ(pool.status, 409);
  Reply upd = h.Call("PUT", lbs + "/" + id, {{"loadbalancer", {{"description", "x"}}}});
  EXPECT_EQ(upd.status, 409);
  EXPECT_EQ(upd.body["faultstring"], "Invalid state PENDING_UPDATE of loadbalancer resource " + id);
  h.Advance(20);
  EXPECT_EQ(Status(id), "ACTIVE");
  Reply ok = h.Call("PUT", lbs + "/" + id, {{"loadbalancer", {{"description", "x"}}}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body["loadbalancer"]["provisioning_status"], "PENDING_UPDATE");
  EXPECT_EQ(h.Call("POST", "/load-balancer/v2/lbaas/listeners", listener).status, 409);
}

TEST_F(OctaviaTest, FullTreeStatusBatchAndCascadeDelete) {
  std::string id = ActiveLb();
  Reply l = h.Call("POST", "/load-balancer/v2/lbaas/listeners",
                   {{"listener", {{"loadbalancer_id", id}, {"protocol", "HTTP"}, {"protocol_port", 80}}}});
  h.Advance(20);
  EXPECT_EQ(h.Call("POST", "/load-balancer/v2/lbaas/listeners",
                   {{"listener", {{"loadbalancer_id", id}, {"protocol", "HTTP"}, {"protocol_port", 80}}}}).status, 409);
  Reply p = h.Call("POST", "/load-balancer/v2/lbaas/pools",
                   {{"pool", {{"listener_id", l.body["listener"]["id"]}, {"protocol", "HTTP"}, {"lb_algorithm", "ROUND_ROBIN"}}}});
  ASSERT_EQ(p.status, 201);
  std::string pool = p.body["pool"]["id"];
  h.Advance(20);
  std::string members = "/load-balancer/v2/lbaas/pools/" + pool + "/members";
  Reply m1 = h.Call("POST", members, {{"member", {{"address", "10.20.0.10"}, {"protocol_port", 8080}, {"subnet_id", subnet}}}});
  ASSERT_EQ(m1.status, 201);
  EXPECT_EQ(m1.body["member"]["operating_status"], "NO_MONITOR");
  h.Advance(20);
  Reply batch = h.Call("PUT", members, {{"members", {{{"address", "10.20.0.10"}, {"protocol_port", 8080}, {"weight", 5}},
                                                     {{"address", "10.20.0.11"}, {"protocol_port", 8080}}}}});
  EXPECT_EQ(batch.status, 202);
  EXPECT_EQ(Status(id), "PENDING_UPDATE");
  h.Advance(20);
  Reply list = h.Call("GET", members);
  ASSERT_EQ(list.body["members"].size(), 2u);
  EXPECT_EQ(list.body["members_links"], json::array());
  int weight_sum = 0;
  for (const auto& m : list.body["members"]) weight_sum += m["weight"].get<int>();
  EXPECT_EQ(weight_sum, 6);
  Reply hm = h.Call("POST", "/load-balancer/v2/lbaas/healthmonitors",
                    {{"healthmonitor", {{"pool_id", pool}, {"type", "HTTP"}, {"delay", 5}, {"timeout", 3}, {"max_retries", 3}}}});
  ASSERT_EQ(hm.status, 201);
  h.Advance(20);
  Reply tree = h.Call("GET", lbs + "/" + id + "/status");
  const json& st = tree.body["statuses"]["loadbalancer"];
  EXPECT_EQ(st["provisioning_status"], "ACTIVE");
  EXPECT_EQ(st["listeners"][0]["pools"][0]["members"].size(), 2u);
  EXPECT_EQ(st["listeners"][0]["pools"][0]["health_monitor"]["type"], "HTTP");
  EXPECT_EQ(h.Call("GET", lbs + "?tags=x").body["loadbalancers"].size(), 1u);
  Reply plain = h.Call("DELETE", lbs + "/" + id);
  EXPECT_EQ(plain.status, 400);
  EXPECT_EQ(plain.body["faultstring"], "Validation failure: Cannot delete Load Balancer " + id + " - it has children");
  std::string vip_port = h.Call("GET", lbs + "/" + id).body["loadbalancer"]["vip_port_id"];
  EXPECT_EQ(h.Call("DELETE", lbs + "/" + id + "?cascade=true").status, 204);
  EXPECT_EQ(Status(id), "PENDING_DELETE");
  h.Advance(30);
  Reply gone = h.Call("GET", lbs + "/" + id);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body["faultstring"], "Load Balancer " + id + " not found.");
  EXPECT_EQ(h.Call("GET", "/load-balancer/v2/lbaas/pools/" + pool).status, 404);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/ports/" + vip_port).status, 404);
}

TEST_F(OctaviaTest, ChildDeleteGoesThroughPendingDelete) {
  std::string id = ActiveLb();
  Reply l = h.Call("POST", "/load-balancer/v2/lbaas/listeners",
                   {{"listener", {{"loadbalancer_id", id}, {"protocol", "TCP"}, {"protocol_port", 22}}}});
  h.Advance(20);
  std::string lid = l.body["listener"]["id"];
  EXPECT_EQ(h.Call("DELETE", "/load-balancer/v2/lbaas/listeners/" + lid).status, 204);
  EXPECT_EQ(h.Call("GET", "/load-balancer/v2/lbaas/listeners/" + lid).body["listener"]["provisioning_status"], "PENDING_DELETE");
  h.Advance(20);
  EXPECT_EQ(h.Call("GET", "/load-balancer/v2/lbaas/listeners/" + lid).status, 404);
  EXPECT_EQ(h.Call("DELETE", lbs + "/" + id).status, 204);
}

}  // namespace
}  // namespace cloudsim::openstack::testing
