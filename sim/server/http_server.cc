// HttpServer: one epoll thread watches the listening socket and idle
// keep-alive connections (EPOLLONESHOT); a fixed pool of workers reads one
// request at a time from a ready connection with blocking I/O (bounded by
// socket timeouts), calls the handler, writes the answer and hands the
// connection back to epoll.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "server/http.h"
#include "server/http_parse.h"

namespace cloudsim {
namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxBody = 64 * 1024 * 1024;
constexpr size_t kMaxChunkLine = 4096;
constexpr int kIoTimeoutSeconds = 30;
constexpr size_t kMaxConnections = 4096;

struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  bool handshaken = false;
  std::string buf;  // bytes read but not yet consumed
  std::string peer;
};

enum class Outcome { kKeepAlive, kClose, kDrop };

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// Appends at least one byte to c->buf; false on EOF, error or timeout.
bool Fill(Conn* c) {
  char tmp[16384];
  if (c->ssl) {
    int n = SSL_read(c->ssl, tmp, sizeof tmp);
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    c->buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
  ssize_t n;
  do {
    n = recv(c->fd, tmp, sizeof tmp, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  c->buf.append(tmp, static_cast<size_t>(n));
  return true;
}

bool WriteAll(Conn* c, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    if (c->ssl) {
      int n = SSL_write(c->ssl, data.data() + off, static_cast<int>(std::min<size_t>(data.size() - off, 1 << 30)));
      if (n <= 0) {
        ERR_clear_error();
        return false;
      }
      off += static_cast<size_t>(n);
    } else {
      ssize_t n = send(c->fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool HasToken(const std::string& header_value, const std::string& token) {
  std::string v = Lower(header_value);
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    std::string part = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (part == token) return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

// Position just past the blank line ending the head, and the head length
// without its terminator; npos if not complete.
size_t FindHeadEnd(const std::string& buf, size_t* head_len) {
  size_t crlf = buf.find("\r\n\r\n");
  size_t lf = buf.find("\n\n");
  if (crlf == std::string::npos && lf == std::string::npos) return std::string::npos;
  if (crlf != std::string::npos && (lf == std::string::npos || crlf < lf)) {
    *head_len = crlf;
    return crlf + 4;
  }
  *head_len = lf;
  return lf + 2;
}

HttpResponse ErrorResponse(int status, const std::string& message) {
  return HttpResponse::Json(status, {{"error", Lower(ReasonPhrase(status))}, {"message", message}});
}

// Reads until `buf` holds `n` bytes; false on EOF.
bool FillTo(Conn* c, size_t n) {
  while (c->buf.size() < n) {
    if (!Fill(c)) return false;
  }
  return true;
}

// Reads a CRLF-terminated line starting at *pos; advances *pos past it.
bool ReadLine(Conn* c, size_t* pos, std::string* line) {
  while (true) {
    size_t nl = c->buf.find('\n', *pos);
    if (nl != std::string::npos) {
      size_t end = nl;
      if (end > *pos && c->buf[end - 1] == '\r') --end;
      *line = c->buf.substr(*pos, end - *pos);
      *pos = nl + 1;
      return true;
    }
    if (c->buf.size() - *pos > kMaxChunkLine) return false;
    if (!Fill(c)) return false;
  }
}

// Decodes a chunked body starting at *pos. 0 on success, else an HTTP status.
int ReadChunkedBody(Conn* c, size_t* pos, std::string* body) {
  std::string line;
  while (true) {
    if (!ReadLine(c, pos, &line)) return 400;
    size_t semi = line.find(';');
    std::string hex = line.substr(0, semi);
    hex.erase(hex.find_last_not_of(" \t") + 1);
    if (hex.empty() || hex.size() > 15) return 400;
    size_t size = 0;
    for (char ch : hex) {
      int v = std::isxdigit(static_cast<unsigned char>(ch)) ? (std::isdigit(static_cast<unsigned char>(ch)) ? ch - '0' : (std::tolower(ch) - 'a' + 10)) : -1;
      if (v < 0) return 400;
      size = size * 16 + static_cast<size_t>(v);
    }
    if (size == 0) break;
    if (body->size() + size > kMaxBody) return 413;
    if (!FillTo(c, *pos + size + 2)) return 400;
    body->append(c->buf, *pos, size);
    *pos += size;
    if (c->buf[*pos] == '\r') ++*pos;
    if (c->buf[*pos] != '\n') return 400;
    ++*pos;
  }
  // Trailer fields until an empty line.
  while (true) {
    if (!ReadLine(c, pos, &line)) return 400;
    if (line.empty()) return 0;
  }
}

}  // namespace

struct HttpServer::Impl {
  Options options;
  HttpHandler handler;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  int port = 0;
  SSL_CTX* ssl_ctx = nullptr;
  std::thread loop;
  std::vector<std::thread> workers;

  std::mutex mu;
  std::condition_variable cv;       // queue / stopping
  std::deque<Conn*> ready;          // connections with input, waiting for a worker
  std::unordered_set<Conn*> conns;  // every open connection
  bool started = false;
  bool stopping = false;
  bool stopped = false;

  void Loop();
  void Worker();
  void Serve(Conn* c);
  Outcome HandleOne(Conn* c);
  void Rearm(Conn* c);
  void Close(Conn* c, bool abortive);
  bool SendError(Conn* c, int status, const std::string& message) {
    return WriteAll(c, SerializeResponse(ErrorResponse(status, message), false, true));
  }
  void SleepInterruptible(int ms) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping; });
  }
};

HttpServer::HttpServer(Options options, HttpHandler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }
bool HttpServer::tls() const { return impl_->ssl_ctx != nullptr; }

bool HttpServer::Start(std::string* error) {
  Impl& s = *impl_;
  if (s.started) {
    *error = "already started";
    return false;
  }
  // Writes to a peer that went away must fail, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  if (!s.options.tls_cert.empty() || !s.options.tls_key.empty()) {
    if (s.options.tls_cert.empty() || s.options.tls_key.empty()) {
      *error = "TLS needs both a certificate and a key";
      return false;
    }
    s.ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (!s.ssl_ctx) {
      *error = "SSL_CTX_new: " + OpenSslError();
      return false;
    }
    SSL_CTX_set_min_proto_version(s.ssl_ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(s.ssl_ctx, s.options.tls_cert.c_str()) != 1) {
      *error = "loading TLS certificate " + s.options.tls_cert + ": " + OpenSslError();
    } else if (SSL_CTX_use_PrivateKey_file(s.ssl_ctx, s.options.tls_key.c_str(), SSL_FILETYPE_PEM) != 1) {
      *error = "loading TLS key " + s.options.tls_key + ": " + OpenSslError();
    } else if (SSL_CTX_check_private_key(s.ssl_ctx) != 1) {
      *error = "TLS key does not match certificate: " + OpenSslError();
    }
    if (!error->empty()) {
      SSL_CTX_free(s.ssl_ctx);
      s.ssl_ctx = nullptr;
      return false;
    }
  }

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(s.options.port));
  std::string host = s.options.host == "localhost" ? "127.0.0.1" : s.options.host;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    *error = "invalid IPv4 host: " + s.options.host;
    if (s.ssl_ctx) SSL_CTX_free(s.ssl_ctx);
    s.ssl_ctx = nullptr;
    return false;
  }
  s.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(s.listen_fd, 1024) != 0) {
    *error = "binding " + host + ":" + std::to_string(s.options.port) + ": " + std::strerror(errno);
    close(s.listen_fd);
    s.listen_fd = -1;
    if (s.ssl_ctx) SSL_CTX_free(s.ssl_ctx);
    s.ssl_ctx = nullptr;
    return false;
  }
  socklen_t len = sizeof addr;
  getsockname(s.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  s.port = ntohs(addr.sin_port);

  s.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  s.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // listening socket
  epoll_ctl(s.epoll_fd, EPOLL_CTL_ADD, s.listen_fd, &ev);
  ev.data.ptr = &s.wake_fd;
  epoll_ctl(s.epoll_fd, EPOLL_CTL_ADD, s.wake_fd, &ev);

  s.started = true;
  int threads = std::max(2, s.options.threads);
  for (int i = 0; i < threads; ++i) s.workers.emplace_back([&s] { s.Worker(); });
  s.loop = std::thread([&s] { s.Loop(); });
  return true;
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.started || s.stopped) return;
    s.stopping = true;
    s.stopped = true;
  }
  uint64_t one = 1;
  (void)!write(s.wake_fd, &one, sizeof one);
  s.loop.join();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    // Unblock workers waiting on a peer.
    for (Conn* c : s.conns) shutdown(c->fd, SHUT_RDWR);
  }
  s.cv.notify_all();
  for (auto& t : s.workers) t.join();
  s.workers.clear();
  for (Conn* c : s.conns) {
    if (c->ssl) SSL_free(c->ssl);
    close(c->fd);
    delete c;
  }
  s.conns.clear();
  s.ready.clear();
  close(s.listen_fd);
  close(s.epoll_fd);
  close(s.wake_fd);
  if (s.ssl_ctx) SSL_CTX_free(s.ssl_ctx);
  s.ssl_ctx = nullptr;
}

void HttpServer::Impl::Loop() {
  epoll_event events[64];
  while (true) {
    int n = epoll_wait(epoll_fd, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < n; ++i) {
      void* ptr = events[i].data.ptr;
      if (ptr == &wake_fd) return;
      if (ptr == nullptr) {
        while (true) {
          sockaddr_in peer{};
          socklen_t len = sizeof peer;
          int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
          if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            break;  // EAGAIN, or out of descriptors: retry on the next event
          }
          int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          timeval tv{kIoTimeoutSeconds, 0};
          setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
          setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
          auto* c = new Conn;
          c->fd = fd;
          char ip[INET_ADDRSTRLEN] = "";
          inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
          c->peer = std::string(ip) + ":" + std::to_string(ntohs(peer.sin_port));
          {
            std::lock_guard<std::mutex> lock(mu);
            if (conns.size() >= kMaxConnections) {
              close(fd);
              delete c;
              continue;
            }
            conns.insert(c);
          }
          if (ssl_ctx) {
            c->ssl = SSL_new(ssl_ctx);
            SSL_set_fd(c->ssl, fd);
          }
          epoll_event ev{};
          ev.events = EPOLLIN | EPOLLONESHOT;
          ev.data.ptr = c;
          epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
        }
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        ready.push_back(static_cast<Conn*>(ptr));
      }
      cv.notify_one();
    }
  }
}

void HttpServer::Impl::Worker() {
  while (true) {
    Conn* c;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [this] { return stopping || !ready.empty(); });
      if (stopping) return;
      c = ready.front();
      ready.pop_front();
    }
    Serve(c);
  }
}

void HttpServer::Impl::Rearm(Conn* c) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = c;
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

void HttpServer::Impl::Close(Conn* c, bool abortive) {
  {
    std::lock_guard<std::mutex> lock(mu);
    conns.erase(c);
  }
  if (abortive) {
    // RST instead of FIN: the client sees a reset connection.
    linger lg{1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  } else if (c->ssl && c->handshaken) {
    SSL_shutdown(c->ssl);
  }
  if (c->ssl) SSL_free(c->ssl);
  close(c->fd);
  delete c;
}

void HttpServer::Impl::Serve(Conn* c) {
  if (c->ssl && !c->handshaken) {
    if (SSL_accept(c->ssl) != 1) {
      ERR_clear_error();
      Close(c, false);
      return;
    }
    c->handshaken = true;
    if (!SSL_has_pending(c->ssl)) {
      Rearm(c);
      return;
    }
  }
  while (true) {
    Outcome o = HandleOne(c);
    if (o != Outcome::kKeepAlive) {
      Close(c, o == Outcome::kDrop);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      if (stopping) break;
    }
    if (c->buf.empty() && !(c->ssl && SSL_has_pending(c->ssl))) {
      Rearm(c);
      return;
    }
  }
  Close(c, false);
}

Outcome HttpServer::Impl::HandleOne(Conn* c) {
  // Tolerate empty lines between requests.
  size_t skip = 0;
  size_t head_len = 0;
  size_t head_end;
  while (true) {
    while (skip < c->buf.size() && (c->buf[skip] == '\r' || c->buf[skip] == '\n')) ++skip;
    if (skip) {
      c->buf.erase(0, skip);
      skip = 0;
    }
    head_end = FindHeadEnd(c->buf, &head_len);
    if (head_end != std::string::npos) break;
    if (c->buf.size() > kMaxHead) {
      SendError(c, 431, "request head too large");
      return Outcome::kClose;
    }
    if (!Fill(c)) {
      if (!c->buf.empty()) SendError(c, 400, "incomplete request");
      return Outcome::kClose;
    }
  }
  if (head_len > kMaxHead) {
    SendError(c, 431, "request head too large");
    return Outcome::kClose;
  }

  HttpRequest req;
  int minor = 1;
  std::string error;
  if (!ParseRequestHead(std::string_view(c->buf.data(), head_len), &req, &minor, &error)) {
    SendError(c, 400, error);
    return Outcome::kClose;
  }
  req.peer = c->peer;
  std::string connection = req.Header("connection");
  bool keep_alive = minor == 1 ? !HasToken(connection, "close") : HasToken(connection, "keep-alive");

  size_t pos = head_end;
  std::string te = req.Header("transfer-encoding");
  std::string cl = req.Header("content-length");
  bool expect_continue = minor == 1 && Lower(req.Header("expect")) == "100-continue";
  if (!te.empty()) {
    if (!cl.empty() || Lower(te) != "chunked") {
      SendError(c, te.empty() || Lower(te) == "chunked" ? 400 : 501, "unsupported transfer-encoding: " + te);
      return Outcome::kClose;
    }
    if (expect_continue && c->buf.size() == pos && !WriteAll(c, "HTTP/1.1 100 Continue\r\n\r\n")) return Outcome::kClose;
    int status = ReadChunkedBody(c, &pos, &req.body);
    if (status != 0) {
      SendError(c, status, "malformed chunked body");
      return Outcome::kClose;
    }
  } else if (!cl.empty()) {
    if (cl.size() > 12 || cl.find_first_not_of("0123456789") != std::string::npos) {
      SendError(c, 400, "invalid Content-Length");
      return Outcome::kClose;
    }
    size_t len = std::stoull(cl);
    if (len > kMaxBody) {
      SendError(c, 413, "body too large");
      return Outcome::kClose;
    }
    if (len > 0) {
      if (expect_continue && c->buf.size() == pos && !WriteAll(c, "HTTP/1.1 100 Continue\r\n\r\n")) return Outcome::kClose;
      if (!FillTo(c, pos + len)) return Outcome::kClose;
      req.body.assign(c->buf, pos, len);
      pos += len;
    }
  }
  c->buf.erase(0, pos);

  HttpResponse resp;
  try {
    resp = handler(req);
  } catch (const std::exception& e) {
    resp = ErrorResponse(500, std::string("handler failed: ") + e.what());
  } catch (...) {
    resp = ErrorResponse(500, "handler failed");
  }
  if (resp.delay_ms > 0) SleepInterruptible(resp.delay_ms);
  if (resp.drop_connection) return Outcome::kDrop;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) keep_alive = false;
  }
  if (minor == 0 && keep_alive) resp.SetHeader("Connection", "keep-alive");
  if (!WriteAll(c, SerializeResponse(resp, req.method == "HEAD", !keep_alive))) return Outcome::kDrop;
  return keep_alive ? Outcome::kKeepAlive : Outcome::kClose;
}

}  // namespace cloudsim
