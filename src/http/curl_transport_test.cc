// CurlTransport and HttpClient against a real local server (LocalHttpServer).
// Backoff sleeps go to a FakeClock; only the short request timeouts are real.
#include "http/curl_transport.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "http/http_client.h"
#include "http/redact.h"
#include "testing/fake_clock.h"
#include "testing/local_http_server.h"
#include "testing/scripted_transport.h"

namespace orch::http {
namespace {

using orch::testing::FakeClock;
using orch::testing::LocalHttpServer;
using orch::testing::ServerReply;
using orch::testing::ServerRequest;

SendOptions Track(SendOutcome* out) {
  SendOptions o;
  o.outcome = out;
  return o;
}

env::HttpRequest Req(std::string method, std::string url, std::string body = "") {
  env::HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  r.connect_timeout_ms = 2000;
  r.timeout_ms = 5000;
  return r;
}

// Answers from a list of scripted replies in order, then 200 "done".
struct Script {
  std::mutex mu;
  std::vector<ServerReply> replies;
  size_t next = 0;
  ServerReply operator()(const ServerRequest&) {
    std::lock_guard<std::mutex> l(mu);
    if (next < replies.size()) return replies[next++];
    return ServerReply::Json(200, R"({"done":true})");
  }
};

class CurlTransportTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<ServerReply> replies) {
    script_.replies = std::move(replies);
    server_ = std::make_unique<LocalHttpServer>([this](const ServerRequest& r) { return script_(r); });
    ASSERT_TRUE(server_->Start().ok());
  }
  HttpClient& Client(int max_attempts = 5) {
    RetryPolicy p;
    p.seed = 1;
    p.max_attempts = max_attempts;
    client_ = std::make_unique<HttpClient>(&transport_, &clock_, p);
    return *client_;
  }

  Script script_;
  std::unique_ptr<LocalHttpServer> server_;
  CurlTransport transport_;
  FakeClock clock_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(CurlTransportTest, SendsMethodHeadersBodyAndReadsResponse) {
  ServerReply reply = ServerReply::Json(201, R"({"id":7})", {{"X-Request-Id", "r-1"}});
  StartServer({reply});
  env::HttpRequest req = Req("PUT", server_->BaseUrl() + "/v2/things/7?x=1", R"({"name":"a"})");
  req.headers = {{"Content-Type", "application/json"}, {"X-Custom", "yes"}};
  Result<env::HttpResponse> r = transport_.Send(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, R"({"id":7})");
  EXPECT_EQ(r->Header("x-request-id"), "r-1");
  EXPECT_EQ(r->Header("Content-Type"), "application/json");
  std::vector<ServerRequest> seen = server_->Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "PUT");
  EXPECT_EQ(seen[0].target, "/v2/things/7?x=1");
  EXPECT_EQ(seen[0].body, R"({"name":"a"})");
  EXPECT_EQ(seen[0].Header("X-Custom"), "yes");
  EXPECT_EQ(seen[0].Header("Expect"), "");

  // DELETE without a body, POST with an empty body.
  ASSERT_TRUE(transport_.Send(Req("DELETE", server_->BaseUrl() + "/v2/things/7")).ok());
  ASSERT_TRUE(transport_.Send(Req("POST", server_->BaseUrl() + "/v2/actions")).ok());
  seen = server_->Requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].method, "DELETE");
  EXPECT_EQ(seen[1].body, "");
  EXPECT_EQ(seen[2].method, "POST");
  EXPECT_EQ(seen[2].Header("Content-Length"), "0");
}

TEST_F(CurlTransportTest, ReusesOneConnectionForSequentialRequests) {
  StartServer({});
  for (int i = 0; i < 5; ++i) {
    Result<env::HttpResponse> r = transport_.Send(Req("GET", server_->BaseUrl() + "/x"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(server_->RequestCount(), 5);
  EXPECT_EQ(server_->ConnectionCount(), 1);
  EXPECT_EQ(transport_.TEST_ConnectionsOpened(), 1);
}

TEST_F(CurlTransportTest, ConcurrentSendsFromManyThreads) {
  StartServer({});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        Result<env::HttpResponse> r = transport_.Send(
            Req("GET", server_->BaseUrl() + "/t" + std::to_string(t) + "/" + std::to_string(i)));
        if (r.ok() && r->status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(server_->RequestCount(), 40);
  EXPECT_LE(server_->ConnectionCount(), 4);  // at most one per concurrent handle
}

TEST_F(CurlTransportTest, ServiceUnavailableTwiceThenOk) {
  StartServer({ServerReply::Json(503, "{}"), ServerReply::Json(503, "{}")});
  HttpClient& client = Client();
  SendOutcome out;
  Result<env::HttpResponse> r = client.Send(Req("GET", server_->BaseUrl() + "/v2/droplets"),
                                            Track(&out));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(out.attempts, 3);
  EXPECT_EQ(server_->RequestCount(), 3);
  EXPECT_EQ(clock_.Sleeps().size(), 2u);
}

TEST_F(CurlTransportTest, TooManyRequestsHonoursRetryAfter) {
  StartServer({ServerReply::Json(429, R"({"id":"too_many_requests"})", {{"Retry-After", "1"}})});
  HttpClient& client = Client();
  Result<env::HttpResponse> r = client.Send(Req("POST", server_->BaseUrl() + "/v2/droplets", "{}"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server_->RequestCount(), 2);  // POST retried after 429
  EXPECT_EQ(clock_.Sleeps(), std::vector<int64_t>{1000000});
}

TEST_F(CurlTransportTest, ResetIsRetriedForGetButNotForPost) {
  StartServer({ServerReply::Reset()});
  HttpClient& client = Client();
  Result<env::HttpResponse> r = client.Send(Req("GET", server_->BaseUrl() + "/x"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server_->RequestCount(), 2);

  script_.replies.push_back(ServerReply::Reset());
  SendOutcome out;
  r = client.Send(Req("POST", server_->BaseUrl() + "/v2/droplets", R"({"name":"web-1"})"),
                  Track(&out));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTransient);
  EXPECT_TRUE(MaybeApplied(r.status())) << r.status().message();
  EXPECT_TRUE(out.maybe_applied);
  EXPECT_EQ(server_->RequestCount(), 3);  // the POST reached the server exactly once
}

TEST_F(CurlTransportTest, SlowAnswerTimesOut) {
  ServerReply slow = ServerReply::Json(200, "{}");
  slow.delay_ms = 2000;
  StartServer({slow, slow, slow, slow});
  env::HttpRequest get = Req("GET", server_->BaseUrl() + "/slow");
  get.timeout_ms = 200;
  Result<env::HttpResponse> r = transport_.Send(get);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_EQ(r.status().message().find("request not sent"), std::string::npos);

  // Through the client: the GET is retried (and the third answer is slow too,
  // so with 2 attempts it fails); a POST is not retried.
  HttpClient& client = Client(2);
  r = client.Send(get);
  EXPECT_EQ(r.status().code(), StatusCode::kTimeout);
  EXPECT_EQ(server_->RequestCount(), 3);
  env::HttpRequest post = Req("POST", server_->BaseUrl() + "/slow", "{}");
  post.timeout_ms = 200;
  SendOutcome out;
  r = client.Send(post, Track(&out));
  EXPECT_EQ(r.status().code(), StatusCode::kTransient);
  EXPECT_TRUE(out.maybe_applied);
  EXPECT_EQ(out.attempts, 1);
  EXPECT_EQ(server_->RequestCount(), 4);
}

// Fails the first request as if the connection could not be opened, then
// forwards to the real transport.
class RefuseFirst : public orch::testing::TransportWrapper {
 public:
  using TransportWrapper::TransportWrapper;
  Result<env::HttpResponse> Send(const env::HttpRequest& request) override {
    if (calls_++ == 0) return Status::Transient("connect failed; request not sent");
    return TransportWrapper::Send(request);
  }
  int calls_ = 0;
};

TEST_F(CurlTransportTest, PostNotSentIsRetriedThroughWrapper) {
  StartServer({});
  RefuseFirst wrapper(&transport_);
  RetryPolicy p;
  p.seed = 3;
  HttpClient client(&wrapper, &clock_, p);
  SendOutcome out;
  Result<env::HttpResponse> r = client.Send(Req("POST", server_->BaseUrl() + "/v2/volumes", "{}"), Track(&out));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(out.attempts, 2);
  EXPECT_EQ(wrapper.calls_, 2);
  EXPECT_EQ(server_->RequestCount(), 1);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);  // nothing listens there now
  return ntohs(addr.sin_port);
}

TEST_F(CurlTransportTest, RefusedConnectionIsNotSentSoEvenPostRetries) {
  std::string url = "http://127.0.0.1:" + std::to_string(FreePort()) + "/v2/droplets?token=s3cr3t";
  Result<env::HttpResponse> r = transport_.Send(Req("POST", url, "{}"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kTransient);
  EXPECT_NE(r.status().message().find("request not sent"), std::string::npos);
  EXPECT_EQ(r.status().message().find("s3cr3t"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("token=[REDACTED]"), std::string::npos);

  HttpClient& client = Client(3);
  SendOutcome out;
  r = client.Send(Req("POST", url, "{}"), Track(&out));
  EXPECT_EQ(r.status().code(), StatusCode::kTransient);
  EXPECT_FALSE(out.maybe_applied);
  EXPECT_EQ(out.attempts, 3);
  EXPECT_EQ(r.status().message().find("s3cr3t"), std::string::npos);
}

TEST_F(CurlTransportTest, ErrorsRedactRegisteredSecretsAndTokens) {
  TEST_ClearSecrets();
  RegisterSecret("dop_v1_0123456789");
  StartServer({ServerReply::Json(401, R"({"id":"unauthorized","message":"token dop_v1_0123456789 is invalid"})")});
  env::HttpRequest req = Req("GET", server_->BaseUrl() + "/v2/account?access_token=dop_v1_0123456789");
  req.headers = {{"Authorization", "Bearer dop_v1_0123456789"}};
  HttpClient& client = Client();
  Result<env::HttpResponse> r = client.Send(req);
  ASSERT_TRUE(r.ok());
  Status st = ErrorFromResponse(req, *r);
  EXPECT_EQ(st.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(st.message().find("dop_v1_0123456789"), std::string::npos) << st.message();
  EXPECT_EQ(st.message(), "GET " + server_->BaseUrl() +
                              "/v2/account?access_token=[REDACTED] -> HTTP 401: "
                              R"({"id":"unauthorized","message":"token [REDACTED] is invalid"})");
  // The server did get the real header.
  EXPECT_EQ(server_->Requests()[0].Header("Authorization"), "Bearer dop_v1_0123456789");
  TEST_ClearSecrets();
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/orch_tls_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(LocalHttpServer::WriteSelfSignedCert(dir_, &cert_, &key_).ok());
    server_ = std::make_unique<LocalHttpServer>(
        [](const ServerRequest&) { return ServerReply::Json(200, R"({"tls":true})"); });
    ASSERT_TRUE(server_->Start(cert_, key_).ok());
    unsetenv("CURL_CA_BUNDLE");
    unsetenv("SSL_CERT_FILE");
  }
  void TearDown() override {
    server_->Stop();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_, cert_, key_;
  std::unique_ptr<LocalHttpServer> server_;
};

TEST_F(TlsTest, SelfSignedRefusedWithoutCacert) {
  CurlTransport transport;
  Result<env::HttpResponse> r = transport.Send(Req("GET", server_->BaseUrl() + "/"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
  EXPECT_NE(r.status().message().find("--cacert"), std::string::npos);
  EXPECT_EQ(server_->RequestCount(), 0);
}

TEST_F(TlsTest, AcceptedWithCacert) {
  CurlTransport transport(CurlTransport::Options{.cacert = cert_});
  Result<env::HttpResponse> r = transport.Send(Req("GET", server_->BaseUrl() + "/"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, R"({"tls":true})");
  // localhost is also in the certificate.
  r = transport.Send(Req("GET", "https://localhost:" + std::to_string(server_->port()) + "/"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

TEST_F(TlsTest, CurlCaBundleEnvironmentIsHonoured) {
  setenv("CURL_CA_BUNDLE", cert_.c_str(), 1);
  CurlTransport transport;
  unsetenv("CURL_CA_BUNDLE");
  EXPECT_EQ(transport.ca_bundle(), cert_);
  Result<env::HttpResponse> r = transport.Send(Req("GET", server_->BaseUrl() + "/"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

TEST_F(TlsTest, CertificateForAnotherNameIsRefused) {
  // Trusted CA, wrong host name: 127.0.0.2 is not in the certificate.
  CurlTransport transport(CurlTransport::Options{.cacert = cert_});
  Result<env::HttpResponse> r =
      transport.Send(Req("GET", "https://127.0.0.2:" + std::to_string(server_->port()) + "/"));
  ASSERT_FALSE(r.ok());
  // The server only listens on 127.0.0.1; either way no response is accepted.
  EXPECT_TRUE(r.status().code() == StatusCode::kPermissionDenied ||
              r.status().code() == StatusCode::kTransient)
      << r.status().ToString();
}

}  // namespace
}  // namespace orch::http
