#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "http/redact.h"
#include "providers/digitalocean/do_provider.h"
#include "providers/digitalocean/tags.h"
#include "testing/fake_clock.h"
#include "testing/scripted_transport.h"

namespace orch::providers::digitalocean {
namespace {

using nlohmann::json;
const char* kBase = "http://do.test/v2";

env::HttpResponse Reply(int status, const json& body) {
  env::HttpResponse r;
  r.status = status;
  r.body = body.is_null() ? "" : body.dump();
  return r;
}

json Droplet(int64_t id, const std::string& address, const std::string& status) {
  return {{"id", id}, {"name", "demo-x"}, {"status", status}, {"size_slug", "s-1vcpu-1gb"},
          {"region", {{"slug", "nyc3"}}},
          {"networks", {{"v4", {{{"type", "private"}, {"ip_address", "10.0.0." + std::to_string(id)}},
                                {{"type", "public"}, {"ip_address", "1.2.3." + std::to_string(id)}}}}}},
          {"tags", {DeploymentTag("demo"), AddressTag(address), "demo-api"}}};
}

class DoProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tuning t;
    t.poll_initial_ms = 10;
    t.poll_max_ms = 20;
    t.retry.seed = 1;
    t.retry.initial_backoff_ms = 1;
    provider_ = std::make_unique<DigitalOceanProvider>(engine::ProviderEnv{&clock_, &transport_, ""}, t);
    engine::ProviderConfig c;
    c.name = "do";
    c.type = "digitalocean";
    c.deployment = "demo";
    c.region = "nyc3";
    c.endpoint = kBase;
    c.settings = {{"token", "do-test-token-abcdef"}};
    ASSERT_TRUE(provider_->Configure(c).ok());
  }

  model::Resource Instance(int index) {
    model::Resource r;
    r.address = *model::Address::Parse("api.instance[" + std::to_string(index) + "]");
    r.provider = "do";
    r.cloud_name = "demo-api-" + std::to_string(index);
    r.tags = {{std::string(model::kTagDeployment), "demo"},
              {std::string(model::kTagAddress), r.address.ToString()},
              {std::string(model::kTagTier), "api"}};
    r.attributes = {{"size", "s-1vcpu-1gb"}, {"image", "12345"}, {"region", "nyc3"}, {"network", "vpc-1"},
                    {"ssh_keys", {"77"}}, {"user_data", "#cloud-config\n"}, {"group", "api"}, {"target_tag", "demo-api"}};
    return r;
  }

  size_t Count(const std::string& method, const std::string& prefix) {
    size_t n = 0;
    for (const auto& r : transport_.Requests())
      if (r.method == method && r.url.rfind(std::string(kBase) + prefix, 0) == 0) ++n;
    return n;
  }

  testing::FakeClock clock_;
  testing::ScriptedTransport transport_;
  std::unique_ptr<DigitalOceanProvider> provider_;
  engine::ApplyContext ctx_;
};

TEST(DoConfigureTest, MissingTokenNamesEverySource) {
  unsetenv("DIGITALOCEAN_TOKEN");
  unsetenv("DIGITALOCEAN_ACCESS_TOKEN");
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  DigitalOceanProvider p(engine::ProviderEnv{&clock, &transport, ""});
  engine::ProviderConfig c;
  c.name = "do";
  Status st = p.Configure(c);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  for (const char* s : {"token", "DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"})
    EXPECT_NE(st.message().find(s), std::string::npos) << s;
}

TEST(DoConfigureTest, TokenFromEnvironmentAndEndpointOverride) {
  setenv("DIGITALOCEAN_ACCESS_TOKEN", "env-token-xyz", 1);
  setenv("DIGITALOCEAN_API_URL", "http://env.test/v2/", 1);
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  DigitalOceanProvider p(engine::ProviderEnv{&clock, &transport, ""});
  engine::ProviderConfig c;
  c.name = "do";
  c.deployment = "demo";
  ASSERT_TRUE(p.Configure(c).ok());
  transport.ExpectReply("GET", "http://env.test/v2/droplets?", 200, R"({"droplets":[],"links":{}})");
  for (const char* k : {"volumes", "vpcs", "firewalls", "load_balancers", "account/keys", "reserved_ips"})
    transport.ExpectReply("GET", std::string("http://env.test/v2/") + k, 200, "{}");
  ASSERT_TRUE(p.Discover("demo").ok());
  auto reqs = transport.Requests();
  ASSERT_FALSE(reqs.empty());
  bool bearer = false;
  for (auto& [k, v] : reqs[0].headers) bearer |= (k == "Authorization" && v == "Bearer env-token-xyz");
  EXPECT_TRUE(bearer);
  EXPECT_EQ(http::Redact("token env-token-xyz"), "token [REDACTED]");
  unsetenv("DIGITALOCEAN_ACCESS_TOKEN");
  unsetenv("DIGITALOCEAN_API_URL");
}

TEST_F(DoProviderTest, CreateDropletMapsAttributesAndWaitsByTag) {
  transport_.SetFallback([&](const env::HttpRequest& req) -> Result<env::HttpResponse> {
    if (req.method == "POST" && req.url == std::string(kBase) + "/droplets") {
      json b = json::parse(req.body);
      EXPECT_EQ(b["name"], "demo-api-0");
      EXPECT_EQ(b["image"], 12345);
      EXPECT_EQ(b["vpc_uuid"], "vpc-1");
      EXPECT_EQ(b["ssh_keys"], json::array({77}));
      EXPECT_EQ(b["monitoring"], true);
      EXPECT_EQ(b["user_data"], "#cloud-config\n");
      std::vector<std::string> tags = b["tags"];
      EXPECT_NE(std::find(tags.begin(), tags.end(), "orchestrator-address:api:dinstance:l0:r"), tags.end());
      EXPECT_NE(std::find(tags.begin(), tags.end(), "orchestrator-deployment:demo"), tags.end());
      EXPECT_NE(std::find(tags.begin(), tags.end(), "demo-api"), tags.end());
      return Reply(202, {{"droplet", Droplet(5, "api.instance[0]", "new")}});
    }
    if (req.method == "GET" && req.url.find("/droplets?tag_name=orchestrator-deployment%3Ademo") != std::string::npos) {
      static int rounds = 0;
      return Reply(200, {{"droplets", {Droplet(5, "api.instance[0]", ++rounds >= 2 ? "active" : "new")}}, {"links", json::object()}});
    }
    return Status::Internal("unexpected " + req.method + " " + req.url);
  });
  auto r = provider_->Create(Instance(0), ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "5");
  EXPECT_EQ(r->outputs["private_ip"], "10.0.0.5");
  EXPECT_EQ(r->outputs["public_ip"], "1.2.3.5");
  EXPECT_EQ(r->outputs["status"], "active");
  EXPECT_EQ(Count("POST", "/droplets"), 1u);
  EXPECT_EQ(Count("GET", "/droplets/"), 0u);  // never one GET per droplet
}

TEST_F(DoProviderTest, LostCreateAnswerAdoptsInsteadOfDuplicating) {
  transport_.ExpectReset("POST", std::string(kBase) + "/droplets");
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-address%3Aapi%3Adinstance%3Al1%3Ar", 200,
                         json({{"droplets", {Droplet(9, "api.instance[1]", "new")}}, {"links", json::object()}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-deployment%3Ademo", 200,
                         json({{"droplets", {Droplet(9, "api.instance[1]", "active")}}}).dump());
  auto r = provider_->Create(Instance(1), ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "9");
  EXPECT_EQ(Count("POST", "/droplets"), 1u);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(DoProviderTest, LostCreateNotAppliedIsRetriedOnce) {
  transport_.ExpectReset("POST", std::string(kBase) + "/droplets");
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-address", 200, R"({"droplets":[]})");
  transport_.ExpectReply("POST", std::string(kBase) + "/droplets", 202,
                         json({{"droplet", Droplet(11, "api.instance[2]", "new")}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-deployment%3Ademo", 200,
                         json({{"droplets", {Droplet(11, "api.instance[2]", "active")}}}).dump());
  auto r = provider_->Create(Instance(2), ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "11");
  EXPECT_EQ(Count("POST", "/droplets"), 2u);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(DoProviderTest, ConcurrentWaitersShareOneListPerRound) {
  std::atomic<int> posts{0}, lists{0};
  transport_.SetFallback([&](const env::HttpRequest& req) -> Result<env::HttpResponse> {
    if (req.method == "POST") {
      int id = 100 + posts++;
      return Reply(202, {{"droplet", Droplet(id, "api.instance[0]", "new")}});
    }
    int n = ++lists;
    json ds = json::array();
    for (int i = 0; i < 6; ++i) ds.push_back(Droplet(100 + i, "api.instance[" + std::to_string(i) + "]", n >= 3 ? "active" : "new"));
    return Reply(200, {{"droplets", ds}});
  });
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      engine::ApplyContext ctx;
      if (provider_->Create(Instance(i), ctx).ok()) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(posts.load(), 6);
  // 6 waiters, but far fewer list calls than 6 per round.
  EXPECT_LT(lists.load(), 12);
  EXPECT_EQ(provider_->poller()->rounds(), lists.load());
}

TEST_F(DoProviderTest, InvalidSizeIsAClearErrorWithTheAddress) {
  transport_.ExpectReply("POST", std::string(kBase) + "/droplets", 422,
                         R"({"id":"unprocessable_entity","message":"You specified an invalid size for Droplet creation."})");
  auto r = provider_->Create(Instance(0), ctx_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("api.instance[0]"), std::string::npos);
  EXPECT_NE(r.status().message().find("invalid size"), std::string::npos);
  EXPECT_EQ(r.status().message().find("do-test-token-abcdef"), std::string::npos);
}

TEST_F(DoProviderTest, QuotaAndAuthErrors) {
  transport_.ExpectReply("POST", std::string(kBase) + "/droplets", 422,
                         R"({"id":"unprocessable_entity","message":"creating this/these droplet(s) will exceed your droplet limit"})");
  auto q = provider_->Create(Instance(0), ctx_);
  EXPECT_EQ(q.status().code(), StatusCode::kQuotaExceeded);
  transport_.ExpectReply("POST", std::string(kBase) + "/droplets", 401, R"({"id":"Unauthorized","message":"Unable to authenticate you"})");
  auto a = provider_->Create(Instance(0), ctx_);
  EXPECT_EQ(a.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(a.status().message().find("DIGITALOCEAN_TOKEN"), std::string::npos);
}

TEST_F(DoProviderTest, DeleteOfMissingDropletIsSuccess) {
  transport_.ExpectReply("DELETE", std::string(kBase) + "/droplets/42", 404, R"({"id":"not_found","message":"gone"})");
  transport_.ExpectReply("DELETE", std::string(kBase) + "/tags/", 404, R"({"id":"not_found","message":"gone"})");
  state::ResourceState prior;
  prior.address = "api.instance[0]";
  prior.kind = "instance";
  prior.id = "42";
  EXPECT_TRUE(provider_->Delete(prior, ctx_).ok());
}

TEST_F(DoProviderTest, DiscoverPaginatesAndMapsEveryKind) {
  std::string p2 = std::string(kBase) + "/droplets?page=2&per_page=200&tag_name=orchestrator-deployment%3Ademo";
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-deployment%3Ademo&per_page=200", 200,
                         json({{"droplets", {Droplet(1, "db.instance[0]", "active")}},
                               {"links", {{"pages", {{"next", p2}, {"last", p2}}}}}, {"meta", {{"total", 2}}}}).dump());
  transport_.ExpectReply("GET", p2, 200,
                         json({{"droplets", {Droplet(2, "mon.instance[0]", "active")}}, {"links", {{"pages", {{"prev", "x"}}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/volumes", 200,
                         json({{"volumes", {{{"id", "v1"}, {"name", "demo-db-data-0"}, {"tags", {DeploymentTag("demo"), AddressTag("db.volume.data[0]")}}},
                                            {{"id", "v2"}, {"name", "other"}, {"tags", json::array()}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/vpcs", 200,
                         json({{"vpcs", {{{"id", "vpc1"}, {"name", "demo-main"}, {"description", DeploymentTag("demo") + " " + AddressTag("network.main")}}, {{"id", "vpc2"}, {"name", "demo-other"}, {"description", DeploymentTag("demo-x") + " " + AddressTag("network.other")}}, {{"id", "d"}, {"name", "default-nyc3"}, {"default", true}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/firewalls", 200,
                         json({{"firewalls", {{{"id", "fw1"}, {"name", "demo-db-fw"}}, {{"id", "fw2"}, {"name", "prod-db-fw"}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/load_balancers", 200,
                         json({{"load_balancers", {{{"id", "lb1"}, {"name", "demo-api-lb"}, {"ip", "5.5.5.5"}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/account/keys", 200,
                         json({{"ssh_keys", {{{"id", 7}, {"name", "demo-ops"}, {"fingerprint", "aa"}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips", 200,
                         json({{"reserved_ips", {{{"ip", "9.9.9.9"}, {"droplet", {{"id", 2}}}}, {{"ip", "8.8.8.8"}, {"droplet", nullptr}}}}}).dump());
  auto found = provider_->Discover("demo");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::map<std::string, engine::ObservedResource> by;
  for (auto& o : *found) by[o.address] = o;
  EXPECT_EQ(by.size(), 8u);
  EXPECT_EQ(by["db.instance[0]"].id, "1");
  EXPECT_EQ(by["mon.instance[0]"].outputs["private_ip"], "10.0.0.2");
  EXPECT_EQ(by["db.volume.data[0]"].id, "v1");
  EXPECT_EQ(by["network.main"].id, "vpc1");
  EXPECT_EQ(by["db.firewall"].id, "fw1");
  EXPECT_EQ(by["api.lb"].outputs["ip"], "5.5.5.5");
  EXPECT_EQ(by["ssh_key.ops@do"].id, "7");
  EXPECT_EQ(by["mon.fip[0]"].outputs["ip"], "9.9.9.9");
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(DoProviderTest, LoadBalancerIgnoresMemberIpsButNotListeners) {
  model::Resource lb;
  lb.address = *model::Address::Parse("api.lb");
  lb.attributes = {{"listeners", {{{"port", 80}}}}, {"targets", {{"tag", "demo-api"}, {"private_ips", "10.0.0.1,10.0.0.2"}}}};
  state::ResourceState prior;
  prior.attributes = lb.attributes;
  prior.attributes["targets"]["private_ips"] = "10.0.0.1";
  EXPECT_EQ(provider_->Diff(lb, prior), engine::ChangeAction::kNoop);
  prior.attributes["listeners"][0]["port"] = 81;
  EXPECT_EQ(provider_->Diff(lb, prior), engine::ChangeAction::kReplace);
  model::Resource inst = Instance(0);
  state::ResourceState p2;
  p2.attributes = inst.attributes;
  p2.attributes["size"] = "s-2vcpu-4gb";
  EXPECT_EQ(provider_->Diff(inst, p2), engine::ChangeAction::kReplace);
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

TEST(SshFingerprintTest, Md5OfKeyBlob) {
  // ssh-keygen -l -E md5 of this key.
  std::string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7yF2vZ0cW2fK8ZlqX3mM5p9XbJmWz1dVfJcQ8r2x8n ops@x";
  std::string fp = SshFingerprint(key);
  EXPECT_EQ(fp, "1b:72:fb:93:b7:81:cb:3f:57:52:db:69:07:cf:8e:eb");
  EXPECT_EQ(SshFingerprint("not a key"), "");
}

}  // namespace
}  // namespace orch::providers::digitalocean
