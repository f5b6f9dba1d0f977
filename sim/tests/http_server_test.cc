// HttpServer over real sockets: keep-alive, chunked bodies, 100-continue,
// HEAD, percent-decoding, garbage input, TLS, dropped connections, Stop.
#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <random>
#include <filesystem>
#include <thread>

#include "server/http.h"
#include "server/http_parse.h"
#include "tests/test_client.h"

namespace cloudsim {
namespace {

using testing::TestConn;
using testing::TestResponse;

// Echoes the request as JSON; "/drop" drops the connection.
HttpResponse Echo(const HttpRequest& req) {
  if (req.path == "/drop") {
    HttpResponse r;
    r.drop_connection = true;
    return r;
  }
  if (req.path == "/throw") throw std::runtime_error("boom");
  nlohmann::json query = nlohmann::json::object();
  for (const auto& [k, v] : req.query) {
    if (!query.contains(k)) query[k] = req.Query(k);  // the first value
  }
  return HttpResponse::Json(200, {{"method", req.method},
                                  {"path", req.path},
                                  {"target", req.target},
                                  {"query", query},
                                  {"query_count", req.query.size()},
                                  {"body", req.body},
                                  {"peer", req.peer},
                                  {"ctype", req.Header("content-type")}});
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServer::Options o;
    o.threads = 4;
    server_ = std::make_unique<HttpServer>(o, Echo);
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    ASSERT_GT(server_->port(), 0);
  }
  void TearDown() override { server_->Stop(); }
  std::unique_ptr<TestConn> Connect() { return TestConn::Connect(server_->port()); }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto c = Connect();
  ASSERT_TRUE(c);
  std::string first_peer;
  for (int i = 0; i < 5; ++i) {
    TestResponse r;
    ASSERT_TRUE(c->Request("GET", "/n/" + std::to_string(i), "", &r)) << i;
    EXPECT_EQ(r.status, 200);
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["path"], "/n/" + std::to_string(i));
    if (i == 0) first_peer = j["peer"];
    EXPECT_EQ(j["peer"], first_peer);  // same client port: same connection
    EXPECT_EQ(r.Header("connection"), "");
  }
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  auto c = Connect();
  TestResponse r;
  ASSERT_TRUE(c->Request("GET", "/x", "", &r, "Connection: close\r\n"));
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(c->WaitClosed(2000));
}

TEST_F(HttpServerTest, Http10ClosesByDefault) {
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /old HTTP/1.0\r\n\r\n"));
  TestResponse r;
  ASSERT_TRUE(c->Read(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(c->WaitClosed(2000));
}

TEST_F(HttpServerTest, ContentLengthBody) {
  auto c = Connect();
  TestResponse r;
  ASSERT_TRUE(c->Request("POST", "/p", "{\"a\":1}", &r, "Content-Type: application/json\r\n"));
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["body"], "{\"a\":1}");
  EXPECT_EQ(j["ctype"], "application/json");
  EXPECT_EQ(j["method"], "POST");
}

TEST_F(HttpServerTest, ChunkedBodyIsDecoded) {
  auto c = Connect();
  ASSERT_TRUE(c->Send("POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n"
                      "7;ext=1\r\n, world\r\n"
                      "0\r\nX-Trailer: y\r\n\r\n"));
  TestResponse r;
  ASSERT_TRUE(c->Read(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["body"], "hello, world");
  // The connection is still usable afterwards.
  ASSERT_TRUE(c->Request("GET", "/after", "", &r));
  EXPECT_EQ(nlohmann::json::parse(r.body)["path"], "/after");
}

TEST_F(HttpServerTest, ChunkedBodySentInPieces) {
  auto c = Connect();
  ASSERT_TRUE(c->Send("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(c->Send("c\r\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(c->Send("0\r\n\r\n"));
  TestResponse r;
  ASSERT_TRUE(c->Read(&r));
  EXPECT_EQ(nlohmann::json::parse(r.body)["body"], "abc");
}

TEST_F(HttpServerTest, MalformedChunkIsRejected) {
  auto c = Connect();
  ASSERT_TRUE(c->Send("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n"));
  TestResponse r;
  ASSERT_TRUE(c->Read(&r));
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(c->WaitClosed(2000));
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponse) {
  auto c = Connect();
  ASSERT_TRUE(c->Send("POST /big HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  TestResponse r;
  ASSERT_TRUE(c->Read(&r));
  EXPECT_EQ(r.status, 100);
  ASSERT_TRUE(c->Send("data"));
  ASSERT_TRUE(c->Read(&r));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["body"], "data");
}

TEST_F(HttpServerTest, HeadHasLengthButNoBody) {
  auto c = Connect();
  TestResponse get, head;
  ASSERT_TRUE(c->Request("GET", "/h", "", &get));
  ASSERT_TRUE(c->Request("HEAD", "/h", "", &head));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_FALSE(head.Header("content-length").empty());
  // If the server had sent a body, this next answer would be garbage.
  ASSERT_TRUE(c->Request("GET", "/next", "", &get));
  EXPECT_EQ(nlohmann::json::parse(get.body)["path"], "/next");
}

TEST_F(HttpServerTest, PathAndQueryArePercentDecoded) {
  auto c = Connect();
  TestResponse r;
  ASSERT_TRUE(c->Request("GET", "/a%20b/c%2Fd?name=x%26y&tag=a+b&tag=c&flag", "", &r));
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["path"], "/a b/c/d");
  EXPECT_EQ(j["target"], "/a%20b/c%2Fd?name=x%26y&tag=a+b&tag=c&flag");
  EXPECT_EQ(j["query"]["name"], "x&y");
  EXPECT_EQ(j["query"]["tag"], "a b");
  EXPECT_EQ(j["query"]["flag"], "");
  EXPECT_EQ(j["query_count"], 4);
}

TEST_F(HttpServerTest, GarbageGets400) {
  const char* cases[] = {
      "GARBAGE\r\n\r\n",
      "GET /x HTTP/9.9\r\n\r\n",
      "GET x HTTP/1.1\r\n\r\n",
      "GET /%zz HTTP/1.1\r\n\r\n",
      "GET /x HTTP/1.1\r\nNoColonHere\r\n\r\n",
      "POST /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "G(T /x HTTP/1.1\r\n\r\n",
  };
  for (const char* raw : cases) {
    auto c = Connect();
    ASSERT_TRUE(c->Send(raw));
    TestResponse r;
    ASSERT_TRUE(c->Read(&r)) << raw;
    EXPECT_EQ(r.status, 400) << raw;
    EXPECT_EQ(r.Header("content-type"), "application/json");
    EXPECT_TRUE(c->WaitClosed(2000)) << raw;
  }
}

TEST_F(HttpServerTest, SurvivesRandomGarbage) {
  std::mt19937 rng(7);
  const std::string alphabet = "GETPOST /?%&=:\r\n\t0123456789abcdefHTTP/1.1Content-Length:chunked\x01\xff";
  for (int i = 0; i < 60; ++i) {
    auto c = Connect();
    ASSERT_TRUE(c);
    std::string junk;
    int len = 1 + static_cast<int>(rng() % 300);
    for (int k = 0; k < len; ++k) junk += alphabet[rng() % alphabet.size()];
    c->Send(junk + "\r\n\r\n");
    c->CloseWrite();
    TestResponse r;
    if (c->Read(&r)) {
      EXPECT_TRUE(r.status == 200 || r.status == 400 || r.status == 431 || r.status == 501) << r.status;
    }
  }
  auto c = Connect();
  TestResponse r;
  ASSERT_TRUE(c->Request("GET", "/still-alive", "", &r));
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, OversizedHeadGets431) {
  auto c = Connect();
  std::string raw = "GET /x HTTP/1.1\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
  c->Send(raw);
  TestResponse r;
  ASSERT_TRUE(c->Read(&r));
  EXPECT_EQ(r.status, 431);
}

TEST_F(HttpServerTest, DropConnectionClosesWithoutAnswer) {
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /drop HTTP/1.1\r\n\r\n"));
  TestResponse r;
  EXPECT_FALSE(c->Read(&r));
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500) {
  auto c = Connect();
  TestResponse r;
  ASSERT_TRUE(c->Request("GET", "/throw", "", &r));
  EXPECT_EQ(r.status, 500);
  ASSERT_TRUE(c->Request("GET", "/ok", "", &r));
  EXPECT_EQ(r.status, 200);
}

TEST_F(HttpServerTest, ManyConcurrentKeepAliveClients) {
  // More connections than worker threads, each doing several requests.
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      auto c = Connect();
      if (!c) return;
      for (int i = 0; i < 20; ++i) {
        TestResponse r;
        if (c->Request("GET", "/t" + std::to_string(t), "", &r) && r.status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 12 * 20);
}

TEST_F(HttpServerTest, StopClosesIdleConnections) {
  auto c = Connect();
  TestResponse r;
  ASSERT_TRUE(c->Request("GET", "/x", "", &r));
  server_->Stop();
  EXPECT_TRUE(c->WaitClosed(2000));
  server_->Stop();  // idempotent
}

TEST(HttpParseTest, PercentDecodeRejectsBrokenEscapes) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%41+b", true, &out));
  EXPECT_EQ(out, "aA b");
  EXPECT_TRUE(PercentDecode("a+b", false, &out));
  EXPECT_EQ(out, "a+b");
  EXPECT_FALSE(PercentDecode("%4", false, &out));
  EXPECT_FALSE(PercentDecode("%", false, &out));
  EXPECT_FALSE(PercentDecode("%g1", false, &out));
}

TEST(HttpParseTest, SerializeResponseFramesBody) {
  HttpResponse r = HttpResponse::Json(201, {{"a", 1}});
  std::string wire = SerializeResponse(r, false, true);
  EXPECT_EQ(wire.rfind("HTTP/1.1 201 Created\r\n", 0), 0u);
  EXPECT_NE(wire.find("Content-Length: 7\r\n"), std::string::npos);
  EXPECT_NE(wire.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(wire.substr(wire.size() - 7), "{\"a\":1}");
  std::string head = SerializeResponse(r, true, false);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  std::string empty = SerializeResponse(HttpResponse::Empty(204), false, false);
  EXPECT_EQ(empty.find("Content-Length"), std::string::npos);
}

// TLS with a freshly generated self-signed certificate.
class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
                      "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                      key_ + " -out " + cert_ + " >/dev/null 2>&1";
    ASSERT_EQ(testing::RunShell(cmd), 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, cert_, key_;
};

TEST_F(HttpsServerTest, HandshakeAndKeepAliveOverTls) {
  HttpServer::Options o;
  o.tls_cert = cert_;
  o.tls_key = key_;
  HttpServer server(o, Echo);
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  EXPECT_TRUE(server.tls());

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_EQ(SSL_CTX_load_verify_locations(ctx, cert_.c_str(), nullptr), 1);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);  // must chain to our cert
  {
    auto c = TestConn::Connect(server.port(), ctx);
    ASSERT_TRUE(c);
    for (int i = 0; i < 3; ++i) {
      TestResponse r;
      ASSERT_TRUE(c->Request("POST", "/tls/" + std::to_string(i), "secret", &r));
      EXPECT_EQ(r.status, 200);
      auto j = nlohmann::json::parse(r.body);
      EXPECT_EQ(j["path"], "/tls/" + std::to_string(i));
      EXPECT_EQ(j["body"], "secret");
    }
  }
  {
    // A plain-text client gets no HTTP answer from the TLS port.
    auto c = TestConn::Connect(server.port());
    ASSERT_TRUE(c);
    c->Send("GET / HTTP/1.1\r\n\r\n");
    TestResponse r;
    EXPECT_FALSE(c->Read(&r));
  }
  SSL_CTX_free(ctx);
  server.Stop();
}

TEST_F(HttpsServerTest, BadKeyFailsToStart) {
  HttpServer::Options o;
  o.tls_cert = cert_;
  o.tls_key = dir_ + "/missing.pem";
  HttpServer server(o, Echo);
  std::string error;
  EXPECT_FALSE(server.Start(&error));
  EXPECT_NE(error.find("key"), std::string::npos) << error;
}

}  // namespace
}  // namespace cloudsim
