// A small HTTP/1.1 server for cloudsim: keep-alive, a fixed pool of worker
// threads, optional TLS (OpenSSL). Knows nothing about clouds.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace cloudsim {

struct HttpRequest {
  std::string method;   // "GET"
  std::string target;   // raw request target: "/v2/droplets?page=2"
  std::string path;     // percent-decoded path without the query: "/v2/droplets"
  std::multimap<std::string, std::string> query;  // decoded
  std::map<std::string, std::string> headers;     // names lower-cased
  std::string body;
  std::string peer;     // "127.0.0.1:53422"

  std::string Header(const std::string& lower_name) const;
  std::string Query(const std::string& name, const std::string& fallback = "") const;
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Fault hooks: close the connection without answering (reset / lost
  // response), or answer only after a delay.
  bool drop_connection = false;
  int delay_ms = 0;

  HttpResponse& SetHeader(const std::string& name, const std::string& value);
  static HttpResponse Json(int status, const nlohmann::json& body);
  static HttpResponse Empty(int status);  // e.g. 204
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 0;        // 0 = pick a free port
    int threads = 16;    // connection worker threads
    std::string tls_cert;  // PEM files; both set = HTTPS
    std::string tls_key;
  };

  HttpServer(Options options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving in background threads. False + *error on failure.
  bool Start(std::string* error);
  int port() const;
  bool tls() const;
  // Stops accepting, closes connections, joins threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cloudsim
