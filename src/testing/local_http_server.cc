#include "testing/local_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace orch::testing {
namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// One connection's byte stream, plain or TLS.
class Stream {
 public:
  Stream(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Stream() {
    if (ssl_) SSL_free(ssl_);
  }
  // >0 bytes read, 0 on EOF or error.
  int Read(char* buf, int n) {
    if (ssl_) {
      int r = SSL_read(ssl_, buf, n);
      return r > 0 ? r : 0;
    }
    for (;;) {
      ssize_t r = recv(fd_, buf, n, 0);
      if (r < 0 && errno == EINTR) continue;
      return r > 0 ? static_cast<int>(r) : 0;
    }
  }
  bool WriteAll(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      int w;
      if (ssl_) {
        w = SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off));
        if (w <= 0) return false;
      } else {
        ssize_t s = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (s < 0 && errno == EINTR) continue;
        if (s <= 0) return false;
        w = static_cast<int>(s);
      }
      off += static_cast<size_t>(w);
    }
    return true;
  }

 private:
  int fd_;
  SSL* ssl_;
};

}  // namespace

std::string ServerRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return {};
}

ServerReply ServerReply::Json(int status, std::string body, env::HeaderList headers) {
  ServerReply r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

ServerReply ServerReply::Reset() {
  ServerReply r;
  r.action = Action::kCloseWithoutAnswer;
  return r;
}

LocalHttpServer::LocalHttpServer(Handler handler) : handler_(std::move(handler)) {}

LocalHttpServer::~LocalHttpServer() {
  Stop();
  if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

std::string LocalHttpServer::BaseUrl() const {
  return std::string(ssl_ctx_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

Status LocalHttpServer::Start(const std::string& cert_file, const std::string& key_file) {
  // A client that hangs up mid-answer must not kill the test process.
  signal(SIGPIPE, SIG_IGN);
  if (!cert_file.empty()) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return Status::Internal("SSL_CTX_new failed");
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      SSL_CTX_free(ctx);
      return Status::Internal("cannot load TLS certificate " + cert_file + " / key " + key_file);
    }
    ssl_ctx_ = ctx;
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::Internal(std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 64) != 0) {
    Status st = Status::Internal(std::string("bind/listen: ") + strerror(errno));
    close(listen_fd_);
    listen_fd_ = -1;
    return st;
  }
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return Status::OK();
}

void LocalHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);  // wakes blocked reads
    threads.swap(conn_threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) t.join();
}

int LocalHttpServer::RequestCount() const {
  std::lock_guard<std::mutex> l(mu_);
  return static_cast<int>(requests_.size());
}

std::vector<ServerRequest> LocalHttpServer::Requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_;
}

void LocalHttpServer::AcceptLoop() {
  while (!stopping_) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    int number = ++connections_;
    open_fds_.insert(fd);
    conn_threads_.emplace_back([this, fd, number] { ServeConnection(fd, number); });
  }
}

bool LocalHttpServer::WaitUnlessStopped(int delay_ms) {
  std::unique_lock<std::mutex> l(mu_);
  return !cv_.wait_for(l, std::chrono::milliseconds(delay_ms), [this] { return stopping_.load(); });
}

void LocalHttpServer::ServeConnection(int fd, int number) {
  SSL* ssl = nullptr;
  bool ok = true;
  if (ssl_ctx_) {
    ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) ok = false;  // e.g. the client rejected our certificate
  }
  bool reset = false;
  {
    Stream stream(fd, ssl);
    std::string buf;
    char chunk[16384];
    while (ok && !stopping_) {
      size_t header_end;
      while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
        int n = stream.Read(chunk, sizeof(chunk));
        if (n <= 0) {
          ok = false;
          break;
        }
        buf.append(chunk, n);
      }
      if (!ok) break;
      ServerRequest req;
      req.connection = number;
      std::string head = buf.substr(0, header_end);
      buf.erase(0, header_end + 4);
      size_t line_end = head.find("\r\n");
      std::string request_line = head.substr(0, line_end);
      size_t sp1 = request_line.find(' ');
      size_t sp2 = request_line.rfind(' ');
      if (sp1 == std::string::npos || sp2 <= sp1) break;
      req.method = request_line.substr(0, sp1);
      req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
          size_t v = colon + 1;
          while (v < line.size() && line[v] == ' ') ++v;
          req.headers.emplace_back(line.substr(0, colon), line.substr(v));
        }
        pos = e + 2;
      }
      if (IEquals(req.Header("Expect"), "100-continue")) {
        if (!stream.WriteAll("HTTP/1.1 100 Continue\r\n\r\n")) break;
      }
      size_t content_length = 0;
      std::string cl = req.Header("Content-Length");
      if (!cl.empty()) content_length = std::strtoul(cl.c_str(), nullptr, 10);
      while (buf.size() < content_length) {
        int n = stream.Read(chunk, sizeof(chunk));
        if (n <= 0) {
          ok = false;
          break;
        }
        buf.append(chunk, n);
      }
      if (!ok) break;
      req.body = buf.substr(0, content_length);
      buf.erase(0, content_length);
      bool client_close = IEquals(req.Header("Connection"), "close");
      {
        std::lock_guard<std::mutex> l(mu_);
        requests_.push_back(req);
      }
      ServerReply reply = handler_(req);
      if (reply.delay_ms > 0 && !WaitUnlessStopped(reply.delay_ms)) break;
      if (reply.action == ServerReply::Action::kCloseWithoutAnswer) {
        reset = true;
        break;
      }
      bool close_after = reply.close_after || client_close;
      std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " +
                        ReasonPhrase(reply.status) + "\r\n";
      for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
      out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
      if (close_after) out += "Connection: close\r\n";
      out += "\r\n";
      if (req.method != "HEAD") out += reply.body;
      if (!stream.WriteAll(out) || close_after) break;
    }
    if (ssl && !reset && ok) SSL_shutdown(ssl);
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    open_fds_.erase(fd);
  }
  if (reset) {
    linger lg{1, 0};  // close() now sends RST instead of FIN
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  close(fd);
}

Status LocalHttpServer::WriteSelfSignedCert(const std::string& dir, std::string* cert_file,
                                            std::string* key_file) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  if (!pkey) return Status::Internal("EC key generation failed");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), static_cast<long>(time(nullptr) & 0x7fffffff));
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 7 * 24 * 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  const std::pair<int, const char*> exts[] = {
      {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_subject_key_identifier, "hash"},
  };
  bool ok = true;
  for (const auto& [nid, value] : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, const_cast<char*>(value));
    if (!ext || !X509_add_ext(x, ext, -1)) ok = false;
    if (ext) X509_EXTENSION_free(ext);
  }
  if (ok && !X509_sign(x, pkey, EVP_sha256())) ok = false;
  *cert_file = dir + "/cert.pem";
  *key_file = dir + "/key.pem";
  if (ok) {
    FILE* cf = fopen(cert_file->c_str(), "w");
    FILE* kf = fopen(key_file->c_str(), "w");
    ok = cf && kf && PEM_write_X509(cf, x) == 1 &&
         PEM_write_PrivateKey(kf, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (cf) fclose(cf);
    if (kf) fclose(kf);
  }
  X509_free(x);
  EVP_PKEY_free(pkey);
  return ok ? Status::OK() : Status::Internal("cannot create self-signed certificate in " + dir);
}

}  // namespace orch::testing
