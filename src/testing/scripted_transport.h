// ScriptedTransport: an env::HttpTransport that answers from a script.
//
// Tests queue expectations in order: a method and URL prefix, and either an
// HTTP reply (any status, e.g. 429 with Retry-After, 503) or a transport
// Status (reset = kTransient, timeout = kTimeout). Send() checks the next
// expectation against the request, records the request, and returns the
// scripted answer. A request that does not match, or arrives when the queue
// is empty, gets kInternal and is recorded in Unexpected() (unless a
// fallback handler is set, which then answers unmatched requests).
// TransportWrapper (below) is the base for partial fakes over a real
// transport.
// Safe for concurrent use; with several threads the queue is consumed in
// arrival order.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "env/http_transport.h"
#include "util/status.h"

namespace orch::testing {

class ScriptedTransport final : public env::HttpTransport {
 public:
  using Handler = std::function<Result<env::HttpResponse>(const env::HttpRequest&)>;

  // method "" or "*" matches any method; url_prefix "" matches any URL.
  void Expect(std::string method, std::string url_prefix, Result<env::HttpResponse> answer);
  void ExpectReply(std::string method, std::string url_prefix, int status, std::string body = "",
                   env::HeaderList headers = {});
  void ExpectError(std::string method, std::string url_prefix, Status error);
  // Shorthands for common failures.
  void ExpectReset(std::string method, std::string url_prefix);    // kTransient, maybe sent
  void ExpectTimeout(std::string method, std::string url_prefix);  // kTimeout
  void ExpectRefused(std::string method, std::string url_prefix);  // kTransient, not sent

  // Answers requests that do not match the head of the queue (or arrive when
  // it is empty) instead of failing them.
  void SetFallback(Handler handler);

  Result<env::HttpResponse> Send(const env::HttpRequest& request) override;

  std::vector<env::HttpRequest> Requests() const;
  size_t RequestCount() const;
  size_t Remaining() const;             // expectations not yet consumed
  std::vector<std::string> Unexpected() const;  // descriptions of mismatches

 private:
  struct Expectation {
    std::string method;
    std::string url_prefix;
    Result<env::HttpResponse> answer;
  };

  mutable std::mutex mu_;
  std::deque<Expectation> queue_;
  std::vector<env::HttpRequest> requests_;
  std::vector<std::string> unexpected_;
  Handler fallback_;
};

// TransportWrapper: forwards every Send() to another transport. Subclass it
// and override Send() to observe or alter one aspect (count requests, fail
// the Nth one) while a real transport does the rest.
class TransportWrapper : public env::HttpTransport {
 public:
  explicit TransportWrapper(env::HttpTransport* target) : target_(target) {}
  Result<env::HttpResponse> Send(const env::HttpRequest& request) override {
    return target_->Send(request);
  }
  env::HttpTransport* target() const { return target_; }

 private:
  env::HttpTransport* const target_;
};

}  // namespace orch::testing
