// HttpClient retry logic against ScriptedTransport and FakeClock.
#include "http/http_client.h"

#include <gtest/gtest.h>

#include "http/redact.h"
#include "testing/fake_clock.h"
#include "testing/scripted_transport.h"

namespace orch::http {
namespace {

using orch::testing::FakeClock;
using orch::testing::ScriptedTransport;

SendOptions Track(SendOutcome* out) {
  SendOptions o;
  o.outcome = out;
  return o;
}

SendOptions Idempotent() {
  SendOptions o;
  o.idempotent = true;
  return o;
}

env::HttpRequest Req(std::string method, std::string url) {
  env::HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  return r;
}

struct Retry {
  int attempt;
  int64_t delay_ms;
  std::string reason;
};

class HttpClientTest : public ::testing::Test {
 protected:
  HttpClient& MakeClient(RetryPolicy p = {}) {
    if (p.seed == 0) p.seed = 42;
    client_ = std::make_unique<HttpClient>(&transport_, &clock_, p);
    client_->SetRetryObserver([this](int a, int64_t d, const std::string& why) {
      retries_.push_back({a, d, why});
    });
    return *client_;
  }
  std::vector<int64_t> SleptMs() const {
    std::vector<int64_t> out;
    for (int64_t us : clock_.Sleeps()) out.push_back(us / 1000);
    return out;
  }

  ScriptedTransport transport_;
  FakeClock clock_;
  std::vector<Retry> retries_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(HttpClientTest, RetriesServiceUnavailableThenSucceeds) {
  transport_.ExpectReply("GET", "https://api/v2/droplets", 503);
  transport_.ExpectReply("GET", "https://api/v2/droplets", 503);
  transport_.ExpectReply("GET", "https://api/v2/droplets", 200, R"({"droplets":[]})");
  HttpClient& c = MakeClient();
  SendOutcome out;
  Result<env::HttpResponse> r = c.Send(Req("GET", "https://api/v2/droplets"), Track(&out));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(out.attempts, 3);
  EXPECT_EQ(transport_.RequestCount(), 3u);
  ASSERT_EQ(retries_.size(), 2u);
  EXPECT_EQ(retries_[0].attempt, 1);
  EXPECT_EQ(retries_[1].attempt, 2);
  EXPECT_EQ(retries_[0].reason, "HTTP 503");
  // Full jitter within the exponential ceiling: [0, 500] then [0, 1000].
  std::vector<int64_t> slept = SleptMs();
  ASSERT_EQ(slept.size(), 2u);
  EXPECT_LE(slept[0], 500);
  EXPECT_LE(slept[1], 1000);
  EXPECT_EQ(slept[0], retries_[0].delay_ms);
  EXPECT_EQ(slept[1], retries_[1].delay_ms);
  EXPECT_EQ(out.waited_ms, slept[0] + slept[1]);
}

TEST_F(HttpClientTest, JitterIsSeededAndSpreads) {
  auto delays = [&](uint64_t seed) {
    ScriptedTransport t;
    FakeClock clock;
    for (int i = 0; i < 6; ++i) t.ExpectReply("GET", "", 502);
    RetryPolicy p;
    p.seed = seed;
    p.max_attempts = 6;
    p.max_backoff_ms = 4000;
    HttpClient c(&t, &clock, p);
    Result<env::HttpResponse> r = c.Send(Req("GET", "https://api/x"));
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->status, 502);  // retries exhausted: the last answer is returned
    return clock.Sleeps();
  };
  std::vector<int64_t> a = delays(7), b = delays(7), c = delays(8);
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const int64_t ceilings_ms[] = {500, 1000, 2000, 4000, 4000};
  for (size_t i = 0; i < a.size(); ++i) EXPECT_LE(a[i], ceilings_ms[i] * 1000) << i;
}

TEST_F(HttpClientTest, HonoursRetryAfterSeconds) {
  transport_.ExpectReply("POST", "https://api/v2/droplets", 429, "", {{"Retry-After", "7"}});
  transport_.ExpectReply("POST", "https://api/v2/droplets", 202, "{}");
  HttpClient& c = MakeClient();
  Result<env::HttpResponse> r = c.Send(Req("POST", "https://api/v2/droplets"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(SleptMs(), std::vector<int64_t>{7000});
  ASSERT_EQ(retries_.size(), 1u);
  EXPECT_EQ(retries_[0].reason, "HTTP 429 (server asked to wait)");
}

TEST_F(HttpClientTest, HonoursRetryAfterHttpDate) {
  // FakeClock starts at 2026-11-26T07:00:00Z.
  transport_.ExpectReply("GET", "", 503, "", {{"retry-after", "Thu, 26 Nov 2026 07:00:12 GMT"}});
  transport_.ExpectReply("GET", "", 200);
  HttpClient& c = MakeClient();
  ASSERT_TRUE(c.Send(Req("GET", "https://api/x")).ok());
  EXPECT_EQ(SleptMs(), std::vector<int64_t>{12000});
}

TEST_F(HttpClientTest, HonoursRateLimitResetEpochAndCapsAtMaxBackoff) {
  const int64_t now_s = FakeClock::kDefaultStartMicros / 1000000;
  transport_.ExpectReply("GET", "", 429, "", {{"RateLimit-Reset", std::to_string(now_s + 3)}});
  transport_.ExpectReply("GET", "", 429, "", {{"X-RateLimit-Reset", std::to_string(now_s + 3 + 3600)}});
  transport_.ExpectReply("GET", "", 429, "", {{"Retry-After", "86400"}});
  transport_.ExpectReply("GET", "", 200);
  RetryPolicy p;
  p.max_backoff_ms = 20000;
  p.max_elapsed_ms = 3600 * 1000;
  HttpClient& c = MakeClient(p);
  ASSERT_TRUE(c.Send(Req("GET", "https://api/x")).ok());
  EXPECT_EQ(SleptMs(), (std::vector<int64_t>{3000, 20000, 20000}));
  EXPECT_EQ(retries_[1].reason, "HTTP 429 (server wait capped)");
}

TEST_F(HttpClientTest, StopsAtMaxAttempts) {
  for (int i = 0; i < 10; ++i) transport_.ExpectReply("DELETE", "", 500, "boom");
  RetryPolicy p;
  p.max_attempts = 3;
  HttpClient& c = MakeClient(p);
  SendOutcome out;
  Result<env::HttpResponse> r = c.Send(Req("DELETE", "https://api/x/1"), Track(&out));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(out.attempts, 3);
  EXPECT_EQ(transport_.RequestCount(), 3u);
  Status st = ErrorFromResponse(Req("DELETE", "https://api/x/1"), *r);
  EXPECT_EQ(st.code(), StatusCode::kTransient);
  EXPECT_EQ(st.message(), "DELETE https://api/x/1 -> HTTP 500: boom");
}

TEST_F(HttpClientTest, StopsWhenNextWaitWouldPassMaxElapsed) {
  for (int i = 0; i < 10; ++i) transport_.ExpectReply("GET", "", 503, "", {{"Retry-After", "4"}});
  RetryPolicy p;
  p.max_attempts = 10;
  p.max_elapsed_ms = 10000;
  HttpClient& c = MakeClient(p);
  SendOutcome out;
  Result<env::HttpResponse> r = c.Send(Req("GET", "https://api/x"), Track(&out));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(out.attempts, 3);  // waits at 0 s and 4 s; a third wait would end at 12 s > 10 s
  EXPECT_EQ(SleptMs(), (std::vector<int64_t>{4000, 4000}));
}

TEST_F(HttpClientTest, IdempotentRetriesTransportErrorsAndTimeouts) {
  transport_.ExpectReset("PUT", "");
  transport_.ExpectTimeout("PUT", "");
  transport_.ExpectReply("PUT", "", 200);
  HttpClient& c = MakeClient();
  Result<env::HttpResponse> r = c.Send(Req("PUT", "https://api/x"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(transport_.RequestCount(), 3u);
  EXPECT_EQ(retries_[0].reason, "connection reset by peer (scripted)");
}

TEST_F(HttpClientTest, TransportErrorAfterLastAttemptNamesRequest) {
  for (int i = 0; i < 2; ++i) transport_.ExpectTimeout("GET", "");
  RetryPolicy p;
  p.max_attempts = 2;
  HttpClient& c = MakeClient(p);
  Result<env::HttpResponse> r = c.Send(Req("GET", "https://api/x?token=t0psecret"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_EQ(r.status().message(),
            "GET https://api/x?token=[REDACTED] failed after 2 attempts (attempt limit reached): "
            "operation timed out (scripted)");
}

TEST_F(HttpClientTest, PostIsNotRetriedAfterResetOrTimeout) {
  transport_.ExpectReset("POST", "");
  HttpClient& c = MakeClient();
  SendOutcome out;
  Result<env::HttpResponse> r = c.Send(Req("POST", "https://api/v2/droplets"), Track(&out));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTransient);
  EXPECT_TRUE(MaybeApplied(r.status()));
  EXPECT_TRUE(out.maybe_applied);
  EXPECT_EQ(out.attempts, 1);
  EXPECT_EQ(r.status().message(),
            "POST https://api/v2/droplets may have been applied: it failed after the request may "
            "have reached the server (connection reset by peer (scripted)); not retried "
            "automatically, check whether it took effect");
  EXPECT_TRUE(clock_.Sleeps().empty());

  transport_.ExpectTimeout("POST", "");
  r = c.Send(Req("POST", "https://api/v2/droplets"), Track(&out));
  EXPECT_EQ(r.status().code(), StatusCode::kTransient);  // a timeout too: reported as maybe-applied
  EXPECT_TRUE(out.maybe_applied);
  EXPECT_EQ(transport_.RequestCount(), 2u);
  EXPECT_EQ(transport_.Remaining(), 0u);
}

TEST_F(HttpClientTest, PostIsRetriedWhenNotSentOrExplicitlyRejected) {
  transport_.ExpectRefused("POST", "");
  transport_.ExpectReply("POST", "", 503);
  transport_.ExpectReply("POST", "", 429);
  transport_.ExpectReply("POST", "", 201, "{}");
  HttpClient& c = MakeClient();
  SendOutcome out;
  Result<env::HttpResponse> r = c.Send(Req("POST", "https://api/x"), Track(&out));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(out.attempts, 4);
  EXPECT_FALSE(out.maybe_applied);
}

TEST_F(HttpClientTest, PostGets500BackWithoutRetry) {
  transport_.ExpectReply("POST", "", 500, "oops");
  HttpClient& c = MakeClient();
  Result<env::HttpResponse> r = c.Send(Req("POST", "https://api/x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(transport_.RequestCount(), 1u);
}

TEST_F(HttpClientTest, CallerCanDeclarePostIdempotent) {
  transport_.ExpectReset("POST", "");
  transport_.ExpectReply("POST", "", 500);
  transport_.ExpectReply("POST", "", 200);
  HttpClient& c = MakeClient();
  Result<env::HttpResponse> r = c.Send(Req("POST", "https://api/x"), Idempotent());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(transport_.RequestCount(), 3u);
}

TEST_F(HttpClientTest, NonTransportErrorsAreNotRetried) {
  transport_.ExpectError("GET", "", Status::PermissionDenied("certificate verify failed"));
  transport_.ExpectReply("GET", "", 404);
  HttpClient& c = MakeClient();
  Result<env::HttpResponse> r = c.Send(Req("GET", "https://api/x"));
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  r = c.Send(Req("GET", "https://api/x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(transport_.RequestCount(), 2u);
  EXPECT_TRUE(retries_.empty());
}

TEST(ErrorFromResponseTest, MapsCodesAndRedacts) {
  env::HttpRequest req = Req("POST", "https://auth/token?access_token=abc123");
  req.headers = {{"Authorization", "Bearer supersecret"}};
  env::HttpResponse resp;
  resp.status = 401;
  resp.body = "{\n  \"error\": \"invalid_grant\",\n  \"refresh_token\": \"1//leaked\"\n}";
  Status st = ErrorFromResponse(req, resp);
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message(),
            "POST https://auth/token?access_token=[REDACTED] -> HTTP 401: { \"error\": "
            "\"invalid_grant\", \"refresh_token\": \"[REDACTED]\" }");
  EXPECT_EQ(st.message().find("supersecret"), std::string::npos);

  const std::pair<int, StatusCode> cases[] = {
      {400, StatusCode::kInvalidArgument}, {422, StatusCode::kInvalidArgument},
      {403, StatusCode::kPermissionDenied}, {404, StatusCode::kNotFound},
      {409, StatusCode::kConflict}, {429, StatusCode::kRateLimited},
      {502, StatusCode::kTransient}, {418, StatusCode::kInternal}};
  for (auto [code, want] : cases) {
    resp.status = code;
    EXPECT_EQ(ErrorFromResponse(req, resp).code(), want) << code;
  }
  resp.status = 500;
  resp.body = std::string(1000, 'x');
  std::string msg = ErrorFromResponse(req, resp).message();
  EXPECT_EQ(msg.size(), std::string("POST https://auth/token?access_token=[REDACTED] -> HTTP 500: ").size() + 303);
}

TEST(ParseHttpDateTest, ImfFixdate) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
  EXPECT_EQ(ParseHttpDate("  Thu, 26 Nov 2026 07:00:00 GMT "), 1795676400);
  EXPECT_EQ(ParseHttpDate("tomorrow"), -1);
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT extra"), -1);
}

}  // namespace
}  // namespace orch::http
