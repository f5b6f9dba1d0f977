// A raw HTTP/1.1 client for cloudsim tests: one TCP (or TLS) connection,
// requests written verbatim, responses read with Content-Length framing.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <openssl/ssl.h>

namespace cloudsim::testing {

struct TestResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

class TestConn {
 public:
  // Connects to 127.0.0.1:port; with ssl_ctx, performs a TLS handshake.
  // nullptr on failure.
  static std::unique_ptr<TestConn> Connect(int port, SSL_CTX* ssl_ctx = nullptr);
  ~TestConn();

  bool Send(const std::string& raw);
  // Half-closes the connection (plain TCP only): the server sees EOF.
  void CloseWrite();
  // Reads one response (a 100 Continue counts as one). head_only: the
  // answer to a HEAD request (no body follows). False if the connection
  // closed or reset before a full response.
  bool Read(TestResponse* out, bool head_only = false);
  // True if the server closed the connection (EOF or reset) within ms.
  bool WaitClosed(int ms);
  // Sends "METHOD path" with optional body and reads the answer.
  bool Request(const std::string& method, const std::string& path, const std::string& body, TestResponse* out,
               const std::string& extra_headers = "");

 private:
  TestConn() = default;
  int Recv(char* buf, int n);
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

// Runs `shell_command` and returns its exit code.
int RunShell(const std::string& shell_command);

// A fresh temporary directory (removed by the caller if wanted).
std::string MakeTempDir();

}  // namespace cloudsim::testing
