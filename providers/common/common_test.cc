#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <cstdlib>
#include <string>
#include <vector>

#include "http/http_client.h"
#include "providers/common/batcher.h"
#include "providers/common/create.h"
#include "providers/common/list_poller.h"
#include "providers/common/json_read.h"
#include "providers/common/observed.h"
#include "providers/common/operation_poller.h"
#include "providers/common/outcome.h"
#include "providers/common/resource_handler.h"
#include "providers/common/rest_client.h"
#include "providers/common/settings.h"
#include "providers/common/timeouts.h"
#include "providers/common/uuid.h"
#include "testing/fake_clock.h"
#include "testing/scripted_transport.h"

namespace orch::providers::common {
namespace {

using nlohmann::json;

class RestClientTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  testing::ScriptedTransport transport_;
  http::HttpClient http_{&transport_, &clock_, http::RetryPolicy{.seed = 1}};
  BearerAuthenticator auth_{"secret-token-123"};
  LinksPagesPager pager_;
  RateLimiter limiter_{&clock_};
  RestClient rest_{&http_, &clock_, "http://api.test/v2", &auth_, &pager_, nullptr, &limiter_};
};

TEST_F(RestClientTest, ListFollowsLinksPagesNext) {
  transport_.ExpectReply("GET", "http://api.test/v2/droplets?tag_name=x&per_page=200", 200,
                         R"({"droplets":[{"id":1},{"id":2}],"links":{"pages":{"next":"http://api.test/v2/droplets?page=2&per_page=200&tag_name=x"}},"meta":{"total":3}})");
  transport_.ExpectReply("GET", "http://api.test/v2/droplets?page=2", 200,
                         R"({"droplets":[{"id":3}],"links":{"pages":{"prev":"x"}},"meta":{"total":3}})");
  auto items = rest_.List("/droplets?tag_name=x", "droplets");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[2]["id"], 3);
  auto reqs = transport_.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  bool auth = false;
  for (auto& [k, v] : reqs[0].headers) if (k == "Authorization" && v == "Bearer secret-token-123") auth = true;
  EXPECT_TRUE(auth);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(RestClientTest, ListWithoutItsArrayIsAnErrorNotAnEmptyList) {
  // Read as empty, such an answer would make the plan create everything again.
  transport_.ExpectReply("GET", "http://api.test/v2/droplets", 200, R"({"links":{},"meta":{"total":0}})");
  transport_.ExpectReply("GET", "http://api.test/v2/droplets", 200, R"({"droplets":{"id":1}})");
  transport_.ExpectReply("GET", "http://api.test/v2/droplets", 200, "");
  for (int i = 0; i < 3; ++i) {
    auto items = rest_.List("/droplets", "droplets");
    ASSERT_FALSE(items.ok()) << i;
    EXPECT_NE(items.status().message().find("no 'droplets' array"), std::string::npos) << items.status().ToString();
  }
}

TEST_F(RestClientTest, NextPageLinkToAnotherHostStaysOnTheApiOrigin) {
  transport_.ExpectReply("GET", "http://api.test/v2/droplets?per_page=200", 200,
                         R"({"droplets":[{"id":1}],"links":{"pages":{"next":"https://collector.example:8443/v2/droplets?page=2&per_page=200"}}})");
  transport_.ExpectReply("GET", "http://api.test/v2/droplets?page=2&per_page=200", 200, R"({"droplets":[{"id":2}]})");
  auto items = rest_.List("/droplets", "droplets");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_EQ(items->size(), 2u);
  for (const auto& r : transport_.Requests()) EXPECT_EQ(r.url.find("collector.example"), std::string::npos) << r.url;
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(RestClientTest, ListWhoseNextLinksComeBackAroundIsAnError) {
  transport_.ExpectReply("GET", "http://api.test/v2/droplets?per_page=200", 200,
                         R"({"droplets":[],"links":{"pages":{"next":"http://api.test/v2/droplets?page=2"}}})");
  transport_.ExpectReply("GET", "http://api.test/v2/droplets?page=2", 200,
                         R"({"droplets":[],"links":{"pages":{"next":"http://api.test/v2/droplets?per_page=200"}}})");
  auto items = rest_.List("/droplets", "droplets");
  ASSERT_FALSE(items.ok());
  EXPECT_NE(items.status().message().find("never ends"), std::string::npos) << items.status().ToString();
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(RestClientTest, CredentialsGoOnlyToTheApiOrigin) {
  auto r = rest_.Get("http://elsewhere.test/v2/droplets");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not on the API's origin http://api.test"), std::string::npos)
      << r.status().ToString();
  EXPECT_TRUE(transport_.Requests().empty());
  transport_.ExpectReply("GET", "http://API.test/v2/account", 200, R"({"account":{}})");
  EXPECT_TRUE(rest_.Get("http://API.test/v2/account").ok());  // the same origin, spelt in capitals
}

TEST(ClipTest, LongMessagesSayHowLongTheyWere) {
  EXPECT_EQ(ClipMessage("short"), "short");
  EXPECT_EQ(ClipMessage(std::string(1000, 'A'), 4), "AAAA... (1000 bytes)");
}

TEST_F(RestClientTest, DeeplyNestedAnswerIsRefused) {
  std::string deep = R"({"droplets":[)" + std::string(100000, '[') + std::string(100000, ']') + "]}";
  transport_.ExpectReply("GET", "http://api.test/v2/droplets", 200, deep);
  auto items = rest_.List("/droplets", "droplets");
  ASSERT_FALSE(items.ok());
  EXPECT_NE(items.status().message().find("deeper than"), std::string::npos) << items.status().ToString();
}

TEST(UrlTest, OriginOfUrlsAndPaths) {
  EXPECT_EQ(Origin("HTTPS://Api.Test:8443/v2/x?y=1"), "https://api.test:8443");
  EXPECT_EQ(Origin("http://a.b?x"), "http://a.b");
  EXPECT_EQ(Origin("/v2/x"), "");
}

TEST_F(RestClientTest, ErrorWithoutMapperUsesStatusCode) {
  transport_.ExpectReply("GET", "http://api.test/v2/x", 404, R"({"id":"not_found","message":"nope"})");
  auto r = rest_.Get("/x");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
}

TEST_F(RestClientTest, LowRemainingBudgetSpacesRequests) {
  int64_t reset = clock_.NowMicros() / 1000000 + 100;
  env::HeaderList h = {{"ratelimit-limit", "5000"}, {"ratelimit-remaining", "50"},
                       {"ratelimit-reset", std::to_string(reset)}};
  transport_.ExpectReply("GET", "http://api.test/v2/a", 200, "{}", h);
  transport_.ExpectReply("GET", "http://api.test/v2/b", 200, "{}", h);
  transport_.ExpectReply("GET", "http://api.test/v2/c", 200, "{}");
  ASSERT_TRUE(rest_.Get("/a").ok());
  // 50 requests left for 100 s: one every 2 s.
  EXPECT_EQ(limiter_.spacing_micros(), 2000000);
  ASSERT_TRUE(rest_.Get("/b").ok());
  ASSERT_TRUE(rest_.Get("/c").ok());
  EXPECT_GE(limiter_.waited_micros(), 2000000);
}

TEST_F(RestClientTest, PlentifulBudgetDoesNotWait) {
  env::HeaderList h = {{"ratelimit-limit", "5000"}, {"ratelimit-remaining", "4000"}, {"ratelimit-reset", "0"}};
  transport_.ExpectReply("GET", "http://api.test/v2/a", 200, "{}", h);
  transport_.ExpectReply("GET", "http://api.test/v2/b", 200, "{}", h);
  ASSERT_TRUE(rest_.Get("/a").ok());
  ASSERT_TRUE(rest_.Get("/b").ok());
  EXPECT_EQ(limiter_.waited_micros(), 0);
}

TEST(PollTest, BacksOffUntilDone) {
  testing::FakeClock clock;
  int calls = 0;
  PollOptions o;
  o.initial_interval_ms = 100;
  o.multiplier = 2;
  o.max_interval_ms = 300;
  Status st = Poll(&clock, o, [&]() -> Result<bool> { return ++calls == 4; });
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(calls, 4);
  std::vector<int64_t> expected = {100000, 200000, 300000};
  EXPECT_EQ(clock.Sleeps(), expected);
}

TEST(PollTest, TimesOutAndStopsOnError) {
  testing::FakeClock clock;
  PollOptions o;
  o.timeout_ms = 1000;
  o.what = "thing";
  Status st = Poll(&clock, o, []() -> Result<bool> { return false; });
  EXPECT_TRUE(st.IsTimeout());
  EXPECT_NE(st.message().find("thing"), std::string::npos);
  Status err = Poll(&clock, o, []() -> Result<bool> { return Status::NotFound("gone"); });
  EXPECT_TRUE(err.IsNotFound());
}

TEST(UuidTest, Version5KnownVector) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  EXPECT_EQ(DeterministicUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  EXPECT_NE(DeterministicUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "a"),
            DeterministicUuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "b"));
}

TEST(UrlTest, AddQueryAndEncode) {
  EXPECT_EQ(AddQuery("/a", "x=1"), "/a?x=1");
  EXPECT_EQ(AddQuery("/a?y=2", "x=1"), "/a?y=2&x=1");
  EXPECT_EQ(UrlEncode("orchestrator-address:api:dinstance"), "orchestrator-address%3Aapi%3Adinstance");
}

TEST(JsonReadTest, StrGivesStringsAndIntegersAsText) {
  json j = {{"name", "web-1"}, {"id", 1234}, {"big", int64_t{9007199254740993}}, {"none", nullptr},
            {"ratio", 0.5}, {"up", true}, {"list", json::array({"a"})}};
  EXPECT_EQ(Str(j, "name"), "web-1");
  EXPECT_EQ(Str(j, "id"), "1234");
  EXPECT_EQ(Str(j, "big"), "9007199254740993");
  EXPECT_EQ(Str(j, "missing"), "");
  EXPECT_EQ(Str(j, "missing", "dflt"), "dflt");
  // null, floats, booleans and containers are not text: the fallback.
  EXPECT_EQ(Str(j, "none", "dflt"), "dflt");
  EXPECT_EQ(Str(j, "ratio", "dflt"), "dflt");
  EXPECT_EQ(Str(j, "up", "dflt"), "dflt");
  EXPECT_EQ(Str(j, "list", "dflt"), "dflt");
}

TEST(JsonReadTest, StrOfSomethingNotAnObjectIsTheFallback) {
  EXPECT_EQ(Str(json::array({1, 2}), "0", "dflt"), "dflt");
  EXPECT_EQ(Str(json("text"), "text", "dflt"), "dflt");
  EXPECT_EQ(Str(json(), "id"), "");
}

TEST(JsonReadTest, StringFieldTakesOnlyStrings) {
  json j = {{"token", "abc"}, {"id", 7}, {"none", nullptr}};
  EXPECT_EQ(StringField(j, "token"), "abc");
  EXPECT_EQ(StringField(j, "id"), "");
  EXPECT_EQ(StringField(j, "none"), "");
  EXPECT_EQ(StringField(j, "missing"), "");
  EXPECT_EQ(StringField(json::array({"token"}), "token"), "");
}

TEST(SettingsTest, EnvOrReadsTheVariableOrGivesEmpty) {
  ::setenv("ORCH_COMMON_TEST_VAR", "value-1", 1);
  EXPECT_EQ(EnvOr("ORCH_COMMON_TEST_VAR"), "value-1");
  ::unsetenv("ORCH_COMMON_TEST_VAR");
  EXPECT_EQ(EnvOr("ORCH_COMMON_TEST_VAR"), "");
}

TEST(SettingsTest, SettingMsTakesIntegersAndNumericStrings) {
  json s = {{"n", 250}, {"text", "1500"}, {"bad", "fast"}, {"empty", ""}, {"float", 2.5}, {"flag", true}};
  EXPECT_EQ(SettingMs(s, "n", 9), 250);
  EXPECT_EQ(SettingMs(s, "text", 9), 1500);
  EXPECT_EQ(SettingMs(s, "bad", 9), 9);
  EXPECT_EQ(SettingMs(s, "empty", 9), 9);
  EXPECT_EQ(SettingMs(s, "float", 9), 9);
  EXPECT_EQ(SettingMs(s, "flag", 9), 9);
  EXPECT_EQ(SettingMs(s, "missing", 9), 9);
  EXPECT_EQ(SettingMs(json(), "n", 9), 9);
  EXPECT_EQ(SettingMs(json::array({250}), "n", 9), 9);
}

TEST(ObservedTest, CarriesIdNameAndOutputsOnly) {
  engine::ObservedResource o = Observed("id-1", "demo-web", {{"ip", "10.0.0.2"}});
  EXPECT_EQ(o.id, "id-1");
  EXPECT_EQ(o.cloud_name, "demo-web");
  EXPECT_EQ(o.outputs, json({{"ip", "10.0.0.2"}}));
  EXPECT_EQ(o.address, "");
  EXPECT_EQ(o.kind, "");
  EXPECT_TRUE(o.tags.empty());
  EXPECT_EQ(o.attributes, json::object());
  EXPECT_EQ(Observed("id-2", "n").outputs, json::object());
}

TEST(SettingsTest, PollIntervalsAreReadAndTheMaximumIsNeverBelowTheInitial) {
  int64_t initial = 500, max = 5000;
  ReadPollIntervals(json::object(), &initial, &max);
  EXPECT_EQ(initial, 500);
  EXPECT_EQ(max, 5000);
  ReadPollIntervals({{"poll_interval_ms", "20"}, {"poll_max_interval_ms", 80}}, &initial, &max);
  EXPECT_EQ(initial, 20);
  EXPECT_EQ(max, 80);
  ReadPollIntervals({{"poll_interval_ms", 9000}}, &initial, &max);
  EXPECT_EQ(initial, 9000);
  EXPECT_EQ(max, 9000);
}

model::Resource WebInstance() {
  model::Resource r;
  r.address.tier = "web";
  r.address.kind = model::Kind::kInstance;
  r.address.index = 0;
  r.cloud_name = "demo-web-0";
  r.tags = {{"deployment", "demo"}};
  return r;
}

TEST(OutcomeTest, FinishCreateFillsWhatTheKindLeftEmpty) {
  model::Resource r = WebInstance();
  Result<engine::ObservedResource> done = FinishCreate(Observed("42", "", {{"ip", "10.0.0.2"}}), r);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->address, r.address.ToString());
  EXPECT_EQ(done->kind, "instance");
  EXPECT_EQ(done->cloud_name, "demo-web-0");
  EXPECT_EQ(done->tags, r.tags);
  EXPECT_EQ(done->outputs, json({{"ip", "10.0.0.2"}, {"id", "42"}}));

  engine::ObservedResource own = Observed("43", "named-by-cloud");
  own.tags = {{"k", "v"}};
  Result<engine::ObservedResource> kept = FinishCreate(own, r);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->cloud_name, "named-by-cloud");
  EXPECT_EQ(kept->tags, own.tags);
}

TEST(OutcomeTest, FinishCreateNamesTheAddressInErrors) {
  model::Resource r = WebInstance();
  Result<engine::ObservedResource> failed = FinishCreate(Status::Internal("quota"), r);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find(r.address.ToString()), std::string::npos);
  EXPECT_NE(failed.status().message().find("quota"), std::string::npos);
}

TEST(OutcomeTest, FinishDeleteCountsGoneAsDeleted) {
  EXPECT_TRUE(FinishDelete(Status::OK(), "web.instance[0]").ok());
  EXPECT_TRUE(FinishDelete(Status::NotFound("no droplet 42"), "web.instance[0]").ok());
  Status st = FinishDelete(Status::Conflict("in use"), "web.instance[0]");
  EXPECT_TRUE(st.IsConflict());
  EXPECT_NE(st.message().find("web.instance[0]"), std::string::npos);
}

TEST(RetryWhileBusyTest, RetriesWithBackoffUntilNotBusy) {
  testing::FakeClock clock;
  engine::ApplyContext ctx;
  std::vector<std::string> progress;
  ctx.progress = [&](const std::string& m) { progress.push_back(m); };
  int calls = 0;
  Status st = RetryWhileBusy([&] { return ++calls < 4 ? Status::Conflict("in use") : Status::OK(); },
                             [](const Status& s) { return s.IsConflict(); }, &clock, {100, 300, 60000}, ctx,
                             "volume v1");
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(clock.Sleeps(), (std::vector<int64_t>{100000, 200000, 300000}));
  ASSERT_EQ(progress.size(), 3u);
  EXPECT_EQ(progress[0], "waiting for volume v1 to be free");
}

TEST(RetryWhileBusyTest, OtherErrorsAndTheTimeoutEndIt) {
  testing::FakeClock clock;
  engine::ApplyContext ctx;
  auto conflict = [](const Status& s) { return s.IsConflict(); };
  int calls = 0;
  Status other = RetryWhileBusy([&] { ++calls; return Status::NotFound("gone"); }, conflict, &clock, {}, ctx, "x");
  EXPECT_TRUE(other.IsNotFound());
  EXPECT_EQ(calls, 1);
  Status late = RetryWhileBusy([] { return Status::Conflict("in use"); }, conflict, &clock, {1000, 1000, 2500}, ctx,
                               "x");
  EXPECT_TRUE(late.IsConflict());
  EXPECT_EQ(clock.TotalSleptMicros(), 3000000);  // three waits of 1 s, then past 2.5 s
}

TEST(RetryWhileBusyTest, StopsWhenCancelled) {
  testing::FakeClock clock;
  std::atomic<bool> cancelled{true};
  engine::ApplyContext ctx;
  ctx.cancelled = &cancelled;
  Status st = RetryWhileBusy([] { return Status::Conflict("in use"); }, [](const Status& s) { return s.IsConflict(); },
                             &clock, {}, ctx, "x");
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
}


// A kind whose rules change in place and whose image forces a replacement.
class FakeHandler : public ResourceHandler {
 public:
  model::Kind kind() const override { return model::Kind::kFirewall; }
  std::vector<AttributeSpec> Attributes() const override {
    return {{"rules", true, OnChange::kInPlace, "PUT /fw/{id}"},
            {"image", true, OnChange::kReplace, "fixed at create"},
            {"tier", false, OnChange::kIgnored, "bookkeeping"}};
  }
  Result<engine::ObservedResource> Create(const model::Resource& r, engine::ApplyContext&) override {
    engine::ObservedResource o;
    o.id = "fw-1";
    return o;
  }
  Status Delete(const state::ResourceState&, engine::ApplyContext&) override { return Status::NotFound("gone"); }
};

model::Resource Fw(json attributes) {
  model::Resource r;
  r.address = *model::Address::Parse("api.firewall");
  r.cloud_name = "demo-api";
  r.attributes = std::move(attributes);
  return r;
}

state::ResourceState Recorded(json attributes, std::string id = "fw-1") {
  state::ResourceState s;
  s.address = "api.firewall";
  s.kind = "firewall";
  s.id = std::move(id);
  s.attributes = std::move(attributes);
  return s;
}

TEST(ResourceHandlerTest, DiffFollowsTheDeclaration) {
  FakeHandler h;
  json base = {{"rules", json::array({"22"})}, {"image", "a"}, {"tier", "api"}};
  EXPECT_EQ(h.Diff(Fw(base), Recorded(base)), plan::DiffDecision::kNoop);
  json rules = base;
  rules["rules"] = json::array({"22", "80"});
  EXPECT_EQ(h.Diff(Fw(rules), Recorded(base)), plan::DiffDecision::kUpdate);
  EXPECT_EQ(h.Diff(Fw(rules), Recorded(base, "")), plan::DiffDecision::kReplace) << "no id: nothing to update";
  json image = base;
  image["image"] = "b";
  EXPECT_EQ(h.Diff(Fw(image), Recorded(base)), plan::DiffDecision::kReplace);
  json tier = base;
  tier["tier"] = "web";
  EXPECT_EQ(h.Diff(Fw(tier), Recorded(base)), plan::DiffDecision::kNoop);
  json undeclared = base;
  undeclared["color"] = "red";
  EXPECT_EQ(h.Diff(Fw(undeclared), Recorded(base)), plan::DiffDecision::kReplace);
}

TEST(ResourceHandlerTest, TableRoutesByKindAndFinishesResults) {
  HandlerTable table("Testcloud");
  table.Add(std::make_unique<FakeHandler>());
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> made = table.Create(Fw(json::object()), ctx);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->address, "api.firewall");
  EXPECT_EQ(made->kind, "firewall");
  EXPECT_EQ(made->cloud_name, "demo-api");
  EXPECT_EQ(made->outputs["id"], "fw-1");
  EXPECT_TRUE(table.Delete(Recorded(json::object()), ctx).ok()) << "already gone counts as deleted";
  model::Resource lb = Fw(json::object());
  lb.address = *model::Address::Parse("api.lb");
  Result<engine::ObservedResource> none = table.Create(lb, ctx);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("api.lb: Testcloud has no load_balancer"), std::string::npos)
      << none.status().ToString();
  Result<engine::ObservedResource> upd = table.Update(Fw(json::object()), Recorded(json::object()), ctx);
  ASSERT_FALSE(upd.ok());
  EXPECT_NE(upd.status().message().find("api.firewall: updating in place"), std::string::npos);
}

TEST(ResourceHandlerTest, TimeoutsAreInNoDiffAndReadWithTheirDefault) {
  HandlerTable table("Testcloud");
  table.Add(std::make_unique<FakeHandler>());
  json base = {{"rules", json::array({"22"})}, {"image", "a"}};
  json timed = base;
  timed["timeouts"] = {{"create_ms", 60000}};
  EXPECT_EQ(table.Diff(Fw(timed), Recorded(base)), plan::DiffDecision::kNoop) << "added";
  EXPECT_EQ(table.Diff(Fw(base), Recorded(timed)), plan::DiffDecision::kNoop) << "removed";
  json image = timed;
  image["image"] = "b";
  EXPECT_EQ(table.Diff(Fw(image), Recorded(base)), plan::DiffDecision::kReplace) << "with another change";
  EXPECT_EQ(TimeoutMs(timed, "create", 5), 60000);
  EXPECT_EQ(TimeoutMs(timed, "delete", 5), 5);
  EXPECT_EQ(TimeoutMs(base, "create", 5), 5);
  EXPECT_EQ(TimeoutMs(json::object({{"timeouts", {{"create_ms", "1m"}}}}), "create", 5), 5) << "not a number";
  EXPECT_EQ(WithoutTimeouts(timed), base);
}

TEST(ResourceHandlerTest, AttributeTableAndItsDocumentedCopy) {
  HandlerTable table("Testcloud");
  table.Add(std::make_unique<FakeHandler>());
  std::string t = AttributeTable(table);
  EXPECT_NE(t.find("| firewall | `rules` | yes | in place | PUT /fw/{id} |"), std::string::npos) << t;
  EXPECT_NE(t.find("| firewall | `tier` | no | ignored | bookkeeping |"), std::string::npos) << t;
  std::string doc = "# x\n<!-- BEGIN attributes -->\n" + t + "\n\n<!-- END attributes -->\nmore";
  EXPECT_EQ(DocumentedAttributeTable(doc), t);
  EXPECT_EQ(DocumentedAttributeTable("no markers"), "");
}


TEST(CreateBatcherTest, ConcurrentJoinsShareOneSendAndAFullBatchGoesAtOnce) {
  BatchOptions o;
  o.window = BatchOptions::Window::kQuiet;
  o.window_ms = 2000;  // only a full batch ends the wait early
  o.max_members = 3;
  CreateBatcher<int> b(o);
  std::atomic<int> sends{0};
  std::vector<Result<json>> got(3, Status::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&, i] {
      got[i] = b.Join("same body", i, [&](const std::vector<int>& members) {
        ++sends;
        std::vector<Result<json>> out;
        for (int m : members) out.push_back(json(m * 10));
        return out;
      });
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(sends.load(), 1);
  EXPECT_EQ(b.batches_sent(), 1);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(got[i].ok());
    EXPECT_EQ(*got[i], json(i * 10)) << "each member gets its own slot";
  }
}

TEST(CreateBatcherTest, FixedWindowSleepsOnTheClockAndShortAnswersAreErrors) {
  testing::FakeClock clock;
  BatchOptions o;
  o.window = BatchOptions::Window::kFixed;
  o.window_ms = 40;
  o.clock = &clock;
  CreateBatcher<std::string> b(o);
  Result<json> r = b.Join("k", "a", [](const std::vector<std::string>&) { return std::vector<Result<json>>{}; });
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(clock.Sleeps().empty());
  EXPECT_EQ(clock.Sleeps()[0], 40000);
}

TEST(ListPollerTest, OneListPerRoundBackingOffUntilSettled) {
  testing::FakeClock clock;
  int lists = 0;
  ListPoller p(
      &clock, {10, 40, 60000},
      [&]() -> Result<std::vector<json>> {
        ++lists;
        std::string status = lists >= 4 ? "up" : "booting";
        return std::vector<json>{{{"id", "a"}, {"status", status}}, {{"id", ""}}};
      },
      [](const json& i) { return i.value("id", ""); }, [](const json& i) { return i.value("status", "") == "up"; });
  engine::ApplyContext ctx;
  auto up = [](const json* i) -> std::optional<Result<json>> {
    if (i && i->value("status", "") == "up") return Result<json>(*i);
    return std::nullopt;
  };
  Result<json> r = p.Wait("a", up, "a to be up", ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(lists, 4);
  EXPECT_EQ(p.rounds(), 4);
  // 10 ms before the first round, then growing by half while not settled.
  EXPECT_EQ(clock.Sleeps(), (std::vector<int64_t>{10000, 15000, 22000, 33000}));
  auto never = [](const json*) -> std::optional<Result<json>> { return std::nullopt; };
  std::atomic<bool> cancel{true};
  engine::ApplyContext cancelled;
  cancelled.cancelled = &cancel;
  Result<json> c = p.Wait("a", never, "a to go", cancelled);
  EXPECT_EQ(c.status().code(), StatusCode::kCancelled);
  EXPECT_NE(c.status().message().find("a to go"), std::string::npos);
}

}  // namespace
}  // namespace orch::providers::common
