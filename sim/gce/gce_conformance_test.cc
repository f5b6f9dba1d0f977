// Conformance: real responses from every route family are written to a temp
// directory and checked by testdata/validate.py against the compute v1
// discovery schemas (testdata/compute_v1_schemas.json) and, key by key,
// against libcloud's recorded GCE responses (testdata/libcloud/).
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "gce/gce_test_util.h"

namespace cloudsim::gce::testing {
namespace {

using nlohmann::json;

class Dumper {
 public:
  Dumper() {
    dir_ = std::filesystem::temp_directory_path() / ("gce-conformance-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~Dumper() { std::filesystem::remove_all(dir_); }
  // Writes `body` as <schema>__<label>.json; returns the file name.
  std::string Dump(const std::string& schema, const std::string& label, const Reply& r) {
    EXPECT_EQ(r.status, 200) << schema << " " << label << ": " << r.text;
    std::string name = schema + "__" + label + ".json";
    std::ofstream(dir_ / name) << r.body.dump(1);
    return name;
  }
  // Keys of the recording that depend on optional inputs this test does not
  // send (a description, target tags...) are listed in `ignore`.
  void Pair(const std::string& dump, const std::string& fixture, std::vector<std::string> ignore = {}) {
    ignore.push_back("description");
    pairs_[dump] = {{"fixture", fixture}, {"ignore", ignore}};
  }
  int Validate() {
    std::ofstream(dir_ / "pairs.json") << pairs_.dump(1);
    std::string cmd = std::string("python3 ") + GCE_VALIDATOR + " " + GCE_TESTDATA_DIR + "/compute_v1_schemas.json " +
                      dir_.string() + " " + GCE_TESTDATA_DIR + "/libcloud";
    return std::system(cmd.c_str());
  }

 private:
  std::filesystem::path dir_;
  json pairs_ = json::object();
};

TEST(GceConformance, ResponsesMatchDiscoverySchemasAndRecordings) {
  Options opts;
  opts.cpus_quota = 4;
  Harness h(opts);
  Dumper d;
  const std::string z = "zones/us-central1-a/";
  const std::string r = "regions/us-central1/";

  // Catalog.
  d.Dump("ZoneList", "zones", h.Call("GET", h.P("zones")));
  d.Pair(d.Dump("Zone", "zone", h.Call("GET", h.P("zones/us-central1-a"))), "zones_us-central1-a.json");
  d.Dump("RegionList", "regions", h.Call("GET", h.P("regions")));
  d.Pair(d.Dump("Region", "region", h.Call("GET", h.P("regions/us-central1"))), "regions_us-central1.json");
  d.Dump("MachineTypeList", "machine_types", h.Call("GET", h.P(z + "machineTypes")));
  d.Pair(d.Dump("MachineType", "machine_type", h.Call("GET", h.P(z + "machineTypes/e2-small"))),
         "zones_us-central1-a_machineTypes_n1-standard-1.json");
  d.Dump("ImageList", "debian_images", h.Call("GET", "/compute/v1/projects/debian-cloud/global/images"));
  d.Dump("Image", "family", h.Call("GET", "/compute/v1/projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts"));
  d.Dump("ImageList", "own_images", h.Call("GET", h.P("global/images")));

  // Networks, firewalls.
  Reply op = h.Call("POST", h.P("global/networks"), {{"name", "lcnetwork"}, {"autoCreateSubnetworks", false}});
  d.Pair(d.Dump("Operation", "network_insert", op), "operations_operation_zones_us-central1-a_instances_post.json",
         {"zone", "endTime", "startTime", "progress", "status"});
  h.Finish(op.body);
  d.Pair(d.Dump("Network", "network", h.Call("GET", h.P("global/networks/lcnetwork"))), "global_networks_lcnetwork.json",
         {"IPv4Range", "gatewayIPv4", "subnetworks"});
  d.Dump("Network", "default_network", h.Call("GET", h.P("global/networks/default")));
  d.Dump("NetworkList", "networks", h.Call("GET", h.P("global/networks")));
  op = h.Call("POST", h.P(r + "subnetworks"),
              {{"name", "subnet-1"}, {"network", "global/networks/lcnetwork"}, {"ipCidrRange", "10.0.0.0/24"}});
  h.Finish(op.body);
  d.Pair(d.Dump("Subnetwork", "subnetwork", h.Call("GET", h.P(r + "subnetworks/subnet-1"))),
         "regions_us-central1_subnetworks_subnet_1.json");
  d.Dump("SubnetworkList", "subnetworks", h.Call("GET", h.P(r + "subnetworks")));
  op = h.Call("POST", h.P("global/firewalls"),
              {{"name", "lcfirewall"},
               {"network", "global/networks/lcnetwork"},
               {"allowed", json::array({{{"IPProtocol", "tcp"}, {"ports", json::array({"4567"})}}})},
               {"sourceTags", json::array({"libcloud"})}});
  h.Finish(op.body);
  d.Pair(d.Dump("Firewall", "firewall", h.Call("GET", h.P("global/firewalls/lcfirewall"))),
         "global_firewalls_lcfirewall.json", {"targetTags", "sourceServiceAccounts"});
  d.Dump("FirewallList", "firewalls", h.Call("GET", h.P("global/firewalls")));

  // Instances.
  json inst = {{"name", "node-name"},
               {"machineType", z + "machineTypes/e2-small"},
               {"labels", {{"env", "prod"}}},
               {"metadata", {{"items", json::array({{{"key", "user-data"}, {"value", "#cloud-config\n"}}})}}},
               {"tags", {{"items", json::array({"web"})}}},
               {"disks", json::array({{{"boot", true},
                                       {"autoDelete", true},
                                       {"initializeParams",
                                        {{"sourceImage", "projects/debian-cloud/global/images/family/debian-12"}}}}})},
               {"networkInterfaces", json::array({{{"network", "global/networks/default"},
                                                   {"accessConfigs", json::array({{{"type", "ONE_TO_ONE_NAT"}}})}}})}};
  op = h.Call("POST", h.P(z + "instances"), inst);
  d.Dump("Operation", "instance_insert_pending", op);
  json done = h.Finish(op.body);
  std::ofstream(std::filesystem::temp_directory_path() / "unused") << "";
  d.Pair(d.Dump("Instance", "instance", h.Call("GET", h.P(z + "instances/node-name"))),
         "zones_us-central1-a_instances_node-name.json");
  d.Pair(d.Dump("InstanceList", "instances", h.Call("GET", h.P(z + "instances"))), "zones_us-central1-a_instances.json",
         {"minCpuPlatform"});
  // A failed operation (the CPUS quota is 4 here, e2-small has 2 vCPUs).
  inst["name"] = "node-two";
  h.Finish(h.Call("POST", h.P(z + "instances"), inst).body);
  inst["name"] = "node-three";
  op = h.Call("POST", h.P(z + "instances"), inst);
  json failed = h.Finish(op.body);
  ASSERT_TRUE(failed.contains("error")) << failed.dump();
  d.Dump("Operation", "quota_failure", h.Call("GET", PathOf(failed["selfLink"])));
  d.Pair(d.Dump("Operation", "instance_insert_done", h.Call("GET", PathOf(done["selfLink"]))),
         "operations_operation_zones_us-central1-a_instances_post.json");
  d.Dump("OperationList", "zone_operations", h.Call("GET", h.P(z + "operations")));
  d.Dump("OperationList", "global_operations", h.Call("GET", h.P("global/operations")));

  // Templates, groups, autoscalers.
  json tmpl = {{"name", "my-instance-template1"},
               {"properties",
                {{"machineType", "e2-micro"},
                 {"labels", {{"app", "web"}}},
                 {"disks", json::array({{{"boot", true},
                                         {"initializeParams", {{"sourceImage", "projects/debian-cloud/global/images/debian-11-bullseye-v20231115"}}}}})},
                 {"networkInterfaces", json::array({{{"network", "global/networks/default"}}})}}}};
  h.Finish(h.Call("POST", h.P("global/instanceTemplates"), tmpl).body);
  d.Pair(d.Dump("InstanceTemplate", "template", h.Call("GET", h.P("global/instanceTemplates/my-instance-template1"))),
         "global_instanceTemplates_my_instance_template1.json",
         {"serviceAccounts", "deviceName", "diskSizeGb", "diskType", "accessConfigs"});
  d.Dump("InstanceTemplateList", "templates", h.Call("GET", h.P("global/instanceTemplates")));
  // Make room for the group's instances.
  h.Finish(h.Call("DELETE", h.P(z + "instances/node-two")).body);
  h.Finish(h.Call("DELETE", h.P(z + "instances/node-name")).body);
  json igm = {{"name", "myinstancegroup"},
              {"baseInstanceName", "base-foo"},
              {"instanceTemplate", "global/instanceTemplates/my-instance-template1"},
              {"targetSize", 2}};
  h.Finish(h.Call("POST", h.P(z + "instanceGroupManagers"), igm).body);
  d.Pair(d.Dump("InstanceGroupManager", "igm", h.Call("GET", h.P(z + "instanceGroupManagers/myinstancegroup"))),
         "zones_us-central1-a_instanceGroupManagers_myinstancegroup.json");
  d.Dump("InstanceGroupManagerList", "igms", h.Call("GET", h.P(z + "instanceGroupManagers")));
  d.Pair(d.Dump("InstanceGroupManagersListManagedInstancesResponse", "managed",
                h.Call("POST", h.P(z + "instanceGroupManagers/myinstancegroup/listManagedInstances"))),
         "_zones_us_central1_a_instanceGroupManagers_myinstancegroup_listManagedInstances.json");
  h.Finish(h.Call("POST", h.P(z + "autoscalers"),
                  {{"name", "as-1"},
                   {"target", "zones/us-central1-a/instanceGroupManagers/myinstancegroup"},
                   {"autoscalingPolicy", {{"minNumReplicas", 1}, {"maxNumReplicas", 2}}}})
               .body);
  d.Dump("Autoscaler", "autoscaler", h.Call("GET", h.P(z + "autoscalers/as-1")));
  d.Dump("AutoscalerList", "autoscalers", h.Call("GET", h.P(z + "autoscalers")));
  json rigm = igm;
  rigm["name"] = "regional-group";
  rigm["targetSize"] = 0;
  h.Finish(h.Call("POST", h.P(r + "instanceGroupManagers"), rigm).body);
  d.Dump("InstanceGroupManager", "regional_igm", h.Call("GET", h.P(r + "instanceGroupManagers/regional-group")));
  d.Dump("RegionInstanceGroupManagerList", "regional_igms", h.Call("GET", h.P(r + "instanceGroupManagers")));
  d.Dump("RegionInstanceGroupManagersListInstancesResponse", "regional_managed",
         h.Call("POST", h.P(r + "instanceGroupManagers/regional-group/listManagedInstances")));
  h.Finish(h.Call("POST", h.P(r + "autoscalers"),
                  {{"name", "ras"},
                   {"target", "regions/us-central1/instanceGroupManagers/regional-group"},
                   {"autoscalingPolicy", {{"maxNumReplicas", 1}, {"minNumReplicas", 0}}}})
               .body);
  d.Dump("Autoscaler", "regional_autoscaler", h.Call("GET", h.P(r + "autoscalers/ras")));
  d.Dump("RegionAutoscalerList", "regional_autoscalers", h.Call("GET", h.P(r + "autoscalers")));
  d.Dump("OperationList", "region_operations", h.Call("GET", h.P(r + "operations")));

  // Load balancing pieces.
  h.Finish(h.Call("POST", h.P(r + "addresses"), {{"name", "lcaddress"}}).body);
  d.Pair(d.Dump("Address", "address", h.Call("GET", h.P(r + "addresses/lcaddress"))),
         "regions_us-central1_addresses_lcaddress.json");
  h.Finish(h.Call("POST", h.P(r + "addresses"), {{"name", "internal"}, {"addressType", "INTERNAL"}}).body);
  d.Dump("AddressList", "addresses", h.Call("GET", h.P(r + "addresses")));
  h.Finish(h.Call("POST", h.P("global/httpHealthChecks"), {{"name", "lchealthcheck"}, {"requestPath", "/lc"}}).body);
  d.Pair(d.Dump("HttpHealthCheck", "http_health_check", h.Call("GET", h.P("global/httpHealthChecks/lchealthcheck"))),
         "global_httpHealthChecks_lchealthcheck.json", {"host"});
  d.Dump("HttpHealthCheckList", "http_health_checks", h.Call("GET", h.P("global/httpHealthChecks")));
  h.Finish(h.Call("POST", h.P("global/healthChecks"), {{"name", "hc"}, {"type", "TCP"}}).body);
  d.Dump("HealthCheck", "health_check", h.Call("GET", h.P("global/healthChecks/hc")));
  d.Dump("HealthCheckList", "health_checks", h.Call("GET", h.P("global/healthChecks")));
  h.Finish(h.Call("POST", h.P(r + "targetPools"),
                  {{"name", "lctargetpool"}, {"healthChecks", json::array({"global/httpHealthChecks/lchealthcheck"})}})
               .body);
  json members = h.Call("POST", h.P(z + "instanceGroupManagers/myinstancegroup/listManagedInstances")).body;
  ASSERT_FALSE(members["managedInstances"].empty());
  op = h.Call("POST", h.P(r + "targetPools/lctargetpool/addInstance"),
              {{"instances", json::array({{{"instance", members["managedInstances"][0]["instance"]}}})}});
  d.Dump("Operation", "add_instance", op);
  h.Finish(op.body);
  d.Pair(d.Dump("TargetPool", "target_pool", h.Call("GET", h.P(r + "targetPools/lctargetpool"))),
         "regions_us-central1_targetPools_lctargetpool.json");
  d.Dump("TargetPoolList", "target_pools", h.Call("GET", h.P(r + "targetPools")));
  h.Finish(h.Call("POST", h.P(r + "forwardingRules"),
                  {{"name", "lcforwardingrule"},
                   {"target", "regions/us-central1/targetPools/lctargetpool"},
                   {"IPAddress", "regions/us-central1/addresses/lcaddress"},
                   {"portRange", "8000-8500"}})
               .body);
  d.Pair(d.Dump("ForwardingRule", "forwarding_rule", h.Call("GET", h.P(r + "forwardingRules/lcforwardingrule"))),
         "regions_us-central1_forwardingRules_lcforwardingrule.json");
  d.Dump("ForwardingRuleList", "forwarding_rules", h.Call("GET", h.P(r + "forwardingRules")));
  d.Dump("Address", "address_in_use", h.Call("GET", h.P(r + "addresses/lcaddress")));

  EXPECT_EQ(d.Validate(), 0);
}

}  // namespace
}  // namespace cloudsim::gce::testing

namespace cloudsim::gce::testing {
namespace {

// The validator itself must catch what it is meant to catch.
TEST(GceConformance, ValidatorRejectsWrongShapes) {
  auto dir = std::filesystem::temp_directory_path() / ("gce-validator-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto run = [&](const nlohmann::json& body) {
    std::ofstream(dir / "Instance__x.json") << body.dump();
    std::string cmd = std::string("python3 ") + GCE_VALIDATOR + " " + GCE_TESTDATA_DIR + "/compute_v1_schemas.json " +
                      dir.string() + " >/dev/null";
    return std::system(cmd.c_str());
  };
  EXPECT_EQ(run({{"kind", "compute#instance"}, {"id", "123"}, {"status", "RUNNING"}}), 0);
  EXPECT_NE(run({{"kind", "compute#instance"}, {"id", 123}}), 0);               // int64 must be a string
  EXPECT_NE(run({{"kind", "compute#instance"}, {"colour", "blue"}}), 0);        // unknown key
  EXPECT_NE(run({{"status", "SLEEPING"}}), 0);                                  // not in the enum
  EXPECT_NE(run({{"networkInterfaces", {{"networkIP", 10}}}}), 0);              // array of objects
  EXPECT_NE(run({{"labels", {{"a", 1}}}}), 0);                                  // map of strings
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cloudsim::gce::testing
