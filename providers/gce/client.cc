#include "providers/gce/client.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "http/redact.h"
#include "model/resource.h"
#include "providers/common/timeouts.h"
#include "providers/common/uuid.h"
#include "util/strings.h"

namespace orch::providers::gce {

using nlohmann::json;

// A fixed namespace for request ids of this provider.
static constexpr const char* kRequestNamespace = "3f6b1c2e-8d4a-5e7f-9a1b-6c2d4e8f0a13";

std::string EncodeLabelValue(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "_%02x", c);
      out += buf;
    }
  }
  return out;
}

std::optional<std::string> DecodeLabelValue(std::string_view label) {
  std::string out;
  for (size_t i = 0; i < label.size(); ++i) {
    char c = label[i];
    if (c != '_') {
      out += c;
      continue;
    }
    if (i + 2 >= label.size()) return std::nullopt;
    auto hex = [](char h) -> int {
      if (h >= '0' && h <= '9') return h - '0';
      if (h >= 'a' && h <= 'f') return h - 'a' + 10;
      return -1;
    };
    int hi = hex(label[i + 1]), lo = hex(label[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

static bool OurKey(const std::string& k) {
  return k == model::kTagDeployment || k == model::kTagAddress || k == model::kTagTier;
}

json EncodeLabels(const std::map<std::string, std::string>& tags) {
  json out = json::object();
  for (const auto& [k, v] : tags)
    if (OurKey(k)) out[k] = EncodeLabelValue(v);
  return out;
}

std::map<std::string, std::string> DecodeLabels(const json& labels) {
  std::map<std::string, std::string> out;
  if (!labels.is_object()) return out;
  for (const auto& [k, v] : labels.items()) {
    if (!OurKey(k) || !v.is_string()) continue;
    std::optional<std::string> d = DecodeLabelValue(v.get<std::string>());
    if (d) out[k] = *d;
  }
  return out;
}

std::string DescriptionFor(const std::map<std::string, std::string>& tags) {
  json j = json::object();
  for (const auto& [k, v] : tags)
    if (OurKey(k)) j[k] = v;
  return j.dump();
}

std::map<std::string, std::string> TagsFromDescription(const std::string& description) {
  std::map<std::string, std::string> out;
  json j = json::parse(description, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items())
    if (OurKey(k) && v.is_string()) out[k] = v;
  return out;
}

std::map<std::string, std::string> TagsOf(const json& object) {
  if (!object.is_object()) return {};
  if (object.contains("labels")) {
    auto t = DecodeLabels(object["labels"]);
    if (t.count(std::string(model::kTagDeployment))) return t;
  }
  if (object.contains("description") && object["description"].is_string())
    return TagsFromDescription(object["description"]);
  return {};
}

std::optional<std::string> GcePager::NextUrl(const std::string& url, const json& body) const {
  if (!body.is_object() || !body.contains("nextPageToken") || !body["nextPageToken"].is_string()) return std::nullopt;
  std::string token = body["nextPageToken"];
  if (token.empty()) return std::nullopt;
  // Drop an earlier pageToken, keep the rest of the query.
  std::string base = url, query;
  size_t q = url.find('?');
  if (q != std::string::npos) {
    base = url.substr(0, q);
    for (const std::string& part : Split(url.substr(q + 1), '&'))
      if (!part.empty() && part.rfind("pageToken=", 0) != 0) query += (query.empty() ? "" : "&") + part;
  }
  query += (query.empty() ? "" : "&") + std::string("pageToken=") + common::UrlEncode(token);
  std::string next = base + "?" + query;
  if (next == url) return std::nullopt;
  return next;
}

static std::string PathOf(const std::string& url) {
  size_t p = url.find("/projects/");
  std::string out = p == std::string::npos ? url : url.substr(p);
  size_t q = out.find('?');
  return q == std::string::npos ? out : out.substr(0, q);
}

static std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Status GceErrorMapper::Map(const env::HttpRequest& request, const env::HttpResponse& response) const {
  std::string reason, message;
  json body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const json& e = body["error"];
    if (e.contains("message") && e["message"].is_string()) message = e["message"];
    if (e.contains("errors") && e["errors"].is_array() && !e["errors"].empty() && e["errors"][0].is_object())
      if (e["errors"][0].contains("reason") && e["errors"][0]["reason"].is_string()) reason = e["errors"][0]["reason"];
  }
  if (message.empty()) message = response.body;
  message = common::ClipMessage(http::Redact(message));
  std::string where = request.method + " " + http::Redact(PathOf(request.url));
  std::string detail = "GCE answered HTTP " + std::to_string(response.status) + (reason.empty() ? "" : " " + reason) +
                       " to " + where + ": " + message;
  const int s = response.status;
  if (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded" || s == 429) return Status::RateLimited(detail);
  if (reason == "quotaExceeded") return Status::QuotaExceeded(detail + " (raise the quota or ask for fewer resources)");
  if (reason == "alreadyExists") return Status::Conflict(detail);
  if (reason == "resourceInUseByAnotherResource" || reason == "resourceNotReady") return Status::Conflict(detail);
  if (s == 401)
    return Status::Unauthenticated(detail + " (check the credentials: provider setting 'credentials', "
                                            "GOOGLE_APPLICATION_CREDENTIALS or the metadata server)");
  if (s == 403) return Status::PermissionDenied(detail);
  if (s == 404 || s == 410) return Status::NotFound(detail);
  if (s == 409) return Status::Conflict(detail);
  if (s == 400) {
    std::string lower = Lower(message);
    if (lower.find("machine type") != std::string::npos || lower.find("unknown zone") != std::string::npos)
      return Status::InvalidArgument(detail + " (check the tier's size and the provider's zones)");
    return Status::InvalidArgument(detail);
  }
  if (s == 408 || s >= 500) return Status::Transient(detail);
  return Status::Internal(detail);
}

Result<env::HttpResponse> RateQuotaTransport::Send(const env::HttpRequest& request) {
  Result<env::HttpResponse> r = target_->Send(request);
  if (r.ok() && r->status == 403 &&
      (r->body.find("\"rateLimitExceeded\"") != std::string::npos ||
       r->body.find("\"userRateLimitExceeded\"") != std::string::npos)) {
    r->status = 429;
  }
  return r;
}

Status OperationError(const json& op) {
  if (!op.is_object() || !op.contains("error") || !op["error"].is_object()) return Status::OK();
  const json& e = op["error"];
  std::string code, message;
  auto text = [](const json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  if (e.contains("errors") && e["errors"].is_array() && !e["errors"].empty()) {
    code = common::ClipMessage(text(e["errors"][0], "code"), 80);
    message = common::ClipMessage(text(e["errors"][0], "message"));
  }
  std::string name = text(op, "name");
  std::string detail = "operation " + (name.empty() ? "?" : common::ClipMessage(name, 80)) + " failed: " + code +
                       (message.empty() ? "" : ": " + message);
  detail = http::Redact(detail);
  if (code == "QUOTA_EXCEEDED") return Status::QuotaExceeded(detail + " (raise the quota or ask for fewer resources)");
  if (code == "ZONE_RESOURCE_POOL_EXHAUSTED" || code == "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS")
    return Status::Internal(detail + " (the zone has no capacity for this machine type now; try another zone or size)");
  if (code == "RESOURCE_ALREADY_EXISTS") return Status::Conflict(detail);
  if (code == "RESOURCE_NOT_FOUND") return Status::NotFound(detail);
  if (code == "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE") return Status::Conflict(detail);
  int http_status = op.contains("httpErrorStatusCode") && op["httpErrorStatusCode"].is_number_integer()
                        ? op["httpErrorStatusCode"].get<int>()
                        : 0;
  if (http_status >= 500) return Status::Transient(detail);
  return Status::InvalidArgument(detail);
}


GceClient::GceClient(common::RestClient* rest, OAuthAuthenticator* auth, env::Clock* clock, ClientTuning tuning)
    : rest_(rest), auth_(auth), clock_(clock), tuning_(tuning) {}

Result<common::RestResponse> GceClient::CallWithAuth(const std::string& method, const std::string& path,
                                                     const json& body, http::SendOutcome* outcome) {
  Result<common::RestResponse> r = rest_->Call(method, path, body, outcome);
  if (!r.ok() && r.status().code() == StatusCode::kUnauthenticated && auth_ &&
      r.status().message().find("HTTP 401") != std::string::npos) {
    auth_->Invalidate();  // expired or revoked: one more try with a new token
    r = rest_->Call(method, path, body, outcome);
  }
  return r;
}

Result<json> GceClient::Get(const std::string& path) {
  Result<common::RestResponse> r = CallWithAuth("GET", path, nullptr, nullptr);
  if (!r.ok()) return r.status();
  return std::move(r->body);
}

Result<std::vector<json>> GceClient::List(const std::string& path, const std::string& filter) {
  std::vector<json> items;
  std::string url = common::AddQuery(path, "maxResults=500");
  if (!filter.empty()) url = common::AddQuery(url, "filter=" + common::UrlEncode(filter));
  GcePager pager;
  std::set<std::string> seen;
  for (int page = 0;; ++page) {
    Result<json> body = Get(url);
    if (!body.ok()) return body.status();
    // GCE leaves `items` out of an empty list but always says what the
    // answer is (`kind`); an answer that is neither is not an empty list.
    std::string problem;
    auto it = body->is_object() ? body->find("items") : body->end();
    if (!body->is_object()) {
      problem = "it is not a JSON object";
    } else if (it == body->end()) {
      if (!body->contains("kind") || !(*body)["kind"].is_string()) problem = "it has neither 'items' nor 'kind'";
    } else if (!it->is_array()) {
      problem = "'items' is not an array";
    } else {
      for (size_t i = 0; i < it->size() && problem.empty(); ++i)
        if (!(*it)[i].is_object() || !(*it)[i].contains("name") || !(*it)[i]["name"].is_string() ||
            ((*it)[i].contains("id") && !(*it)[i]["id"].is_string()))
          problem = "item " + std::to_string(i) + " is not an object with a string 'name' (and 'id')";
    }
    if (!problem.empty())
      return Status::Internal("GET " + http::Redact(PathOf(url)) + ": malformed list response (" + problem +
                              "); nothing is planned from an unreadable list, try again");
    if (it != body->end())
      for (auto& v : *it) items.push_back(std::move(v));
    std::optional<std::string> next = pager.NextUrl(url, *body);
    if (!next) break;
    seen.insert(url);
    if (seen.count(*next) || page + 1 >= common::RestClient::kMaxPages)
      return Status::Internal("GET " + http::Redact(PathOf(url)) + ": the list still names a next page after " +
                              std::to_string(page + 1) +
                              " pages (or one already read); nothing is planned from a list that never ends");
    url = *next;
  }
  return items;
}

Status GceClient::Sleep(int64_t ms, engine::ApplyContext& ctx) {
  return common::SleepUnlessCancelled(clock_, ms, ctx);
}

Result<json> GceClient::Mutate(const std::string& method, const std::string& path, const json& body,
                               const std::string& request_id, engine::ApplyContext& ctx) {
  std::string url = request_id.empty() ? path : common::AddQuery(path, "requestId=" + request_id);
  Status last;
  int64_t backoff = tuning_.retry_sleep_ms;
  for (int attempt = 0; attempt < tuning_.mutate_attempts; ++attempt) {
    http::SendOutcome outcome;
    Result<common::RestResponse> r = CallWithAuth(method, url, body, &outcome);
    if (r.ok()) return std::move(r->body);
    last = r.status();
    // Without a requestId a repeat could apply twice: the caller must look.
    if (request_id.empty() || !Uncertain(last)) return last;
    if (ctx.progress) ctx.progress("repeating " + method + " with the same requestId after: " + last.message());
    ORCH_RETURN_IF_ERROR(Sleep(backoff, ctx));
    backoff = std::min<int64_t>(backoff * 2, 8000);
  }
  return last;
}

Result<json> GceClient::PostRead(const std::string& path, engine::ApplyContext& ctx) {
  int64_t backoff = tuning_.retry_sleep_ms;
  for (int attempt = 1;; ++attempt) {
    Result<common::RestResponse> r = CallWithAuth("POST", path, nullptr, nullptr);
    if (r.ok()) return std::move(r->body);
    if (!Uncertain(r.status()) || attempt >= tuning_.mutate_attempts) return r.status();
    ORCH_RETURN_IF_ERROR(Sleep(backoff, ctx));
    backoff = std::min<int64_t>(backoff * 2, 8000);
  }
}

// The path under ".../projects/PROJECT" of an Operation's selfLink. The
// selfLink's host is not used (the API names www.googleapis.com, and the
// token must not follow a host an answer names): the wait goes to the
// configured endpoint.
static Result<std::string> OperationPath(const std::string& self_link, const std::string& what) {
  size_t p = self_link.find("/projects/");
  size_t s = p == std::string::npos ? p : self_link.find('/', p + 10);
  if (s == std::string::npos || self_link.find("/operations/", s) == std::string::npos)
    return Status::Internal(what + ": the Operation's selfLink '" + http::Redact(common::ClipMessage(self_link, 200)) +
                            "' is not .../projects/P/.../operations/NAME");
  return self_link.substr(s, self_link.find_first_of("?#", s) - s);
}

Status GceClient::WaitLink(const std::string& self_link, engine::ApplyContext& ctx, const std::string& what,
                          int64_t timeout_ms) {
  Result<std::string> path = OperationPath(self_link, what);
  if (!path.ok()) return path.status();
  if (timeout_ms <= 0) timeout_ms = common::WaitMs(ctx, tuning_.operation_timeout_ms);
  const int64_t deadline = clock_->MonotonicMicros() + timeout_ms * 1000;
  int failures = 0;
  int64_t backoff = tuning_.retry_sleep_ms;
  for (;;) {
    if (ctx.IsCancelled()) return Status::Cancelled("cancelled while waiting for " + what);
    if (clock_->MonotonicMicros() > deadline)
      return Status::Timeout("timed out after " + FormatDuration(timeout_ms) + " waiting for " + what);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++waits_;
    }
    // wait is a POST with no side effect: a lost answer is simply asked again.
    Result<common::RestResponse> r = CallWithAuth("POST", *path + "/wait", nullptr, nullptr);
    if (!r.ok()) {
      if (r.status().IsNotFound()) return r.status().WithPrefix("waiting for " + what);
      if (!Uncertain(r.status()) || ++failures > 8) return r.status().WithPrefix("waiting for " + what);
      ORCH_RETURN_IF_ERROR(Sleep(backoff, ctx));
      backoff = std::min<int64_t>(backoff * 2, 8000);
      continue;
    }
    failures = 0;
    const json& op = r->body;
    if (!op.is_object() || !op.contains("status") || !op["status"].is_string())
      return Status::Internal("waiting for " + what + ": the answer of POST " + *path +
                              "/wait is not an Operation (no string 'status')");
    if (op["status"] == "DONE") {
      Status st = OperationError(op);
      return st.ok() ? st : st.WithPrefix(what);
    }
    if (ctx.progress) ctx.progress("waiting for " + what + " (" + common::ClipMessage(op["status"], 40) + ")");
  }
}

Status GceClient::Wait(const json& operation, engine::ApplyContext& ctx, const std::string& what, int64_t timeout_ms) {
  if (!operation.is_object() || !operation.contains("selfLink") || !operation["selfLink"].is_string() ||
      !operation.contains("status") || !operation["status"].is_string())
    return Status::Internal(what + ": the answer is not an Operation (no string 'selfLink' and 'status')");
  if (operation["status"] == "DONE") {
    Status st = OperationError(operation);
    return st.ok() ? st : st.WithPrefix(what);
  }
  return WaitLink(operation["selfLink"].get<std::string>(), ctx, what, timeout_ms);
}

Status GceClient::MutateAndWait(const std::string& method, const std::string& path, const json& body,
                                const std::string& request_id, engine::ApplyContext& ctx, const std::string& what) {
  Result<json> op = Mutate(method, path, body, request_id, ctx);
  if (!op.ok()) return op.status();
  if (ctx.record_operation && op->is_object() && op->contains("selfLink") && (*op)["selfLink"].is_string())
    ctx.record_operation((*op)["selfLink"].get<std::string>());
  return Wait(*op, ctx, what);
}

Status GceClient::DeleteAndWait(const std::string& path, engine::ApplyContext& ctx, const std::string& what,
                                int64_t timeout_ms) {
  for (int attempt = 0;; ++attempt) {
    Result<json> op = Mutate("DELETE", path, nullptr, "", ctx);
    if (op.ok()) {
      Status st = Wait(*op, ctx, what, timeout_ms);
      return st.IsNotFound() ? Status::OK() : st;
    }
    if (op.status().IsNotFound()) return Status::OK();
    // Still referenced by something being deleted, or a lost/refused answer: ask again.
    bool again = op.status().IsConflict() || Uncertain(op.status());
    if (!again || attempt >= 30) return op.status();
    ORCH_RETURN_IF_ERROR(Sleep(std::min<int64_t>(tuning_.retry_sleep_ms * (attempt + 1), 5000), ctx));
  }
}

int GceClient::waits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return waits_;
}

std::string RequestId(const std::string& scope, const std::string& address, const std::string& part,
                      int attempt, const json& body) {
  std::string text = body.dump();
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  char hex[17];
  for (int i = 0; i < 8; ++i) std::snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return common::DeterministicUuid(kRequestNamespace, scope + "\n" + address + "\n" + part + "\n" +
                                                           std::to_string(attempt) + "\n" + hex);
}

}  // namespace orch::providers::gce
