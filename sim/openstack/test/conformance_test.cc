// Conformance: drives the emulator through the same calls as the recorded
// real Zed exchanges (testdata/recorded/) and the api-ref samples
// (testdata/apiref/), writes every response to a temp dir, and runs
// conformance.py, which compares keys and JSON types with the references
// (and validates Glance images against Glance's own JSON Schema).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "openstack/test/test_util.h"

namespace cloudsim::openstack::testing {
namespace {

namespace fs = std::filesystem;

class Recorder {
 public:
  explicit Recorder(fs::path dir) : dir_(std::move(dir)) {}
  // Saves `r` as the counterpart of testdata/<ref>.
  void Save(const std::string& ref, const Reply& r) {
    fs::path p = dir_ / ref;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << json({{"status", r.status}, {"body", r.body}}).dump(1);
    ++count_;
  }
  // Saves an inner object (for api-ref samples that show one wrapper).
  void SaveBody(const std::string& ref, const json& body) { Save(ref, Reply{200, body, "", {}}); }
  int count() const { return count_; }

 private:
  fs::path dir_;
  int count_ = 0;
};

TEST(ConformanceTest, ResponsesMatchRecordedZedAndApiRef) {
  fs::path out = fs::path(::testing::TempDir()) / ("os-conformance-" + std::to_string(::getpid()));
  fs::remove_all(out);
  Recorder rec(out);
  Harness h;
  json pw = {{"auth", {{"identity", {{"methods", {"password"}},
                                     {"password", {{"user", {{"name", "admin"}, {"domain", {{"name", "Default"}}}, {"password", "cloudsim-admin"}}}}}}},
                       {"scope", {{"project", {{"name", "admin"}, {"domain", {{"name", "Default"}}}}}}}}}};
  // Keystone.
  rec.Save("recorded/keystone/01-version-root.json", h.Call("GET", "/identity"));
  rec.Save("recorded/keystone/02-version-v3.json", h.Call("GET", "/identity/v3/"));
  Reply tok = h.Call("POST", "/identity/v3/auth/tokens", pw);
  rec.Save("recorded/keystone/03-auth-tokens-password.json", tok);
  rec.SaveBody("apiref/keystone-auth-password-project-scoped-response.json", tok.body);
  json bad = pw;
  bad["auth"]["identity"]["password"]["user"]["password"] = "wrong";
  rec.Save("recorded/keystone/04-auth-tokens-wrong-password.json", h.Call("POST", "/identity/v3/auth/tokens", bad));
  h.token = tok.headers["x-subject-token"];
  std::string project = tok.body["token"]["project"]["id"];
  rec.Save("recorded/keystone/05-auth-catalog.json", h.Call("GET", "/identity/v3/auth/catalog"));
  rec.Save("recorded/keystone/06-auth-tokens-validate.json", h.Call("GET", "/identity/v3/auth/tokens", nullptr, {{"x-subject-token", h.token}}));
  rec.Save("recorded/keystone/07-auth-tokens-no-token.json", h.Call("GET", "/identity/v3/auth/catalog", nullptr, {{"x-auth-token", "bogus"}}));
  json env = h.Env();
  json ac = {{"auth", {{"identity", {{"methods", {"application_credential"}},
                                     {"application_credential", env["_top"]["openstack_application_credential"]}}}}}};
  rec.SaveBody("apiref/keystone-auth-application-credential-response.json", h.Call("POST", "/identity/v3/auth/tokens", ac).body);

  // Glance.
  rec.Save("recorded/glance/01-version-root.json", h.Call("GET", "/image"));
  rec.Save("recorded/glance/03-images-list.json", h.Call("GET", "/image/v2/images"));
  Reply img = h.Call("POST", "/image/v2/images", {{"name", "rec-img"}, {"disk_format", "raw"}, {"container_format", "bare"},
                                                   {"visibility", "private"}, {"tags", {"rec"}}, {"min_disk", 0}, {"min_ram", 0}});
  std::string image = img.body["id"];
  rec.Save("recorded/glance/04-images-create.json", img);
  rec.Save("recorded/glance/05-images-show-queued.json", h.Call("GET", "/image/v2/images/" + image));
  rec.Save("recorded/glance/06-images-upload-file.json", h.CallRaw("PUT", "/image/v2/images/" + image + "/file", std::string(65536, 'x'), {{"content-type", "application/octet-stream"}}));
  Reply active_img = h.Call("GET", "/image/v2/images/" + image);
  rec.Save("recorded/glance/07-images-show-active.json", active_img);
  rec.SaveBody("apiref/glance-image-show-response.json", active_img.body);
  rec.Save("recorded/glance/08-images-list-by-tag.json", h.Call("GET", "/image/v2/images?tag=rec"));
  rec.Save("recorded/glance/09-images-show-not-found.json", h.Call("GET", "/image/v2/images/39c26b19-83d9-4987-ae55-89661ce03544"));

  // Neutron.
  rec.Save("recorded/neutron/01-version-root.json", h.Call("GET", "/network"));
  rec.Save("recorded/neutron/02-version-endpoint.json", h.Call("GET", "/network/v2.0"));
  Reply ext = h.Call("GET", "/network/v2.0/networks?router:external=true");
  rec.Save("recorded/neutron/03-networks-list-external.json", ext);
  std::string public_net = ext.body["networks"][0]["id"];
  Reply net = h.Call("POST", "/network/v2.0/networks", {{"network", {{"name", "rec-net"}, {"admin_state_up", true}}}});
  rec.Save("recorded/neutron/04-networks-create.json", net);
  std::string net_id = net.body["network"]["id"];
  Reply sub = h.Call("POST", "/network/v2.0/subnets", {{"subnet", {{"network_id", net_id}, {"name", "rec-sub"}, {"ip_version", 4}, {"cidr", "10.66.0.0/24"}, {"enable_dhcp", true}, {"dns_nameservers", {"192.0.2.53"}}}}});
  rec.Save("recorded/neutron/05-subnets-create.json", sub);
  std::string sub_id = sub.body["subnet"]["id"];
  rec.Save("recorded/neutron/06-subnets-create-bad-cidr.json", h.Call("POST", "/network/v2.0/subnets", {{"subnet", {{"network_id", net_id}, {"ip_version", 4}, {"cidr", "10.66.0.0/33"}}}}));
  rec.Save("recorded/neutron/07-subnets-create-overlap.json", h.Call("POST", "/network/v2.0/subnets", {{"subnet", {{"network_id", net_id}, {"ip_version", 4}, {"cidr", "10.66.0.0/25"}}}}));
  Reply router = h.Call("POST", "/network/v2.0/routers", {{"router", {{"name", "rec-router"}, {"admin_state_up", true}, {"external_gateway_info", {{"network_id", public_net}}}}}});
  rec.Save("recorded/neutron/08-routers-create-with-gateway.json", router);
  std::string router_id = router.body["router"]["id"];
  rec.Save("recorded/neutron/09-routers-add-router-interface.json", h.Call("PUT", "/network/v2.0/routers/" + router_id + "/add_router_interface", {{"subnet_id", sub_id}}));
  Reply router_show = h.Call("GET", "/network/v2.0/routers/" + router_id);
  rec.Save("recorded/neutron/10-routers-show.json", router_show);
  rec.SaveBody("apiref/neutron-router-show-response.json", router_show.body);
  Reply sg = h.Call("POST", "/network/v2.0/security-groups", {{"security_group", {{"name", "rec-sg"}, {"description", "recorded"}}}});
  rec.Save("recorded/neutron/11-security-groups-create.json", sg);
  std::string sg_id = sg.body["security_group"]["id"];
  json rule = {{"security_group_rule", {{"security_group_id", sg_id}, {"direction", "ingress"}, {"ethertype", "IPv4"}, {"protocol", "tcp"}, {"port_range_min", 22}, {"port_range_max", 22}, {"remote_ip_prefix", "0.0.0.0/0"}}}};
  Reply rule_r = h.Call("POST", "/network/v2.0/security-group-rules", rule);
  rec.Save("recorded/neutron/12-security-group-rules-create-tcp22.json", rule_r);
  rec.SaveBody("apiref/neutron-security-group-rule-show-response.json", h.Call("GET", "/network/v2.0/security-group-rules/" + rule_r.body["security_group_rule"]["id"].get<std::string>()).body);
  rec.Save("recorded/neutron/13-security-group-rules-create-duplicate.json", h.Call("POST", "/network/v2.0/security-group-rules", rule));
  Reply sg_show = h.Call("GET", "/network/v2.0/security-groups/" + sg_id);
  rec.Save("recorded/neutron/14-security-groups-show.json", sg_show);
  rec.SaveBody("apiref/neutron-security-group-show-response.json", sg_show.body);
  rec.Save("recorded/neutron/15-networks-tag-add.json", h.Call("PUT", "/network/v2.0/networks/" + net_id + "/tags/rec"));
  rec.Save("recorded/neutron/16-networks-tags-replace.json", h.Call("PUT", "/network/v2.0/networks/" + net_id + "/tags", {{"tags", {"rec", "role-web"}}}));
  rec.Save("recorded/neutron/17-networks-list-by-tags.json", h.Call("GET", "/network/v2.0/networks?tags=rec"));
  rec.Save("recorded/neutron/18-networks-show-not-found.json", h.Call("GET", "/network/v2.0/networks/d78f749f-e317-484d-9465-ae3f8f2f7349"));
  rec.SaveBody("apiref/neutron-network-show-response.json", h.Call("GET", "/network/v2.0/networks/" + net_id).body);
  rec.SaveBody("apiref/neutron-subnet-show-response.json", h.Call("GET", "/network/v2.0/subnets/" + sub_id).body);

  // Nova (2.79, as recorded).
  rec.Save("recorded/nova/01-version-root.json", h.Call("GET", "/compute"));
  rec.Save("recorded/nova/02-version-endpoint.json", h.Call("GET", "/compute/v2.1"));
  rec.Save("recorded/nova/03-flavors-detail.json", h.Call("GET", "/compute/v2.1/flavors/detail"));
  rec.Save("recorded/nova/04-flavors-show.json", h.Call("GET", "/compute/v2.1/flavors/1"));
  rec.Save("recorded/nova/05-os-keypairs-import.json", h.Call("POST", "/compute/v2.1/os-keypairs", {{"keypair", {{"name", "rec-key"}, {"type", "ssh"}, {"public_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM4mJFn7/sx1hsxndDVKHTuHyXqKOE8Yh13WQzElqtdf rec"}}}}));
  rec.Save("recorded/nova/06-os-keypairs-generate.json", h.Call("POST", "/compute/v2.1/os-keypairs", {{"keypair", {{"name", "rec-genkey"}}}}));
  Reply grp = h.Call("POST", "/compute/v2.1/os-server-groups", {{"server_group", {{"name", "rec-grp"}, {"policy", "anti-affinity"}}}});
  rec.Save("recorded/nova/07-os-server-groups-create-anti-affinity.json", grp);
  std::string cirros = h.ImageId("cirros-0.6.2-x86_64-disk");
  json server = {{"server", {{"name", "rec-vm1"}, {"imageRef", cirros}, {"flavorRef", "1"}, {"networks", {{{"uuid", net_id}}}},
                             {"security_groups", {{{"name", "rec-sg"}}}}, {"key_name", "rec-key"}, {"user_data", "I2Nsb3VkLWNvbmZpZwo="},
                             {"metadata", {{"role", "web"}}}, {"tags", {"rec", "web"}}}},
                 {"os:scheduler_hints", {{"group", grp.body["server_group"]["id"]}}}};
  Reply created = h.Call("POST", "/compute/v2.1/servers", server);
  rec.Save("recorded/nova/08-servers-create.json", created);
  std::string vm = created.body["server"]["id"];
  rec.Save("recorded/nova/09-servers-show-build.json", h.Call("GET", "/compute/v2.1/servers/" + vm));
  h.Advance(30);
  rec.Save("recorded/nova/10-servers-show-active.json", h.Call("GET", "/compute/v2.1/servers/" + vm));
  json multi = {{"server", {{"name", "rec-multi"}, {"imageRef", cirros}, {"flavorRef", "1"}, {"networks", {{{"uuid", net_id}}}}, {"min_count", 2}, {"max_count", 2}, {"tags", {"rec", "multi"}}}}};
  rec.Save("recorded/nova/11-servers-create-min2-max2.json", h.Call("POST", "/compute/v2.1/servers", multi));
  rec.Save("recorded/nova/12-servers-detail-by-tags.json", h.Call("GET", "/compute/v2.1/servers/detail?tags=multi"));
  rec.Save("recorded/nova/13-servers-list-by-name.json", h.Call("GET", "/compute/v2.1/servers?name=rec-multi"));
  json badflavor = multi;
  badflavor["server"]["flavorRef"] = "no-such-flavor";
  rec.Save("recorded/nova/14-servers-create-unknown-flavor.json", h.Call("POST", "/compute/v2.1/servers", badflavor));
  rec.Save("recorded/nova/15-servers-show-not-found.json", h.Call("GET", "/compute/v2.1/servers/3cafdcf9-c942-473c-80af-86b42ec89d3c"));
  rec.Save("recorded/nova/16-servers-os-interface.json", h.Call("GET", "/compute/v2.1/servers/" + vm + "/os-interface"));
  // Neutron with a server port (recorded 19-23) and a floating IP.
  rec.Save("recorded/neutron/19-ports-list-by-device-id.json", h.Call("GET", "/network/v2.0/ports?device_id=" + vm));
  std::string vm_port = h.Call("GET", "/network/v2.0/ports?device_id=" + vm).body["ports"][0]["id"];
  rec.SaveBody("apiref/neutron-port-show-response.json", h.Call("GET", "/network/v2.0/ports/" + vm_port).body);
  Reply fip = h.Call("POST", "/network/v2.0/floatingips", {{"floatingip", {{"floating_network_id", public_net}, {"description", "rec"}}}});
  rec.Save("recorded/neutron/20-floatingips-create.json", fip);
  std::string fip_id = fip.body["floatingip"]["id"];
  rec.Save("recorded/neutron/21-floatingips-associate-port.json", h.Call("PUT", "/network/v2.0/floatingips/" + fip_id, {{"floatingip", {{"port_id", vm_port}}}}));
  Reply fip_show = h.Call("GET", "/network/v2.0/floatingips/" + fip_id);
  rec.Save("recorded/neutron/22-floatingips-show-associated.json", fip_show);
  rec.SaveBody("apiref/neutron-floatingip-show-response.json", fip_show.body);
  rec.SaveBody("apiref/nova-server-get-resp.json", h.Call("GET", "/compute/v2.1/servers/" + vm, nullptr, {{"openstack-api-version", "compute 2.1"}}).body);
  rec.Save("recorded/neutron/23-floatingips-disassociate.json", h.Call("PUT", "/network/v2.0/floatingips/" + fip_id, {{"floatingip", {{"port_id", nullptr}}}}));
  rec.Save("recorded/neutron/24-networks-delete-in-use.json", h.Call("DELETE", "/network/v2.0/networks/" + net_id));
  rec.Save("recorded/neutron/25-floatingips-delete.json", h.Call("DELETE", "/network/v2.0/floatingips/" + fip_id));

  // Cinder (3.59) + attach through Nova.
  std::map<std::string, std::string> v359 = {{"openstack-api-version", "volume 3.59"}};
  std::string vols = "/volume/v3/" + project + "/volumes";
  rec.Save("recorded/cinder/01-version-root.json", h.Call("GET", "/volume"));
  rec.Save("recorded/cinder/02-version-endpoint.json", h.Call("GET", "/volume/v3/"));
  Reply vol = h.Call("POST", vols, {{"volume", {{"size", 1}, {"name", "rec-vol"}, {"description", "recorded"}, {"metadata", {{"owner", "rec"}}}}}}, v359);
  rec.Save("recorded/cinder/03-volumes-create.json", vol);
  std::string vol_id = vol.body["volume"]["id"];
  rec.Save("recorded/cinder/04-volumes-show-creating.json", h.Call("GET", vols + "/" + vol_id, nullptr, v359));
  h.Advance(10);
  rec.Save("recorded/cinder/05-volumes-show-available.json", h.Call("GET", vols + "/" + vol_id, nullptr, v359));
  rec.SaveBody("apiref/cinder-volume-show-response.json", h.Call("GET", vols + "/" + vol_id).body);
  rec.Save("recorded/cinder/06-volumes-list-detail.json", h.Call("GET", vols + "/detail", nullptr, v359));
  rec.Save("recorded/cinder/07-volumes-show-not-found.json", h.Call("GET", vols + "/071ded83-4643-4505-bdad-eeec7e251fbc", nullptr, v359));
  rec.Save("recorded/nova/17-os-volume_attachments-create.json", h.Call("POST", "/compute/v2.1/servers/" + vm + "/os-volume_attachments", {{"volumeAttachment", {{"volumeId", vol_id}}}}));
  rec.Save("recorded/nova/18-os-volume_attachments-list.json", h.Call("GET", "/compute/v2.1/servers/" + vm + "/os-volume_attachments"));
  h.Advance(10);
  rec.Save("recorded/cinder/08-volumes-show-in-use.json", h.Call("GET", vols + "/" + vol_id, nullptr, v359));
  rec.Save("recorded/cinder/09-volumes-delete-in-use.json", h.Call("DELETE", vols + "/" + vol_id, nullptr, v359));
  rec.Save("recorded/nova/19-os-volume_attachments-delete.json", h.Call("DELETE", "/compute/v2.1/servers/" + vm + "/os-volume_attachments/" + vol_id));
  h.Advance(10);
  rec.Save("recorded/cinder/10-volumes-delete.json", h.Call("DELETE", vols + "/" + vol_id, nullptr, v359));
  rec.Save("recorded/cinder/11-volumes-show-deleting.json", h.Call("GET", vols + "/" + vol_id, nullptr, v359));
  json plain = {{"server", {{"name", "plain"}, {"imageRef", cirros}, {"flavorRef", "1"}, {"networks", {{{"uuid", net_id}}}}}}};
  rec.SaveBody("apiref/nova-server-create-resp.json", h.Call("POST", "/compute/v2.1/servers", plain, {{"openstack-api-version", "compute 2.1"}}).body);

  // Octavia.
  std::string lbs = "/load-balancer/v2/lbaas/loadbalancers";
  Reply lb = h.Call("POST", lbs, {{"loadbalancer", {{"name", "rec-lb"}, {"vip_subnet_id", sub_id}, {"tags", {"rec"}}, {"description", "recorded"}, {"admin_state_up", true}}}});
  rec.Save("recorded/octavia/03-loadbalancers-create.json", lb);
  std::string lb_id = lb.body["loadbalancer"]["id"];
  rec.Save("recorded/octavia/04-loadbalancers-show-pending-create.json", h.Call("GET", lbs + "/" + lb_id));
  h.Advance(100);
  rec.Save("recorded/octavia/05-loadbalancers-show-active.json", h.Call("GET", lbs + "/" + lb_id));
  Reply listener = h.Call("POST", "/load-balancer/v2/lbaas/listeners", {{"listener", {{"loadbalancer_id", lb_id}, {"name", "rec-http"}, {"protocol", "HTTP"}, {"protocol_port", 80}, {"tags", {"rec"}}}}});
  rec.Save("recorded/octavia/06-listeners-create.json", listener);
  std::string listener_id = listener.body["listener"]["id"];
  rec.Save("recorded/octavia/07-pools-create-right-after-listener-create.json", h.Call("POST", "/load-balancer/v2/lbaas/pools", {{"pool", {{"loadbalancer_id", lb_id}, {"protocol", "HTTP"}, {"lb_algorithm", "ROUND_ROBIN"}, {"name", "racer"}}}}));
  rec.Save("recorded/octavia/08-loadbalancers-show-after-two-mutations.json", h.Call("GET", lbs + "/" + lb_id));
  h.Advance(30);
  rec.Save("recorded/octavia/09-loadbalancers-update.json", h.Call("PUT", lbs + "/" + lb_id, {{"loadbalancer", {{"description", "update 0"}}}}));
  rec.Save("recorded/octavia/10-loadbalancers-update-while-pending-update.json", h.Call("PUT", lbs + "/" + lb_id, {{"loadbalancer", {{"description", "update 1"}}}}));
  h.Advance(30);
  Reply pool = h.Call("POST", "/load-balancer/v2/lbaas/pools", {{"pool", {{"listener_id", listener_id}, {"name", "rec-pool"}, {"protocol", "HTTP"}, {"lb_algorithm", "ROUND_ROBIN"}, {"tags", {"rec"}}}}});
  rec.Save("recorded/octavia/12-pools-create.json", pool);
  std::string pool_id = pool.body["pool"]["id"];
  h.Advance(30);
  std::string members = "/load-balancer/v2/lbaas/pools/" + pool_id + "/members";
  Reply member = h.Call("POST", members, {{"member", {{"address", "10.66.0.10"}, {"protocol_port", 8080}, {"subnet_id", sub_id}, {"weight", 1}, {"name", "rec-m1"}}}});
  rec.Save("recorded/octavia/13-members-create.json", member);
  h.Advance(30);
  rec.Save("recorded/octavia/14-members-batch-update.json", h.Call("PUT", members, {{"members", {{{"address", "10.66.0.10"}, {"protocol_port", 8080}, {"subnet_id", sub_id}, {"weight", 2}}, {{"address", "10.66.0.11"}, {"protocol_port", 8080}, {"subnet_id", sub_id}, {"weight", 1}}}}}));
  rec.Save("recorded/octavia/15-loadbalancers-show-after-batch.json", h.Call("GET", lbs + "/" + lb_id));
  h.Advance(30);
  Reply mlist = h.Call("GET", members);
  rec.Save("recorded/octavia/16-members-list.json", mlist);
  rec.SaveBody("apiref/octavia-member-show-response.json", h.Call("GET", members + "/" + mlist.body["members"][0]["id"].get<std::string>()).body);
  Reply hm = h.Call("POST", "/load-balancer/v2/lbaas/healthmonitors", {{"healthmonitor", {{"pool_id", pool_id}, {"type", "HTTP"}, {"delay", 5}, {"timeout", 3}, {"max_retries", 3}, {"url_path", "/healthz"}, {"expected_codes", "200"}, {"http_method", "GET"}}}});
  rec.Save("recorded/octavia/17-healthmonitors-create.json", hm);
  h.Advance(30);
  rec.SaveBody("apiref/octavia-healthmonitor-show-response.json", h.Call("GET", "/load-balancer/v2/lbaas/healthmonitors/" + hm.body["healthmonitor"]["id"].get<std::string>()).body);
  rec.SaveBody("apiref/octavia-pool-show-response.json", h.Call("GET", "/load-balancer/v2/lbaas/pools/" + pool_id).body);
  rec.SaveBody("apiref/octavia-listener-show-response.json", h.Call("GET", "/load-balancer/v2/lbaas/listeners/" + listener_id).body);
  rec.SaveBody("apiref/octavia-loadbalancer-show-response.json", h.Call("GET", lbs + "/" + lb_id).body);
  rec.Save("recorded/octavia/18-loadbalancers-list-by-tags.json", h.Call("GET", lbs + "?tags=rec"));
  Reply status = h.Call("GET", lbs + "/" + lb_id + "/status");
  rec.Save("recorded/octavia/19-loadbalancers-status-tree.json", status);
  rec.SaveBody("apiref/octavia-loadbalancer-status-response.json", status.body);
  rec.Save("recorded/octavia/20-loadbalancers-delete-without-cascade.json", h.Call("DELETE", lbs + "/" + lb_id));
  rec.Save("recorded/octavia/21-loadbalancers-delete-cascade.json", h.Call("DELETE", lbs + "/" + lb_id + "?cascade=true"));
  rec.Save("recorded/octavia/22-loadbalancers-show-pending-delete.json", h.Call("GET", lbs + "/" + lb_id));
  h.Advance(30);
  rec.Save("recorded/octavia/23-loadbalancers-show-after-delete.json", h.Call("GET", lbs + "/" + lb_id));
  rec.Save("recorded/octavia/24-loadbalancers-show-not-found.json", h.Call("GET", lbs + "/7eeed271-4c1c-4a48-9d32-cdfcdfffb2eb"));

  // Nova teardown.
  rec.Save("recorded/nova/20-servers-delete.json", h.Call("DELETE", "/compute/v2.1/servers/" + vm));
  rec.Save("recorded/nova/21-servers-show-deleting.json", h.Call("GET", "/compute/v2.1/servers/" + vm));
  h.Advance(10);
  rec.Save("recorded/nova/22-servers-show-deleted.json", h.Call("GET", "/compute/v2.1/servers/" + vm));
  rec.Save("recorded/nova/23-os-server-groups-delete.json", h.Call("DELETE", "/compute/v2.1/os-server-groups/" + grp.body["server_group"]["id"].get<std::string>()));
  rec.Save("recorded/nova/24-os-keypairs-delete.json", h.Call("DELETE", "/compute/v2.1/os-keypairs/rec-key"));
  rec.Save("recorded/glance/10-images-delete.json", h.Call("DELETE", "/image/v2/images/" + image));
  EXPECT_GT(rec.count(), 100);

  std::string cmd = std::string("python3 ") + OPENSTACK_CONFORMANCE_PY + " " + OPENSTACK_TESTDATA + " " + out.string();
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << cmd;
  if (rc == 0) fs::remove_all(out);
}

}  // namespace
}  // namespace cloudsim::openstack::testing
