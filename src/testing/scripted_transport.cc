#include "testing/scripted_transport.h"

#include <utility>

namespace orch::testing {

void ScriptedTransport::Expect(std::string method, std::string url_prefix,
                               Result<env::HttpResponse> answer) {
  std::lock_guard<std::mutex> l(mu_);
  queue_.push_back(Expectation{std::move(method), std::move(url_prefix), std::move(answer)});
}

void ScriptedTransport::ExpectReply(std::string method, std::string url_prefix, int status,
                                    std::string body, env::HeaderList headers) {
  env::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  Expect(std::move(method), std::move(url_prefix), std::move(r));
}

void ScriptedTransport::ExpectError(std::string method, std::string url_prefix, Status error) {
  Expect(std::move(method), std::move(url_prefix), std::move(error));
}

void ScriptedTransport::ExpectReset(std::string method, std::string url_prefix) {
  ExpectError(std::move(method), std::move(url_prefix),
              Status::Transient("connection reset by peer (scripted)"));
}

void ScriptedTransport::ExpectTimeout(std::string method, std::string url_prefix) {
  ExpectError(std::move(method), std::move(url_prefix),
              Status::Timeout("operation timed out (scripted)"));
}

void ScriptedTransport::ExpectRefused(std::string method, std::string url_prefix) {
  // The wording "request not sent" is the HttpTransport convention for a
  // failure that happened before any byte of the request left (see
  // http/http_client.h), so even a POST may be retried.
  ExpectError(std::move(method), std::move(url_prefix),
              Status::Transient("connection refused (scripted); request not sent"));
}

void ScriptedTransport::SetFallback(Handler handler) {
  std::lock_guard<std::mutex> l(mu_);
  fallback_ = std::move(handler);
}

Result<env::HttpResponse> ScriptedTransport::Send(const env::HttpRequest& request) {
  Handler fallback;
  {
    std::lock_guard<std::mutex> l(mu_);
    requests_.push_back(request);
    if (!queue_.empty()) {
      const Expectation& e = queue_.front();
      bool method_ok = e.method.empty() || e.method == "*" || e.method == request.method;
      bool url_ok = request.url.compare(0, e.url_prefix.size(), e.url_prefix) == 0;
      if (method_ok && url_ok) {
        Result<env::HttpResponse> answer = std::move(queue_.front().answer);
        queue_.pop_front();
        return answer;
      }
      if (!fallback_) {
        std::string msg = "unexpected request " + request.method + " " + request.url +
                          "; next expected " + (e.method.empty() ? "*" : e.method) + " " +
                          e.url_prefix + "...";
        unexpected_.push_back(msg);
        return Status::Internal(msg);
      }
    } else if (!fallback_) {
      std::string msg = "unexpected request " + request.method + " " + request.url +
                        "; no scripted answer left";
      unexpected_.push_back(msg);
      return Status::Internal(msg);
    }
    fallback = fallback_;
  }
  return fallback(request);
}

std::vector<env::HttpRequest> ScriptedTransport::Requests() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_;
}

size_t ScriptedTransport::RequestCount() const {
  std::lock_guard<std::mutex> l(mu_);
  return requests_.size();
}

size_t ScriptedTransport::Remaining() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.size();
}

std::vector<std::string> ScriptedTransport::Unexpected() const {
  std::lock_guard<std::mutex> l(mu_);
  return unexpected_;
}

}  // namespace orch::testing
