// Droplets, actions, images, snapshots, SSH keys, auth, rate limits,
// pagination and persistence, exercised in-process through the Router.
#include <thread>

#include "digitalocean/do_test_util.h"

namespace cloudsim::digitalocean {
namespace {

using nlohmann::json;

constexpr const char* kEd25519 =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINOYFfWKk68EVf7gQwmgdy0RrQJuhinL05Z+EvwWxA8S sim@test";
// `ssh-keygen -l -E md5` of kEd25519.
constexpr const char* kEd25519Md5 = "9d:e0:27:db:e9:61:f9:4a:b0:e9:ef:e8:2d:e8:34:f8";

class DropletsTest : public DoApiTest {};

TEST_F(DropletsTest, RejectsMissingAndWrongTokensWithTheRealBody) {
  Reply r = Call("GET", "/v2/account", nullptr, "not-the-token");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, json({{"id", "Unauthorized"}, {"message", "Unable to authenticate you"}}));
  EXPECT_EQ(Get("/v2/account").status, 200);
  EXPECT_EQ(token_.rfind("sim-do-token-", 0), 0u);
}

TEST_F(DropletsTest, DescribeAdvertisesTheApiUrlAndToken) {
  json top = json::object(), env = json::object();
  api_->Describe(&top, &env);
  EXPECT_EQ(top["digitalocean"], "http://127.0.0.1:8080/v2");
  EXPECT_EQ(env["DIGITALOCEAN_API_URL"], "http://127.0.0.1:8080/v2");
  EXPECT_EQ(env["DIGITALOCEAN_TOKEN"], token_);
  EXPECT_EQ(api_->Name(), "digitalocean");
}

TEST_F(DropletsTest, CatalogUsesRealSlugsAndPrices) {
  Reply regions = Get("/v2/regions?per_page=200");
  ASSERT_EQ(regions.status, 200);
  std::set<std::string> slugs;
  for (const json& r : regions.body["regions"]) slugs.insert(r["slug"]);
  for (const char* s : {"nyc3", "fra1", "ams3", "sfo3", "lon1", "sgp1"}) EXPECT_TRUE(slugs.count(s)) << s;
  Reply sizes = Get("/v2/sizes?per_page=200");
  bool found = false;
  for (const json& s : sizes.body["sizes"]) {
    if (s["slug"] == "s-2vcpu-4gb") {
      found = true;
      EXPECT_EQ(s["memory"], 4096);
      EXPECT_EQ(s["vcpus"], 2);
      EXPECT_EQ(s["disk"], 80);
      EXPECT_EQ(s["price_monthly"], 24.0);
    }
  }
  EXPECT_TRUE(found);
  Reply by_slug = Get("/v2/images/debian-12-x64");
  ASSERT_EQ(by_slug.status, 200);
  EXPECT_EQ(by_slug.body["image"]["distribution"], "Debian");
  Reply by_id = Get("/v2/images/" + std::to_string(by_slug.body["image"]["id"].get<int64_t>()));
  EXPECT_EQ(by_id.body["image"]["slug"], "debian-12-x64");
  Reply dist = Get("/v2/images?type=distribution&per_page=200");
  EXPECT_GE(dist.body["images"].size(), 3u);
  EXPECT_EQ(Get("/v2/images?private=true").body["images"].size(), 0u);
}

TEST_F(DropletsTest, CreateGoesFromNewToActiveWithNetworks) {
  Reply r = Post("/v2/droplets", {{"name", "web-1"},
                                   {"region", "nyc3"},
                                   {"size", "s-1vcpu-1gb"},
                                   {"image", "ubuntu-22-04-x64"},
                                   {"tags", {"web"}},
                                   {"user_data", "#cloud-config\n"}});
  ASSERT_EQ(r.status, 202) << r.raw.body;
  const json& d = r.body["droplet"];
  EXPECT_EQ(d["status"], "new");
  EXPECT_TRUE(d["networks"]["v4"].empty());
  EXPECT_EQ(d["tags"], json({"web"}));
  int64_t id = d["id"];
  int64_t action_id = r.body["links"]["actions"][0]["id"];
  EXPECT_EQ(r.body["links"]["actions"][0]["rel"], "create");
  EXPECT_EQ(Get("/v2/actions/" + std::to_string(action_id)).body["action"]["status"], "in-progress");

  Advance(60);
  Reply got = Get("/v2/droplets/" + std::to_string(id));
  ASSERT_EQ(got.status, 200);
  const json& g = got.body["droplet"];
  EXPECT_EQ(g["status"], "active");
  std::string private_ip, public_ip;
  for (const json& n : g["networks"]["v4"]) (n["type"] == "private" ? private_ip : public_ip) = n["ip_address"];
  EXPECT_EQ(private_ip.rfind("10.108.", 0), 0u) << private_ip;  // nyc3's default VPC range
  EXPECT_FALSE(public_ip.empty());
  json action = Get("/v2/actions/" + std::to_string(action_id)).body["action"];
  EXPECT_EQ(action["status"], "completed");
  EXPECT_EQ(action["resource_id"], id);

  // vpc_uuid is the region's default VPC.
  std::string vpc_uuid = g["vpc_uuid"];
  Reply vpc = Get("/v2/vpcs/" + vpc_uuid);
  ASSERT_EQ(vpc.status, 200);
  EXPECT_EQ(vpc.body["vpc"]["region"], "nyc3");
  EXPECT_EQ(vpc.body["vpc"]["default"], true);
}

TEST_F(DropletsTest, MultiCreateReturnsDropletsAndRejectsMoreThanTen) {
  Reply r = Post("/v2/droplets", {{"names", {"a-1", "a-2", "a-3"}},
                                   {"region", "fra1"},
                                   {"size", "s-2vcpu-2gb"},
                                   {"image", "debian-12-x64"}});
  ASSERT_EQ(r.status, 202) << r.raw.body;
  ASSERT_EQ(r.body["droplets"].size(), 3u);
  EXPECT_EQ(r.body["links"]["actions"].size(), 3u);
  EXPECT_FALSE(r.body.contains("droplet"));
  json names = json::array();
  for (int i = 0; i < 11; ++i) names.push_back("n-" + std::to_string(i));
  Reply many = Post("/v2/droplets", {{"names", names}, {"size", "s-1vcpu-1gb"}, {"image", "debian-12-x64"}});
  EXPECT_EQ(many.status, 422);
  EXPECT_EQ(many.body["id"], "unprocessable_entity");
}

TEST_F(DropletsTest, InvalidFieldsAreRejectedWithRealErrors) {
  json base = {{"name", "x"}, {"region", "nyc3"}, {"size", "s-1vcpu-1gb"}, {"image", "ubuntu-22-04-x64"}};
  auto with = [&](const char* k, const json& v) {
    json b = base;
    b[k] = v;
    return Post("/v2/droplets", b);
  };
  Reply size = with("size", "s-99vcpu");
  EXPECT_EQ(size.status, 422);
  EXPECT_EQ(size.body, json({{"id", "unprocessable_entity"},
                             {"message", "You specified an invalid size for Droplet creation."}}));
  EXPECT_EQ(with("region", "mars1").body["message"], "You specified an invalid region for Droplet creation.");
  EXPECT_EQ(with("image", "windows-95").body["message"], "You specified an invalid image for Droplet creation.");
  EXPECT_EQ(with("image", 1).status, 422);
  EXPECT_EQ(with("name", "bad name!").status, 422);
  EXPECT_EQ(with("tags", "web").status, 422);
  EXPECT_EQ(with("ssh_keys", {12345}).status, 422);
  EXPECT_EQ(with("vpc_uuid", "00000000-0000-0000-0000-000000000000").status, 422);
  json no_size = base;
  no_size.erase("size");
  EXPECT_EQ(Post("/v2/droplets", no_size).status, 422);
  Reply bad_json = Call("POST", "/v2/droplets", json("{not json"));
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.body["id"], "bad_request");
  EXPECT_EQ(Get("/v2/droplets").body["droplets"].size(), 0u);
}

TEST_F(DropletsTest, NotFoundHasTheRealBody) {
  Reply r = Get("/v2/droplets/12345");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, json({{"id", "not_found"}, {"message", "The resource you were accessing could not be found."}}));
  EXPECT_EQ(Get("/v2/actions/1").status, 404);
}

class DropletLimitTest : public DoApiTest {
 protected:
  static DigitalOceanOptions Limited() {
    DigitalOceanOptions o = Permissive();
    o.droplet_limit = 3;
    return o;
  }
  DropletLimitTest() : DoApiTest(Limited()) {}
};

TEST_F(DropletLimitTest, ExceedingTheDropletLimitIs422) {
  EXPECT_EQ(Get("/v2/account").body["account"]["droplet_limit"], 3);
  Reply two = Post("/v2/droplets",
                   {{"names", {"a", "b"}}, {"region", "nyc3"}, {"size", "s-1vcpu-1gb"}, {"image", "debian-12-x64"}});
  ASSERT_EQ(two.status, 202);
  Reply over = Post("/v2/droplets",
                    {{"names", {"c", "d"}}, {"region", "nyc3"}, {"size", "s-1vcpu-1gb"}, {"image", "debian-12-x64"}});
  EXPECT_EQ(over.status, 422);
  json expected = {{"id", "unprocessable_entity"},
                   {"message", "creating this/these droplet(s) will exceed your droplet limit"}};
  EXPECT_EQ(over.body, expected);
  HttpResponse quota = api_->QuotaError(HttpRequest{});
  EXPECT_EQ(quota.status, 422);
  EXPECT_EQ(json::parse(quota.body), expected);
  EXPECT_NE(CreateDroplet("c"), 0);
}

TEST_F(DropletsTest, TagNameFiltersAndDeleteByTag) {
  int64_t a = CreateDroplet("a", "nyc3", {{"tags", {"web", "prod"}}});
  int64_t b = CreateDroplet("b", "nyc3", {{"tags", {"db"}}});
  int64_t c = CreateDroplet("c", "nyc3", {{"tags", {"web"}}});
  Reply web = Get("/v2/droplets?tag_name=web");
  ASSERT_EQ(web.body["droplets"].size(), 2u);
  EXPECT_EQ(web.body["droplets"][0]["id"], a);
  EXPECT_EQ(web.body["droplets"][1]["id"], c);
  EXPECT_EQ(web.body["meta"]["total"], 2);
  EXPECT_EQ(Get("/v2/tags/web").body["tag"]["resources"]["droplets"]["count"], 2);
  EXPECT_EQ(Get("/v2/droplets?name=b").body["droplets"][0]["id"], b);

  Reply del = Delete("/v2/droplets?tag_name=web");
  EXPECT_EQ(del.status, 204);
  EXPECT_TRUE(del.raw.body.empty());
  EXPECT_EQ(Get("/v2/droplets/" + std::to_string(a)).status, 404);
  EXPECT_EQ(Get("/v2/droplets/" + std::to_string(b)).status, 200);
  EXPECT_EQ(Get("/v2/droplets").body["meta"]["total"], 1);
  EXPECT_EQ(Get("/v2/tags/web").body["tag"]["resources"]["count"], 0);
}

TEST_F(DropletsTest, PaginationLinksAndMeta) {
  for (int i = 0; i < 25; ++i) CreateDroplet("d-" + std::to_string(i));
  Reply p1 = Get("/v2/droplets?per_page=10");
  ASSERT_EQ(p1.body["droplets"].size(), 10u);
  EXPECT_EQ(p1.body["meta"]["total"], 25);
  EXPECT_EQ(p1.body["links"]["pages"]["next"], "http://127.0.0.1:8080/v2/droplets?page=2&per_page=10");
  EXPECT_EQ(p1.body["links"]["pages"]["last"], "http://127.0.0.1:8080/v2/droplets?page=3&per_page=10");
  EXPECT_FALSE(p1.body["links"]["pages"].contains("prev"));
  Reply p3 = Get("/v2/droplets?per_page=10&page=3");
  ASSERT_EQ(p3.body["droplets"].size(), 5u);
  EXPECT_EQ(p3.body["links"]["pages"]["first"], "http://127.0.0.1:8080/v2/droplets?page=1&per_page=10");
  EXPECT_EQ(p3.body["links"]["pages"]["prev"], "http://127.0.0.1:8080/v2/droplets?page=2&per_page=10");
  EXPECT_FALSE(p3.body["links"]["pages"].contains("next"));
  // Pages do not overlap and cover everything.
  std::set<int64_t> ids;
  for (int page = 1; page <= 3; ++page) {
    Reply r = Get("/v2/droplets?per_page=10&page=" + std::to_string(page));
    for (const json& d : r.body["droplets"]) ids.insert(d["id"].get<int64_t>());
  }
  EXPECT_EQ(ids.size(), 25u);
  Reply all = Get("/v2/droplets?per_page=500");
  EXPECT_EQ(all.body["droplets"].size(), 25u);
  EXPECT_EQ(all.body["links"], json::object());
  EXPECT_EQ(Get("/v2/droplets").body["droplets"].size(), 20u);  // default per_page
}

TEST_F(DropletsTest, PowerOffSnapshotAndTheSnapshotImage) {
  int64_t id = CreateDroplet("packer-1");
  std::string base = "/v2/droplets/" + std::to_string(id);
  EXPECT_EQ(Post(base + "/actions", {{"type", "power_off"}}).status, 422);  // still new
  Advance(60);
  Reply off = Post(base + "/actions", {{"type", "shutdown"}});
  ASSERT_EQ(off.status, 201) << off.raw.body;
  EXPECT_EQ(off.body["action"]["status"], "in-progress");
  EXPECT_EQ(off.body["action"]["type"], "shutdown");
  EXPECT_EQ(Get(base).body["droplet"]["locked"], true);
  Reply busy = Post(base + "/actions", {{"type", "power_off"}});
  EXPECT_EQ(busy.status, 422);
  EXPECT_EQ(busy.body["message"], "Droplet already has a pending event.");
  Advance(60);
  EXPECT_EQ(Get(base).body["droplet"]["status"], "off");
  int64_t off_id = off.body["action"]["id"];
  Reply off_action = Get(base + "/actions/" + std::to_string(off_id));
  EXPECT_EQ(off_action.body["action"]["status"], "completed");
  EXPECT_EQ(Get("/v2/droplets/1/actions/" + std::to_string(off_id)).status, 404);

  Reply snap = Post(base + "/actions", {{"type", "snapshot"}, {"name", "golden-1"}});
  ASSERT_EQ(snap.status, 201);
  int64_t snap_action = snap.body["action"]["id"];
  EXPECT_EQ(Get("/v2/images?private=true").body["images"].size(), 0u);  // not finished yet
  Advance(400);
  EXPECT_EQ(Get(base + "/actions/" + std::to_string(snap_action)).body["action"]["status"], "completed");
  Reply priv = Get("/v2/images?private=true");
  ASSERT_EQ(priv.body["images"].size(), 1u);
  const json& img = priv.body["images"][0];
  EXPECT_EQ(img["name"], "golden-1");
  EXPECT_EQ(img["type"], "snapshot");
  EXPECT_EQ(img["public"], false);
  EXPECT_TRUE(img["slug"].is_null());
  Reply snaps = Get("/v2/snapshots?resource_type=droplet");
  ASSERT_EQ(snaps.body["snapshots"].size(), 1u);
  EXPECT_EQ(snaps.body["snapshots"][0]["resource_id"], std::to_string(id));
  EXPECT_EQ(snaps.body["snapshots"][0]["id"], std::to_string(img["id"].get<int64_t>()));
  EXPECT_EQ(Get("/v2/snapshots?resource_type=volume").body["snapshots"].size(), 0u);
  EXPECT_EQ(Get(base + "/snapshots").body["snapshots"][0]["name"], "golden-1");
  EXPECT_EQ(Get(base).body["droplet"]["snapshot_ids"][0], img["id"]);

  // A droplet can be created from the snapshot, in its region only.
  EXPECT_NE(CreateDroplet("from-snap", "nyc3", {{"image", img["id"]}}), 0);
  Reply wrong_region = Post("/v2/droplets", {{"name", "x"}, {"region", "fra1"}, {"size", "s-1vcpu-1gb"},
                                             {"image", img["id"]}});
  EXPECT_EQ(wrong_region.status, 422);

  EXPECT_EQ(Delete(base).status, 204);
  EXPECT_EQ(Get(base + "/actions/" + std::to_string(snap_action)).status, 200);  // actions outlive droplets
  std::string snap_id = std::to_string(img["id"].get<int64_t>());
  EXPECT_EQ(Get("/v2/snapshots/" + snap_id).status, 200);
  EXPECT_EQ(Get("/v2/snapshots/" + std::to_string(Get("/v2/images/debian-12-x64").body["image"]["id"].get<int64_t>()))
                .status,
            400);
  EXPECT_EQ(Delete("/v2/snapshots/" + snap_id).status, 204);
  EXPECT_EQ(Get("/v2/images/" + snap_id).status, 404);
}

TEST_F(DropletsTest, PowerOnRebootAndUnknownActions) {
  int64_t id = CreateDroplet("p");
  std::string base = "/v2/droplets/" + std::to_string(id);
  Advance(60);
  ASSERT_EQ(Post(base + "/actions", {{"type", "power_off"}}).status, 201);
  Advance(30);
  EXPECT_EQ(Get(base).body["droplet"]["status"], "off");
  ASSERT_EQ(Post(base + "/actions", {{"type", "power_on"}}).status, 201);
  EXPECT_EQ(Get(base).body["droplet"]["status"], "off");
  Advance(30);
  EXPECT_EQ(Get(base).body["droplet"]["status"], "active");
  EXPECT_EQ(Post(base + "/actions", {{"type", "explode"}}).status, 422);
  EXPECT_EQ(Post(base + "/actions", json::object()).status, 422);
  Reply list = Get(base + "/actions");
  EXPECT_EQ(list.body["actions"].size(), 3u);  // create, power_off, power_on
  EXPECT_EQ(list.body["meta"]["total"], 3);
}

TEST_F(DropletsTest, SshKeysWithRealFingerprints) {
  Reply r = Post("/v2/account/keys", {{"name", "laptop"}, {"public_key", kEd25519}});
  ASSERT_EQ(r.status, 201) << r.raw.body;
  EXPECT_EQ(r.body["ssh_key"]["fingerprint"], kEd25519Md5);
  int64_t id = r.body["ssh_key"]["id"];
  EXPECT_EQ(Get(std::string("/v2/account/keys/") + kEd25519Md5).body["ssh_key"]["id"], id);
  EXPECT_EQ(Post("/v2/account/keys", {{"name", "again"}, {"public_key", kEd25519}}).status, 422);
  EXPECT_EQ(Post("/v2/account/keys", {{"name", "bad"}, {"public_key", "ssh-rsa notbase64!"}}).status, 422);
  EXPECT_EQ(Post("/v2/account/keys", {{"public_key", kEd25519}}).status, 422);
  EXPECT_NE(CreateDroplet("with-key", "nyc3", {{"ssh_keys", {id}}}), 0);
  EXPECT_NE(CreateDroplet("with-fp", "nyc3", {{"ssh_keys", {kEd25519Md5}}}), 0);
  EXPECT_EQ(Call("PUT", "/v2/account/keys/" + std::to_string(id), {{"name", "renamed"}}).body["ssh_key"]["name"],
            "renamed");
  EXPECT_EQ(Get("/v2/account/keys").body["meta"]["total"], 1);
  EXPECT_EQ(Delete("/v2/account/keys/" + std::to_string(id)).status, 204);
  EXPECT_EQ(Get("/v2/account/keys/" + std::to_string(id)).status, 404);
}

class RateLimitTest : public DoApiTest {
 protected:
  static DigitalOceanOptions Small() {
    DigitalOceanOptions o;
    o.requests_per_hour = 5;
    o.requests_per_minute = 3;
    return o;
  }
  RateLimitTest() : DoApiTest(Small()) {}
};

TEST_F(RateLimitTest, PerMinuteBurstAndHourlyBudgetBothApply) {
  double start = clock_.NowSeconds();
  for (int i = 0; i < 3; ++i) {
    Reply r = Get("/v2/account");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("ratelimit-limit"), "5");
    EXPECT_EQ(r.Header("ratelimit-remaining"), std::to_string(4 - i));
    EXPECT_EQ(r.Header("ratelimit-reset"), std::to_string(static_cast<int64_t>(start) + 3600));
  }
  Reply limited = Get("/v2/account");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.body, json({{"id", "too_many_requests"}, {"message", "API Rate limit exceeded."}}));
  EXPECT_EQ(limited.Header("ratelimit-remaining"), "2");
  Advance(61);  // the minute window has passed
  EXPECT_EQ(Get("/v2/account").status, 200);
  EXPECT_EQ(Get("/v2/account").status, 200);
  Reply hourly = Get("/v2/account");  // 5 used this hour
  EXPECT_EQ(hourly.status, 429);
  EXPECT_EQ(hourly.Header("ratelimit-remaining"), "0");
  Advance(3600);
  EXPECT_EQ(Get("/v2/account").status, 200);
  HttpResponse injected = api_->RateLimitError(HttpRequest{});
  EXPECT_EQ(injected.status, 429);
  EXPECT_EQ(json::parse(injected.body)["id"], "too_many_requests");
}

TEST(RateLimitScaleTest, WindowsShrinkWithTheTimeScale) {
  ManualClock clock;
  SimContext ctx(0.01, 7, &clock);  // an "hour" lasts 36 s, a "minute" 0.6 s
  ctx.base_url = "http://127.0.0.1:1";
  DigitalOceanOptions o;
  o.requests_per_hour = 4;
  o.requests_per_minute = 2;
  auto api = MakeDigitalOceanApi(&ctx, o);
  Router router;
  api->RegisterRoutes(router);
  json top = json::object(), env = json::object();
  api->Describe(&top, &env);
  HttpRequest req;
  req.method = "GET";
  req.path = "/v2/account";
  req.headers["authorization"] = "Bearer " + env["DIGITALOCEAN_TOKEN"].get<std::string>();
  auto m = router.Find("GET", "/v2/account");
  ASSERT_TRUE(m.handler);
  auto call = [&] { return (*m.handler)(req, m.params); };
  EXPECT_EQ(call().status, 200);
  HttpResponse second = call();
  EXPECT_EQ(second.status, 200);
  std::string reset;
  for (const auto& [k, v] : second.headers) {
    if (k == "ratelimit-reset") reset = v;
  }
  EXPECT_EQ(reset, std::to_string(static_cast<int64_t>(clock.NowSeconds() + 36)));
  EXPECT_EQ(call().status, 429);
  clock.Advance(0.7);
  EXPECT_EQ(call().status, 200);
  EXPECT_EQ(call().status, 200);
  clock.Advance(0.7);
  EXPECT_EQ(call().status, 429);  // hourly budget of 4 spent
  clock.Advance(36);
  EXPECT_EQ(call().status, 200);
}

TEST_F(DropletsTest, SaveLoadAndResetRoundTrip) {
  int64_t id = CreateDroplet("keep", "nyc3", {{"tags", {"keep"}}});
  Advance(60);
  json before = Get("/v2/droplets/" + std::to_string(id)).body;
  json saved = api_->Save();
  api_->Reset();
  EXPECT_EQ(Get("/v2/droplets").body["meta"]["total"], 0);
  api_->Load(json::parse(saved.dump()));
  EXPECT_EQ(Get("/v2/droplets/" + std::to_string(id)).body, before);
  EXPECT_EQ(Get("/v2/droplets?tag_name=keep").body["meta"]["total"], 1);
  std::vector<SimResource> resources;
  api_->ListResources(&resources);
  bool found = false;
  for (const SimResource& r : resources) {
    if (r.kind == "droplet" && r.id == std::to_string(id)) {
      found = true;
      EXPECT_EQ(r.name, "keep");
      EXPECT_EQ(r.status, "active");
      EXPECT_EQ(r.tags, std::vector<std::string>{"keep"});
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(DropletsTest, ConcurrentCallersAreSerialisedSafely) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 5; ++i) {
        CreateDroplet("t" + std::to_string(t) + "-" + std::to_string(i));
        Get("/v2/droplets?per_page=200");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(Get("/v2/droplets").body["meta"]["total"], 20);
}

}  // namespace
}  // namespace cloudsim::digitalocean
