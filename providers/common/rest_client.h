// RestClient: JSON requests to one cloud API over http::HttpClient, composed
// from per-cloud strategies (STYLE.md section 4):
//   Authenticator  adds credentials to each request (bearer token...)
//   Pager          finds the next page of a list response
//   ErrorMapper    turns an HTTP error response into a Status
//   RateLimiter    reads rate-limit headers and paces requests
// Retries (429/503, idempotent 5xx, transport errors) are HttpClient's; a
// non-idempotent request that may have reached the server comes back as
// http::MaybeApplied() so the caller can look before retrying.
// Thread-safe once constructed; strategies are not owned.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "env/clock.h"
#include "env/http_transport.h"
#include "http/http_client.h"
#include "util/status.h"

namespace orch::providers::common {

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual Status Authenticate(env::HttpRequest* request) = 0;
};

// "Authorization: Bearer TOKEN" (DigitalOcean; the token is registered with
// the redactor by the constructor).
class BearerAuthenticator final : public Authenticator {
 public:
  explicit BearerAuthenticator(std::string token);
  Status Authenticate(env::HttpRequest* request) override;

 private:
  std::string token_;
};

class Pager {
 public:
  virtual ~Pager() = default;
  // The URL of the page after `body` (fetched from `url`), or nullopt.
  virtual std::optional<std::string> NextUrl(const std::string& url, const nlohmann::json& body) const = 0;
  // Query added to the first request of a list ("per_page=200").
  virtual std::string FirstPageQuery() const = 0;
};

// DigitalOcean: links.pages.next (absolute URL); per_page=200.
class LinksPagesPager final : public Pager {
 public:
  std::optional<std::string> NextUrl(const std::string& url, const nlohmann::json& body) const override;
  std::string FirstPageQuery() const override { return "per_page=200"; }
};

class ErrorMapper {
 public:
  virtual ~ErrorMapper() = default;
  // Only called for responses outside 2xx.
  virtual Status Map(const env::HttpRequest& request, const env::HttpResponse& response) const = 0;
};

// Token bucket fed by ratelimit-limit / ratelimit-remaining / ratelimit-reset
// (epoch seconds). While remaining is plentiful requests go at once; when it
// falls below `low_fraction` of the limit, requests are spaced so the rest of
// the budget lasts until the reset (each wait capped at max_wait_ms).
class RateLimiter {
 public:
  explicit RateLimiter(env::Clock* clock, double low_fraction = 0.2, int64_t max_wait_ms = 5000);
  // Blocks (on the clock) until the next request may go.
  void Acquire();
  void Observe(const env::HttpResponse& response);
  int64_t spacing_micros() const;
  int64_t waited_micros() const;

 private:
  env::Clock* clock_;
  const double low_fraction_;
  const int64_t max_wait_micros_;
  mutable std::mutex mu_;
  int64_t spacing_micros_ = 0;
  int64_t next_allowed_micros_ = 0;  // monotonic
  int64_t waited_micros_ = 0;
};

struct RestResponse {
  int status = 0;
  nlohmann::json body;  // null when empty
  env::HeaderList headers;
};

class RestClient {
 public:
  // base_url without a trailing slash, e.g. "https://api.digitalocean.com/v2".
  RestClient(http::HttpClient* http, env::Clock* clock, std::string base_url, Authenticator* auth, Pager* pager,
             ErrorMapper* errors, RateLimiter* limiter);

  // path starts with '/' (or is an absolute URL on the base URL's origin:
  // credentials never go to a host that only an answer named, so another
  // origin is refused). Non-2xx answers become the ErrorMapper's Status. `outcome` (optional) tells whether a failed
  // non-idempotent request may have been applied.
  Result<RestResponse> Call(const std::string& method, const std::string& path,
                            const nlohmann::json& body = nullptr, http::SendOutcome* outcome = nullptr);
  Result<nlohmann::json> Get(const std::string& path);
  Result<nlohmann::json> Post(const std::string& path, const nlohmann::json& body, http::SendOutcome* outcome = nullptr);
  Status Delete(const std::string& path);  // NotFound is returned as is

  // Every item of `key` over all pages (path may carry a query). A list of
  // more than kMaxPages pages, or whose next links come back to a page
  // already read, is an error: a list cut short would plan creates of what
  // exists.
  Result<std::vector<nlohmann::json>> List(const std::string& path, const std::string& key);
  static constexpr int kMaxPages = 1000;

  int64_t requests() const;

 private:
  http::HttpClient* http_;
  env::Clock* clock_;
  std::string base_url_;
  Authenticator* auth_;
  Pager* pager_;
  ErrorMapper* errors_;
  RateLimiter* limiter_;
  mutable std::mutex mu_;
  int64_t requests_ = 0;
};

// "scheme://host[:port]" of an absolute URL, lowercased; "" for a path.
std::string Origin(const std::string& url);

// A message from a cloud's answer cut to `max` bytes for an error line
// ("... (N bytes)" tells the length cut), so a 100 kB error page cannot
// become the message.
std::string ClipMessage(const std::string& text, size_t max = 300);

// "a=b" added to a path that may already hold a query.
std::string AddQuery(const std::string& path, const std::string& query);
// Percent-encodes a query value.
std::string UrlEncode(const std::string& value);

}  // namespace orch::providers::common
