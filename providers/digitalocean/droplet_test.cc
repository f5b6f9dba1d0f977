// droplet.cc with the shared batcher and poller: create, multi-create, shared polling, resize, tags.
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

// A droplet DigitalOcean keeps listing as "new": the create ends at the
// tier's create timeout and says the status it stayed in.
TEST_F(DoProviderTest, ADropletStuckInNewFailsAtTheTiersCreateTimeout) {
  transport_.SetFallback([&](const env::HttpRequest& req) -> Result<env::HttpResponse> {
    if (req.method == "POST" && req.url == std::string(kBase) + "/droplets")
      return Reply(202, {{"droplet", Droplet(5, "api.instance[0]", "new")}});
    if (req.method == "GET" && req.url.find("/droplets?tag_name=") != std::string::npos)
      return Reply(200, {{"droplets", {Droplet(5, "api.instance[0]", "new")}}, {"links", json::object()}});
    return Status::Internal("unexpected " + req.method + " " + req.url);
  });
  model::Resource r = Instance(0);
  r.attributes["timeouts"] = {{"create_ms", 90000}};
  const int64_t start = clock_.MonotonicMicros();
  auto made = provider_->Create(r, ctx_);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kTimeout);
  EXPECT_EQ(made.status().message(),
            "api.instance[0]: droplet 5 did not become active within 1m30s: its status is still 'new' (deploy again "
            "to wait longer, or raise the tier's timeouts.create)");
  const int64_t waited_ms = (clock_.MonotonicMicros() - start) / 1000;
  EXPECT_GE(waited_ms, 90000);
  EXPECT_LT(waited_ms, 100000) << "the tier's deadline, not the 15 minute default";
}

// An action DigitalOcean never completes (here a power_off before a resize)
// ends at the tier's create timeout, not at the 10 minute action default.
TEST_F(DoProviderTest, AnActionThatNeverCompletesEndsAtTheTiersTimeout) {
  transport_.SetFallback([&](const env::HttpRequest& req) -> Result<env::HttpResponse> {
    if (req.method == "GET" && req.url == std::string(kBase) + "/droplets/5")
      return Reply(200, {{"droplet", Droplet(5, "api.instance[0]", "active")}});
    if (req.method == "POST" && req.url == std::string(kBase) + "/droplets/5/actions")
      return Reply(201, {{"action", {{"id", 77}, {"status", "in-progress"}, {"type", "power_off"}}}});
    if (req.method == "GET" && req.url == std::string(kBase) + "/actions/77")
      return Reply(200, {{"action", {{"id", 77}, {"status", "in-progress"}, {"type", "power_off"}}}});
    return Status::Internal("unexpected " + req.method + " " + req.url);
  });
  model::Resource r = Instance(0);
  state::ResourceState prior;
  prior.id = "5";
  prior.attributes = r.attributes;
  r.attributes["size"] = "s-8vcpu-16gb";
  ctx_.timeout_ms = 60000;
  const int64_t start = clock_.MonotonicMicros();
  auto updated = provider_->Update(r, prior, ctx_);
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.status().code(), StatusCode::kTimeout) << updated.status().ToString();
  const int64_t waited_ms = (clock_.MonotonicMicros() - start) / 1000;
  EXPECT_GE(waited_ms, 60000);
  EXPECT_LT(waited_ms, 70000) << "the tier's deadline, not the 10 minute default";
}

}  // namespace
}  // namespace orch::providers::digitalocean
