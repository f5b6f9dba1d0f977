#include "http/http_client.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "http/redact.h"

namespace orch::http {
namespace {

constexpr std::string_view kMaybeApplied = "may have been applied";
constexpr std::string_view kNotSent = "request not sent";

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Where(const env::HttpRequest& req) { return req.method + " " + Redact(req.url); }

}  // namespace

HttpClient::HttpClient(env::HttpTransport* transport, env::Clock* clock, RetryPolicy policy)
    : transport_(transport), clock_(clock), policy_(policy) {
  uint64_t seed = policy_.seed;
  if (seed == 0) {
    std::random_device rd;
    seed = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }
  rng_.seed(seed);
}

bool HttpClient::IsIdempotentMethod(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

int64_t HttpClient::JitteredBackoffMs(int attempt) {
  double cap = static_cast<double>(policy_.initial_backoff_ms) *
               std::pow(policy_.multiplier, std::max(0, attempt - 1));
  int64_t ceiling = static_cast<int64_t>(std::min(cap, static_cast<double>(policy_.max_backoff_ms)));
  if (ceiling <= 0) return 0;
  std::lock_guard<std::mutex> l(rng_mu_);
  return std::uniform_int_distribution<int64_t>(0, ceiling)(rng_);
}

int64_t HttpClient::ServerDelayMs(const env::HttpResponse& resp) {
  const int64_t now_ms = clock_->NowMicros() / 1000;
  const std::string retry_after_header = resp.Header("Retry-After");
  std::string_view retry_after = TrimView(retry_after_header);
  if (!retry_after.empty()) {
    if (AllDigits(retry_after) && retry_after.size() < 12) {
      return std::strtoll(std::string(retry_after).c_str(), nullptr, 10) * 1000;
    }
    int64_t when = ParseHttpDate(retry_after);
    if (when >= 0) return std::max<int64_t>(0, when * 1000 - now_ms);
  }
  if (resp.status == 429) {
    for (const char* name : {"ratelimit-reset", "x-ratelimit-reset"}) {
      const std::string header = resp.Header(name);
      std::string_view v = TrimView(header);
      if (!AllDigits(v) || v.size() >= 12) continue;
      int64_t n = std::strtoll(std::string(v).c_str(), nullptr, 10);
      // Epoch seconds (DigitalOcean, GitHub style); small values are a
      // delay in seconds (IETF RateLimit draft style).
      if (n > 1000000000) return std::max<int64_t>(0, n * 1000 - now_ms);
      return n * 1000;
    }
  }
  return -1;
}

Result<env::HttpResponse> HttpClient::Send(const env::HttpRequest& request,
                                           const SendOptions& options) {
  const bool idempotent = options.idempotent.value_or(IsIdempotentMethod(request.method));
  SendOutcome local;
  SendOutcome& out = options.outcome ? *options.outcome : local;
  out = SendOutcome();
  const int64_t start = clock_->MonotonicMicros();
  const int max_attempts = std::max(1, policy_.max_attempts);

  for (int attempt = 1;; ++attempt) {
    out.attempts = attempt;
    Result<env::HttpResponse> r = transport_->Send(request);
    std::string reason;
    int64_t server_delay = -1;
    if (r.ok()) {
      int s = r->status;
      bool retry = s == 429 || s == 503 || (idempotent && (s == 500 || s == 502 || s == 504));
      if (!retry) return r;
      reason = "HTTP " + std::to_string(s);
      server_delay = ServerDelayMs(*r);
    } else {
      const Status& st = r.status();
      bool transport_error = st.IsTransient() || st.IsTimeout();
      if (!transport_error) return st;
      bool not_sent = st.message().find(kNotSent) != std::string::npos;
      if (!idempotent && !not_sent) {
        out.maybe_applied = true;
        return Status::Transient(Where(request) + " " + std::string(kMaybeApplied) +
                                 ": it failed after the request may have reached the server (" +
                                 Redact(st.message()) +
                                 "); not retried automatically, check whether it took effect");
      }
      reason = Redact(st.message());
    }

    auto give_up = [&](const std::string& why) -> Result<env::HttpResponse> {
      if (r.ok()) return r;  // the caller maps the last HTTP answer
      return Status(r.status().code(), Where(request) + " failed after " +
                                           std::to_string(attempt) +
                                           (attempt == 1 ? " attempt" : " attempts") + " (" +
                                           why + "): " + Redact(r.status().message()));
    };
    if (attempt >= max_attempts) return give_up("attempt limit reached");
    int64_t delay = server_delay >= 0 ? std::min(server_delay, policy_.max_backoff_ms)
                                      : JitteredBackoffMs(attempt);
    if (server_delay >= 0) reason += server_delay == delay ? " (server asked to wait)" : " (server wait capped)";
    int64_t elapsed_ms = (clock_->MonotonicMicros() - start) / 1000;
    if (elapsed_ms + delay > policy_.max_elapsed_ms) return give_up("retry time limit reached");
    if (observer_) observer_(attempt, delay, reason);
    clock_->SleepForMicros(delay * 1000);
    out.waited_ms += delay;
  }
}

bool MaybeApplied(const Status& status) {
  return !status.ok() && status.message().find(kMaybeApplied) != std::string::npos;
}

Status ErrorFromResponse(const env::HttpRequest& request, const env::HttpResponse& response) {
  int s = response.status;
  StatusCode code;
  if (s == 400 || s == 422) code = StatusCode::kInvalidArgument;
  else if (s == 401) code = StatusCode::kUnauthenticated;
  else if (s == 403) code = StatusCode::kPermissionDenied;
  else if (s == 404 || s == 410) code = StatusCode::kNotFound;
  else if (s == 409 || s == 412) code = StatusCode::kConflict;
  else if (s == 429) code = StatusCode::kRateLimited;
  else if (s == 408 || s >= 500) code = StatusCode::kTransient;
  else code = StatusCode::kInternal;
  // Redact the whole body first so a secret cut by the excerpt still goes.
  std::string body = Redact(response.body);
  std::string excerpt;
  for (char c : body) {
    char x = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    if (x == ' ' && !excerpt.empty() && excerpt.back() == ' ') continue;
    excerpt += x;
  }
  excerpt = std::string(TrimView(excerpt));
  constexpr size_t kMaxExcerpt = 300;
  if (excerpt.size() > kMaxExcerpt) excerpt = excerpt.substr(0, kMaxExcerpt) + "...";
  std::string msg = Where(request) + " -> HTTP " + std::to_string(s);
  if (!excerpt.empty()) msg += ": " + excerpt;
  return Status(code, msg);
}

int64_t ParseHttpDate(std::string_view text) {
  std::string s(TrimView(text));
  struct tm tm {};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return -1;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace orch::http
