#include <gtest/gtest.h>

#include "openstack/test/test_util.h"

namespace cloudsim::openstack::testing {
namespace {

class NovaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(h.Login().empty());
    std::tie(net, subnet) = h.MakeNetwork("private", "10.10.0.0/24");
    image = h.ImageId("cirros-0.6.2-x86_64-disk");
    ASSERT_FALSE(image.empty());
  }
  json ServerBody(const std::string& name) {
    return {{"server", {{"name", name}, {"imageRef", image}, {"flavorRef", "1"}, {"networks", {{{"uuid", net}}}}}}};
  }
  std::string Create(const std::string& name) {
    Reply r = h.Call("POST", "/compute/v2.1/servers", ServerBody(name));
    EXPECT_EQ(r.status, 202) << r.raw;
    return r.body["server"]["id"];
  }
  Harness h;
  std::string net, subnet, image;
};

TEST_F(NovaTest, MicroversionNegotiation) {
  h.nova_version = "";
  Reply base = h.Call("GET", "/compute/v2.1/flavors/1");
  EXPECT_EQ(base.headers["openstack-api-version"], "compute 2.1");
  EXPECT_EQ(base.body["flavor"]["swap"], "");
  EXPECT_FALSE(base.body["flavor"].contains("extra_specs"));
  Reply latest = h.Call("GET", "/compute/v2.1/flavors/1", nullptr, {{"openstack-api-version", "compute latest"}});
  EXPECT_EQ(latest.headers["x-openstack-nova-api-version"], "2.93");
  EXPECT_EQ(latest.body["flavor"]["swap"], 0);
  Reply legacy = h.Call("GET", "/compute/v2.1/flavors", nullptr, {{"x-openstack-nova-api-version", "2.55"}});
  EXPECT_EQ(legacy.headers["openstack-api-version"], "compute 2.55");
  EXPECT_TRUE(legacy.body["flavors"][0].contains("description"));
  Reply too_new = h.Call("GET", "/compute/v2.1/flavors", nullptr, {{"openstack-api-version", "compute 2.200"}});
  EXPECT_EQ(too_new.status, 406);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/flavors", nullptr, {{"openstack-api-version", "compute x"}}).status, 400);
  Reply doc = h.Call("GET", "/compute/v2.1");
  EXPECT_EQ(doc.body["version"]["version"], "2.93");
  EXPECT_EQ(doc.body["version"]["min_version"], "2.1");
}

TEST_F(NovaTest, FlavorsDetail) {
  Reply r = h.Call("GET", "/compute/v2.1/flavors/detail");
  ASSERT_EQ(r.status, 200);
  std::set<std::string> names;
  for (const auto& f : r.body["flavors"]) names.insert(f["name"]);
  EXPECT_EQ(names, (std::set<std::string>{"m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"}));
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/flavors/99").body["itemNotFound"]["message"], "Flavor 99 could not be found.");
}

TEST_F(NovaTest, Keypairs) {
  std::string pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM4mJFn7/sx1hsxndDVKHTuHyXqKOE8Yh13WQzElqtdf me";
  Reply r = h.Call("POST", "/compute/v2.1/os-keypairs", {{"keypair", {{"name", "k1"}, {"public_key", pub}}}});
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.body["keypair"]["fingerprint"], "3b:97:27:d0:02:6a:85:c0:8d:8d:7f:e5:b5:19:25:10");
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/os-keypairs", {{"keypair", {{"name", "k1"}, {"public_key", pub}}}}).status, 409);
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/os-keypairs", {{"keypair", {{"name", "k2"}, {"public_key", "junk"}}}}).status, 400);
  Reply gen = h.Call("POST", "/compute/v2.1/os-keypairs", {{"keypair", {{"name", "gen"}}}});
  ASSERT_EQ(gen.status, 201);
  EXPECT_EQ(gen.body["keypair"]["private_key"].get<std::string>().rfind("-----BEGIN RSA PRIVATE KEY-----", 0), 0u);
  EXPECT_EQ(gen.body["keypair"]["public_key"].get<std::string>().rfind("ssh-rsa AAAA", 0), 0u);
  h.nova_version = "2.92";
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/os-keypairs", {{"keypair", {{"name", "gen2"}}}}).status, 400);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/os-keypairs").body["keypairs"].size(), 2u);
  EXPECT_EQ(h.Call("DELETE", "/compute/v2.1/os-keypairs/k1").status, 204);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/os-keypairs/k1").status, 404);
}

TEST_F(NovaTest, ServerBuildsThenActiveWithNeutronAddresses) {
  json body = ServerBody("web");
  body["server"]["metadata"] = {{"role", "web"}};
  body["server"]["tags"] = {"a", "b"};
  body["server"]["user_data"] = "I2Nsb3VkLWNvbmZpZwo=";
  Reply r = h.Call("POST", "/compute/v2.1/servers", body);
  ASSERT_EQ(r.status, 202) << r.raw;
  std::string id = r.body["server"]["id"];
  EXPECT_EQ(r.headers["location"], "http://127.0.0.1:8774/compute/v2.1/servers/" + id);
  Reply build = h.Call("GET", "/compute/v2.1/servers/" + id);
  EXPECT_EQ(build.body["server"]["status"], "BUILD");
  EXPECT_EQ(build.body["server"]["addresses"], json::object());
  h.Advance(30);
  Reply active = h.Call("GET", "/compute/v2.1/servers/" + id);
  ASSERT_EQ(active.body["server"]["status"], "ACTIVE");
  const json& addrs = active.body["server"]["addresses"]["private"];
  ASSERT_EQ(addrs.size(), 1u);
  EXPECT_EQ(addrs[0]["addr"], "10.10.0.2");
  EXPECT_EQ(active.body["server"]["tags"], json({"a", "b"}));
  EXPECT_EQ(active.body["server"]["OS-EXT-SRV-ATTR:user_data"], "I2Nsb3VkLWNvbmZpZwo=");
  Reply ports = h.Call("GET", "/network/v2.0/ports?device_id=" + id);
  ASSERT_EQ(ports.body["ports"].size(), 1u);
  EXPECT_EQ(ports.body["ports"][0]["device_owner"], "compute:nova");
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers/" + id + "/os-interface").body["interfaceAttachments"][0]["port_id"],
            ports.body["ports"][0]["id"]);
  // Delete: still visible as deleting, then gone with its port.
  EXPECT_EQ(h.Call("DELETE", "/compute/v2.1/servers/" + id).status, 204);
  Reply deleting = h.Call("GET", "/compute/v2.1/servers/" + id);
  EXPECT_EQ(deleting.body["server"]["OS-EXT-STS:task_state"], "deleting");
  h.Advance(10);
  Reply gone = h.Call("GET", "/compute/v2.1/servers/" + id);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body["itemNotFound"]["message"], "Instance " + id + " could not be found.");
  EXPECT_TRUE(h.Call("GET", "/network/v2.0/ports?device_id=" + id).body["ports"].empty());
}

// The deprecated proxy that Prometheus' OpenStack discovery reads: Neutron's
// floating IPs in Nova's shape, gone from microversion 2.36.
TEST_F(NovaTest, FloatingIpProxyListsNeutronFloatingIps) {
  Reply ext = h.Call("GET", "/network/v2.0/networks?router:external=true");
  ASSERT_EQ(ext.body["networks"].size(), 1u);
  std::string public_net = ext.body["networks"][0]["id"];
  Reply router = h.Call("POST", "/network/v2.0/routers",
                        {{"router", {{"name", "r"}, {"external_gateway_info", {{"network_id", public_net}}}}}});
  ASSERT_EQ(router.status, 201);
  ASSERT_EQ(h.Call("PUT", "/network/v2.0/routers/" + router.body["router"]["id"].get<std::string>() + "/add_router_interface",
                   {{"subnet_id", subnet}}).status, 200);
  std::string id = Create("web");
  h.Advance(30);
  Reply ports = h.Call("GET", "/network/v2.0/ports?device_id=" + id);
  ASSERT_EQ(ports.body["ports"].size(), 1u);
  Reply fip = h.Call("POST", "/network/v2.0/floatingips",
                     {{"floatingip", {{"floating_network_id", public_net}, {"port_id", ports.body["ports"][0]["id"]}}}});
  ASSERT_EQ(fip.status, 201) << fip.raw;
  ASSERT_EQ(h.Call("POST", "/network/v2.0/floatingips", {{"floatingip", {{"floating_network_id", public_net}}}}).status, 201);

  h.nova_version = "2.1";
  Reply list = h.Call("GET", "/compute/v2.1/os-floating-ips");
  ASSERT_EQ(list.status, 200) << list.raw;
  ASSERT_EQ(list.body["floating_ips"].size(), 2u);
  json bound, free;
  for (const json& f : list.body["floating_ips"]) (f["instance_id"].is_null() ? free : bound) = f;
  EXPECT_EQ(bound["id"], fip.body["floatingip"]["id"]);
  EXPECT_EQ(bound["ip"], fip.body["floatingip"]["floating_ip_address"]);
  EXPECT_EQ(bound["fixed_ip"], ports.body["ports"][0]["fixed_ips"][0]["ip_address"]);
  EXPECT_EQ(bound["instance_id"], id);
  EXPECT_EQ(bound["pool"], ext.body["networks"][0]["name"]);
  EXPECT_TRUE(free["fixed_ip"].is_null());
  h.nova_version = "2.36";
  Reply gone = h.Call("GET", "/compute/v2.1/os-floating-ips");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body["itemNotFound"]["code"], 404);
}

TEST_F(NovaTest, CreateValidationMatchesNova) {
  json bad = ServerBody("x");
  bad["server"]["flavorRef"] = "nope";
  Reply f = h.Call("POST", "/compute/v2.1/servers", bad);
  EXPECT_EQ(f.status, 400);
  EXPECT_EQ(f.body, json::parse(R"({"badRequest": {"code": 400, "message": "Flavor nope could not be found."}})"));
  bad = ServerBody("x");
  bad["server"]["imageRef"] = "00000000-0000-4000-8000-000000000000";
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers", bad).body["badRequest"]["message"], "Can not find requested image");
  bad = ServerBody("x");
  bad["server"]["user_data"] = "not base64!";
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers", bad).status, 400);
  bad = ServerBody("x");
  bad["server"]["tags"] = {"t"};
  h.nova_version = "2.51";
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers", bad).status, 400);
  h.nova_version = "2.79";
  bad = ServerBody("x");
  bad["server"].erase("networks");
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers", bad).status, 400);
  bad["server"]["networks"] = "none";
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers", bad).status, 202);
  bad["server"]["networks"] = "auto";
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers", bad).status, 202);
  bad["server"]["networks"] = {{{"uuid", "missing"}}};
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers", bad).status, 400);
  bad = ServerBody("x");
  bad["server"]["key_name"] = "nokey";
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers", bad).body["badRequest"]["message"], "Invalid key_name provided.");
}

TEST_F(NovaTest, MultiCreateAndInstanceQuota) {
  json body = ServerBody("multi");
  body["server"]["min_count"] = 2;
  body["server"]["max_count"] = 3;
  ASSERT_EQ(h.Call("POST", "/compute/v2.1/servers", body).status, 202);
  Reply list = h.Call("GET", "/compute/v2.1/servers?name=^multi-");
  EXPECT_EQ(list.body["servers"].size(), 3u);
  for (int i = 0; i < 7; ++i) Create("fill" + std::to_string(i));
  Reply over = h.Call("POST", "/compute/v2.1/servers", ServerBody("eleventh"));
  EXPECT_EQ(over.status, 403);
  EXPECT_EQ(over.body, json::parse(R"({"forbidden": {"code": 403, "message": "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"}})"));
}

TEST_F(NovaTest, ListFiltersAndPaging) {
  json tagged = ServerBody("alpha");
  tagged["server"]["tags"] = {"blue"};
  h.Call("POST", "/compute/v2.1/servers", tagged);
  Create("beta");
  Create("gamma");
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers/detail?tags=blue").body["servers"].size(), 1u);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers?not-tags=blue").body["servers"].size(), 2u);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers?name=a$").body["servers"].size(), 3u);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers?name=^b").body["servers"].size(), 1u);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers?status=BUILD").body["servers"].size(), 3u);
  h.Advance(30);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers?status=BUILD").body["servers"].size(), 0u);
  Reply page = h.Call("GET", "/compute/v2.1/servers?limit=2");
  ASSERT_EQ(page.body["servers"].size(), 2u);
  std::string next = page.body["servers_links"][0]["href"];
  std::string marker = next.substr(next.find("marker=") + 7);
  Reply rest = h.Call("GET", "/compute/v2.1/servers?limit=2&marker=" + marker);
  EXPECT_EQ(rest.body["servers"].size(), 1u);
  EXPECT_FALSE(rest.body.contains("servers_links"));
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers?marker=zzz").status, 400);
}

TEST_F(NovaTest, ServerGroups) {
  Reply g = h.Call("POST", "/compute/v2.1/os-server-groups", {{"server_group", {{"name", "g"}, {"policy", "anti-affinity"}}}});
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.body["server_group"]["policy"], "anti-affinity");
  std::string gid = g.body["server_group"]["id"];
  json body = ServerBody("member");
  body["os:scheduler_hints"] = {{"group", gid}};
  std::string sid = h.Call("POST", "/compute/v2.1/servers", body).body["server"]["id"];
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/os-server-groups/" + gid).body["server_group"]["members"], json({sid}));
  h.nova_version = "2.1";
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/os-server-groups/" + gid).body["server_group"]["policies"], json({"anti-affinity"}));
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/os-server-groups", {{"server_group", {{"name", "g"}, {"policy", "affinity"}}}}).status, 400);
  EXPECT_EQ(h.Call("DELETE", "/compute/v2.1/os-server-groups/" + gid).status, 204);
}

TEST_F(NovaTest, VolumeAttachDetachDrivesCinderStatus) {
  std::string sid = Create("vm");
  std::string vol_base = "/volume/v3/" + h.project_id() + "/volumes";
  Reply v = h.Call("POST", vol_base, {{"volume", {{"size", 1}, {"name", "data"}}}});
  ASSERT_EQ(v.status, 202);
  std::string vid = v.body["volume"]["id"];
  json att = {{"volumeAttachment", {{"volumeId", vid}}}};
  Reply early = h.Call("POST", "/compute/v2.1/servers/" + sid + "/os-volume_attachments", att);
  EXPECT_EQ(early.status, 409);  // still building
  h.Advance(30);
  Reply a = h.Call("POST", "/compute/v2.1/servers/" + sid + "/os-volume_attachments", att);
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["volumeAttachment"]["device"], "/dev/vdb");
  EXPECT_EQ(h.Call("GET", vol_base + "/" + vid).body["volume"]["status"], "attaching");
  h.Advance(10);
  Reply in_use = h.Call("GET", vol_base + "/" + vid);
  EXPECT_EQ(in_use.body["volume"]["status"], "in-use");
  EXPECT_EQ(in_use.body["volume"]["attachments"][0]["server_id"], sid);
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers/" + sid + "/os-volume_attachments", att).status, 400);
  Reply del = h.Call("DELETE", vol_base + "/" + vid);
  EXPECT_EQ(del.status, 400);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers/" + sid).body["server"]["os-extended-volumes:volumes_attached"][0]["id"], vid);
  EXPECT_EQ(h.Call("DELETE", "/compute/v2.1/servers/" + sid + "/os-volume_attachments/" + vid).status, 202);
  EXPECT_EQ(h.Call("GET", vol_base + "/" + vid).body["volume"]["status"], "detaching");
  h.Advance(10);
  EXPECT_EQ(h.Call("GET", vol_base + "/" + vid).body["volume"]["status"], "available");
  EXPECT_EQ(h.Call("DELETE", vol_base + "/" + vid).status, 202);
}

TEST_F(NovaTest, ActionsStopStart) {
  std::string sid = Create("vm");
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers/" + sid + "/action", {{"os-stop", nullptr}}).status, 409);
  h.Advance(30);
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers/" + sid + "/action", {{"os-stop", nullptr}}).status, 202);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers/" + sid).body["server"]["status"], "SHUTOFF");
  EXPECT_EQ(h.Call("POST", "/compute/v2.1/servers/" + sid + "/action", {{"os-start", nullptr}}).status, 202);
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers/" + sid).body["server"]["status"], "ACTIVE");
}

TEST_F(NovaTest, CreateImageSnapshotsIntoGlance) {
  std::string sid = Create("vm");
  const std::string action = "/compute/v2.1/servers/" + sid + "/action";
  json body = {{"createImage", {{"name", "snap-1"}, {"metadata", {{"role", "web"}}}}}};
  // Building servers cannot be snapshotted.
  EXPECT_EQ(h.Call("POST", action, body).status, 409);
  h.Advance(30);
  // Schema errors.
  EXPECT_EQ(h.Call("POST", action, {{"createImage", json::object()}}).status, 400);
  EXPECT_EQ(h.Call("POST", action, {{"createImage", {{"name", "x"}, {"extra", 1}}}}).status, 400);
  EXPECT_EQ(h.Call("POST", action, {{"createImage", {{"name", ""}}}}).status, 400);
  EXPECT_EQ(h.Call("POST", action, {{"createImage", {{"name", "x"}, {"metadata", {{"k", 1}}}}}}).status, 400);

  // Before 2.45: empty 202 with the Glance image URL in Location.
  h.nova_version = "2.1";
  Reply r = h.Call("POST", action, body);
  ASSERT_EQ(r.status, 202) << r.raw;
  std::string location = r.headers["location"];
  const std::string prefix = "/image/images/";
  ASSERT_NE(location.find(prefix), std::string::npos) << location;
  std::string image_id = location.substr(location.find(prefix) + prefix.size());
  ASSERT_EQ(image_id.size(), 36u) << location;

  Reply img = h.Call("GET", "/image/v2/images/" + image_id);
  ASSERT_EQ(img.status, 200) << img.raw;
  EXPECT_EQ(img.body["status"], "queued");
  EXPECT_EQ(img.body["name"], "snap-1");
  EXPECT_EQ(img.body["visibility"], "private");
  EXPECT_EQ(img.body["image_type"], "snapshot");
  EXPECT_EQ(img.body["instance_uuid"], sid);
  EXPECT_EQ(img.body["base_image_ref"], image);
  EXPECT_EQ(img.body["role"], "web");
  EXPECT_EQ(img.body["disk_format"], "qcow2");
  EXPECT_EQ(img.body["owner"], h.project_id());
  EXPECT_TRUE(img.body["size"].is_null());
  // The server shows the snapshot task and refuses a second one meanwhile.
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers/" + sid).body["server"]["OS-EXT-STS:task_state"], "image_snapshot");
  EXPECT_EQ(h.Call("POST", action, body).status, 409);
  EXPECT_EQ(h.Call("POST", action, {{"os-stop", nullptr}}).status, 409);

  h.Advance(5);
  EXPECT_EQ(h.Call("GET", "/image/v2/images/" + image_id).body["status"], "saving");
  h.Advance(10);
  img = h.Call("GET", "/image/v2/images/" + image_id);
  EXPECT_EQ(img.body["status"], "active");
  EXPECT_GT(img.body["size"].get<int64_t>(), 0);
  EXPECT_EQ(img.body["os_hash_algo"], "sha512");
  EXPECT_TRUE(h.Call("GET", "/compute/v2.1/servers/" + sid).body["server"]["OS-EXT-STS:task_state"].is_null());
  Reply list = h.Call("GET", "/image/v2/images?name=snap-1");
  ASSERT_EQ(list.body["images"].size(), 1u);
  EXPECT_EQ(list.body["images"][0]["id"], image_id);

  // From 2.45: the id in the body, no Location; a stopped server works too.
  h.nova_version = "2.79";
  EXPECT_EQ(h.Call("POST", action, {{"os-stop", nullptr}}).status, 202);
  r = h.Call("POST", action, {{"createImage", {{"name", "snap-2"}}}});
  ASSERT_EQ(r.status, 202) << r.raw;
  EXPECT_EQ(r.headers.count("location"), 0u);
  ASSERT_TRUE(r.body.contains("image_id")) << r.raw;
  EXPECT_EQ(h.Call("GET", "/image/v2/images/" + r.body["image_id"].get<std::string>()).body["name"], "snap-2");
}

}  // namespace
}  // namespace cloudsim::openstack::testing
