#include "tests/test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include <cstdlib>
#include <cstring>

namespace cloudsim::testing {

std::unique_ptr<TestConn> TestConn::Connect(int port, SSL_CTX* ssl_ctx) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return nullptr;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::unique_ptr<TestConn> c(new TestConn);
  c->fd_ = fd;
  if (ssl_ctx) {
    c->ssl_ = SSL_new(ssl_ctx);
    SSL_set_fd(c->ssl_, fd);
    SSL_set_tlsext_host_name(c->ssl_, "localhost");
    if (SSL_connect(c->ssl_) != 1) {
      ERR_clear_error();
      return nullptr;
    }
  }
  return c;
}

TestConn::~TestConn() {
  if (ssl_) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
}

bool TestConn::Send(const std::string& raw) {
  size_t off = 0;
  while (off < raw.size()) {
    int n = ssl_ ? SSL_write(ssl_, raw.data() + off, static_cast<int>(raw.size() - off))
                 : static_cast<int>(send(fd_, raw.data() + off, raw.size() - off, MSG_NOSIGNAL));
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

void TestConn::CloseWrite() { shutdown(fd_, SHUT_WR); }

int TestConn::Recv(char* buf, int n) {
  if (ssl_) {
    int r = SSL_read(ssl_, buf, n);
    if (r <= 0) ERR_clear_error();
    return r;
  }
  return static_cast<int>(recv(fd_, buf, static_cast<size_t>(n), 0));
}

bool TestConn::Read(TestResponse* out, bool head_only) {
  *out = TestResponse();
  char tmp[8192];
  size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    int n = Recv(tmp, sizeof tmp);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
  }
  std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  size_t eol = head.find("\r\n");
  std::string status_line = head.substr(0, eol);
  if (status_line.rfind("HTTP/1.1 ", 0) != 0) return false;
  out->status = std::atoi(status_line.c_str() + 9);
  size_t pos = eol == std::string::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t next = head.find("\r\n", pos);
    std::string line = head.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    pos = next == std::string::npos ? head.size() : next + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    out->headers[name] = value;
  }
  if (head_only || out->status < 200 || out->status == 204) return true;
  size_t len = static_cast<size_t>(std::atoll(out->Header("content-length").c_str()));
  while (buf_.size() < len) {
    int n = Recv(tmp, sizeof tmp);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
  }
  out->body = buf_.substr(0, len);
  buf_.erase(0, len);
  return true;
}

bool TestConn::WaitClosed(int ms) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return false;
  char c;
  int n = Recv(&c, 1);
  return n <= 0;
}

bool TestConn::Request(const std::string& method, const std::string& path, const std::string& body, TestResponse* out,
                       const std::string& extra_headers) {
  std::string raw = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  raw += "\r\n" + body;
  return Send(raw) && Read(out, method == "HEAD");
}

int RunShell(const std::string& shell_command) {
  int rc = std::system(shell_command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string MakeTempDir() {
  char tmpl[] = "/tmp/cloudsim_test_XXXXXX";
  char* dir = mkdtemp(tmpl);
  return dir ? dir : "";
}

}  // namespace cloudsim::testing
