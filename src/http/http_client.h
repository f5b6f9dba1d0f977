// HttpClient: sends one logical request over an env::HttpTransport,
// retrying what is safe to retry.
//
// Retried (up to RetryPolicy::max_attempts tries and max_elapsed_ms):
//  * HTTP 429 and 503, for every method: the server says it did not
//    process the request;
//  * HTTP 500, 502, 504, for idempotent requests only;
//  * transport failures (kTransient, kTimeout) for idempotent requests;
//    for a non-idempotent one only when the transport says the request was
//    never sent (message containing "request not sent", e.g. connection
//    refused).
// A non-idempotent request (POST, PATCH unless SendOptions says otherwise)
// that fails after it may have reached the server is NOT retried: Send
// returns kTransient whose message says it "may have been applied"
// (MaybeApplied() detects it, and SendOutcome::maybe_applied is set), so the
// caller can first look whether it took effect.
//
// Waits: full jitter, uniform in [0, min(max_backoff, initial * multiplier^(n-1))],
// from a seeded RNG (RetryPolicy::seed). A Retry-After header (seconds or an
// HTTP-date) or, on 429, a ratelimit-reset / x-ratelimit-reset header (epoch
// seconds; small values are taken as seconds from now) replaces the jittered
// wait, capped at max_backoff_ms. Sleeping goes through env::Clock.
//
// When retries run out on an HTTP status, the last response is returned as
// is (ErrorFromResponse() turns it into a Status); when they run out on a
// transport error, that error is returned with the attempt count. Messages
// name the method and the redacted URL, never request headers.
//
// Thread-safe: Send() may run on many threads; set the observer before use.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "env/clock.h"
#include "env/http_transport.h"
#include "util/status.h"

namespace orch::http {

struct RetryPolicy {
  int max_attempts = 5;            // tries in total, the first included
  int64_t initial_backoff_ms = 500;
  int64_t max_backoff_ms = 30000;  // also caps Retry-After
  double multiplier = 2.0;
  int64_t max_elapsed_ms = 120000;  // no retry whose wait would end later than this after the start
  uint64_t seed = 0;                // jitter RNG seed; 0 picks a random one
};

// What happened during one Send(), for callers that want detail.
struct SendOutcome {
  int attempts = 0;
  bool maybe_applied = false;  // non-idempotent request may have reached the server
  int64_t waited_ms = 0;       // total backoff slept
};

struct SendOptions {
  // Whether repeating the request is harmless. Unset: GET, HEAD, PUT,
  // DELETE, OPTIONS are idempotent; POST and PATCH are not.
  std::optional<bool> idempotent;
  SendOutcome* outcome = nullptr;  // filled when not null
};

// Called before each retry's wait: the attempt that failed (1-based), the
// wait chosen and why ("HTTP 503", "Retry-After", a transport error...).
using RetryObserver = std::function<void(int attempt, int64_t delay_ms, const std::string& reason)>;

class HttpClient {
 public:
  // transport and clock are not owned and must outlive the client.
  HttpClient(env::HttpTransport* transport, env::Clock* clock, RetryPolicy policy = {});

  void SetRetryObserver(RetryObserver observer) { observer_ = std::move(observer); }

  Result<env::HttpResponse> Send(const env::HttpRequest& request, const SendOptions& options = {});

  const RetryPolicy& policy() const { return policy_; }

  static bool IsIdempotentMethod(std::string_view method);

 private:
  int64_t JitteredBackoffMs(int attempt);
  // Server-requested wait in ms from Retry-After / rate-limit headers, or -1.
  int64_t ServerDelayMs(const env::HttpResponse& response);

  env::HttpTransport* const transport_;
  env::Clock* const clock_;
  const RetryPolicy policy_;
  RetryObserver observer_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

// True for the "may have been applied" error Send() returns for a
// non-idempotent request that failed after it may have been sent.
bool MaybeApplied(const Status& status);

// A Status for an HTTP error response: code from the status (400/422
// kInvalidArgument, 401 kUnauthenticated, 403 kPermissionDenied, 404/410
// kNotFound, 409/412 kConflict, 429 kRateLimited, 408/5xx kTransient, else
// kInternal) and message "METHOD URL -> HTTP 422: <body excerpt>", with URL
// and excerpt redacted.
Status ErrorFromResponse(const env::HttpRequest& request, const env::HttpResponse& response);

// Parses an HTTP-date (IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT") to
// epoch seconds, or -1.
int64_t ParseHttpDate(std::string_view text);

}  // namespace orch::http
