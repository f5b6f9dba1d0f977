// HttpTransport: one HTTP exchange, nothing more (no retries, no auth).
// The libcurl implementation lives in http/; tests use ScriptedTransport
// (src/testing/). Send() is safe to call from many threads at once.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "util/status.h"

namespace orch::env {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HeaderList headers;
  std::string body;
  int connect_timeout_ms = 10000;
  int timeout_ms = 60000;
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // names as received
  std::string body;

  // Case-insensitive lookup of the first header with this name, or "".
  std::string Header(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // A non-OK status means no HTTP response arrived: kTransient for connection
  // failures (refused, reset, DNS), kTimeout when the timeout expired,
  // kInvalidArgument for a malformed URL, kPermissionDenied for TLS
  // verification failures. Any HTTP status, 4xx and 5xx included, is OK here.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace orch::env
