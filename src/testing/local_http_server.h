// LocalHttpServer: a small threaded HTTP/1.1 server on 127.0.0.1 for tests.
//
// Listens on an ephemeral port (port 0), one thread per connection, keeps
// connections alive between requests, and answers each request through a
// std::function handler. The handler can also misbehave on purpose: delay
// its answer (e.g. past the client's timeout) or close the connection
// without answering (sent as a TCP reset). Optionally speaks TLS (OpenSSL)
// with a certificate and key from PEM files; WriteSelfSignedCert() makes a
// throwaway pair for 127.0.0.1/localhost.
//
// Stop() (also run by the destructor) closes every connection, wakes delayed
// handlers and joins all threads. Accessors are safe from any thread. The
// handler runs on connection threads, possibly concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "env/http_transport.h"
#include "util/status.h"

namespace orch::testing {

struct ServerRequest {
  std::string method;
  std::string target;  // path and query, as sent
  env::HeaderList headers;
  std::string body;
  int connection = 0;  // 1-based number of the TCP connection it came on

  std::string Header(std::string_view name) const;
};

struct ServerReply {
  enum class Action { kRespond, kCloseWithoutAnswer };
  Action action = Action::kRespond;
  int status = 200;
  env::HeaderList headers;
  std::string body;
  int delay_ms = 0;          // wait this long before acting (cut short by Stop)
  bool close_after = false;  // send "Connection: close" and close afterwards

  static ServerReply Json(int status, std::string body, env::HeaderList headers = {});
  static ServerReply Reset();
};

class LocalHttpServer {
 public:
  using Handler = std::function<ServerReply(const ServerRequest&)>;

  explicit LocalHttpServer(Handler handler);
  ~LocalHttpServer();
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  // Plain HTTP, or TLS when cert/key PEM files are given.
  Status Start(const std::string& cert_file = "", const std::string& key_file = "");
  void Stop();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
  std::string BaseUrl() const;

  int ConnectionCount() const { return connections_.load(); }
  int RequestCount() const;
  std::vector<ServerRequest> Requests() const;

  // Writes a fresh self-signed EC certificate valid for IP 127.0.0.1 and DNS
  // localhost to dir/cert.pem and dir/key.pem.
  static Status WriteSelfSignedCert(const std::string& dir, std::string* cert_file,
                                    std::string* key_file);

 private:
  void AcceptLoop();
  void ServeConnection(int fd, int number);
  bool WaitUnlessStopped(int delay_ms);

  Handler handler_;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, null for plain HTTP
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<int> open_fds_;
  std::vector<std::thread> conn_threads_;
  std::vector<ServerRequest> requests_;
};

}  // namespace orch::testing
