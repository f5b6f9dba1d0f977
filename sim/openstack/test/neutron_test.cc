#include <gtest/gtest.h>

#include "openstack/test/test_util.h"

namespace cloudsim::openstack::testing {
namespace {

class NeutronTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(h.Login().empty()); }
  std::string PublicNet() {
    Reply r = h.Call("GET", "/network/v2.0/networks?router:external=true");
    EXPECT_EQ(r.body["networks"].size(), 1u);
    return r.body["networks"][0]["id"];
  }
  Harness h;
};

TEST_F(NeutronTest, PublicNetworkSeeded) {
  Reply r = h.Call("GET", "/network/v2.0/networks?name=public");
  ASSERT_EQ(r.body["networks"].size(), 1u);
  EXPECT_TRUE(r.body["networks"][0]["router:external"].get<bool>());
  Reply s = h.Call("GET", "/network/v2.0/subnets/" + r.body["networks"][0]["subnets"][0].get<std::string>());
  EXPECT_EQ(s.body["subnet"]["cidr"], "203.0.113.0/24");
}

TEST_F(NeutronTest, SubnetValidation) {
  std::string net = h.Call("POST", "/network/v2.0/networks", {{"network", {{"name", "n"}}}}).body["network"]["id"];
  auto subnet = [&](json extra) {
    json s = {{"network_id", net}, {"ip_version", 4}};
    s.update(extra);
    return h.Call("POST", "/network/v2.0/subnets", {{"subnet", s}});
  };
  Reply bad = subnet({{"cidr", "10.66.0.0/33"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body, json::parse(R"({"NeutronError": {"type": "InvalidInput", "message": "Invalid input for operation: 10.66.0.0/33 is not in a CIDR format.", "detail": ""}})"));
  EXPECT_EQ(subnet({{"cidr", "10.66.0.5/24"}}).body["NeutronError"]["type"], "InvalidInput");
  Reply ok = subnet({{"cidr", "10.66.0.0/24"}});
  ASSERT_EQ(ok.status, 201);
  EXPECT_EQ(ok.body["subnet"]["gateway_ip"], "10.66.0.1");
  EXPECT_EQ(ok.body["subnet"]["allocation_pools"], json::parse(R"([{"start": "10.66.0.2", "end": "10.66.0.254"}])"));
  Reply overlap = subnet({{"cidr", "10.66.0.0/25"}});
  EXPECT_EQ(overlap.status, 400);
  EXPECT_NE(overlap.body["NeutronError"]["message"].get<std::string>().find("overlaps with another subnet"), std::string::npos);
  Reply pools = subnet({{"cidr", "10.67.0.0/24"}, {"allocation_pools", {{{"start", "10.67.0.10"}, {"end", "10.67.1.20"}}}}});
  EXPECT_EQ(pools.body["NeutronError"]["type"], "OutOfBoundsAllocationPool");
  Reply gw = subnet({{"cidr", "10.68.0.0/24"}, {"allocation_pools", {{{"start", "10.68.0.1"}, {"end", "10.68.0.20"}}}}});
  EXPECT_EQ(gw.status, 409);
  Reply custom = subnet({{"cidr", "10.69.0.0/24"}, {"allocation_pools", {{{"start", "10.69.0.100"}, {"end", "10.69.0.101"}}}}});
  ASSERT_EQ(custom.status, 201);
  std::string sid = custom.body["subnet"]["id"];
  std::vector<std::string> ips;
  for (int i = 0; i < 3; ++i) {
    Reply p = h.Call("POST", "/network/v2.0/ports", {{"port", {{"network_id", net}, {"fixed_ips", {{{"subnet_id", sid}}}}}}});
    if (p.status == 201) ips.push_back(p.body["port"]["fixed_ips"][0]["ip_address"]);
    else EXPECT_EQ(p.body["NeutronError"]["type"], "IpAddressGenerationFailure");
  }
  EXPECT_EQ(ips, (std::vector<std::string>{"10.69.0.100", "10.69.0.101"}));
  EXPECT_EQ(h.Call("POST", "/network/v2.0/subnets", {{"subnet", {{"network_id", net}, {"cidr", "10.70.0.0/24"}}}}).status, 400);
}

TEST_F(NeutronTest, RouterFloatingIpAndReachability) {
  std::string ext = PublicNet();
  auto [net, sub] = h.MakeNetwork("app", "192.0.2.0/24");
  Reply port = h.Call("POST", "/network/v2.0/ports", {{"port", {{"network_id", net}, {"name", "p"}}}});
  ASSERT_EQ(port.status, 201);
  std::string pid = port.body["port"]["id"];
  Reply fip = h.Call("POST", "/network/v2.0/floatingips", {{"floatingip", {{"floating_network_id", ext}}}});
  ASSERT_EQ(fip.status, 201);
  std::string fid = fip.body["floatingip"]["id"];
  EXPECT_EQ(fip.body["floatingip"]["status"], "DOWN");
  // No router between the subnet and public yet.
  Reply unreachable = h.Call("PUT", "/network/v2.0/floatingips/" + fid, {{"floatingip", {{"port_id", pid}}}});
  EXPECT_EQ(unreachable.status, 404);
  EXPECT_EQ(unreachable.body["NeutronError"]["type"], "ExternalGatewayForFloatingIPNotFound");
  EXPECT_EQ(unreachable.body["NeutronError"]["message"],
            "External network " + ext + " is not reachable from subnet " + sub + ".  Therefore, cannot associate Port " +
                pid + " with a Floating IP.");
  Reply router = h.Call("POST", "/network/v2.0/routers",
                        {{"router", {{"name", "r"}, {"external_gateway_info", {{"network_id", ext}}}}}});
  ASSERT_EQ(router.status, 201);
  std::string rid = router.body["router"]["id"];
  EXPECT_EQ(router.body["router"]["external_gateway_info"]["external_fixed_ips"].size(), 1u);
  Reply iface = h.Call("PUT", "/network/v2.0/routers/" + rid + "/add_router_interface", {{"subnet_id", sub}});
  ASSERT_EQ(iface.status, 200);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/ports/" + iface.body["port_id"].get<std::string>()).body["port"]["fixed_ips"][0]["ip_address"], "192.0.2.1");
  Reply assoc = h.Call("PUT", "/network/v2.0/floatingips/" + fid, {{"floatingip", {{"port_id", pid}}}});
  ASSERT_EQ(assoc.status, 200);
  EXPECT_EQ(assoc.body["floatingip"]["router_id"], rid);
  // The answer shows the status from before; the L3 agent's ACTIVE follows.
  EXPECT_EQ(assoc.body["floatingip"]["status"], "DOWN");
  EXPECT_EQ(h.Call("GET", "/network/v2.0/floatingips/" + fid).body["floatingip"]["status"], "ACTIVE");
  EXPECT_EQ(assoc.body["floatingip"]["fixed_ip_address"], port.body["port"]["fixed_ips"][0]["ip_address"]);
  EXPECT_EQ(assoc.body["floatingip"]["port_details"]["network_id"], net);
  EXPECT_EQ(h.Call("PUT", "/network/v2.0/routers/" + rid + "/remove_router_interface", {{"subnet_id", sub}}).status, 409);
  EXPECT_EQ(h.Call("DELETE", "/network/v2.0/networks/" + net).body["NeutronError"]["type"], "NetworkInUse");
  Reply dis = h.Call("PUT", "/network/v2.0/floatingips/" + fid, {{"floatingip", {{"port_id", nullptr}}}});
  EXPECT_EQ(dis.body["floatingip"]["port_id"], nullptr);
  EXPECT_EQ(dis.body["floatingip"]["status"], "ACTIVE");
  EXPECT_EQ(h.Call("GET", "/network/v2.0/floatingips/" + fid).body["floatingip"]["status"], "DOWN");
  EXPECT_EQ(h.Call("DELETE", "/network/v2.0/routers/" + rid).status, 409);
  EXPECT_EQ(h.Call("PUT", "/network/v2.0/routers/" + rid + "/remove_router_interface", {{"subnet_id", sub}}).status, 200);
  EXPECT_EQ(h.Call("DELETE", "/network/v2.0/floatingips/" + fid).status, 204);
  Reply cleared = h.Call("PUT", "/network/v2.0/routers/" + rid, {{"router", {{"external_gateway_info", json::object()}}}});
  EXPECT_EQ(cleared.body["router"]["external_gateway_info"], nullptr);
  EXPECT_EQ(h.Call("DELETE", "/network/v2.0/routers/" + rid).status, 204);
  EXPECT_EQ(h.Call("DELETE", "/network/v2.0/ports/" + pid).status, 204);
  EXPECT_EQ(h.Call("DELETE", "/network/v2.0/networks/" + net).status, 204);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/subnets/" + sub).status, 404);
}

TEST_F(NeutronTest, TagsFiltersAndPagination) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(h.Call("POST", "/network/v2.0/networks", {{"network", {{"name", "n" + std::to_string(i)}}}}).body["network"]["id"]);
  EXPECT_EQ(h.Call("PUT", "/network/v2.0/networks/" + ids[0] + "/tags/red").status, 201);
  EXPECT_EQ(h.Call("PUT", "/network/v2.0/networks/" + ids[1] + "/tags", {{"tags", {"red", "blue"}}}).body["tags"], json({"red", "blue"}));
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks?tags=red").body["networks"].size(), 2u);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks?tags=red,blue").body["networks"].size(), 1u);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks?tags-any=blue&tags-any=red").body["networks"].size(), 2u);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks?not-tags=red&router:external=false").body["networks"].size(), 3u);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks/" + ids[0] + "/tags/red").status, 204);
  EXPECT_EQ(h.Call("DELETE", "/network/v2.0/networks/" + ids[0] + "/tags/red").status, 204);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks/" + ids[0] + "/tags/red").status, 404);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks?name=n3").body["networks"][0]["id"], ids[3]);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks?name=n3&name=n4").body["networks"].size(), 2u);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks?bogus=1").status, 400);
  Reply fields = h.Call("GET", "/network/v2.0/networks?fields=id&fields=name&name=n1");
  EXPECT_EQ(fields.body["networks"][0].size(), 2u);
  // 6 networks in total (5 + public): pages of 4 then 2.
  Reply p1 = h.Call("GET", "/network/v2.0/networks?limit=4");
  ASSERT_EQ(p1.body["networks"].size(), 4u);
  ASSERT_EQ(p1.body["networks_links"][0]["rel"], "next");
  std::string href = p1.body["networks_links"][0]["href"];
  std::string marker = href.substr(href.find("marker=") + 7);
  Reply p2 = h.Call("GET", "/network/v2.0/networks?limit=4&marker=" + marker);
  EXPECT_EQ(p2.body["networks"].size(), 2u);
  EXPECT_EQ(p2.body["networks_links"].size(), 1u);
  EXPECT_EQ(p2.body["networks_links"][0]["rel"], "previous");
}

// Zed's Neutron has no tag-creation extension: tags go through /tags only.
TEST_F(NeutronTest, TagsAreRefusedInCreateAndUpdateBodies) {
  for (auto [path, key] : {std::pair{"networks", "network"}, {"routers", "router"}, {"security-groups", "security_group"}}) {
    Reply r = h.Call("POST", std::string("/network/v2.0/") + path, {{key, {{"name", "t"}, {"tags", {"a"}}}}});
    EXPECT_EQ(r.status, 400) << path;
    EXPECT_EQ(r.body["NeutronError"]["message"], "Attribute 'tags' not allowed in POST") << path;
  }
  std::string net = h.Call("POST", "/network/v2.0/networks", {{"network", {{"name", "t"}}}}).body["network"]["id"];
  Reply put = h.Call("PUT", "/network/v2.0/networks/" + net, {{"network", {{"tags", {"a"}}}}});
  EXPECT_EQ(put.status, 400);
  EXPECT_EQ(put.body["NeutronError"]["message"], "Attribute 'tags' not allowed in PUT");
}

TEST_F(NeutronTest, SecurityGroupsAndRules) {
  Reply sg = h.Call("POST", "/network/v2.0/security-groups", {{"security_group", {{"name", "web"}, {"description", "d"}}}});
  ASSERT_EQ(sg.status, 201);
  EXPECT_EQ(sg.body["security_group"]["security_group_rules"].size(), 2u);
  std::string id = sg.body["security_group"]["id"];
  json rule = {{"security_group_rule", {{"security_group_id", id}, {"direction", "ingress"}, {"ethertype", "IPv4"},
                                        {"protocol", "tcp"}, {"port_range_min", 22}, {"port_range_max", 22},
                                        {"remote_ip_prefix", "0.0.0.0/0"}}}};
  Reply r = h.Call("POST", "/network/v2.0/security-group-rules", rule);
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.body["security_group_rule"]["normalized_cidr"], "0.0.0.0/0");
  Reply dup = h.Call("POST", "/network/v2.0/security-group-rules", rule);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.body["NeutronError"]["message"],
            "Security group rule already exists. Rule id is " + r.body["security_group_rule"]["id"].get<std::string>() + ".");
  EXPECT_EQ(h.Call("GET", "/network/v2.0/security-groups/" + id).body["security_group"]["security_group_rules"].size(), 3u);
  Reply def = h.Call("GET", "/network/v2.0/security-groups?name=default&project_id=" + h.project_id());
  ASSERT_EQ(def.body["security_groups"].size(), 1u);
  EXPECT_EQ(def.body["security_groups"][0]["security_group_rules"].size(), 4u);
  EXPECT_EQ(h.Call("DELETE", "/network/v2.0/security-groups/" + id).status, 204);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/security-group-rules/" + r.body["security_group_rule"]["id"].get<std::string>()).status, 404);
}

TEST_F(NeutronTest, OverQuota) {
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(h.Call("POST", "/network/v2.0/routers", {{"router", {{"name", "r"}}}}).status, 201);
  Reply over = h.Call("POST", "/network/v2.0/routers", {{"router", {{"name", "r"}}}});
  EXPECT_EQ(over.status, 409);
  EXPECT_EQ(over.body, json::parse(R"({"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['router'].", "detail": ""}})"));
}

}  // namespace
}  // namespace cloudsim::openstack::testing
