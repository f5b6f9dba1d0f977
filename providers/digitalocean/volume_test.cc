// volume.cc
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "providers/digitalocean/test_fixture.h"

namespace orch::providers::digitalocean {
namespace {

using namespace test;  // NOLINT: the fixture's helpers
using nlohmann::json;

TEST_F(DoProviderTest, VolumeGrowsWithAResizeAction) {
  model::Resource v;
  v.address = *model::Address::Parse("db.volume.data[0]");
  v.attributes = {{"size_gb", 200}, {"region", "nyc3"}, {"instance_id", "42"}};
  state::ResourceState prior;
  prior.id = "vol-1";
  prior.cloud_name = "demo-db-data-0";
  prior.attributes = v.attributes;
  prior.attributes["size_gb"] = 100;
  transport_.ExpectReply("GET", std::string(kBase) + "/volumes/vol-1", 200, R"({"volume":{"id":"vol-1","size_gigabytes":100}})");
  transport_.ExpectReset("POST", std::string(kBase) + "/volumes/vol-1/actions");  // lost, not applied
  transport_.ExpectReply("GET", std::string(kBase) + "/volumes/vol-1", 200, R"({"volume":{"id":"vol-1","size_gigabytes":100}})");
  transport_.ExpectReply("POST", std::string(kBase) + "/volumes/vol-1/actions", 201, R"({"action":{"id":5,"status":"in-progress"}})");
  transport_.ExpectReply("GET", std::string(kBase) + "/actions/5", 200, R"({"action":{"id":5,"status":"completed"}})");
  transport_.ExpectReply("GET", std::string(kBase) + "/volumes/vol-1", 200, R"({"volume":{"id":"vol-1","size_gigabytes":200}})");
  auto r = provider_->Update(v, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  json resize = json::parse(transport_.Requests()[3].body);
  EXPECT_EQ(resize["type"], "resize");
  EXPECT_EQ(resize["size_gigabytes"], 200);
  EXPECT_EQ(resize["region"], "nyc3");
  EXPECT_EQ(transport_.Remaining(), 0u);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(DoProviderTest, VolumeOfAReplacedDropletIsMovedNotReplaced) {
  model::Resource v;
  v.address = *model::Address::Parse("db.volume.data[0]");
  v.attributes = {{"size_gb", 100}, {"region", "nyc3"}, {"instance_id", "43"}};
  state::ResourceState prior;
  prior.id = "vol-1";
  prior.cloud_name = "demo-db-data-0";
  prior.attributes = v.attributes;
  prior.attributes["instance_id"] = "42";
  const std::string vol = std::string(kBase) + "/volumes/vol-1";
  // Still on the old droplet: detach it, then attach to the new one.
  transport_.ExpectReply("GET", vol, 200, R"({"volume":{"id":"vol-1","droplet_ids":[42],"region":{"slug":"nyc3"},"size_gigabytes":100}})");
  transport_.ExpectReply("POST", vol + "/actions", 201, R"({"action":{"id":6,"status":"in-progress"}})");
  transport_.ExpectReply("GET", std::string(kBase) + "/actions/6", 200, R"({"action":{"id":6,"status":"completed"}})");
  transport_.ExpectReply("GET", vol, 200, R"({"volume":{"id":"vol-1","droplet_ids":[],"region":{"slug":"nyc3"},"size_gigabytes":100}})");
  transport_.ExpectReply("GET", vol, 200, R"({"volume":{"id":"vol-1","droplet_ids":[],"size_gigabytes":100}})");
  transport_.ExpectReply("POST", vol + "/actions", 201, R"({"action":{"id":7,"status":"in-progress"}})");
  transport_.ExpectReply("GET", std::string(kBase) + "/actions/7", 200, R"({"action":{"id":7,"status":"completed"}})");
  transport_.ExpectReply("GET", vol, 200, R"({"volume":{"id":"vol-1","droplet_ids":[43],"size_gigabytes":100}})");
  auto r = provider_->Update(v, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "vol-1");
  auto reqs = transport_.Requests();
  EXPECT_EQ(json::parse(reqs[1].body)["type"], "detach");
  EXPECT_EQ(json::parse(reqs[1].body)["droplet_id"], 42);
  EXPECT_EQ(json::parse(reqs[5].body)["type"], "attach");
  EXPECT_EQ(json::parse(reqs[5].body)["droplet_id"], 43);
  EXPECT_EQ(transport_.Remaining(), 0u);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(DoProviderTest, LostVolumeCreateIsAdoptedByNameThenAttached) {
  model::Resource v;
  v.address = *model::Address::Parse("db.volume.data[0]");
  v.cloud_name = "demo-db-data-0";
  v.tags = {{std::string(model::kTagDeployment), "demo"}, {std::string(model::kTagAddress), "db.volume.data[0]"}};
  v.attributes = {{"size_gb", 100}, {"region", "nyc3"}, {"instance_id", "42"}};
  transport_.ExpectReset("POST", std::string(kBase) + "/volumes");
  transport_.ExpectReply("GET", std::string(kBase) + "/volumes?name=demo-db-data-0&region=nyc3", 200,
                         R"({"volumes":[{"id":"vol-1","name":"demo-db-data-0","droplet_ids":[]}]})");
  transport_.ExpectReply("POST", std::string(kBase) + "/volumes/vol-1/actions", 202,
                         R"({"action":{"id":77,"status":"in-progress"}})");
  transport_.ExpectReply("GET", std::string(kBase) + "/actions/77", 200, R"({"action":{"id":77,"status":"in-progress"}})");
  transport_.ExpectReply("GET", std::string(kBase) + "/actions/77", 200, R"({"action":{"id":77,"status":"completed"}})");
  auto r = provider_->Create(v, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "vol-1");
  EXPECT_EQ(Count("POST", "/volumes"), 2u);  // one create, one attach
  auto reqs = transport_.Requests();
  json attach = json::parse(reqs[2].body);
  EXPECT_EQ(attach["type"], "attach");
  EXPECT_EQ(attach["droplet_id"], 42);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

}  // namespace
}  // namespace orch::providers::digitalocean
