// Volumes, tags, VPCs, firewalls, reserved IPs and load balancers.
#include "digitalocean/do_test_util.h"

namespace cloudsim::digitalocean {
namespace {

using nlohmann::json;

class NetworkTest : public DoApiTest {};

TEST_F(NetworkTest, VolumeCreateValidatesRequiredFieldsAndNames) {
  json ok = {{"name", "data-1"}, {"region", "nyc3"}, {"size_gigabytes", 10}, {"description", "d"}};
  Reply r = Post("/v2/volumes", ok);
  ASSERT_EQ(r.status, 201) << r.raw.body;
  EXPECT_EQ(r.body["volume"]["size_gigabytes"], 10);
  EXPECT_EQ(r.body["volume"]["region"]["slug"], "nyc3");
  EXPECT_EQ(r.body["volume"]["droplet_ids"], json::array());
  for (const char* missing : {"name", "region", "size_gigabytes"}) {
    json b = ok;
    b["name"] = "other";
    b.erase(missing);
    EXPECT_EQ(Post("/v2/volumes", b).status, 422) << missing;
  }
  for (const char* bad : {"Data", "1data", "data_1", "data.1"}) {
    json b = ok;
    b["name"] = bad;
    Reply e = Post("/v2/volumes", b);
    EXPECT_EQ(e.status, 422) << bad;
    EXPECT_EQ(e.body["id"], "unprocessable_entity");
  }
  json b = ok;
  b["size_gigabytes"] = "10";
  EXPECT_EQ(Post("/v2/volumes", b).status, 422);
  EXPECT_EQ(Post("/v2/volumes", ok).status, 409);  // same name in the region
  EXPECT_EQ(Get("/v2/volumes?name=data-1&region=nyc3").body["volumes"].size(), 1u);
  EXPECT_EQ(Get("/v2/volumes?region=fra1").body["volumes"].size(), 0u);
}

TEST_F(NetworkTest, AttachRequiresTheSameRegionAndDetachUndoes) {
  int64_t nyc = CreateDroplet("nyc-box", "nyc3");
  int64_t fra = CreateDroplet("fra-box", "fra1");
  std::string vid = Post("/v2/volumes", {{"name", "vol"}, {"region", "nyc3"}, {"size_gigabytes", 5}})
                        .body["volume"]["id"];
  Reply wrong = Post("/v2/volumes/" + vid + "/actions", {{"type", "attach"}, {"droplet_id", fra}});
  EXPECT_EQ(wrong.status, 422);
  EXPECT_EQ(wrong.body["id"], "unprocessable_entity");
  Reply att = Post("/v2/volumes/" + vid + "/actions", {{"type", "attach"}, {"droplet_id", nyc}});
  ASSERT_EQ(att.status, 202) << att.raw.body;
  EXPECT_EQ(att.body["action"]["type"], "attach_volume");
  EXPECT_EQ(att.body["action"]["status"], "in-progress");
  int64_t aid = att.body["action"]["id"];
  EXPECT_EQ(Get("/v2/volumes/" + vid).body["volume"]["droplet_ids"], json({nyc}));
  EXPECT_EQ(Get("/v2/droplets/" + std::to_string(nyc)).body["droplet"]["volume_ids"], json({vid}));
  Advance(30);
  EXPECT_EQ(Get("/v2/volumes/" + vid + "/actions/" + std::to_string(aid)).body["action"]["status"], "completed");
  EXPECT_EQ(Get("/v2/volumes/" + vid + "/actions").body["actions"].size(), 1u);
  EXPECT_EQ(Delete("/v2/volumes/" + vid).status, 409);  // attached
  Reply det = Post("/v2/volumes/actions",
                   {{"type", "detach"}, {"volume_name", "vol"}, {"region", "nyc3"}, {"droplet_id", nyc}});
  ASSERT_EQ(det.status, 202) << det.raw.body;
  EXPECT_EQ(Get("/v2/volumes/" + vid).body["volume"]["droplet_ids"], json::array());
  EXPECT_EQ(Delete("/v2/volumes/" + vid).status, 204);
  EXPECT_EQ(Get("/v2/volumes/" + vid).status, 404);
}

TEST_F(NetworkTest, TagsCountAndTagResources) {
  int64_t d = CreateDroplet("t1");
  EXPECT_EQ(Post("/v2/tags", {{"name", "bad tag"}}).status, 422);
  Reply t = Post("/v2/tags", {{"name", "frontend"}});
  ASSERT_EQ(t.status, 201);
  EXPECT_EQ(t.body["tag"]["resources"]["count"], 0);
  json res = {{"resources", {{{"resource_id", std::to_string(d)}, {"resource_type", "droplet"}}}}};
  EXPECT_EQ(Post("/v2/tags/frontend/resources", res).status, 204);
  EXPECT_EQ(Post("/v2/tags/missing/resources", res).status, 404);
  json tag = Get("/v2/tags/frontend").body["tag"];
  EXPECT_EQ(tag["resources"]["count"], 1);
  EXPECT_EQ(tag["resources"]["droplets"]["last_tagged_uri"], "http://127.0.0.1:8080/v2/droplets/" + std::to_string(d));
  EXPECT_EQ(Get("/v2/droplets?tag_name=frontend").body["droplets"][0]["tags"], json({"frontend"}));
  EXPECT_EQ(Delete("/v2/tags/frontend/resources", res).status, 204);
  EXPECT_EQ(Get("/v2/droplets?tag_name=frontend").body["meta"]["total"], 0);
  EXPECT_EQ(Delete("/v2/tags/frontend").status, 204);
  EXPECT_EQ(Get("/v2/tags/frontend").status, 404);
}

TEST_F(NetworkTest, VpcsGetRangesAndPrivateAddresses) {
  Reply v = Post("/v2/vpcs", {{"name", "prod-net"}, {"region", "ams3"}, {"ip_range", "10.50.0.0/24"}});
  ASSERT_EQ(v.status, 201) << v.raw.body;
  std::string id = v.body["vpc"]["id"];
  EXPECT_EQ(v.body["vpc"]["urn"], "do:vpc:" + id);
  EXPECT_EQ(v.body["vpc"]["default"], false);
  EXPECT_EQ(Post("/v2/vpcs", {{"name", "other"}, {"region", "ams3"}, {"ip_range", "10.50.0.128/25"}}).status, 422);
  EXPECT_EQ(Post("/v2/vpcs", {{"name", "pub"}, {"region", "ams3"}, {"ip_range", "8.8.0.0/16"}}).status, 422);
  EXPECT_EQ(Post("/v2/vpcs", {{"name", "prod-net"}, {"region", "ams3"}}).status, 422);
  int64_t d = CreateDroplet("in-vpc", "ams3", {{"vpc_uuid", id}});
  Advance(60);
  json nets = Get("/v2/droplets/" + std::to_string(d)).body["droplet"]["networks"]["v4"];
  std::string private_ip;
  for (const json& n : nets) {
    if (n["type"] == "private") {
      private_ip = n["ip_address"];
      EXPECT_EQ(n["netmask"], "255.255.255.0");
    }
  }
  EXPECT_EQ(private_ip, "10.50.0.2");
  EXPECT_EQ(Post("/v2/droplets", {{"name", "x"}, {"region", "nyc3"}, {"size", "s-1vcpu-1gb"},
                                  {"image", "ubuntu-24-04-x64"}, {"vpc_uuid", id}})
                .status,
            422);  // VPC in another region
  EXPECT_EQ(Delete("/v2/vpcs/" + id).status, 409);
  EXPECT_EQ(Delete("/v2/droplets/" + std::to_string(d)).status, 204);
  EXPECT_EQ(Delete("/v2/vpcs/" + id).status, 204);
}

TEST_F(NetworkTest, FirewallsNeedANameAndARule) {
  int64_t d = CreateDroplet("fw-target");
  json rule = {{"protocol", "tcp"}, {"ports", "22"}, {"sources", {{"addresses", {"0.0.0.0/0", "::/0"}}}}};
  EXPECT_EQ(Post("/v2/firewalls", {{"name", "no-rules"}}).status, 422);
  EXPECT_EQ(Post("/v2/firewalls", {{"inbound_rules", {rule}}}).status, 422);
  json bad = rule;
  bad["protocol"] = "gre";
  EXPECT_EQ(Post("/v2/firewalls", {{"name", "x"}, {"inbound_rules", {bad}}}).status, 422);
  bad = rule;
  bad["ports"] = "70000";
  EXPECT_EQ(Post("/v2/firewalls", {{"name", "x"}, {"inbound_rules", {bad}}}).status, 422);
  bad = rule;
  bad["sources"] = json::object();
  EXPECT_EQ(Post("/v2/firewalls", {{"name", "x"}, {"inbound_rules", {bad}}}).status, 422);
  EXPECT_EQ(Post("/v2/firewalls", {{"name", "x"}, {"inbound_rules", {rule}}, {"droplet_ids", {1}}}).status, 422);

  json out = {{"protocol", "icmp"}, {"destinations", {{"addresses", {"0.0.0.0/0"}}}}};
  Reply r = Post("/v2/firewalls", {{"name", "web-fw"},
                                   {"inbound_rules", {rule}},
                                   {"outbound_rules", {out}},
                                   {"droplet_ids", {d}},
                                   {"tags", {"web"}}});
  ASSERT_EQ(r.status, 202) << r.raw.body;
  const json& f = r.body["firewall"];
  EXPECT_EQ(f["status"], "waiting");
  EXPECT_EQ(f["outbound_rules"][0]["ports"], "0");
  EXPECT_EQ(f["pending_changes"][0]["droplet_id"], d);
  std::string id = f["id"];
  Advance(30);
  json got = Get("/v2/firewalls/" + id).body["firewall"];
  EXPECT_EQ(got["status"], "succeeded");
  EXPECT_EQ(got["tags"], json({"web"}));
  EXPECT_EQ(Post("/v2/firewalls/" + id + "/tags", {{"tags", {"api"}}}).status, 204);
  EXPECT_EQ(Get("/v2/firewalls/" + id).body["firewall"]["tags"], json({"web", "api"}));
  EXPECT_EQ(Delete("/v2/firewalls/" + id + "/droplets", {{"droplet_ids", {d}}}).status, 204);
  EXPECT_EQ(Get("/v2/firewalls/" + id).body["firewall"]["droplet_ids"], json::array());
  EXPECT_EQ(Delete("/v2/firewalls/" + id).status, 204);
  EXPECT_EQ(Get("/v2/firewalls/" + id).status, 404);
}

TEST_F(NetworkTest, ReservedIpsAssignAndUnassignOnBothPaths) {
  int64_t d = CreateDroplet("ip-box", "nyc3");
  int64_t other = CreateDroplet("ip-fra", "fra1");
  EXPECT_EQ(Post("/v2/reserved_ips", json::object()).status, 422);
  Reply r = Post("/v2/reserved_ips", {{"region", "nyc3"}});
  ASSERT_EQ(r.status, 202) << r.raw.body;
  std::string ip = r.body["reserved_ip"]["ip"];
  EXPECT_TRUE(r.body["reserved_ip"]["droplet"].is_null());
  Reply wrong = Post("/v2/reserved_ips/" + ip + "/actions", {{"type", "assign"}, {"droplet_id", other}});
  EXPECT_EQ(wrong.status, 422);
  Reply as = Post("/v2/reserved_ips/" + ip + "/actions", {{"type", "assign"}, {"droplet_id", d}});
  ASSERT_EQ(as.status, 201) << as.raw.body;
  EXPECT_EQ(as.body["action"]["type"], "assign_ip");
  EXPECT_EQ(as.body["action"]["resource_type"], "reserved_ip");
  EXPECT_EQ(Get("/v2/reserved_ips/" + ip).body["reserved_ip"]["locked"], true);
  Advance(60);
  json got = Get("/v2/reserved_ips/" + ip).body["reserved_ip"];
  EXPECT_EQ(got["droplet"]["id"], d);
  EXPECT_EQ(got["locked"], false);
  // The legacy path sees the same address under its own keys.
  json legacy = Get("/v2/floating_ips/" + ip).body;
  EXPECT_EQ(legacy["floating_ip"]["ip"], ip);
  EXPECT_EQ(Get("/v2/floating_ips").body["floating_ips"].size(), 1u);
  Reply un = Post("/v2/floating_ips/" + ip + "/actions", {{"type", "unassign"}});
  ASSERT_EQ(un.status, 201);
  EXPECT_EQ(un.body["action"]["type"], "unassign_ip");
  EXPECT_EQ(un.body["action"]["resource_type"], "floating_ip");
  int64_t aid = un.body["action"]["id"];
  EXPECT_EQ(Get("/v2/reserved_ips/" + ip + "/actions/" + std::to_string(aid)).status, 200);
  EXPECT_EQ(Get("/v2/reserved_ips/" + ip + "/actions").body["actions"].size(), 2u);
  Advance(60);
  Reply direct = Post("/v2/reserved_ips", {{"droplet_id", d}});
  ASSERT_EQ(direct.status, 202);
  EXPECT_EQ(direct.body["links"]["droplets"][0]["id"], d);
  EXPECT_EQ(direct.body["reserved_ip"]["region"]["slug"], "nyc3");
  EXPECT_EQ(Delete("/v2/reserved_ips/" + ip).status, 204);
  EXPECT_EQ(Get("/v2/reserved_ips/" + ip).status, 404);
}

TEST_F(NetworkTest, LoadBalancersGoActiveAndGetAnIp) {
  int64_t d1 = CreateDroplet("lb-1", "sfo3");
  int64_t fra = CreateDroplet("lb-fra", "fra1");
  json rules = {{{"entry_protocol", "http"}, {"entry_port", 80}, {"target_protocol", "http"}, {"target_port", 8080}}};
  EXPECT_EQ(Post("/v2/load_balancers", {{"name", "lb"}, {"region", "sfo3"}}).status, 422);
  EXPECT_EQ(Post("/v2/load_balancers", {{"name", "lb"}, {"forwarding_rules", rules}}).status, 422);
  EXPECT_EQ(Post("/v2/load_balancers", {{"name", "lb"}, {"region", "sfo3"}, {"forwarding_rules", rules},
                                        {"droplet_ids", {d1}}, {"tag", "web"}})
                .status,
            422);
  EXPECT_EQ(Post("/v2/load_balancers",
                 {{"name", "lb"}, {"region", "sfo3"}, {"forwarding_rules", rules}, {"droplet_ids", {fra}}})
                .status,
            422);
  json https = {{{"entry_protocol", "https"}, {"entry_port", 443}, {"target_protocol", "http"}, {"target_port", 80}}};
  EXPECT_EQ(Post("/v2/load_balancers", {{"name", "lb"}, {"region", "sfo3"}, {"forwarding_rules", https}}).status, 422);

  Reply r = Post("/v2/load_balancers", {{"name", "web-lb"},
                                        {"region", "sfo3"},
                                        {"forwarding_rules", rules},
                                        {"health_check", {{"protocol", "tcp"}, {"port", 8080}}},
                                        {"droplet_ids", {d1}}});
  ASSERT_EQ(r.status, 202) << r.raw.body;
  const json& lb = r.body["load_balancer"];
  EXPECT_EQ(lb["status"], "new");
  EXPECT_EQ(lb["ip"], "");
  EXPECT_EQ(lb["health_check"]["protocol"], "tcp");
  EXPECT_EQ(lb["health_check"]["check_interval_seconds"], 10);
  EXPECT_EQ(lb["sticky_sessions"]["type"], "none");
  std::string id = lb["id"];
  Advance(200);
  json got = Get("/v2/load_balancers/" + id).body["load_balancer"];
  EXPECT_EQ(got["status"], "active");
  EXPECT_FALSE(got["ip"].get<std::string>().empty());
  EXPECT_EQ(got["droplet_ids"], json({d1}));

  Reply tagged = Post("/v2/load_balancers",
                      {{"name", "tag-lb"}, {"region", "sfo3"}, {"forwarding_rules", rules}, {"tag", "web"}});
  ASSERT_EQ(tagged.status, 202);
  int64_t d2 = CreateDroplet("lb-2", "sfo3", {{"tags", {"web"}}});
  json tl = Get("/v2/load_balancers/" + tagged.body["load_balancer"]["id"].get<std::string>()).body;
  EXPECT_EQ(tl["load_balancer"]["droplet_ids"], json({d2}));
  EXPECT_EQ(Get("/v2/load_balancers").body["meta"]["total"], 2);
  EXPECT_EQ(Delete("/v2/load_balancers/" + id).status, 204);
  EXPECT_EQ(Get("/v2/load_balancers/" + id).status, 404);
}

}  // namespace
}  // namespace cloudsim::digitalocean
