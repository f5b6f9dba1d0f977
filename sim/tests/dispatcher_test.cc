// Dispatcher: routing errors, stats by route pattern, fault injection
// (determinism, lost, quota, scoping), the admin API and state files. Uses
// ToyApi; some tests go through a real HttpServer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "core/dispatcher.h"
#include "server/http.h"
#include "tests/test_client.h"
#include "tests/toy_api.h"

namespace cloudsim {
namespace {

using testing::TestConn;
using testing::TestResponse;
using testing::ToyApi;

HttpRequest Req(const std::string& method, const std::string& path, const std::string& body = "") {
  HttpRequest r;
  r.method = method;
  r.target = path;
  size_t q = path.find('?');
  r.path = path.substr(0, q);
  for (size_t start = q; start != std::string::npos && start + 1 < path.size();) {
    size_t end = path.find('&', start + 1);
    std::string pair = path.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    size_t eq = pair.find('=');
    r.query.emplace(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
    start = end;
  }
  r.body = body;
  return r;
}

nlohmann::json Body(const HttpResponse& r) { return nlohmann::json::parse(r.body); }

class DispatcherTest : public ::testing::Test {
 protected:
  explicit DispatcherTest(uint64_t seed = 42) : ctx_(0.01, seed, &clock_) {}
  void SetUp() override { Build(42, ""); }

  void Build(uint64_t seed, const std::string& state_file) {
    Dispatcher::Options o;
    o.seed = seed;
    o.time_scale = 0.01;
    o.state_file = state_file;
    d_ = std::make_unique<Dispatcher>(&ctx_, o);
    auto toy = std::make_unique<ToyApi>("toy");
    auto toy2 = std::make_unique<ToyApi>("toy2");
    toy_ = toy.get();
    toy2_ = toy2.get();
    d_->AddApi(std::move(toy));
    d_->AddApi(std::move(toy2));
    ctx_.base_url = "http://127.0.0.1:1";
  }
  void Faults(const std::string& spec) {
    std::string error;
    ASSERT_TRUE(d_->SetFaults(spec, &error)) << error;
  }
  nlohmann::json StatsFor(const std::string& method, const std::string& route) {
    nlohmann::json stats = Body(d_->Handle(Req("GET", "/_sim/stats")));
    for (const auto& e : stats["requests"]) {
      if (e["method"] == method && e["route"] == route) return e;
    }
    return nullptr;
  }

  SimClock clock_;
  SimContext ctx_;
  std::unique_ptr<Dispatcher> d_;
  ToyApi* toy_ = nullptr;
  ToyApi* toy2_ = nullptr;
};

TEST_F(DispatcherTest, UnknownRouteIs404AndWrongMethodIs405WithJsonBodies) {
  HttpResponse r = d_->Handle(Req("GET", "/nowhere"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["error"], "not_found");
  EXPECT_NE(Body(r)["message"].get<std::string>().find("/nowhere"), std::string::npos);
  r = d_->Handle(Req("PUT", "/toy/items"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Body(r)["error"], "method_not_allowed");
  r = d_->Handle(Req("DELETE", "/_sim/health"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(d_->Handle(Req("GET", "/_sim/nothing")).status, 404);
}

TEST_F(DispatcherTest, HeadUsesTheGetRoute) {
  EXPECT_EQ(d_->Handle(Req("HEAD", "/toy/items")).status, 200);
}

TEST_F(DispatcherTest, NotReadyAnswers503) {
  d_->SetReady(false);
  EXPECT_EQ(d_->Handle(Req("GET", "/toy/items")).status, 503);
  d_->SetReady(true);
  EXPECT_EQ(d_->Handle(Req("GET", "/toy/items")).status, 200);
}

TEST_F(DispatcherTest, StatsCountByRoutePatternAndStatus) {
  EXPECT_EQ(d_->Handle(Req("POST", "/toy/items", "a")).status, 201);
  EXPECT_EQ(d_->Handle(Req("GET", "/toy/items/1")).status, 200);
  EXPECT_EQ(d_->Handle(Req("GET", "/toy/items/2")).status, 404);
  EXPECT_EQ(d_->Handle(Req("GET", "/toy/items/3")).status, 404);
  d_->Handle(Req("GET", "/nowhere"));
  d_->Handle(Req("GET", "/_sim/health"));

  nlohmann::json get = StatsFor("GET", "/toy/items/{id}");
  ASSERT_FALSE(get.is_null());
  EXPECT_EQ(get["api"], "toy");
  EXPECT_EQ(get["count"], 3);
  EXPECT_EQ(get["by_status"]["200"], 1);
  EXPECT_EQ(get["by_status"]["404"], 2);
  nlohmann::json post = StatsFor("POST", "/toy/items");
  EXPECT_EQ(post["count"], 1);
  EXPECT_EQ(post["by_status"]["201"], 1);
  EXPECT_EQ(StatsFor("GET", "(unmatched)")["count"], 1);
  // Admin requests are not counted.
  nlohmann::json stats = Body(d_->Handle(Req("GET", "/_sim/stats")));
  for (const auto& e : stats["requests"]) EXPECT_NE(e["route"].get<std::string>().rfind("/_sim", 0), 0u);
  EXPECT_EQ(stats["faults_injected"], 0);
  EXPECT_EQ(stats["rate_limited"], 0);
}

TEST_F(DispatcherTest, RateLimitedCountsTheApisOwn429s) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(d_->Handle(Req("GET", "/toy/limited")).status, 429);
  nlohmann::json stats = Body(d_->Handle(Req("GET", "/_sim/stats")));
  EXPECT_EQ(stats["rate_limited"], 3);
  EXPECT_EQ(stats["faults_injected"], 0);
}

// The outcome of each request of a fixed sequence, as text.
std::vector<std::string> RunSequence(Dispatcher& d) {
  std::vector<std::string> out;
  for (int i = 0; i < 150; ++i) {
    HttpRequest req = i % 3 == 0 ? Req("POST", "/toy/items") : Req("GET", "/toy/items/" + std::to_string(i % 7));
    HttpResponse r = d.Handle(req);
    out.push_back(r.drop_connection ? "drop" : std::to_string(r.status) + "/" + std::to_string(r.delay_ms));
  }
  return out;
}

TEST_F(DispatcherTest, SameSeedAndSequenceGiveSameFaults) {
  Build(1234, "");
  Faults("rate=0.5");
  std::vector<std::string> first = RunSequence(*d_);
  int first_faults = Body(d_->Handle(Req("GET", "/_sim/stats")))["faults_injected"];

  Build(1234, "");
  Faults("rate=0.5");
  std::vector<std::string> second = RunSequence(*d_);
  EXPECT_EQ(first, second);
  EXPECT_EQ(Body(d_->Handle(Req("GET", "/_sim/stats")))["faults_injected"], first_faults);
  EXPECT_GT(first_faults, 30);
  EXPECT_LT(first_faults, 120);

  Build(99, "");
  Faults("rate=0.5");
  EXPECT_NE(RunSequence(*d_), first);
}

TEST_F(DispatcherTest, LostRunsTheMutationButDropsTheAnswer) {
  Faults("lost=1");
  HttpResponse r = d_->Handle(Req("POST", "/toy/items", "x"));
  EXPECT_TRUE(r.drop_connection);
  EXPECT_EQ(toy_->ItemCount(), 1u);  // the create happened
  // Reads are never lost.
  r = d_->Handle(Req("GET", "/toy/items"));
  EXPECT_FALSE(r.drop_connection);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(StatsFor("POST", "/toy/items")["by_status"]["dropped"], 1);
  EXPECT_EQ(Body(d_->Handle(Req("GET", "/_sim/stats")))["faults_injected"], 1);
}

TEST_F(DispatcherTest, ResetDoesNotRunTheHandler) {
  Faults("reset=1");
  HttpResponse r = d_->Handle(Req("POST", "/toy/items", "x"));
  EXPECT_TRUE(r.drop_connection);
  EXPECT_EQ(toy_->ItemCount(), 0u);
}

TEST_F(DispatcherTest, InjectedErrorsUseTheApisOwnForms) {
  Faults("429=1");
  HttpResponse r = d_->Handle(Req("GET", "/toy2/items"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Body(r)["api"], "toy2");
  bool has_retry_after = false;
  for (const auto& [k, v] : r.headers) has_retry_after |= k == "Retry-After";
  EXPECT_TRUE(has_retry_after);

  Faults("5xx=1");
  r = d_->Handle(Req("GET", "/toy/items"));
  EXPECT_TRUE(r.status == 500 || r.status == 502 || r.status == 503) << r.status;
  EXPECT_EQ(Body(r)["id"], "server_error");

  Faults("quota=1");
  r = d_->Handle(Req("POST", "/toy/items"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r)["id"], "quota_exceeded");
  EXPECT_EQ(toy_->ItemCount(), 0u);
  // Quota only on creates.
  EXPECT_EQ(d_->Handle(Req("POST", "/toy/items/1/actions")).status, 201);
  EXPECT_EQ(d_->Handle(Req("GET", "/toy/items")).status, 200);
  nlohmann::json stats = Body(d_->Handle(Req("GET", "/_sim/stats")));
  EXPECT_EQ(stats["faults_injected"], 3);
  EXPECT_EQ(stats["rate_limited"], 1);
}

TEST_F(DispatcherTest, SlowAnswersAfterADelay) {
  Faults("slow=1");
  HttpResponse r = d_->Handle(Req("GET", "/toy/items"));
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(r.delay_ms, 25);
  EXPECT_LE(r.delay_ms, 150);
}

TEST_F(DispatcherTest, ScopingByApi) {
  Faults("api=toy2,429=1");
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(d_->Handle(Req("GET", "/toy/items")).status, 200);
    EXPECT_EQ(d_->Handle(Req("GET", "/toy2/items")).status, 429);
  }
}

TEST_F(DispatcherTest, ScopingByRoutePrefixAndMostSpecificGroupWins) {
  Faults("route=/toy/items/,5xx=1");
  EXPECT_EQ(d_->Handle(Req("GET", "/toy/items")).status, 200);
  EXPECT_GE(d_->Handle(Req("GET", "/toy/items/1")).status, 500);
  EXPECT_EQ(d_->Handle(Req("GET", "/toy2/items/1")).status, 404);

  // Unscoped 429 everywhere, but the route group overrides it for /toy/items.
  Faults("429=1;api=toy,route=/toy/items,slow=1");
  HttpResponse r = d_->Handle(Req("GET", "/toy/items"));
  EXPECT_EQ(r.status, 200);
  EXPECT_GT(r.delay_ms, 0);
  EXPECT_EQ(d_->Handle(Req("GET", "/toy/limited")).status, 429);
  EXPECT_EQ(d_->Handle(Req("GET", "/toy2/items")).status, 429);
}

TEST_F(DispatcherTest, AuthAndAdminRoutesAreExemptUnlessNamed) {
  Faults("429=1");
  EXPECT_EQ(d_->Handle(Req("POST", "/toy/auth/tokens")).status, 201);
  EXPECT_EQ(d_->Handle(Req("GET", "/_sim/health")).status, 200);
  Faults("route=/toy/auth,429=1");
  EXPECT_EQ(d_->Handle(Req("POST", "/toy/auth/tokens")).status, 429);
  Faults("route=/_sim,429=1");
  EXPECT_EQ(d_->Handle(Req("GET", "/_sim/health")).status, 200);
}

TEST_F(DispatcherTest, AdminResourcesResetAndFaults) {
  d_->Handle(Req("POST", "/toy/items", "one"));
  d_->Handle(Req("POST", "/toy2/items", "two"));
  nlohmann::json all = Body(d_->Handle(Req("GET", "/_sim/resources")));
  ASSERT_EQ(all["resources"].size(), 2u);
  nlohmann::json first = all["resources"][0];
  EXPECT_EQ(first["api"], "toy");
  EXPECT_EQ(first["kind"], "item");
  EXPECT_EQ(first["id"], "1");
  EXPECT_EQ(first["name"], "one");
  EXPECT_EQ(first["tags"], nlohmann::json::array({"t1"}));
  EXPECT_EQ(first["labels"]["k"], "v");
  EXPECT_EQ(first["status"], "active");
  nlohmann::json only2 = Body(d_->Handle(Req("GET", "/_sim/resources?api=toy2")));
  ASSERT_EQ(only2["resources"].size(), 1u);
  EXPECT_EQ(only2["resources"][0]["name"], "two");
  EXPECT_EQ(d_->Handle(Req("GET", "/_sim/resources?api=nope")).status, 404);

  HttpResponse r = d_->Handle(Req("POST", "/_sim/faults", "api=toy,429=0.25"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(d_->Handle(Req("GET", "/_sim/faults")))["spec"], "api=toy,429=0.25");
  r = d_->Handle(Req("POST", "/_sim/faults", R"({"spec": "reset=0.5"})"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["groups"][0]["reset"], 0.5);
  r = d_->Handle(Req("POST", "/_sim/faults", "reset=5"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"], "invalid_faults");
  EXPECT_EQ(Body(d_->Handle(Req("GET", "/_sim/faults")))["spec"], "reset=0.5");
  EXPECT_EQ(d_->Handle(Req("POST", "/_sim/faults", "")).status, 200);

  EXPECT_EQ(d_->Handle(Req("POST", "/_sim/reset")).status, 200);
  EXPECT_EQ(Body(d_->Handle(Req("GET", "/_sim/resources")))["resources"].size(), 0u);
  EXPECT_EQ(Body(d_->Handle(Req("GET", "/_sim/stats")))["requests"].size(), 0u);

  nlohmann::json health = Body(d_->Handle(Req("GET", "/_sim/health")));
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["apis"], nlohmann::json::array({"toy", "toy2"}));
}

TEST_F(DispatcherTest, DescribeMergesApisWithBaseAndAdmin) {
  nlohmann::json d = d_->Describe();
  EXPECT_EQ(d["base"], "http://127.0.0.1:1");
  EXPECT_EQ(d["admin"], "http://127.0.0.1:1/_sim");
  EXPECT_EQ(d["toy"], "/toy");
  EXPECT_EQ(d["env"]["TOY_toy2_TOKEN"], "it's-a-token");
}

class StateFileTest : public DispatcherTest {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    path_ = dir_ + "/state.json";
    Build(1, path_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

TEST_F(StateFileTest, SaveAndLoadRoundTrip) {
  d_->Handle(Req("POST", "/toy/items", "kept"));
  d_->Handle(Req("POST", "/toy2/items", "also"));
  HttpResponse r = d_->Handle(Req("POST", "/_sim/save"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(std::filesystem::exists(path_));
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp." + std::to_string(getpid())));

  Build(1, path_);
  EXPECT_EQ(toy_->ItemCount(), 0u);
  bool loaded = false;
  std::string error;
  ASSERT_TRUE(d_->LoadState(path_, &loaded, &error)) << error;
  EXPECT_TRUE(loaded);
  EXPECT_EQ(toy_->ItemCount(), 1u);
  EXPECT_EQ(Body(d_->Handle(Req("GET", "/toy2/items/1")))["name"], "also");
  // Ids continue where they left off.
  EXPECT_EQ(Body(d_->Handle(Req("POST", "/toy/items")))["id"], "2");
}

TEST_F(StateFileTest, MissingFileIsAFirstRunAndGarbageIsAnError) {
  bool loaded = true;
  std::string error;
  EXPECT_TRUE(d_->LoadState(dir_ + "/absent.json", &loaded, &error));
  EXPECT_FALSE(loaded);
  std::ofstream(path_) << "{not json";
  EXPECT_FALSE(d_->LoadState(path_, &loaded, &error));
  EXPECT_NE(error.find("not a cloudsim state file"), std::string::npos) << error;
}

TEST_F(DispatcherTest, SaveWithoutStateFileIs409) {
  EXPECT_EQ(d_->Handle(Req("POST", "/_sim/save")).status, 409);
}

TEST(EnvFileTest, QuotesValuesForTheShell) {
  nlohmann::json env = {{"PLAIN", "http://127.0.0.1:1/v2"}, {"TRICKY", "it's $HOME `x` \"y\""}, {"NUM", 5},
                        {"bad-name", "skipped"}};
  std::string text = EnvFileText(env);
  EXPECT_NE(text.find("export PLAIN='http://127.0.0.1:1/v2'\n"), std::string::npos);
  EXPECT_EQ(text.find("bad-name"), std::string::npos);
  std::string dir = testing::MakeTempDir();
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(dir + "/env", text, &error)) << error;
  std::string cmd = ". " + dir + "/env && [ \"$TRICKY\" = 'it'\"'\"'s $HOME `x` \"y\"' ] && [ \"$NUM\" = 5 ]";
  std::ofstream(dir + "/check.sh") << cmd << "\n";
  EXPECT_EQ(testing::RunShell("bash " + dir + "/check.sh"), 0);
  std::filesystem::remove_all(dir);
}

// The same machinery behind a real server: a lost create is applied, yet
// the client's connection closes without an answer.
TEST(DispatcherServerTest, LostCreateOverTheWire) {
  SimClock clock;
  SimContext ctx(0.01, 5, &clock);
  Dispatcher d(&ctx, {});
  auto toy = std::make_unique<ToyApi>("toy");
  ToyApi* raw = toy.get();
  d.AddApi(std::move(toy));
  HttpServer server({}, [&d](const HttpRequest& req) { return d.Handle(req); });
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  ASSERT_TRUE(d.SetFaults("route=/toy/items,lost=1", &error));

  auto c = TestConn::Connect(server.port());
  ASSERT_TRUE(c);
  TestResponse r;
  EXPECT_FALSE(c->Request("POST", "/toy/items", "ghost", &r));
  EXPECT_EQ(raw->ItemCount(), 1u);

  auto admin = TestConn::Connect(server.port());
  ASSERT_TRUE(admin->Request("GET", "/_sim/resources?api=toy", "", &r));
  EXPECT_EQ(r.status, 200);
  auto list = nlohmann::json::parse(r.body)["resources"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["name"], "ghost");
  // A read on the same route is not lost.
  ASSERT_TRUE(admin->Request("GET", "/toy/items", "", &r));
  EXPECT_EQ(r.status, 200);
  server.Stop();
}

// Holds: the named occurrence waits until released, the others pass; the
// wait call returns once the request is held; "after" holds answer only on
// release although the handler already ran.
TEST_F(DispatcherTest, HoldKeepsTheNamedRequestUntilReleased) {
  HttpResponse made = d_->Handle(Req("POST", "/_sim/holds", R"({"api":"toy","method":"POST","path_prefix":"/toy/items","skip":1})"));
  ASSERT_EQ(made.status, 201) << made.body;
  std::string id = Body(made)["id"];
  EXPECT_EQ(d_->Handle(Req("POST", "/toy/items", "first")).status, 201);  // skipped
  EXPECT_EQ(d_->Handle(Req("GET", "/toy/items")).status, 200);            // other method
  auto second = std::async(std::launch::async, [&] { return d_->Handle(Req("POST", "/toy/items", "second")); });
  nlohmann::json w = Body(d_->Handle(Req("GET", "/_sim/holds/" + id + "?held=1&timeout_s=30")));
  EXPECT_TRUE(w["met"].get<bool>()) << w.dump();
  EXPECT_EQ(w["held"], 1);
  EXPECT_EQ(w["matched"], 2);
  EXPECT_EQ(second.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  EXPECT_EQ(toy_->ItemCount(), 1u);  // held before it was handled
  EXPECT_EQ(d_->Handle(Req("POST", "/toy/items", "third")).status, 201);  // count 1: passes
  EXPECT_EQ(d_->Handle(Req("DELETE", "/_sim/holds/" + id)).status, 200);
  EXPECT_EQ(second.get().status, 201);
  EXPECT_EQ(toy_->ItemCount(), 3u);
  EXPECT_EQ(d_->Handle(Req("DELETE", "/_sim/holds/" + id)).status, 404);
}

TEST_F(DispatcherTest, AfterHoldRunsTheHandlerAndKeepsTheAnswer) {
  HttpResponse made = d_->Handle(Req("POST", "/_sim/holds", R"({"method":"mutating","stage":"after"})"));
  ASSERT_EQ(made.status, 201) << made.body;
  std::string id = Body(made)["id"];
  auto create = std::async(std::launch::async, [&] { return d_->Handle(Req("POST", "/toy2/items", "x")); });
  nlohmann::json w = Body(d_->Handle(Req("GET", "/_sim/holds/" + id + "?held=1&timeout_s=30")));
  EXPECT_TRUE(w["met"].get<bool>()) << w.dump();
  EXPECT_EQ(toy2_->ItemCount(), 1u);  // handled, answer not sent
  EXPECT_EQ(d_->Handle(Req("DELETE", "/_sim/holds")).status, 200);
  EXPECT_EQ(create.get().status, 201);
  EXPECT_EQ(Body(d_->Handle(Req("GET", "/_sim/holds")))["holds"].size(), 0u);
}

TEST_F(DispatcherTest, HoldWaitTimesOutUnmetAndBadRulesAre400) {
  std::string id = Body(d_->Handle(Req("POST", "/_sim/holds", R"({"path_prefix":"/never"})")))["id"];
  nlohmann::json w = Body(d_->Handle(Req("GET", "/_sim/holds/" + id + "?held=1&timeout_s=0.05")));
  EXPECT_FALSE(w["met"].get<bool>());
  EXPECT_EQ(d_->Handle(Req("GET", "/_sim/holds/nosuch")).status, 404);
  for (const char* bad : {R"({"stage":"during"})", R"({"skip":-1})", R"({"method":"post"})", R"({"colour":1})",
                          R"({"max_s":0})", "[1]", "not json"}) {
    HttpResponse r = d_->Handle(Req("POST", "/_sim/holds", bad));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(Body(r)["error"], "invalid_hold") << bad;
  }
}

TEST_F(DispatcherTest, HeldRequestGoesOnAfterMaxSeconds) {
  d_->Handle(Req("POST", "/_sim/holds", R"({"method":"DELETE","max_s":0.05})"));
  EXPECT_EQ(d_->Handle(Req("DELETE", "/toy/items/9")).status, 404);
}

}  // namespace
}  // namespace cloudsim
