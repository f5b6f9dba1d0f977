// Behaviour of the GCE compute model, through the Router as the server calls it.
#include <chrono>
#include <ctime>
#include <set>

#include <gtest/gtest.h>

#include "gce/gce_test_util.h"

namespace cloudsim::gce::testing {
namespace {

using nlohmann::json;

const char kZ[] = "zones/us-central1-a/";
const char kR[] = "regions/us-central1/";

json InstanceBody(const std::string& name, const std::string& type = "e2-micro") {
  return {{"name", name},
          {"machineType", std::string(kZ) + "machineTypes/" + type},
          {"disks", json::array({{{"boot", true},
                                  {"initializeParams", {{"sourceImage", "projects/debian-cloud/global/images/family/debian-12"}}}}})},
          {"networkInterfaces", json::array({{{"network", "global/networks/default"},
                                              {"accessConfigs", json::array({{{"type", "ONE_TO_ONE_NAT"}}})}}})}};
}

std::string ErrorReason(const Reply& r) { return r.body["error"]["errors"][0]["reason"]; }

TEST(GceInstances, LifecycleProvisioningStagingRunningThenGone) {
  Harness h;
  json body = InstanceBody("web-1");
  body["labels"] = {{"env", "prod"}};
  body["metadata"] = {{"items", json::array({{{"key", "user-data"}, {"value", "#cloud-config\nruncmd: []\n"}}})}};
  Reply op = h.Call("POST", h.P(std::string(kZ) + "instances"), body);
  ASSERT_EQ(op.status, 200) << op.text;
  EXPECT_EQ(op.body["kind"], "compute#operation");
  EXPECT_EQ(op.body["operationType"], "insert");
  EXPECT_EQ(op.body["status"], "PENDING");
  EXPECT_EQ(op.body["zone"], h.ctx->base_url + "/compute/v1/projects/cloudsim-project/zones/us-central1-a");
  EXPECT_EQ(op.body["targetLink"], h.ctx->base_url + h.P(std::string(kZ) + "instances/web-1"));

  Reply got = h.Call("GET", h.P(std::string(kZ) + "instances/web-1"));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["status"], "PROVISIONING");
  EXPECT_TRUE(got.body["id"].is_string());
  EXPECT_EQ(got.body["id"], op.body["targetId"]);
  EXPECT_EQ(got.body["machineType"], h.ctx->base_url + h.P(std::string(kZ) + "machineTypes/e2-micro"));
  EXPECT_EQ(got.body["labels"]["env"], "prod");
  EXPECT_EQ(got.body["metadata"]["items"][0]["key"], "user-data");
  const json& ni = got.body["networkInterfaces"][0];
  EXPECT_EQ(ni["networkIP"].get<std::string>().rfind("10.128.0.", 0), 0u) << ni;
  EXPECT_TRUE(ni["accessConfigs"][0]["natIP"].is_string());
  EXPECT_EQ(got.body["disks"][0]["diskSizeGb"], "10");

  h.clock.Advance(7);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instances/web-1")).body["status"], "STAGING");
  json done = h.Finish(op.body);
  EXPECT_EQ(done["status"], "DONE");
  EXPECT_EQ(done["progress"], 100);
  EXPECT_FALSE(done.contains("error"));
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instances/web-1")).body["status"], "RUNNING");

  Reply del = h.Call("DELETE", h.P(std::string(kZ) + "instances/web-1"));
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(del.body["operationType"], "delete");
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instances/web-1")).body["status"], "STOPPING");
  h.Finish(del.body);
  Reply gone = h.Call("GET", h.P(std::string(kZ) + "instances/web-1"));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(ErrorReason(gone), "notFound");
  EXPECT_EQ(gone.body["error"]["message"],
            "The resource 'projects/cloudsim-project/zones/us-central1-a/instances/web-1' was not found");
}

// instances.setMetadata: optimistic locking by the metadata fingerprint.
TEST(GceInstances, SetMetadataNeedsTheCurrentFingerprintAndReplacesTheItems) {
  Harness h;
  json body = InstanceBody("web-2");
  body["metadata"] = {{"items", json::array({{{"key", "user-data"}, {"value", "#cloud-config\n"}}})}};
  h.Finish(h.Call("POST", h.P(std::string(kZ) + "instances"), body).body);
  const std::string path = h.P(std::string(kZ) + "instances/web-2");
  json md = h.Call("GET", path).body["metadata"];
  const std::string fp = md["fingerprint"];
  ASSERT_FALSE(fp.empty());
  json items = json::array({{{"key", "user-data"}, {"value", "#cloud-config\n"}},
                            {{"key", "ssh-keys"}, {"value", "ops:ssh-ed25519 AAAA"}}});
  Reply stale = h.Call("POST", path + "/setMetadata", {{"fingerprint", "bm90IGl0"}, {"items", items}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(ErrorReason(stale), "conditionNotMet");
  EXPECT_EQ(h.Call("POST", path + "/setMetadata", {{"items", items}}).status, 412);  // no fingerprint
  Reply dup = h.Call("POST", path + "/setMetadata",
                     {{"fingerprint", fp}, {"items", {{{"key", "a"}, {"value", "1"}}, {{"key", "a"}, {"value", "2"}}}}});
  EXPECT_EQ(dup.status, 400);
  Reply op = h.Call("POST", path + "/setMetadata", {{"fingerprint", fp}, {"items", items}});
  ASSERT_EQ(op.status, 200) << op.text;
  EXPECT_EQ(op.body["operationType"], "setMetadata");
  EXPECT_EQ(h.Finish(op.body)["status"], "DONE");
  json now = h.Call("GET", path).body["metadata"];
  EXPECT_EQ(now["items"], items);
  EXPECT_NE(now["fingerprint"], fp);
  EXPECT_EQ(now["kind"], "compute#metadata");
  // The old fingerprint is stale now.
  EXPECT_EQ(h.Call("POST", path + "/setMetadata", {{"fingerprint", fp}, {"items", json::array()}}).status, 412);
  EXPECT_EQ(h.Call("POST", h.P(std::string(kZ) + "instances/nope/setMetadata"), {{"fingerprint", fp}}).status, 404);
}

TEST(GceInstances, RejectsBadRequestsLikeGce) {
  Harness h;
  std::string coll = h.P(std::string(kZ) + "instances");
  Reply r = h.Call("POST", coll, InstanceBody("Bad_Name"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(r), "invalid");

  json no_type = InstanceBody("a1");
  no_type.erase("machineType");
  r = h.Call("POST", coll, no_type);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ErrorReason(r), "required");
  EXPECT_EQ(r.body["error"]["message"], "Required field 'resource.machineType' not specified");

  r = h.Call("POST", coll, InstanceBody("a2", "n1-mega-99"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.text.find("does not exist in zone 'us-central1-a'"), std::string::npos) << r.text;

  json bare = InstanceBody("a3");
  bare["machineType"] = "e2-micro";
  EXPECT_EQ(h.Call("POST", coll, bare).status, 400);

  json bad_image = InstanceBody("a4");
  bad_image["disks"][0]["initializeParams"]["sourceImage"] = "projects/debian-cloud/global/images/family/debian-99";
  r = h.Call("POST", coll, bad_image);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.text.find("sourceImage"), std::string::npos);

  json bad_net = InstanceBody("a5");
  bad_net["networkInterfaces"][0]["network"] = "global/networks/nope";
  r = h.Call("POST", coll, bad_net);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorReason(r), "notFound");

  json bad_label = InstanceBody("a6");
  bad_label["labels"] = {{"Env", "prod"}};
  r = h.Call("POST", coll, bad_label);
  EXPECT_EQ(r.status, 400);
  bad_label["labels"] = {{"env", "Prod"}};
  EXPECT_EQ(h.Call("POST", coll, bad_label).status, 400);
  bad_label["labels"] = {{"env", std::string(64, 'a')}};
  EXPECT_EQ(h.Call("POST", coll, bad_label).status, 400);

  json unknown = InstanceBody("a7");
  unknown["colour"] = "blue";
  r = h.Call("POST", coll, unknown);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.text.find("Unknown name \\\"colour\\\""), std::string::npos) << r.text;

  r = h.Call("GET", h.P("zones/us-central1-z/instances"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.text.find("Unknown zone"), std::string::npos);
  EXPECT_EQ(h.Call("GET", "/compute/v1/projects/someone-else/zones/us-central1-a/instances").status, 404);

  ASSERT_EQ(h.Call("POST", coll, InstanceBody("dup")).status, 200);
  r = h.Call("POST", coll, InstanceBody("dup"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ErrorReason(r), "alreadyExists");

  Reply parse = h.Raw("POST", coll, "{not json", {{"authorization", "Bearer " + h.token}});
  EXPECT_EQ(parse.status, 400);
}

TEST(GceInstances, ServiceAccountDefaultIsTheComputeAccountAndScopesAreUrls) {
  Harness h;
  std::string coll = h.P(std::string(kZ) + "instances");
  json body = InstanceBody("sa1");
  body["serviceAccounts"] = {{{"email", "default"}, {"scopes", {"https://www.googleapis.com/auth/compute.readonly"}}}};
  ASSERT_EQ(h.Call("POST", coll, body).status, 200);
  Reply got = h.Call("GET", coll + "/sa1");
  ASSERT_EQ(got.status, 200);
  const json& sa = got.body["serviceAccounts"];
  ASSERT_EQ(sa.size(), 1u) << got.text;
  const std::string email = sa[0]["email"];
  EXPECT_EQ(email.substr(email.size() - 38), "-compute@developer.gserviceaccount.com") << email;
  EXPECT_EQ(sa[0]["scopes"], json({"https://www.googleapis.com/auth/compute.readonly"}));

  body = InstanceBody("sa2");
  body["serviceAccounts"] = {{{"email", "default"}, {"scopes", {"compute-ro"}}}};
  Reply r = h.Call("POST", coll, body);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.text.find("serviceAccounts[0].scopes[0]"), std::string::npos) << r.text;
  body["serviceAccounts"] = {{{"email", "nobody@elsewhere.iam.gserviceaccount.com"}, {"scopes", json::array()}}};
  r = h.Call("POST", coll, body);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.text.find("does not have access to service account"), std::string::npos) << r.text;
  body["serviceAccounts"] = {{{"email", "default"}}, {{"email", "default"}}};
  EXPECT_EQ(h.Call("POST", coll, body).status, 400);
}

TEST(GceInstances, CpuQuotaFailsTheOperation) {
  Harness h;  // 24 CPUS per region; n2-standard-4 has 4 vCPUs.
  std::string coll = h.P(std::string(kZ) + "instances");
  for (int i = 0; i < 6; ++i) {
    Reply op = h.Call("POST", coll, InstanceBody("big-" + std::to_string(i), "n2-standard-4"));
    ASSERT_EQ(op.status, 200);
    EXPECT_FALSE(h.Finish(op.body).contains("error"));
  }
  Reply op = h.Call("POST", h.P("zones/us-central1-b/instances"),
                    [] {
                      json b = InstanceBody("over");
                      b["machineType"] = "zones/us-central1-b/machineTypes/e2-micro";
                      return b;
                    }());
  ASSERT_EQ(op.status, 200);
  json done = h.Finish(op.body);
  ASSERT_TRUE(done.contains("error")) << done;
  EXPECT_EQ(done["error"]["errors"][0]["code"], "QUOTA_EXCEEDED");
  EXPECT_NE(done["error"]["errors"][0]["message"].get<std::string>().find("Quota 'CPUS' exceeded"), std::string::npos);
  EXPECT_NE(done["error"]["errors"][0]["message"].get<std::string>().find("Limit: 24.0 in region us-central1."),
            std::string::npos);
  EXPECT_EQ(done["httpErrorStatusCode"], 403);
  EXPECT_EQ(h.Call("GET", h.P("zones/us-central1-b/instances/over")).status, 404);
  // Another region has its own quota.
  json eu = InstanceBody("eu-1");
  eu["machineType"] = "zones/europe-west1-b/machineTypes/e2-micro";
  EXPECT_FALSE(h.Finish(h.Call("POST", h.P("zones/europe-west1-b/instances"), eu).body).contains("error"));
  // The region reports its usage.
  json region = h.Call("GET", h.P("regions/us-central1")).body;
  EXPECT_EQ(region["quotas"][0]["metric"], "CPUS");
  EXPECT_EQ(region["quotas"][0]["usage"], 24.0);
}

TEST(GceInstances, ExhaustedZoneFailsTheOperation) {
  Options o;
  o.exhausted_zones = {"us-central1-f"};
  Harness h(o);
  json b = InstanceBody("x");
  b["machineType"] = "zones/us-central1-f/machineTypes/e2-micro";
  json done = h.Finish(h.Call("POST", h.P("zones/us-central1-f/instances"), b).body);
  ASSERT_TRUE(done.contains("error"));
  EXPECT_EQ(done["error"]["errors"][0]["code"], "ZONE_RESOURCE_POOL_EXHAUSTED");
}

TEST(GceOperations, RequestIdReturnsTheOriginalOperation) {
  Harness h;
  std::string coll = h.P(std::string(kZ) + "instances") + "?requestId=0b5ea40c-3b6b-4a0e-9d51-bd11b3a6f1a2";
  Reply first = h.Call("POST", coll, InstanceBody("idem"));
  ASSERT_EQ(first.status, 200);
  h.clock.Advance(59 * 60);
  Reply again = h.Call("POST", coll, InstanceBody("idem"));
  ASSERT_EQ(again.status, 200) << again.text;
  EXPECT_EQ(again.body["name"], first.body["name"]);
  EXPECT_EQ(again.body["status"], "DONE");
  json list = h.Call("GET", h.P(std::string(kZ) + "instances")).body;
  EXPECT_EQ(list["items"].size(), 1u);
  // Without the id the same insert conflicts.
  EXPECT_EQ(h.Call("POST", h.P(std::string(kZ) + "instances"), InstanceBody("idem")).status, 409);
  Reply bad = h.Call("POST", h.P(std::string(kZ) + "instances") + "?requestId=not-a-uuid", InstanceBody("idem2"));
  EXPECT_EQ(bad.status, 400);
}

TEST(GceOperations, GetListAndScope) {
  Harness h;
  Reply op = h.Call("POST", h.P("global/firewalls"),
                    {{"name", "fw"}, {"allowed", json::array({{{"IPProtocol", "tcp"}, {"ports", json::array({"22"})}}})}});
  ASSERT_EQ(op.status, 200) << op.text;
  EXPECT_FALSE(op.body.contains("zone"));
  std::string name = op.body["name"];
  EXPECT_EQ(h.Call("GET", h.P("global/operations/" + name)).status, 200);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "operations/" + name)).status, 404);
  json list = h.Call("GET", h.P("global/operations")).body;
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["kind"], "compute#operationList");
  h.clock.Advance(0.5);
  EXPECT_EQ(h.Call("GET", h.P("global/operations/" + name)).body["status"], "RUNNING");
  EXPECT_EQ(h.Finish(op.body)["status"], "DONE");
}

TEST(GceOperations, WaitReturnsWhenDone) {
  Harness h(Options(), 0.001, /*real_clock=*/true);
  Reply op = h.Call("POST", h.P(std::string(kZ) + "instances"), InstanceBody("w"));
  ASSERT_EQ(op.status, 200);
  Reply w = h.Call("POST", PathOf(op.body["selfLink"]) + "/wait");
  ASSERT_EQ(w.status, 200);
  EXPECT_EQ(w.body["status"], "DONE");
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instances/w")).body["status"], "RUNNING");
}

TEST(GceOperations, WaitIsBounded) {
  // Simulated time stands still, so the operation never ends; wait gives up
  // after 2 minutes scaled (0.12 s here) and answers with the operation.
  Harness h(Options(), 0.001, /*real_clock=*/false);
  h.clock.Advance(0);
  Reply op = h.Call("POST", h.P(std::string(kZ) + "instances"), InstanceBody("slow"));
  auto start = std::chrono::steady_clock::now();
  Reply w = h.Call("POST", PathOf(op.body["selfLink"]) + "/wait");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(w.status, 200);
  EXPECT_NE(w.body["status"], "DONE");
  EXPECT_GE(secs, 0.1);
  EXPECT_LT(secs, 2.0);
}

TEST(GceLists, FilterAndPagination) {
  Options o;
  o.cpus_quota = 1000;
  Harness h(o);
  std::string coll = h.P(std::string(kZ) + "instances");
  for (int i = 0; i < 7; ++i) {
    json b = InstanceBody("vm-" + std::to_string(i));
    b["labels"] = {{"env", i % 2 ? "prod" : "dev"}, {"team", "a"}};
    ASSERT_EQ(h.Call("POST", coll, b).status, 200);
  }
  auto names = [&](const std::string& query) {
    std::set<std::string> out;
    std::string token;
    int pages = 0;
    do {
      std::string t = coll + "?" + query + (token.empty() ? "" : "&pageToken=" + token);
      Reply r = h.Call("GET", t);
      EXPECT_EQ(r.status, 200) << r.text;
      for (const json& i : r.body.value("items", json::array())) out.insert(i["name"].get<std::string>());
      token = r.body.value("nextPageToken", "");
      ++pages;
    } while (!token.empty() && pages < 20);
    return std::make_pair(out, pages);
  };
  auto [prod, p1] = names("filter=labels.env%20%3D%20%22prod%22");
  EXPECT_EQ(prod, (std::set<std::string>{"vm-1", "vm-3", "vm-5"}));
  EXPECT_EQ(names("filter=labels.env%3Dprod").first.size(), 3u);
  EXPECT_EQ(names("filter=name%20%3D%20%22vm-4%22").first, (std::set<std::string>{"vm-4"}));
  EXPECT_EQ(names("filter=(labels.env%20%3D%20%22prod%22)%20(name%20%3D%20%22vm-3%22)").first,
            (std::set<std::string>{"vm-3"}));
  EXPECT_EQ(names("filter=labels.env%3Ddev%20AND%20labels.team%3Da").first.size(), 4u);
  EXPECT_EQ(names("filter=name%20ne%20%22vm-[0-4]%22").first, (std::set<std::string>{"vm-5", "vm-6"}));
  auto [all, pages] = names("maxResults=3");
  EXPECT_EQ(all.size(), 7u);
  EXPECT_EQ(pages, 3);
  auto [prod_paged, pp] = names("maxResults=2&filter=labels.env%3Dprod");
  EXPECT_EQ(prod_paged.size(), 3u);
  EXPECT_EQ(pp, 2);
  EXPECT_EQ(h.Call("GET", coll + "?filter=%3D%3D%3D").status, 400);
  EXPECT_EQ(h.Call("GET", coll + "?pageToken=garbage!").status, 400);
  EXPECT_EQ(h.Call("GET", coll + "?maxResults=501").status, 400);
}

TEST(GceGroups, ManagedInstanceGroupCreatesAndResizes) {
  Options o;
  o.cpus_quota = 100;
  Harness h(o);
  json tmpl = {{"name", "tmpl"},
               {"properties",
                {{"machineType", "e2-small"},
                 {"labels", {{"role", "web"}}},
                 {"disks", json::array({{{"boot", true},
                                         {"initializeParams", {{"sourceImage", "projects/debian-cloud/global/images/family/debian-12"}}}}})},
                 {"networkInterfaces", json::array({{{"network", "global/networks/default"}}})}}}};
  ASSERT_EQ(h.Call("POST", h.P("global/instanceTemplates"), tmpl).status, 200);
  json igm = {{"name", "grp"}, {"baseInstanceName", "web"}, {"instanceTemplate", "global/instanceTemplates/tmpl"}, {"targetSize", 3}};
  Reply op = h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers"), igm);
  ASSERT_EQ(op.status, 200) << op.text;
  EXPECT_EQ(op.body["operationType"], "compute.instanceGroupManagers.insert");
  json list = h.Call("GET", h.P(std::string(kZ) + "instances")).body;
  ASSERT_EQ(list["items"].size(), 3u);
  for (const json& i : list["items"]) {
    std::string name = i["name"];
    EXPECT_EQ(name.rfind("web-", 0), 0u);
    EXPECT_EQ(name.size(), 8u);
    EXPECT_EQ(i["labels"]["role"], "web");
  }
  json g = h.Call("GET", h.P(std::string(kZ) + "instanceGroupManagers/grp")).body;
  EXPECT_EQ(g["targetSize"], 3);
  EXPECT_EQ(g["currentActions"]["creating"], 3);
  EXPECT_EQ(g["status"]["isStable"], false);
  h.clock.Advance(60);
  g = h.Call("GET", h.P(std::string(kZ) + "instanceGroupManagers/grp")).body;
  EXPECT_EQ(g["currentActions"]["none"], 3);
  EXPECT_EQ(g["status"]["isStable"], true);
  json managed = h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers/grp/listManagedInstances")).body;
  ASSERT_EQ(managed["managedInstances"].size(), 3u);
  EXPECT_EQ(managed["managedInstances"][0]["instanceStatus"], "RUNNING");
  EXPECT_EQ(managed["managedInstances"][0]["currentAction"], "NONE");

  Reply rs = h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers/grp/resize?size=1"));
  ASSERT_EQ(rs.status, 200);
  h.Finish(rs.body);
  h.clock.Advance(60);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instances")).body["items"].size(), 1u);
  EXPECT_EQ(h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers/grp/resize")).status, 400);

  // A template in use cannot be deleted.
  Reply del = h.Call("DELETE", h.P("global/instanceTemplates/tmpl"));
  EXPECT_EQ(del.status, 400);
  EXPECT_EQ(ErrorReason(del), "resourceInUseByAnotherResource");

  // Autoscaler: raises the group to its minimum, caps resizes at its maximum.
  Reply as = h.Call("POST", h.P(std::string(kZ) + "autoscalers"),
                    {{"name", "as"},
                     {"target", h.ctx->base_url + h.P(std::string(kZ) + "instanceGroupManagers/grp")},
                     {"autoscalingPolicy", {{"minNumReplicas", 2}, {"maxNumReplicas", 4}}}});
  ASSERT_EQ(as.status, 200) << as.text;
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instanceGroupManagers/grp")).body["targetSize"], 2);
  h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers/grp/resize?size=10"));
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instanceGroupManagers/grp")).body["targetSize"], 4);
  h.clock.Advance(60);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instances")).body["items"].size(), 4u);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "autoscalers/as")).body["recommendedSize"], 4);
  std::vector<SimResource> res;
  h.api->ListResources(&res);
  std::map<std::string, int> kinds;
  for (const SimResource& r : res) kinds[r.kind]++;
  EXPECT_EQ(kinds["instance"], 4);
  EXPECT_EQ(kinds["instanceGroupManager"], 1);
  EXPECT_EQ(kinds["autoscaler"], 1);
  EXPECT_EQ(kinds["instanceTemplate"], 1);
  EXPECT_EQ(kinds.count("network"), 0u);  // the default network is not reported

  // A member deleted directly is replaced.
  std::string victim = h.Call("GET", h.P(std::string(kZ) + "instances")).body["items"][0]["name"];
  h.Finish(h.Call("DELETE", h.P(std::string(kZ) + "instances/" + victim)).body);
  h.clock.Advance(60);
  json after = h.Call("GET", h.P(std::string(kZ) + "instances")).body;
  EXPECT_EQ(after["items"].size(), 4u);
  for (const json& i : after["items"]) EXPECT_NE(i["name"], victim);

  // Deleting the group (after its autoscaler) deletes its instances.
  EXPECT_EQ(h.Call("DELETE", h.P(std::string(kZ) + "instanceGroupManagers/grp")).status, 400);
  h.Finish(h.Call("DELETE", h.P(std::string(kZ) + "autoscalers/as")).body);
  h.Finish(h.Call("DELETE", h.P(std::string(kZ) + "instanceGroupManagers/grp")).body);
  h.clock.Advance(60);
  EXPECT_FALSE(h.Call("GET", h.P(std::string(kZ) + "instances")).body.contains("items"));
  EXPECT_EQ(h.Call("DELETE", h.P("global/instanceTemplates/tmpl")).status, 200);
}

TEST(GceGroups, RegionalGroupSpreadsAcrossZonesAndHitsQuota) {
  Harness h;  // 24 CPUS: 12 e2-small instances fit.
  json tmpl = {{"name", "t"},
               {"properties",
                {{"machineType", "e2-small"},
                 {"disks", json::array({{{"boot", true},
                                         {"initializeParams", {{"sourceImage", "projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts"}}}}})},
                 {"networkInterfaces", json::array({{{"network", "global/networks/default"}}})}}}};
  ASSERT_EQ(h.Call("POST", h.P("global/instanceTemplates"), tmpl).status, 200);
  Reply op = h.Call("POST", h.P(std::string(kR) + "instanceGroupManagers"),
                    {{"name", "rg"}, {"baseInstanceName", "rg"}, {"instanceTemplate", "global/instanceTemplates/t"}, {"targetSize", 14}});
  ASSERT_EQ(op.status, 200) << op.text;
  std::set<std::string> zones;
  int total = 0;
  for (const char* z : {"us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"}) {
    json l = h.Call("GET", h.P(std::string("zones/") + z + "/instances")).body;
    int n = static_cast<int>(l.value("items", json::array()).size());
    if (n) zones.insert(z);
    total += n;
  }
  EXPECT_EQ(total, 12);
  EXPECT_EQ(zones.size(), 4u);
  json managed = h.Call("POST", h.P(std::string(kR) + "instanceGroupManagers/rg/listManagedInstances")).body;
  ASSERT_EQ(managed["managedInstances"].size(), 14u);
  int failed = 0;
  for (const json& m : managed["managedInstances"]) {
    if (m.contains("lastAttempt")) {
      ++failed;
      EXPECT_EQ(m["lastAttempt"]["errors"]["errors"][0]["code"], "QUOTA_EXCEEDED");
    }
  }
  EXPECT_EQ(failed, 2);
}

TEST(GceNetworks, SubnetsFirewallsAndInUse) {
  Harness h;
  ASSERT_EQ(h.Call("POST", h.P("global/networks"), {{"name", "vpc"}, {"autoCreateSubnetworks", false}}).status, 200);
  Reply sub = h.Call("POST", h.P(std::string(kR) + "subnetworks"),
                     {{"name", "s1"}, {"network", "global/networks/vpc"}, {"ipCidrRange", "10.10.0.0/24"}});
  ASSERT_EQ(sub.status, 200) << sub.text;
  Reply overlap = h.Call("POST", h.P("regions/europe-west1/subnetworks"),
                         {{"name", "s2"}, {"network", "global/networks/vpc"}, {"ipCidrRange", "10.10.0.128/25"}});
  EXPECT_EQ(overlap.status, 400);
  EXPECT_NE(overlap.text.find("conflicts with existing subnetwork 's1'"), std::string::npos) << overlap.text;
  EXPECT_EQ(h.Call("POST", h.P(std::string(kR) + "subnetworks"), {{"name", "s3"}, {"network", "global/networks/vpc"}}).status, 400);
  EXPECT_EQ(h.Call("POST", h.P(std::string(kR) + "subnetworks"),
                   {{"name", "s4"}, {"network", "global/networks/none"}, {"ipCidrRange", "10.11.0.0/24"}}).status, 404);
  json net = h.Call("GET", h.P("global/networks/vpc")).body;
  ASSERT_EQ(net["subnetworks"].size(), 1u);

  // Custom-mode network without a subnetwork in the instance's region.
  json b = InstanceBody("i1");
  b["networkInterfaces"][0]["network"] = "global/networks/vpc";
  b["machineType"] = "zones/europe-west1-b/machineTypes/e2-micro";
  EXPECT_EQ(h.Call("POST", h.P("zones/europe-west1-b/instances"), b).status, 400);
  b["machineType"] = std::string(kZ) + "machineTypes/e2-micro";
  Reply ok = h.Call("POST", h.P(std::string(kZ) + "instances"), b);
  ASSERT_EQ(ok.status, 200) << ok.text;
  json inst = h.Call("GET", h.P(std::string(kZ) + "instances/i1")).body;
  EXPECT_EQ(inst["networkInterfaces"][0]["networkIP"], "10.10.0.2");

  Reply fw = h.Call("POST", h.P("global/firewalls"),
                    {{"name", "allow-ssh"}, {"network", "global/networks/vpc"},
                     {"allowed", json::array({{{"IPProtocol", "tcp"}, {"ports", json::array({"22"})}}})}});
  ASSERT_EQ(fw.status, 200) << fw.text;
  json fwj = h.Call("GET", h.P("global/firewalls/allow-ssh")).body;
  EXPECT_EQ(fwj["sourceRanges"][0], "0.0.0.0/0");
  EXPECT_EQ(fwj["priority"], 1000);
  EXPECT_EQ(fwj["direction"], "INGRESS");
  EXPECT_EQ(h.Call("POST", h.P("global/firewalls"), {{"name", "neither"}}).status, 400);

  Reply in_use = h.Call("DELETE", h.P("global/networks/vpc"));
  EXPECT_EQ(in_use.status, 400);
  EXPECT_EQ(ErrorReason(in_use), "resourceInUseByAnotherResource");

  // An auto-mode network gets a subnetwork per region and deletes them with it.
  h.Finish(h.Call("POST", h.P("global/networks"), {{"name", "auto"}, {"autoCreateSubnetworks", true}}).body);
  EXPECT_EQ(h.Call("GET", h.P("regions/europe-west1/subnetworks/auto")).status, 200);
  h.Finish(h.Call("DELETE", h.P("global/networks/auto")).body);
  h.clock.Advance(60);
  EXPECT_EQ(h.Call("GET", h.P("regions/europe-west1/subnetworks/auto")).status, 404);
}

TEST(GceLoadBalancing, AddressesRulesPoolsHealthChecks) {
  Harness h;
  ASSERT_EQ(h.Call("POST", h.P(std::string(kR) + "addresses"), {{"name", "ip1"}, {"labels", {{"a", "b"}}}}).status, 200);
  json addr = h.Call("GET", h.P(std::string(kR) + "addresses/ip1")).body;
  EXPECT_EQ(addr["status"], "RESERVED");
  std::string ip = addr["address"];

  json b = InstanceBody("n1");
  b["networkInterfaces"][0]["accessConfigs"][0]["natIP"] = ip;
  ASSERT_EQ(h.Call("POST", h.P(std::string(kZ) + "instances"), b).status, 200);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kR) + "addresses/ip1")).body["status"], "IN_USE");
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instances/n1")).body["networkInterfaces"][0]["accessConfigs"][0]["natIP"], ip);
  EXPECT_EQ(h.Call("DELETE", h.P(std::string(kR) + "addresses/ip1")).status, 400);

  ASSERT_EQ(h.Call("POST", h.P("global/httpHealthChecks"), {{"name", "hc"}}).status, 200);
  json hc = h.Call("GET", h.P("global/httpHealthChecks/hc")).body;
  EXPECT_EQ(hc["port"], 80);
  EXPECT_EQ(hc["requestPath"], "/");
  ASSERT_EQ(h.Call("POST", h.P("global/healthChecks"), {{"name", "hc2"}, {"type", "HTTP"}}).status, 200);
  EXPECT_EQ(h.Call("GET", h.P("global/healthChecks/hc2")).body["httpHealthCheck"]["port"], 80);
  EXPECT_EQ(h.Call("POST", h.P("global/healthChecks"), {{"name", "hc3"}}).status, 400);

  Reply tp = h.Call("POST", h.P(std::string(kR) + "targetPools"),
                    {{"name", "pool"}, {"healthChecks", json::array({"global/httpHealthChecks/hc"})}});
  ASSERT_EQ(tp.status, 200) << tp.text;
  std::string inst_url = h.ctx->base_url + h.P(std::string(kZ) + "instances/n1");
  Reply add = h.Call("POST", h.P(std::string(kR) + "targetPools/pool/addInstance"),
                     {{"instances", json::array({{{"instance", inst_url}}})}});
  ASSERT_EQ(add.status, 200) << add.text;
  EXPECT_EQ(add.body["operationType"], "addInstance");
  EXPECT_EQ(h.Call("GET", h.P(std::string(kR) + "targetPools/pool")).body["instances"][0], inst_url);
  EXPECT_EQ(h.Call("POST", h.P(std::string(kR) + "targetPools/pool/addInstance"),
                   {{"instances", json::array({{{"instance", "zones/us-central1-a/instances/ghost"}}})}}).status, 404);
  ASSERT_EQ(h.Call("POST", h.P(std::string(kR) + "targetPools/pool/removeInstance"),
                   {{"instances", json::array({{{"instance", inst_url}}})}}).status, 200);
  EXPECT_TRUE(h.Call("GET", h.P(std::string(kR) + "targetPools/pool")).body["instances"].empty());

  Reply fr = h.Call("POST", h.P(std::string(kR) + "forwardingRules"),
                    {{"name", "fr"}, {"target", "regions/us-central1/targetPools/pool"}, {"portRange", "80"}});
  ASSERT_EQ(fr.status, 200) << fr.text;
  json frj = h.Call("GET", h.P(std::string(kR) + "forwardingRules/fr")).body;
  EXPECT_EQ(frj["portRange"], "80-80");
  EXPECT_EQ(frj["IPProtocol"], "TCP");
  EXPECT_TRUE(frj["IPAddress"].is_string());
  EXPECT_EQ(ErrorReason(h.Call("DELETE", h.P(std::string(kR) + "targetPools/pool"))), "resourceInUseByAnotherResource");
  EXPECT_EQ(h.Call("POST", h.P(std::string(kR) + "forwardingRules"),
                   {{"name", "fr2"}, {"target", "regions/us-central1/targetPools/none"}}).status, 404);
}

// instances.setTags: optimistic locking by the tags fingerprint.
TEST(GceInstances, SetTagsNeedsTheCurrentFingerprintAndReplacesTheItems) {
  Harness h;
  json body = InstanceBody("tagged");
  body["tags"] = {{"items", {"web"}}};
  h.Finish(h.Call("POST", h.P(std::string(kZ) + "instances"), body).body);
  const std::string path = h.P(std::string(kZ) + "instances/tagged");
  json tags = h.Call("GET", path).body["tags"];
  EXPECT_EQ(tags["items"], json({"web"}));
  const std::string fp = tags["fingerprint"];
  Reply stale = h.Call("POST", path + "/setTags", {{"fingerprint", "bm90IGl0"}, {"items", {"web", "db"}}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(ErrorReason(stale), "conditionNotMet");
  EXPECT_EQ(h.Call("POST", path + "/setTags", {{"items", {"db"}}}).status, 412);  // no fingerprint
  EXPECT_EQ(h.Call("POST", path + "/setTags", {{"fingerprint", fp}, {"items", {"Not_A_Tag"}}}).status, 400);
  Reply op = h.Call("POST", path + "/setTags", {{"fingerprint", fp}, {"items", json::array()}});
  ASSERT_EQ(op.status, 200) << op.text;
  EXPECT_EQ(op.body["operationType"], "setTags");
  EXPECT_EQ(h.Finish(op.body)["status"], "DONE");
  json now = h.Call("GET", path).body["tags"];
  EXPECT_FALSE(now.contains("items"));
  EXPECT_NE(now["fingerprint"], fp);
  EXPECT_EQ(h.Call("POST", path + "/setTags", {{"fingerprint", fp}, {"items", {"web"}}}).status, 412);
  ASSERT_EQ(h.Call("POST", path + "/setTags", {{"fingerprint", now["fingerprint"]}, {"items", {"web", "db"}}}).status, 200);
  EXPECT_EQ(h.Call("GET", path).body["tags"]["items"], json({"web", "db"}));
}

// addAccessConfig/deleteAccessConfig: one access config per interface; a
// static address is IN_USE while an access config carries it.
TEST(GceInstances, AccessConfigsMoveAStaticAddressOnAndOff) {
  Harness h;
  h.Finish(h.Call("POST", h.P(std::string(kZ) + "instances"), InstanceBody("vm")).body);
  const std::string path = h.P(std::string(kZ) + "instances/vm");
  json ac = h.Call("GET", path).body["networkInterfaces"][0]["accessConfigs"][0];
  const std::string ephemeral = ac["natIP"];
  EXPECT_EQ(ac["name"], "External NAT");
  // Promoting the ephemeral IP makes a static address in use by the instance.
  h.Finish(h.Call("POST", h.P(std::string(kR) + "addresses"), {{"name", "keep"}, {"address", ephemeral}}).body);
  json addr = h.Call("GET", h.P(std::string(kR) + "addresses/keep")).body;
  EXPECT_EQ(addr["status"], "IN_USE");
  EXPECT_EQ(addr["users"], json({h.ctx->base_url + path}));

  const std::string del = path + "/deleteAccessConfig?accessConfig=External%20NAT&networkInterface=nic0";
  EXPECT_EQ(ErrorReason(h.Call("POST", path + "/deleteAccessConfig?networkInterface=nic0")), "required");
  EXPECT_EQ(ErrorReason(h.Call("POST", path + "/deleteAccessConfig?accessConfig=External%20NAT")), "required");
  EXPECT_EQ(h.Call("POST", path + "/deleteAccessConfig?accessConfig=nope&networkInterface=nic0").status, 400);
  EXPECT_EQ(h.Call("POST", path + "/deleteAccessConfig?accessConfig=External%20NAT&networkInterface=nic7").status, 400);
  Reply op = h.Call("POST", del);
  ASSERT_EQ(op.status, 200) << op.text;
  EXPECT_EQ(op.body["operationType"], "deleteAccessConfig");
  h.Finish(op.body);
  EXPECT_FALSE(h.Call("GET", path).body["networkInterfaces"][0].contains("accessConfigs"));
  addr = h.Call("GET", h.P(std::string(kR) + "addresses/keep")).body;
  EXPECT_EQ(addr["status"], "RESERVED");
  EXPECT_FALSE(addr.contains("users"));
  EXPECT_EQ(h.Call("POST", del).status, 400);  // gone already

  const std::string add = path + "/addAccessConfig?networkInterface=nic0";
  EXPECT_EQ(ErrorReason(h.Call("POST", path + "/addAccessConfig", {{"natIP", ephemeral}})), "required");
  EXPECT_EQ(h.Call("POST", add, {{"natIP", "203.0.113.9"}}).status, 400);  // no such address
  op = h.Call("POST", add, {{"type", "ONE_TO_ONE_NAT"}, {"name", "External NAT"}, {"natIP", ephemeral}});
  ASSERT_EQ(op.status, 200) << op.text;
  EXPECT_EQ(op.body["operationType"], "addAccessConfig");
  h.Finish(op.body);
  EXPECT_EQ(h.Call("GET", path).body["networkInterfaces"][0]["accessConfigs"][0]["natIP"], ephemeral);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kR) + "addresses/keep")).body["status"], "IN_USE");
  // One access config per interface, and an address in use cannot go on another instance.
  Reply second = h.Call("POST", add, {{"name", "other"}});
  EXPECT_EQ(second.status, 400);
  EXPECT_NE(second.text.find("At most one access config"), std::string::npos) << second.text;
  json other = InstanceBody("vm2");
  other["networkInterfaces"][0].erase("accessConfigs");
  h.Finish(h.Call("POST", h.P(std::string(kZ) + "instances"), other).body);
  Reply taken = h.Call("POST", h.P(std::string(kZ) + "instances/vm2/addAccessConfig?networkInterface=nic0"),
                       {{"natIP", ephemeral}});
  EXPECT_EQ(taken.status, 400);
  EXPECT_NE(taken.text.find("already in use"), std::string::npos) << taken.text;
  // Without natIP: an ephemeral IP, no address involved.
  ASSERT_EQ(h.Call("POST", h.P(std::string(kZ) + "instances/vm2/addAccessConfig?networkInterface=nic0"), json::object()).status, 200);
  EXPECT_TRUE(h.Call("GET", h.P(std::string(kZ) + "instances/vm2")).body["networkInterfaces"][0]["accessConfigs"][0]["natIP"].is_string());
  // The instance deleted: its static address is RESERVED again.
  h.Finish(h.Call("DELETE", path).body);
  h.clock.Advance(60);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kR) + "addresses/keep")).body["status"], "RESERVED");
}

// A forwarding rule deleted frees its address; one inserted again uses it.
TEST(GceLoadBalancing, AForwardingRuleDeletedAndInsertedAgainKeepsItsAddress) {
  Harness h;
  h.Finish(h.Call("POST", h.P(std::string(kR) + "addresses"), {{"name", "lb"}}).body);
  const std::string ip = h.Call("GET", h.P(std::string(kR) + "addresses/lb")).body["address"];
  h.Finish(h.Call("POST", h.P("global/httpHealthChecks"), {{"name", "lb"}}).body);
  h.Finish(h.Call("POST", h.P(std::string(kR) + "targetPools"),
                  {{"name", "lb"}, {"healthChecks", json::array({"global/httpHealthChecks/lb"})}}).body);
  const json rule = {{"name", "lb"}, {"IPAddress", ip}, {"portRange", "8080"}, {"target", "regions/us-central1/targetPools/lb"}};
  h.Finish(h.Call("POST", h.P(std::string(kR) + "forwardingRules"), rule).body);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kR) + "addresses/lb")).body["status"], "IN_USE");
  Reply del = h.Call("DELETE", h.P(std::string(kR) + "forwardingRules/lb"));
  ASSERT_EQ(del.status, 200) << del.text;
  h.Finish(del.body);
  h.clock.Advance(60);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kR) + "forwardingRules/lb")).status, 404);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kR) + "addresses/lb")).body["status"], "RESERVED");
  EXPECT_EQ(h.Call("GET", h.P(std::string(kR) + "targetPools/lb")).status, 200);  // the pool stays
  Reply again = h.Call("POST", h.P(std::string(kR) + "forwardingRules"), rule);
  ASSERT_EQ(again.status, 200) << again.text;
  h.Finish(again.body);
  json fr = h.Call("GET", h.P(std::string(kR) + "forwardingRules/lb")).body;
  EXPECT_EQ(fr["IPAddress"], ip);
  EXPECT_EQ(fr["portRange"], "8080-8080");
  EXPECT_EQ(h.Call("GET", h.P(std::string(kR) + "addresses/lb")).body["status"], "IN_USE");
}

TEST(GceCatalog, ZonesRegionsMachineTypesImages) {
  Harness h;
  EXPECT_EQ(h.Call("GET", h.P("zones")).body["items"].size(), 7u);
  json regions = h.Call("GET", h.P("regions")).body;
  ASSERT_EQ(regions["items"].size(), 2u);
  json mts = h.Call("GET", h.P("zones/europe-west1-d/machineTypes")).body;
  ASSERT_EQ(mts["items"].size(), 6u);
  json n2 = h.Call("GET", h.P("zones/europe-west1-d/machineTypes/n2-standard-4")).body;
  EXPECT_EQ(n2["guestCpus"], 4);
  EXPECT_EQ(n2["memoryMb"], 16384);
  EXPECT_EQ(n2["zone"], "europe-west1-d");
  EXPECT_EQ(h.Call("GET", h.P("zones/europe-west1-d/machineTypes/n1-standard-1")).status, 404);
  json fam = h.Call("GET", "/compute/v1/projects/debian-cloud/global/images/family/debian-12").body;
  EXPECT_EQ(fam["name"], "debian-12-bookworm-v20231115");
  Reply missing = h.Call("GET", "/compute/v1/projects/debian-cloud/global/images/family/coreos-stable");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"]["message"],
            "The resource 'projects/debian-cloud/global/images/family/coreos-stable' was not found");
  EXPECT_EQ(h.Call("GET", "/compute/v1/projects/debian-cloud/global/images").body["items"].size(), 3u);
  EXPECT_EQ(h.Call("GET", "/compute/v1/projects/debian-cloud/zones/us-central1-a/instances").status, 403);
}

TEST(GceApiMisc, AuthRateLimitSaveLoadReset) {
  Options o;
  o.requests_per_minute = 5;
  Harness h(o);
  std::string zones = h.P("zones");
  std::string saved_token = h.token;
  h.token = "";
  Reply r = h.Call("GET", zones);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"]["errors"][0]["reason"], "required");
  h.token = "ya29.bogus";
  r = h.Call("GET", zones);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"]["errors"][0]["reason"], "authError");
  EXPECT_EQ(r.body["error"]["status"], "UNAUTHENTICATED");
  h.token = saved_token;
  int ok = 0, limited = 0;
  for (int i = 0; i < 8; ++i) {
    Reply x = h.Call("GET", zones);
    if (x.status == 200) ++ok;
    if (x.status == 403) {
      ++limited;
      EXPECT_EQ(x.body["error"]["errors"][0]["reason"], "rateLimitExceeded");
      EXPECT_EQ(x.body["error"]["errors"][0]["domain"], "usageLimits");
    }
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(limited, 3);
  h.clock.Advance(61);
  EXPECT_EQ(h.Call("POST", h.P(std::string(kZ) + "instances"), InstanceBody("keep")).status, 200);

  json saved = h.api->Save();
  std::vector<SimResource> res;
  h.api->ListResources(&res);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].kind, "instance");
  EXPECT_EQ(res[0].status, "PROVISIONING");
  h.api->Reset();
  h.clock.Advance(61);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instances/keep")).status, 404);
  h.ctx->base_url = "http://127.0.0.1:9999";
  h.api->Load(saved);
  Reply back = h.Call("GET", h.P(std::string(kZ) + "instances/keep"));
  ASSERT_EQ(back.status, 200);
  EXPECT_EQ(back.body["selfLink"], "http://127.0.0.1:9999" + h.P(std::string(kZ) + "instances/keep"));
  EXPECT_EQ(h.api->QuotaError(HttpRequest()).status, 403);
  EXPECT_EQ(json::parse(h.api->QuotaError(HttpRequest()).body)["error"]["errors"][0]["reason"], "quotaExceeded");
  EXPECT_EQ(h.api->ServerError(HttpRequest(), 503).status, 503);
}

namespace cloudsim::gce::testing {
namespace {

// 1,000 live instances: gets and paged or filtered lists stay cheap.
TEST(GcePerformance, ThousandInstances) {
  Options o;
  o.cpus_quota = 100000;
  o.requests_per_minute = 0;
  Harness h(o, 0.0);
  std::string coll = h.P(std::string(kZ) + "instances");
  for (int i = 0; i < 1000; ++i) {
    json b = InstanceBody("vm-" + std::to_string(i));
    b["labels"] = {{"shard", "s" + std::to_string(i % 50)}};
    ASSERT_EQ(h.Call("POST", coll, b).status, 200);
  }
  // CPU time of this thread: the machine running the tests may be busy.
  auto cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
  };
  const int kRounds = 300;
  double t0 = cpu();
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_EQ(h.Call("GET", coll + "/vm-" + std::to_string(i)).status, 200);
  }
  double t1 = cpu();
  for (int i = 0; i < kRounds; ++i) {
    Reply page = h.Call("GET", coll + "?maxResults=20");
    EXPECT_EQ(page.body["items"].size(), 20u);
  }
  double t2 = cpu();
  for (int i = 0; i < kRounds; ++i) {
    Reply f = h.Call("GET", coll + "?filter=labels.shard%3Ds7");
    EXPECT_EQ(f.body["items"].size(), 20u);
  }
  double t3 = cpu();
  std::printf("GcePerformance (1,000 instances, CPU time, client parsing included): get %.0f req/s, "
              "list of 20 %.0f req/s, filtered list %.0f req/s\n",
              kRounds / (t1 - t0), kRounds / (t2 - t1), kRounds / (t3 - t2));
  // Loose floors: a regression guard, not a benchmark (the figures above are).
  // AddressSanitizer (-DORCH_SANITIZE=ON) makes the same code 2-4 times slower.
#ifdef __SANITIZE_ADDRESS__
  const double kSlowdown = 4;
#else
  const double kSlowdown = 1;
#endif
  EXPECT_GT(kRounds / (t1 - t0), 2000 / kSlowdown);
  EXPECT_GT(kRounds / (t2 - t1), 150 / kSlowdown);
  EXPECT_GT(kRounds / (t3 - t2), 80 / kSlowdown);
}

}  // namespace
}  // namespace cloudsim::gce::testing

namespace cloudsim::gce::testing {
namespace {

TEST(GceGroups, AutoscalerPatchMovesTheBounds) {
  Harness h;
  json tmpl = {{"name", "t"},
               {"properties",
                {{"machineType", "e2-micro"},
                 {"disks", json::array({{{"boot", true},
                                         {"initializeParams", {{"sourceImage", "projects/debian-cloud/global/images/family/debian-11"}}}}})},
                 {"networkInterfaces", json::array({{{"network", "global/networks/default"}}})}}}};
  ASSERT_EQ(h.Call("POST", h.P("global/instanceTemplates"), tmpl).status, 200);
  ASSERT_EQ(h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers"),
                   {{"name", "g"}, {"baseInstanceName", "g"}, {"instanceTemplate", "global/instanceTemplates/t"}, {"targetSize", 0}})
                .status, 200);
  ASSERT_EQ(h.Call("POST", h.P(std::string(kZ) + "autoscalers"),
                   {{"name", "a"}, {"target", "zones/us-central1-a/instanceGroupManagers/g"},
                    {"autoscalingPolicy", {{"minNumReplicas", 1}, {"maxNumReplicas", 3}}}})
                .status, 200);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instanceGroupManagers/g")).body["targetSize"], 1);
  Reply patch = h.Call("PATCH", h.P(std::string(kZ) + "autoscalers?autoscaler=a"),
                       {{"autoscalingPolicy", {{"minNumReplicas", 2}}}});
  ASSERT_EQ(patch.status, 200) << patch.text;
  EXPECT_EQ(patch.body["operationType"], "compute.autoscalers.patch");
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "instanceGroupManagers/g")).body["targetSize"], 2);
  EXPECT_EQ(h.Call("GET", h.P(std::string(kZ) + "autoscalers/a")).body["autoscalingPolicy"]["maxNumReplicas"], 3);
  EXPECT_EQ(h.Call("PATCH", h.P(std::string(kZ) + "autoscalers?autoscaler=a"),
                   {{"autoscalingPolicy", {{"minNumReplicas", 5}}}}).status, 400);
  EXPECT_EQ(h.Call("PATCH", h.P(std::string(kZ) + "autoscalers?autoscaler=nope"), json::object()).status, 404);
}

}  // namespace
}  // namespace cloudsim::gce::testing

TEST(GceNetworks, FirewallPatchMergesAndKeepsNameNetworkDirection) {
  Harness h;
  h.Finish(h.Call("POST", h.P("global/networks"), {{"name", "vpc"}, {"autoCreateSubnetworks", false}}).body);
  ASSERT_EQ(h.Call("POST", h.P("global/firewalls"),
                   {{"name", "fw"}, {"network", "global/networks/vpc"}, {"sourceRanges", json::array({"10.0.0.0/8"})},
                    {"targetTags", json::array({"web"})},
                    {"allowed", json::array({{{"IPProtocol", "tcp"}, {"ports", json::array({"22"})}}})}})
                .status,
            200);
  Reply patch = h.Call("PATCH", h.P("global/firewalls/fw"), {{"sourceRanges", json::array({"192.168.0.0/16"})}});
  ASSERT_EQ(patch.status, 200) << patch.text;
  EXPECT_EQ(patch.body["operationType"], "patch");
  json fw = h.Call("GET", h.P("global/firewalls/fw")).body;
  EXPECT_EQ(fw["sourceRanges"], json::array({"192.168.0.0/16"}));
  EXPECT_EQ(fw["targetTags"], json::array({"web"}));  // fields not in the patch stay
  EXPECT_EQ(fw["allowed"][0]["ports"], json::array({"22"}));
  // null removes a field.
  ASSERT_EQ(h.Call("PATCH", h.P("global/firewalls/fw"), {{"targetTags", nullptr}}).status, 200);
  EXPECT_FALSE(h.Call("GET", h.P("global/firewalls/fw")).body.contains("targetTags"));
  // What cannot change, and what an insert would refuse.
  EXPECT_EQ(h.Call("PATCH", h.P("global/firewalls/fw"), {{"name", "other"}}).status, 400);
  EXPECT_EQ(h.Call("PATCH", h.P("global/firewalls/fw"), {{"network", "global/networks/default"}}).status, 400);
  EXPECT_EQ(h.Call("PATCH", h.P("global/firewalls/fw"), {{"direction", "EGRESS"}}).status, 400);
  EXPECT_EQ(h.Call("PATCH", h.P("global/firewalls/fw"), {{"denied", json::array({{{"IPProtocol", "tcp"}}})}}).status,
            400);
  EXPECT_EQ(h.Call("PATCH", h.P("global/firewalls/fw"), {{"bogus", 1}}).status, 400);
  EXPECT_EQ(h.Call("PATCH", h.P("global/firewalls/none"), {{"sourceRanges", json::array({"1.2.3.0/24"})}}).status, 404);
  // The name may be repeated.
  EXPECT_EQ(h.Call("PATCH", h.P("global/firewalls/fw"), {{"name", "fw"}, {"priority", 900}}).status, 200);
  EXPECT_EQ(h.Call("GET", h.P("global/firewalls/fw")).body["priority"], 900);
}

TEST(GceGroups, MembersJoinAndLeaveTheGroupsTargetPools) {
  Harness h;
  json tmpl = {{"name", "tmpl"},
               {"properties",
                {{"machineType", "e2-small"},
                 {"disks", json::array({{{"boot", true},
                                         {"initializeParams", {{"sourceImage", "projects/debian-cloud/global/images/family/debian-12"}}}}})},
                 {"networkInterfaces", json::array({{{"network", "global/networks/default"}}})}}}};
  ASSERT_EQ(h.Call("POST", h.P("global/instanceTemplates"), tmpl).status, 200);
  ASSERT_EQ(h.Call("POST", h.P(std::string(kR) + "targetPools"), {{"name", "pool"}}).status, 200);
  ASSERT_EQ(h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers"),
                   {{"name", "grp"}, {"baseInstanceName", "web"}, {"instanceTemplate", "global/instanceTemplates/tmpl"},
                    {"targetSize", 2}})
                .status,
            200);
  auto pool = [&] { return h.Call("GET", h.P(std::string(kR) + "targetPools/pool")).body["instances"]; };
  EXPECT_TRUE(pool().empty());
  json g = h.Call("GET", h.P(std::string(kZ) + "instanceGroupManagers/grp")).body;
  ASSERT_EQ(h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers/grp/setTargetPools"),
                   {{"targetPools", json::array({"regions/us-central1/targetPools/pool"})}, {"fingerprint", g["fingerprint"]}})
                .status,
            200);
  ASSERT_EQ(pool().size(), 2u);
  // A new member joins; a removed one leaves.
  ASSERT_EQ(h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers/grp/resize?size=3"), json::object()).status, 200);
  ASSERT_EQ(pool().size(), 3u);
  std::string first = pool()[0];
  ASSERT_EQ(h.Call("POST", h.P(std::string(kR) + "targetPools/pool/removeInstance"),
                   {{"instances", json::array({{{"instance", first}}})}})
                .status,
            200);
  EXPECT_EQ(pool().size(), 2u);  // the group does not put it back
  ASSERT_EQ(h.Call("POST", h.P(std::string(kR) + "targetPools/pool/addInstance"),
                   {{"instances", json::array({{{"instance", first}}})}})
                .status,
            200);
  EXPECT_EQ(pool().size(), 3u);
  g = h.Call("GET", h.P(std::string(kZ) + "instanceGroupManagers/grp")).body;
  ASSERT_EQ(h.Call("POST", h.P(std::string(kZ) + "instanceGroupManagers/grp/setTargetPools"),
                   {{"targetPools", json::array()}, {"fingerprint", g["fingerprint"]}})
                .status,
            200);
  EXPECT_TRUE(pool().empty());
}


TEST(GceLoadBalancing, HttpHealthCheckPatchMergesAndValidates) {
  Harness h;
  ASSERT_EQ(h.Call("POST", h.P("global/httpHealthChecks"), {{"name", "hc"}, {"port", 8080}, {"requestPath", "/health"}}).status,
            200);
  Reply patch = h.Call("PATCH", h.P("global/httpHealthChecks/hc"), {{"requestPath", "/other"}});
  ASSERT_EQ(patch.status, 200) << patch.text;
  EXPECT_EQ(patch.body["operationType"], "patch");
  json hc = h.Call("GET", h.P("global/httpHealthChecks/hc")).body;
  EXPECT_EQ(hc["requestPath"], "/other");
  EXPECT_EQ(hc["port"], 8080);
  EXPECT_EQ(h.Call("PATCH", h.P("global/httpHealthChecks/hc"), {{"timeoutSec", 60}}).status, 400);  // > interval
  EXPECT_EQ(h.Call("PATCH", h.P("global/httpHealthChecks/hc"), {{"name", "x"}}).status, 400);
  EXPECT_EQ(h.Call("PATCH", h.P("global/httpHealthChecks/hc"), {{"bogus", 1}}).status, 400);
  EXPECT_EQ(h.Call("PATCH", h.P("global/httpHealthChecks/none"), {{"port", 81}}).status, 404);
  EXPECT_EQ(h.Call("GET", h.P("global/httpHealthChecks/hc")).body["requestPath"], "/other");
}

}  // namespace
}  // namespace cloudsim::gce::testing
