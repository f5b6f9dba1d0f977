// Glance and Cinder.
#include <gtest/gtest.h>

#include "openstack/test/test_util.h"

namespace cloudsim::openstack::testing {
namespace {

TEST(GlanceTest, CatalogImagesAreActiveAndPublic) {
  Harness h;
  h.Login();
  Reply r = h.Call("GET", "/image/v2/images");
  ASSERT_EQ(r.status, 200);
  std::set<std::string> names;
  for (const auto& img : r.body["images"]) {
    names.insert(img["name"]);
    EXPECT_EQ(img["status"], "active");
    EXPECT_EQ(img["visibility"], "public");
  }
  EXPECT_EQ(names, (std::set<std::string>{"cirros-0.6.2-x86_64-disk", "ubuntu-22.04"}));
  EXPECT_EQ(r.body["first"], "/v2/images");
  EXPECT_EQ(h.Call("GET", "/image").status, 300);
}

TEST(GlanceTest, CreateUploadActivateDelete) {
  Harness h;
  h.Login();
  Reply c = h.Call("POST", "/image/v2/images", {{"name", "mine"}, {"disk_format", "raw"}, {"container_format", "bare"},
                                                 {"visibility", "private"}, {"tags", {"t1"}}});
  ASSERT_EQ(c.status, 201);
  EXPECT_EQ(c.body["status"], "queued");
  EXPECT_EQ(c.body["size"], nullptr);
  std::string id = c.body["id"];
  EXPECT_EQ(c.headers["location"], "http://127.0.0.1:8774/image/v2/images/" + id);
  Reply up = h.CallRaw("PUT", "/image/v2/images/" + id + "/file", "hello", {{"content-type", "application/octet-stream"}});
  EXPECT_EQ(up.status, 204);
  Reply show = h.Call("GET", "/image/v2/images/" + id);
  EXPECT_EQ(show.body["status"], "active");
  EXPECT_EQ(show.body["size"], 5);
  EXPECT_EQ(show.body["checksum"], "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(show.body["os_hash_algo"], "sha512");
  EXPECT_EQ(h.CallRaw("PUT", "/image/v2/images/" + id + "/file", "x", {}).status, 409);
  EXPECT_EQ(h.Call("GET", "/image/v2/images?tag=t1").body["images"].size(), 1u);
  EXPECT_EQ(h.Call("GET", "/image/v2/images?tag=t2").body["images"].size(), 0u);
  Reply patch = h.CallRaw("PATCH", "/image/v2/images/" + id, R"([{"op": "replace", "path": "/name", "value": "renamed"}])",
                          {{"content-type", "application/openstack-images-v2.1-json-patch"}});
  EXPECT_EQ(patch.body["name"], "renamed");
  EXPECT_EQ(h.Call("POST", "/image/v2/images", {{"name", "x"}, {"status", "active"}}).status, 403);
  EXPECT_EQ(h.Call("POST", "/image/v2/images", {{"name", "x"}, {"disk_format", "floppy"}}).status, 400);
  EXPECT_EQ(h.Call("DELETE", "/image/v2/images/" + id).status, 204);
  Reply gone = h.Call("GET", "/image/v2/images/" + id);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body["code"], "404 Not Found");
  EXPECT_EQ(gone.body["message"], "No image found with ID " + id + "<br /><br />\n\n\n");
}

TEST(GlanceTest, Paging) {
  Harness h;
  h.Login();
  for (int i = 0; i < 3; ++i) {
    h.Call("POST", "/image/v2/images", {{"name", "p" + std::to_string(i)}});
    h.Advance(1);
  }
  Reply p1 = h.Call("GET", "/image/v2/images?limit=2");
  ASSERT_EQ(p1.body["images"].size(), 2u);
  EXPECT_EQ(p1.body["images"][0]["name"], "p2");  // newest first
  std::string next = p1.body["next"];
  Reply p2 = h.Call("GET", "/image" + next);
  EXPECT_EQ(p2.body["images"].size(), 2u);
  EXPECT_FALSE(h.Call("GET", "/image" + p2.body.value("next", std::string("/v2/images?limit=2&marker=x"))).body.contains("next"));
}

class CinderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Login();
    base = "/volume/v3/" + h.project_id() + "/volumes";
  }
  Harness h;
  std::string base;
};

TEST_F(CinderTest, CreatingThenAvailableThenDeleted) {
  Reply c = h.Call("POST", base, {{"volume", {{"size", 2}, {"name", "v"}, {"metadata", {{"k", "v"}}}}}},
                   {{"openstack-api-version", "volume 3.59"}});
  ASSERT_EQ(c.status, 202);
  EXPECT_EQ(c.headers["openstack-api-version"], "volume 3.59");
  EXPECT_EQ(c.body["volume"]["status"], "creating");
  std::string id = c.body["volume"]["id"];
  h.Advance(10);
  Reply s = h.Call("GET", base + "/" + id);
  EXPECT_EQ(s.body["volume"]["status"], "available");
  EXPECT_EQ(s.body["volume"]["size"], 2);
  EXPECT_EQ(h.Call("GET", base + "/detail").body["volumes"].size(), 1u);
  EXPECT_EQ(h.Call("GET", base).body["volumes"][0].size(), 3u);
  EXPECT_EQ(h.Call("DELETE", base + "/" + id).status, 202);
  EXPECT_EQ(h.Call("GET", base + "/" + id).body["volume"]["status"], "deleting");
  h.Advance(10);
  Reply gone = h.Call("GET", base + "/" + id);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.body["itemNotFound"]["message"], "Volume " + id + " could not be found.");
}

TEST_F(CinderTest, QuotaIs413) {
  Reply big = h.Call("POST", base, {{"volume", {{"size", 1001}}}});
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body["overLimit"]["code"], 413);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(h.Call("POST", base, {{"volume", {{"size", 1}}}}).status, 202);
  Reply over = h.Call("POST", base, {{"volume", {{"size", 1}}}});
  EXPECT_EQ(over.status, 413);
  EXPECT_EQ(over.body["overLimit"]["message"],
            "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota 'volumes'.");
  EXPECT_EQ(h.Call("POST", base, {{"volume", {{"size", "x"}}}}).status, 400);
  EXPECT_EQ(h.Call("POST", base, {{"volume", {{"size", 1}, {"volume_type", "gold"}}}}).status, 404);
}

TEST_F(CinderTest, OtherProjectIsForbiddenForMembers) {
  Harness d;
  d.Login("demo", "cloudsim-demo", "demo");
  EXPECT_EQ(d.Call("GET", base).status, 403);
  EXPECT_EQ(d.Call("GET", "/volume/v3/" + d.project_id() + "/volumes").status, 200);
}

}  // namespace
}  // namespace cloudsim::openstack::testing
