#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <set>
#include <thread>

#include "http/redact.h"
#include "providers/digitalocean/do_provider.h"
#include "providers/digitalocean/drift.h"
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

// Named as the model names it: api.instance[2] -> "demo-api-2".
std::string NameOf(const std::string& address) {
  auto a = model::Address::Parse(address);
  if (!a.ok() || a->kind != model::Kind::kInstance) return "demo-x";
  return "demo-" + a->tier + "-" + std::to_string(a->index);
}

json Droplet(int64_t id, const std::string& address, const std::string& status) {
  return {{"id", id}, {"name", NameOf(address)}, {"status", status}, {"size_slug", "s-1vcpu-1gb"},
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
    t.batch_window_ms = batch_window_ms_;
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

  int64_t batch_window_ms_ = 20;
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
  for (auto [path, key] : std::vector<std::pair<std::string, std::string>>{{"volumes", "volumes"},
                                                                          {"vpcs", "vpcs"},
                                                                          {"tags", "tags"},
                                                                          {"firewalls", "firewalls"},
                                                                          {"load_balancers", "load_balancers"},
                                                                          {"account/keys", "ssh_keys"},
                                                                          {"reserved_ips", "reserved_ips"}})
    transport.ExpectReply("GET", "http://env.test/v2/" + path, 200, "{\"" + key + "\":[]}");
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
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-deployment%3Ademo", 200,
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
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-deployment", 200,
                         json({{"droplets", {Droplet(3, "api.instance[0]", "active")}}}).dump());  // another one
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
      ++posts;
      json b = json::parse(req.body), out = json::array();
      for (const auto& n : b.value("names", json::array({b.value("name", "")}))) {
        std::string name = n;
        int i = std::stoi(name.substr(name.rfind('-') + 1));
        out.push_back(Droplet(100 + i, "api.instance[" + std::to_string(i) + "]", "new"));
      }
      return Reply(202, {{"droplets", out}});
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
  EXPECT_GE(posts.load(), 1);
  EXPECT_LE(posts.load(), 6);  // joined into multi-creates as they overlap
  // 6 waiters, but far fewer list calls than 6 per round.
  EXPECT_LT(lists.load(), 12);
  EXPECT_EQ(provider_->poller()->rounds(), lists.load());
}

// A droplet API for multi-create tests: POST /droplets (name or names),
// GET /droplets?tag_name=... (everything, active). `lose_posts` POSTs are
// applied but answered with a connection reset.
class MultiCreateTest : public DoProviderTest {
 protected:
  void SetUp() override {
    batch_window_ms_ = 1000;  // generous: threads released together all join
    DoProviderTest::SetUp();
    transport_.SetFallback([this](const env::HttpRequest& req) -> Result<env::HttpResponse> {
      std::lock_guard<std::mutex> lock(mu_);
      if (req.method == "POST" && req.url == std::string(kBase) + "/droplets") {
        json b = json::parse(req.body);
        posts_.push_back(b);
        json out = json::array();
        for (const auto& n : b.value("names", json::array({b.value("name", "")}))) {
          std::string name = n;
          json d = Droplet(next_id_++, "api.instance[" + name.substr(name.rfind('-') + 1) + "]", "active");
          d["tags"] = b["tags"];
          if (lose_posts_ == 0 || !drop_from_create_.count(name)) cloud_.push_back(d);
          out.push_back(d);
        }
        if (lose_posts_ > 0) {
          --lose_posts_;
          return Status::Transient("connection reset by peer (scripted)");
        }
        return b.contains("names") ? Reply(202, {{"droplets", out}, {"links", {{"actions", json::array()}}}})
                                   : Reply(202, {{"droplet", out[0]}});
      }
      if (req.method == "GET" && req.url.rfind(std::string(kBase) + "/droplets?", 0) == 0)
        return Reply(200, {{"droplets", cloud_}, {"links", json::object()}});
      return Status::Internal("unexpected " + req.method + " " + req.url);
    });
  }

  // Creates api.instance[first..first+n) from n threads released together.
  std::vector<Result<engine::ObservedResource>> CreateConcurrently(int first, int n) {
    std::vector<Result<engine::ObservedResource>> out(n, Status::Internal("not run"));
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        engine::ApplyContext ctx;
        out[i] = provider_->Create(Instance(first + i), ctx);
      });
    go = true;
    for (auto& t : threads) t.join();
    return out;
  }

  std::mutex mu_;
  std::vector<json> posts_;
  std::vector<json> cloud_;
  std::set<std::string> drop_from_create_;  // names a lost create did not make
  int lose_posts_ = 0;
  int64_t next_id_ = 500;
};

TEST_F(MultiCreateTest, ThreeDropletsInOneRequest) {
  auto r = CreateConcurrently(0, 3);
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(r[i].ok()) << r[i].status().ToString();
    EXPECT_EQ(r[i]->address, "api.instance[" + std::to_string(i) + "]");
    EXPECT_EQ(r[i]->tags[std::string(model::kTagAddress)], r[i]->address);
    EXPECT_EQ(r[i]->cloud_name, "demo-api-" + std::to_string(i));
    ids.insert(r[i]->id);
  }
  EXPECT_EQ(ids.size(), 3u);
  ASSERT_EQ(posts_.size(), 1u);
  EXPECT_EQ(posts_[0]["names"].size(), 3u);
  EXPECT_FALSE(posts_[0].contains("name"));
  std::vector<std::string> tags = posts_[0]["tags"];
  EXPECT_NE(std::find(tags.begin(), tags.end(), "orchestrator-deployment:demo"), tags.end());
  EXPECT_NE(std::find(tags.begin(), tags.end(), "demo-api"), tags.end());
  for (const std::string& t : tags) EXPECT_EQ(t.rfind("orchestrator-address:", 0), std::string::npos) << t;
  EXPECT_EQ(provider_->batcher()->batches_sent(), 1);
}

TEST_F(MultiCreateTest, ThirteenDropletsInRequestsOfTenAndThree) {
  auto r = CreateConcurrently(0, 13);
  std::set<std::string> ids;
  for (auto& x : r) {
    ASSERT_TRUE(x.ok()) << x.status().ToString();
    ids.insert(x->id);
  }
  EXPECT_EQ(ids.size(), 13u);
  ASSERT_EQ(posts_.size(), 2u);
  std::multiset<size_t> sizes = {posts_[0]["names"].size(), posts_[1]["names"].size()};
  EXPECT_EQ(sizes, (std::multiset<size_t>{10, 3}));
  EXPECT_EQ(cloud_.size(), 13u);
}

TEST_F(MultiCreateTest, LostMultiCreateAdoptsWhatExistsAndCreatesOnlyTheMissing) {
  lose_posts_ = 1;
  drop_from_create_ = {"demo-api-1"};  // the lost request made 0 and 2 only
  auto r = CreateConcurrently(0, 3);
  for (auto& x : r) ASSERT_TRUE(x.ok()) << x.status().ToString();
  ASSERT_EQ(posts_.size(), 2u);
  EXPECT_EQ(posts_[0]["names"].size(), 3u);
  EXPECT_EQ(posts_[1]["name"], "demo-api-1");  // only the missing one, alone
  std::vector<std::string> tags = posts_[1]["tags"];
  EXPECT_NE(std::find(tags.begin(), tags.end(), AddressTag("api.instance[1]")), tags.end());
  std::map<std::string, int> names;
  for (const json& d : cloud_) ++names[d["name"]];
  EXPECT_EQ(names, (std::map<std::string, int>{{"demo-api-0", 1}, {"demo-api-1", 1}, {"demo-api-2", 1}}));
  EXPECT_EQ(r[1]->id, IdText(cloud_.back()["id"]));
}

TEST_F(MultiCreateTest, LostMultiCreateThatCreatedEverythingIsNotRepeated) {
  lose_posts_ = 1;
  auto r = CreateConcurrently(4, 3);
  for (auto& x : r) ASSERT_TRUE(x.ok()) << x.status().ToString();
  EXPECT_EQ(posts_.size(), 1u);
  EXPECT_EQ(cloud_.size(), 3u);
}

TEST_F(MultiCreateTest, ResumedCreateFindsABatchedDropletByNameInsteadOfCreatingIt) {
  json d = Droplet(77, "api.instance[2]", "active");
  d["tags"] = {DeploymentTag("demo"), "orchestrator-tier:api", "demo-api"};  // no address tag
  cloud_.push_back(d);
  engine::ApplyContext ctx;
  ctx.attempt = 2;  // an interrupted run was creating it
  auto r = provider_->Create(Instance(2), ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "77");
  EXPECT_TRUE(posts_.empty());
}

TEST(BatchedDropletAddressTest, NameMustMatchExactlyWithTheDeploymentAndTierTags) {
  std::map<std::string, std::string> tags = {{std::string(model::kTagDeployment), "demo"},
                                             {std::string(model::kTagTier), "api"}};
  EXPECT_EQ(BatchedDropletAddress("demo-api-3", "demo", tags), "api.instance[3]");
  EXPECT_EQ(BatchedDropletAddress("demo-x-api-3", "demo", tags), "");
  EXPECT_EQ(BatchedDropletAddress("demo-api-3", "demo-x", tags), "");
  EXPECT_EQ(BatchedDropletAddress("demo-api-x", "demo", tags), "");
  EXPECT_EQ(BatchedDropletAddress("demo-api-3", "demo", {{std::string(model::kTagTier), "api"}}), "");
}

// A reserved IP carries no tag: once its droplet is deleted (a killed
// replace), only its recorded address finds it.
TEST_F(DoProviderTest, RecordedReservedIpIsFoundByItsAddressWhenUnassigned) {
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips/203.0.113.9", 200,
                         R"({"reserved_ip":{"ip":"203.0.113.9","region":{"slug":"nyc3"},"droplet":null}})");
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips/203.0.113.8", 404,
                         R"({"id":"not_found","message":"The resource you were accessing could not be found."})");
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips/203.0.113.7", 200,
                         R"({"reserved_ip":{"ip":"203.0.113.7","droplet":{"id":42}}})");
  std::vector<state::ResourceState> missing(4);
  const char* ips[] = {"203.0.113.9", "203.0.113.8", "203.0.113.7", "vpc-1"};
  const char* kinds[] = {"floating_ip", "floating_ip", "floating_ip", "network"};
  for (int i = 0; i < 4; ++i) {
    missing[i].address = i < 3 ? "web.fip[" + std::to_string(i) + "]" : "network.main";
    missing[i].kind = kinds[i];
    missing[i].id = ips[i];
  }
  auto found = provider_->FindRecorded(missing);
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found->size(), 1u);  // gone (404) and assigned elsewhere are not ours; a network is not asked for
  EXPECT_EQ((*found)[0].address, "web.fip[0]");
  EXPECT_EQ((*found)[0].id, "203.0.113.9");
  EXPECT_EQ(Count("GET", "/reserved_ips/"), 3u);
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

TEST_F(DoProviderTest, ExistingVpcIsLookedUpByNameOrIdInTheRegionAndNeverDeleted) {
  const std::string vpcs =
      json{{"vpcs",
            {{{"id", "v-1"}, {"name", "team-net"}, {"region", "nyc3"}, {"ip_range", "10.116.0.0/20"}},
             {{"id", "v-2"}, {"name", "far-net"}, {"region", "ams3"}, {"ip_range", "10.9.0.0/20"}}}},
           {"links", json::object()},
           {"meta", {{"total", 2}}}}
          .dump();
  model::Resource r;
  r.address = {"", model::Kind::kNetwork, "app", -1};
  r.provider = "do";
  r.cloud_name = "demo-app";
  auto lookup = [&](const std::string& existing) {
    transport_.ExpectReply("GET", std::string(kBase) + "/vpcs", 200, vpcs);
    r.attributes = {{"existing", existing}, {"lookup", true}, {"region", "nyc3"}};
    return provider_->Create(r, ctx_);
  };
  for (const char* existing : {"team-net", "v-1"}) {
    auto o = lookup(existing);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_EQ(o->id, "v-1");
    EXPECT_EQ(o->cloud_name, "team-net");
    EXPECT_EQ(o->outputs["ip_range"], "10.116.0.0/20");
  }
  auto far = lookup("far-net");
  EXPECT_EQ(far.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(far.status().message(), "network.app: VPC 'far-net' is in region ams3, but provider 'do' deploys to nyc3; "
                                    "droplets can only join a VPC of their own region");
  auto none = lookup("nope");
  EXPECT_TRUE(none.status().IsNotFound());
  EXPECT_EQ(none.status().message(),
            "network.app: no VPC 'nope' in the account of provider 'do'; list them with `doctl vpcs list`");
  EXPECT_EQ(Count("POST", "/vpcs"), 0u);

  // Teardown forgets it: only the deployment's unused tags are cleaned up.
  transport_.ExpectReply("GET", std::string(kBase) + "/tags", 200, R"({"tags":[],"links":{},"meta":{"total":0}})");
  state::ResourceState prior;
  prior.address = "network.app";
  prior.kind = "network";
  prior.id = "v-1";
  prior.attributes = {{"existing", "team-net"}, {"lookup", true}, {"region", "nyc3"}};
  EXPECT_TRUE(provider_->Delete(prior, ctx_).ok());
  EXPECT_EQ(Count("DELETE", "/vpcs"), 0u);
  EXPECT_TRUE(transport_.Unexpected().empty()) << transport_.Unexpected()[0];
}

TEST_F(DoProviderTest, DiscoverPaginatesAndMapsEveryKind) {
  std::string p2 = std::string(kBase) + "/droplets?page=2&per_page=200&tag_name=orchestrator-deployment%3Ademo";
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-deployment%3Ademo&per_page=200", 200,
                         json({{"droplets", {Droplet(1, "db.instance[0]", "active")}},
                               {"links", {{"pages", {{"next", p2}, {"last", p2}}}}}, {"meta", {{"total", 2}}}}).dump());
  // Multi-created: no address tag, known by its exact name and tier tag.
  json batched = Droplet(3, "web.instance[1]", "active");
  batched["tags"] = {DeploymentTag("demo"), "orchestrator-tier:web", "demo-web"};
  json stray = batched;  // not named like a member of its tier
  stray["id"] = 4;
  stray["name"] = "demo-web-one";
  transport_.ExpectReply("GET", p2, 200,
                         json({{"droplets", {Droplet(2, "mon.instance[0]", "active"), batched, stray}},
                               {"links", {{"pages", {{"prev", "x"}}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/volumes", 200,
                         json({{"volumes", {{{"id", "v1"}, {"name", "demo-db-data-0"}, {"tags", {DeploymentTag("demo"), AddressTag("db.volume.data[0]")}}},
                                            {{"id", "v2"}, {"name", "other"}, {"tags", json::array()}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/vpcs", 200,
                         json({{"vpcs", {{{"id", "vpc1"}, {"name", "demo-main"}, {"description", DeploymentTag("demo") + " " + AddressTag("network.main")}}, {{"id", "vpc2"}, {"name", "demo-other"}, {"description", DeploymentTag("demo-x") + " " + AddressTag("network.other")}}, {{"id", "d"}, {"name", "default-nyc3"}, {"default", true}}}}}).dump());
  // demo-x is another deployment: its names start with "demo-" too.
  transport_.ExpectReply("GET", std::string(kBase) + "/tags", 200,
                         json({{"tags", {{{"name", DeploymentTag("demo")}}, {{"name", DeploymentTag("demo-x")}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/firewalls", 200,
                         json({{"firewalls", {{{"id", "fw1"}, {"name", "demo-db-fw"}, {"tags", {"demo-db"}}},
                                              {{"id", "fw2"}, {"name", "prod-db-fw"}, {"tags", {"prod-db"}}},
                                              {{"id", "fw3"}, {"name", "demo-x-db-fw"}, {"tags", {"demo-x-db"}}},
                                              {{"id", "fw4"}, {"name", "demo-web-fw"}, {"tags", {"other"}}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/load_balancers", 200,
                         json({{"load_balancers", {{{"id", "lb1"}, {"name", "demo-api-lb"}, {"ip", "5.5.5.5"}, {"tag", "demo-api"}},
                                                   {{"id", "lb2"}, {"name", "demo-x-api-lb"}, {"ip", "6.6.6.6"}, {"tag", "demo-x-api"}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/account/keys", 200,
                         json({{"ssh_keys", {{{"id", 7}, {"name", "demo-ops"}, {"fingerprint", "aa"}},
                                             {{"id", 8}, {"name", "demo-x-ops"}, {"fingerprint", "bb"}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips", 200,
                         json({{"reserved_ips", {{{"ip", "9.9.9.9"}, {"droplet", {{"id", 2}}}}, {{"ip", "8.8.8.8"}, {"droplet", nullptr}}}}}).dump());
  auto found = provider_->Discover("demo");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::map<std::string, engine::ObservedResource> by;
  for (auto& o : *found) by[o.address] = o;
  EXPECT_EQ(by.size(), 10u);  // 9 addresses and "" for the stray droplet (an orphan)
  EXPECT_EQ(by["web.instance[1]"].id, "3");
  EXPECT_EQ(by["web.instance[1]"].tags[std::string(model::kTagAddress)], "web.instance[1]");
  EXPECT_EQ(by[""].id, "4");
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

// Drift: Discover reports back what state records (firewall rules and tag,
// a droplet's tier tag, attachments and assignments) in the recorded form.
TEST_F(DoProviderTest, DiscoverReportsTheLiveAttributesComparedForDrift) {
  json tagged = Droplet(1, "db.instance[0]", "active");
  json untagged = Droplet(2, "db.instance[1]", "active");
  tagged["tags"].push_back("demo-db");
  transport_.ExpectReply("GET", std::string(kBase) + "/droplets?tag_name=orchestrator-deployment%3Ademo&per_page=200", 200,
                         json({{"droplets", {tagged, untagged}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/volumes", 200,
                         json({{"volumes", {{{"id", "v1"}, {"name", "demo-db-data-0"}, {"droplet_ids", {1}},
                                             {"tags", {DeploymentTag("demo"), AddressTag("db.volume.data[0]")}}},
                                            {{"id", "v2"}, {"name", "demo-db-data-1"}, {"droplet_ids", json::array()},
                                             {"tags", {DeploymentTag("demo"), AddressTag("db.volume.data[1]")}}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/vpcs", 200, json({{"vpcs", json::array()}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/tags", 200, json({{"tags", json::array()}}).dump());
  json rules = {{{"protocol", "tcp"}, {"ports", "22"}, {"sources", {{"addresses", {"0.0.0.0/0", "::/0"}}}}},
                {{"protocol", "tcp"}, {"ports", "9042"}, {"sources", {{"tags", {"demo-api"}}}}}};
  transport_.ExpectReply("GET", std::string(kBase) + "/firewalls", 200,
                         json({{"firewalls", {{{"id", "fw1"}, {"name", "demo-db-fw"}, {"tags", {"demo-db"}},
                                               {"inbound_rules", rules}}}}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/load_balancers", 200, json({{"load_balancers", json::array()}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/account/keys", 200, json({{"ssh_keys", json::array()}}).dump());
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips", 200,
                         json({{"reserved_ips", {{{"ip", "9.9.9.9"}, {"droplet", {{"id", 1}}}}}}}).dump());
  auto found = provider_->Discover("demo");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::map<std::string, engine::ObservedResource> by;
  for (auto& o : *found) by[o.address] = o;
  EXPECT_EQ(by["db.instance[0]"].attributes["target_tag"], "demo-db");
  EXPECT_EQ(by["db.instance[1]"].attributes["target_tag"], "");  // taken off outside
  EXPECT_EQ(by["db.volume.data[0]"].attributes, json({{"instance_id", "1"}}));
  EXPECT_EQ(by["db.volume.data[1]"].attributes, json({{"instance_id", ""}}));
  EXPECT_EQ(by["db.fip[0]"].attributes, json({{"instance_id", "1"}}));
  EXPECT_EQ(by["db.firewall"].attributes["target_tag"], "demo-db");
  // The live rules, in the spec's form, compare equal to the rules they came
  // from; one more rule opened outside does not.
  model::Resource fw;
  fw.address = *model::Address::Parse("db.firewall");
  fw.attributes = {{"rules", {{{"protocol", "tcp"}, {"ports", "9042"}, {"sources", json::array()}, {"source_tags", {"demo-api"}}},
                              {{"protocol", "tcp"}, {"ports", "22"}, {"sources", json::array()}, {"source_tags", json::array()}}}},
                   {"target_tag", "demo-db"}};
  state::ResourceState live;
  live.id = "fw1";
  live.attributes = by["db.firewall"].attributes;
  EXPECT_EQ(provider_->Diff(fw, live), plan::DiffDecision::kNoop);
  live.attributes["rules"].push_back({{"protocol", "tcp"}, {"ports", "0"}, {"sources", {"0.0.0.0/0"}}, {"source_tags", json::array()}});
  EXPECT_EQ(provider_->Diff(fw, live), plan::DiffDecision::kUpdate);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST(DoFirewallRulesTest, CanonicalFormIgnoresOrderDefaultsAndPortSpelling) {
  json a = {{{"protocol", "tcp"}, {"ports", "22"}, {"sources", {"b", "a"}}},
            {{"protocol", "icmp"}, {"ports", "all"}},
            {{"protocol", "udp"}, {"ports", ""}, {"sources", json::array()}, {"source_tags", json::array()}}};
  json b = {{{"protocol", "udp"}, {"ports", "1-65535"}, {"sources", {"0.0.0.0/0", "::/0"}}},
            {{"protocol", "tcp"}, {"ports", "22"}, {"sources", {"a", "b"}}, {"source_tags", json::array()}},
            {{"protocol", "icmp"}, {"sources", {"::/0", "0.0.0.0/0"}}}};
  EXPECT_EQ(CanonicalFirewallRules(a), CanonicalFirewallRules(b));
  b[1]["ports"] = "23";
  EXPECT_NE(CanonicalFirewallRules(a), CanonicalFirewallRules(b));
  EXPECT_EQ(CanonicalFirewallRules("not rules"), json::array());
}

TEST_F(DoProviderTest, LoadBalancerIgnoresMemberIpsButNotListeners) {
  model::Resource lb;
  lb.address = *model::Address::Parse("api.lb");
  lb.attributes = {{"listeners", {{{"port", 80}}}}, {"targets", {{"tag", "demo-api"}, {"private_ips", "10.0.0.1,10.0.0.2"}}}};
  state::ResourceState prior;
  prior.attributes = lb.attributes;
  prior.attributes["targets"]["private_ips"] = "10.0.0.1";
  EXPECT_EQ(provider_->Diff(lb, prior), plan::DiffDecision::kNoop);
  prior.id = "lb1";
  prior.attributes["listeners"][0]["port"] = 81;
  EXPECT_EQ(provider_->Diff(lb, prior), plan::DiffDecision::kUpdate);
  prior.attributes["region"] = "fra1";
  EXPECT_EQ(provider_->Diff(lb, prior), plan::DiffDecision::kReplace);
}

TEST_F(DoProviderTest, DiffUpdatesInPlaceOnlyWhatTheApiCanChange) {
  model::Resource inst = Instance(0);
  state::ResourceState p;
  p.id = "42";
  p.attributes = inst.attributes;
  EXPECT_EQ(provider_->Diff(inst, p), plan::DiffDecision::kNoop);
  p.attributes["size"] = "s-2vcpu-4gb";
  EXPECT_EQ(provider_->Diff(inst, p), plan::DiffDecision::kUpdate);  // resize
  p.attributes["target_tag"] = "demo-old";
  p.attributes.erase("group");
  EXPECT_EQ(provider_->Diff(inst, p), plan::DiffDecision::kUpdate);  // retag, count -> group
  for (const char* key : {"user_data", "image", "region", "ssh_keys", "network"}) {
    state::ResourceState q = p;
    q.attributes[key] = "changed";
    EXPECT_EQ(provider_->Diff(inst, q), plan::DiffDecision::kReplace) << key;
  }
  state::ResourceState unknown = p;
  unknown.id = "";
  EXPECT_EQ(provider_->Diff(inst, unknown), plan::DiffDecision::kReplace);

  model::Resource v;
  v.address = *model::Address::Parse("db.volume.data[0]");
  v.attributes = {{"size_gb", 200}, {"region", "nyc3"}, {"instance_id", "42"}};
  state::ResourceState pv;
  pv.id = "vol-1";
  pv.attributes = v.attributes;
  pv.attributes["size_gb"] = 100;
  EXPECT_EQ(provider_->Diff(v, pv), plan::DiffDecision::kUpdate);  // grows
  pv.attributes["size_gb"] = 300;
  EXPECT_EQ(provider_->Diff(v, pv), plan::DiffDecision::kReplace);  // volumes never shrink
  pv.attributes["size_gb"] = 200;
  pv.attributes["instance_id"] = "41";
  EXPECT_EQ(provider_->Diff(v, pv), plan::DiffDecision::kUpdate);  // its droplet was replaced: reattach
  pv.attributes["type"] = "other";
  EXPECT_EQ(provider_->Diff(v, pv), plan::DiffDecision::kReplace);

  model::Resource ip;
  ip.address = *model::Address::Parse("mon.fip[0]");
  ip.attributes = {{"region", "nyc3"}, {"instance", "mon.instance[0]"}, {"instance_id", "43"}};
  state::ResourceState pi;
  pi.id = "1.2.3.4";
  pi.attributes = ip.attributes;
  pi.attributes["instance_id"] = "42";
  EXPECT_EQ(provider_->Diff(ip, pi), plan::DiffDecision::kUpdate);  // reassign, same address
  pi.attributes["region"] = "fra1";
  EXPECT_EQ(provider_->Diff(ip, pi), plan::DiffDecision::kReplace);

  model::Resource fw;
  fw.address = *model::Address::Parse("api.firewall");
  fw.attributes = {{"rules", json::array()}, {"target_tag", "demo-api"}};
  state::ResourceState pf;
  pf.id = "fw1";
  pf.attributes = {{"rules", {{{"protocol", "tcp"}, {"ports", "22"}}}}, {"target_tag", "demo-api"}};
  EXPECT_EQ(provider_->Diff(fw, pf), plan::DiffDecision::kUpdate);
}

TEST_F(DoProviderTest, FirewallRulesAreUpdatedWithPut) {
  model::Resource fw;
  fw.address = *model::Address::Parse("api.firewall");
  fw.cloud_name = "demo-api-fw";
  fw.attributes = {{"rules", {{{"protocol", "tcp"}, {"ports", "8080"}, {"sources", {"10.0.0.0/8"}}}}},
                   {"target_tag", "demo-api"}};
  state::ResourceState prior;
  prior.address = "api.firewall";
  prior.id = "fw1";
  prior.cloud_name = "demo-api-fw";
  transport_.ExpectReply("GET", std::string(kBase) + "/tags/demo-api", 200, R"({"tag":{"name":"demo-api"}})");
  transport_.ExpectReply("PUT", std::string(kBase) + "/firewalls/fw1", 200, R"({"firewall":{"id":"fw1"}})");
  auto r = provider_->Update(fw, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "fw1");
  json body = json::parse(transport_.Requests().back().body);
  EXPECT_EQ(body["name"], "demo-api-fw");
  EXPECT_EQ(body["inbound_rules"][0]["ports"], "8080");
  EXPECT_EQ(body["inbound_rules"][0]["sources"]["addresses"], json::array({"10.0.0.0/8"}));
  EXPECT_EQ(body["tags"], json::array({"demo-api"}));
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(DoProviderTest, LoadBalancerRulesAndHealthCheckAreUpdatedWithPut) {
  model::Resource lb;
  lb.address = *model::Address::Parse("api.lb");
  lb.cloud_name = "demo-api-lb";
  lb.attributes = {{"region", "nyc3"}, {"listeners", {{{"protocol", "http"}, {"port", 8000}, {"target_port", 8080}}}},
                   {"health_check", {{"protocol", "http"}, {"port", 8080}, {"path", "/ready"}}},
                   {"targets", {{"tag", "demo-api"}}}, {"network", "vpc-1"}};
  state::ResourceState prior;
  prior.address = "api.lb";
  prior.id = "lb1";
  prior.cloud_name = "demo-api-lb";
  transport_.ExpectReply("GET", std::string(kBase) + "/tags/demo-api", 200, R"({"tag":{"name":"demo-api"}})");
  transport_.ExpectReply("PUT", std::string(kBase) + "/load_balancers/lb1", 200,
                         R"({"load_balancer":{"id":"lb1","name":"demo-api-lb","ip":"5.5.5.5","status":"active"}})");
  auto r = provider_->Update(lb, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outputs["ip"], "5.5.5.5");
  json body = json::parse(transport_.Requests().back().body);
  EXPECT_EQ(body["forwarding_rules"][0]["entry_port"], 8000);
  EXPECT_EQ(body["health_check"]["path"], "/ready");
  EXPECT_EQ(body["tag"], "demo-api");
  EXPECT_EQ(body["vpc_uuid"], "vpc-1");
  EXPECT_TRUE(transport_.Unexpected().empty());
}

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

TEST_F(DoProviderTest, ReservedIpIsReassignedAndALostAnswerIsNotResent) {
  model::Resource ip;
  ip.address = *model::Address::Parse("mon.fip[0]");
  ip.attributes = {{"region", "nyc3"}, {"instance_id", "43"}};
  state::ResourceState prior;
  prior.id = "1.2.3.4";
  prior.attributes = {{"region", "nyc3"}, {"instance_id", "42"}};
  const std::string rip = std::string(kBase) + "/reserved_ips/1.2.3.4";
  transport_.ExpectReply("GET", rip, 200, R"({"reserved_ip":{"ip":"1.2.3.4","droplet":null}})");
  transport_.ExpectReset("POST", rip + "/actions");  // applied, answer lost
  transport_.ExpectReply("GET", rip, 200, R"({"reserved_ip":{"ip":"1.2.3.4","droplet":{"id":43}}})");
  auto r = provider_->Update(ip, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "1.2.3.4");
  EXPECT_EQ(r->outputs["ip"], "1.2.3.4");
  EXPECT_EQ(Count("POST", "/reserved_ips"), 1u);
  json assign = json::parse(transport_.Requests()[1].body);
  EXPECT_EQ(assign["type"], "assign");
  EXPECT_EQ(assign["droplet_id"], 43);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

// One droplet whose actions complete at once; `lose_` answers are applied
// but reset.
class DropletUpdateTest : public DoProviderTest {
 protected:
  void SetUp() override {
    DoProviderTest::SetUp();
    droplet_ = Droplet(42, "api.instance[0]", "active");
    transport_.SetFallback([this](const env::HttpRequest& req) -> Result<env::HttpResponse> {
      std::lock_guard<std::mutex> lock(mu_);
      const std::string base = std::string(kBase);
      if (req.method == "GET" && req.url == base + "/droplets/42") return Reply(200, {{"droplet", droplet_}});
      if (req.method == "GET" && req.url.rfind(base + "/actions/", 0) == 0)
        return Reply(200, {{"action", {{"id", 1}, {"status", "completed"}}}});
      if (req.method == "POST" && req.url == base + "/droplets/42/actions") {
        json b = json::parse(req.body);
        actions_.push_back(b["type"]);
        if (b["type"] == "power_off") droplet_["status"] = "off";
        if (b["type"] == "power_on") droplet_["status"] = "active";
        if (b["type"] == "resize") {
          if (droplet_["status"] != "off") return Reply(422, {{"id", "unprocessable_entity"}, {"message", "Droplet must be powered off to resize."}});
          droplet_["size_slug"] = b["size"];
        }
        if (lose_ > 0) {
          --lose_;
          return Status::Transient("connection reset by peer (scripted)");
        }
        return Reply(201, {{"action", {{"id", 1}, {"status", "in-progress"}}}});
      }
      if (req.url.rfind(base + "/tags", 0) == 0) {
        tag_calls_.push_back(req.method + " " + req.url.substr(base.size()));
        return req.method == "GET" ? Reply(200, {{"tag", json::object()}}) : Reply(204, nullptr);
      }
      return Status::Internal("unexpected " + req.method + " " + req.url);
    });
  }
  std::mutex mu_;
  json droplet_;
  std::vector<std::string> actions_, tag_calls_;
  int lose_ = 0;
};

TEST_F(DropletUpdateTest, ResizePowersOffResizesAndPowersOn) {
  model::Resource inst = Instance(0);
  inst.attributes["size"] = "s-2vcpu-4gb";
  state::ResourceState prior;
  prior.id = "42";
  prior.attributes = Instance(0).attributes;
  lose_ = 1;  // the power_off answer is lost: it is not sent twice
  auto r = provider_->Update(inst, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(actions_, (std::vector<std::string>{"power_off", "resize", "power_on"}));
  EXPECT_EQ(r->attributes["size"], "s-2vcpu-4gb");
  EXPECT_EQ(r->outputs["status"], "active");
  EXPECT_EQ(r->id, "42");
  EXPECT_TRUE(tag_calls_.empty());
}

TEST_F(DropletUpdateTest, TargetTagMovesWithoutTouchingTheDroplet) {
  model::Resource inst = Instance(0);
  state::ResourceState prior;
  prior.id = "42";
  prior.attributes = inst.attributes;
  prior.attributes["target_tag"] = "demo-old";
  auto r = provider_->Update(inst, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(actions_.empty());
  EXPECT_EQ(tag_calls_, (std::vector<std::string>{"GET /tags/demo-api", "POST /tags/demo-api/resources",
                                                  "DELETE /tags/demo-old/resources"}));
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
