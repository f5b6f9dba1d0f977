#include "providers/common/rest_client.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "http/redact.h"

namespace orch::providers::common {

BearerAuthenticator::BearerAuthenticator(std::string token) : token_(std::move(token)) {
  http::RegisterSecret(token_);
}

Status BearerAuthenticator::Authenticate(env::HttpRequest* request) {
  request->headers.emplace_back("Authorization", "Bearer " + token_);
  return Status::OK();
}

std::optional<std::string> LinksPagesPager::NextUrl(const std::string& url, const nlohmann::json& body) const {
  if (!body.is_object()) return std::nullopt;
  auto links = body.find("links");
  if (links == body.end() || !links->is_object()) return std::nullopt;
  auto pages = links->find("pages");
  if (pages == links->end() || !pages->is_object()) return std::nullopt;
  auto next = pages->find("next");
  if (next == pages->end() || !next->is_string() || next->get<std::string>().empty()) return std::nullopt;
  std::string n = next->get<std::string>();
  if (n == url) return std::nullopt;  // a server repeating itself must not loop us
  return n;
}

RateLimiter::RateLimiter(env::Clock* clock, double low_fraction, int64_t max_wait_ms)
    : clock_(clock), low_fraction_(low_fraction), max_wait_micros_(max_wait_ms * 1000) {}

void RateLimiter::Acquire() {
  int64_t wait = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t now = clock_->MonotonicMicros();
    int64_t slot = std::max(now, next_allowed_micros_);
    wait = std::min(slot - now, max_wait_micros_);
    next_allowed_micros_ = now + wait + spacing_micros_;
    waited_micros_ += wait;
  }
  if (wait > 0) clock_->SleepForMicros(wait);
}

static int64_t HeaderInt(const env::HttpResponse& r, std::string_view name) {
  std::string v = r.Header(name);
  if (v.empty()) return -1;
  try {
    return std::stoll(v);
  } catch (...) {
    return -1;
  }
}

void RateLimiter::Observe(const env::HttpResponse& response) {
  int64_t limit = HeaderInt(response, "ratelimit-limit");
  int64_t remaining = HeaderInt(response, "ratelimit-remaining");
  int64_t reset = HeaderInt(response, "ratelimit-reset");
  if (limit <= 0 || remaining < 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (remaining >= static_cast<int64_t>(limit * low_fraction_)) {
    spacing_micros_ = 0;
    return;
  }
  int64_t now_s = clock_->NowMicros() / 1000000;
  int64_t until_reset_s = reset > 1000000000 ? reset - now_s : reset;  // epoch or delta
  if (until_reset_s < 1) until_reset_s = 1;
  spacing_micros_ = std::min(max_wait_micros_, until_reset_s * 1000000 / std::max<int64_t>(remaining, 1));
}

int64_t RateLimiter::spacing_micros() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spacing_micros_;
}

int64_t RateLimiter::waited_micros() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waited_micros_;
}

RestClient::RestClient(http::HttpClient* http, env::Clock* clock, std::string base_url, Authenticator* auth,
                       Pager* pager, ErrorMapper* errors, RateLimiter* limiter)
    : http_(http), clock_(clock), base_url_(std::move(base_url)), auth_(auth), pager_(pager), errors_(errors),
      limiter_(limiter) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<RestResponse> RestClient::Call(const std::string& method, const std::string& path, const nlohmann::json& body,
                                      http::SendOutcome* outcome) {
  env::HttpRequest req;
  req.method = method;
  req.url = path.rfind("http", 0) == 0 ? path : base_url_ + path;
  if (!Origin(path).empty() && Origin(path) != Origin(base_url_))
    return Status::PermissionDenied(method + " " + http::Redact(ClipMessage(path, 200)) +
                                    ": refused, the URL is not on the API's origin " + Origin(base_url_) +
                                    " (an answer named another host; credentials go only to the API)");
  req.headers.emplace_back("Accept", "application/json");
  if (!body.is_null()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body.dump();
  }
  if (auth_) ORCH_RETURN_IF_ERROR(auth_->Authenticate(&req));
  if (limiter_) limiter_->Acquire();
  http::SendOutcome local;
  http::SendOptions opts;
  opts.outcome = outcome ? outcome : &local;
  Result<env::HttpResponse> r = http_->Send(req, opts);
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_ += std::max(1, opts.outcome->attempts);
  }
  if (!r.ok()) return r.status();
  if (limiter_) limiter_->Observe(*r);
  if (r->status < 200 || r->status > 299) {
    return errors_ ? errors_->Map(req, *r) : http::ErrorFromResponse(req, *r);
  }
  RestResponse out;
  out.status = r->status;
  out.headers = r->headers;
  if (!r->body.empty()) {
    // Depth is bounded so a hostile answer cannot exhaust the stack of code
    // walking it.
    constexpr int kMaxDepth = 128;
    bool too_deep = false;
    nlohmann::json::parser_callback_t depth_check = [&](int depth, nlohmann::json::parse_event_t,
                                                        nlohmann::json&) {
      if (depth > kMaxDepth) too_deep = true;
      return !too_deep;
    };
    out.body = nlohmann::json::parse(r->body, depth_check, false);
    if (too_deep)
      return Status::Internal(method + " " + http::Redact(req.url) + ": response nests deeper than " +
                              std::to_string(kMaxDepth) + " levels");
    if (out.body.is_discarded())
      return Status::Internal(method + " " + http::Redact(req.url) + ": response is not JSON");
  }
  return out;
}

Result<nlohmann::json> RestClient::Get(const std::string& path) {
  Result<RestResponse> r = Call("GET", path);
  if (!r.ok()) return r.status();
  return std::move(r->body);
}

Result<nlohmann::json> RestClient::Post(const std::string& path, const nlohmann::json& body,
                                        http::SendOutcome* outcome) {
  Result<RestResponse> r = Call("POST", path, body, outcome);
  if (!r.ok()) return r.status();
  return std::move(r->body);
}

Status RestClient::Delete(const std::string& path) {
  Result<RestResponse> r = Call("DELETE", path);
  return r.status();
}

Result<std::vector<nlohmann::json>> RestClient::List(const std::string& path, const std::string& key) {
  std::vector<nlohmann::json> items;
  std::string url = pager_ ? AddQuery(path, pager_->FirstPageQuery()) : path;
  std::set<std::string> seen;
  for (int page = 0;; ++page) {
    Result<nlohmann::json> body = Get(url);
    if (!body.ok()) return body.status();
    std::string full = url.rfind("http", 0) == 0 ? url : base_url_ + url;
    // A list answer without its array is not an empty list: reading it as one
    // would make the plan create again what already exists.
    auto it = body->is_object() ? body->find(key) : body->end();
    if (!body->is_object() || it == body->end() || !it->is_array()) {
      return Status::Internal("GET " + http::Redact(full) + ": malformed list response: no '" + key +
                              "' array; nothing is planned from an unreadable list, try again");
    }
    for (auto& v : *it) items.push_back(std::move(v));
    if (!pager_) break;
    std::optional<std::string> next = pager_->NextUrl(full, *body);
    if (!next) break;
    // The next-page link is followed with the credentials, so only on the
    // API's own origin: a link naming another host (a proxy that rewrites
    // badly, or a hostile answer) has its path and query taken onto ours.
    std::string origin = Origin(*next);
    if (!origin.empty() && origin != Origin(base_url_)) *next = Origin(base_url_) + next->substr(origin.size());
    if (*next == full) break;
    seen.insert(full);
    if (seen.count(*next))
      return Status::Internal("GET " + http::Redact(full) + ": the list's next-page link leads back to a page already "
                              "read; nothing is planned from a list that never ends, try again");
    if (page + 1 >= kMaxPages)
      return Status::Internal("GET " + http::Redact(full) + ": the list still names a next page after " +
                              std::to_string(kMaxPages) + " pages; nothing is planned from a list that never ends");
    url = *next;
  }
  return items;
}

int64_t RestClient::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::string Origin(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "";
  size_t end = url.find_first_of("/?#", scheme + 3);
  std::string origin = url.substr(0, end);
  for (char& c : origin) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return origin;
}

std::string ClipMessage(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  return text.substr(0, max) + "... (" + std::to_string(text.size()) + " bytes)";
}

std::string AddQuery(const std::string& path, const std::string& query) {
  if (query.empty()) return path;
  return path + (path.find('?') == std::string::npos ? "?" : "&") + query;
}

std::string UrlEncode(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace orch::providers::common
