#include "providers/openstack/errors.h"

#include <nlohmann/json.hpp>

#include "http/redact.h"
#include "providers/common/json_read.h"
#include "providers/common/rest_client.h"

namespace orch::providers::openstack {

using common::StringField;
using nlohmann::json;

static std::string FindMessage(const std::string& body, std::string* type);

std::string ErrorMessage(const std::string& body, std::string* type) {
  return common::ClipMessage(http::Redact(FindMessage(body, type)));
}

static std::string FindMessage(const std::string& body, std::string* type) {
  json b = json::parse(body, nullptr, false);
  if (!b.is_object()) return body;
  if (b.contains("NeutronError") && b["NeutronError"].is_object()) {
    if (type) *type = common::ClipMessage(StringField(b["NeutronError"], "type"), 80);
    return StringField(b["NeutronError"], "message");
  }
  if (b.contains("faultstring") && b["faultstring"].is_string()) return b["faultstring"];
  if (b.contains("error") && b["error"].is_object()) return StringField(b["error"], "message");
  if (b.contains("message") && b["message"].is_string()) {
    std::string m = b["message"];
    size_t br = m.find("<br");
    return br == std::string::npos ? m : m.substr(0, br);
  }
  for (auto it = b.begin(); it != b.end(); ++it) {  // {"badRequest": {"message": ...}}
    if (it->is_object() && it->contains("message") && (*it)["message"].is_string()) {
      if (type) *type = common::ClipMessage(it.key(), 80);
      return (*it)["message"];
    }
  }
  return body;
}

static std::string PathOf(const std::string& url) {
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string p = slash == std::string::npos ? url : url.substr(slash);
  size_t q = p.find('?');
  return q == std::string::npos ? p : p.substr(0, q);
}

Status OsErrorMapper::Map(const env::HttpRequest& request, const env::HttpResponse& response) const {
  std::string type;
  std::string message = http::Redact(ErrorMessage(response.body, &type));
  const int s = response.status;
  std::string detail = "OpenStack answered HTTP " + std::to_string(s) + (type.empty() ? "" : " " + type) + " to " +
                       request.method + " " + http::Redact(PathOf(request.url)) + ": " + message;
  auto has = [&](const char* needle) { return message.find(needle) != std::string::npos; };
  if (s == 401) return Status::Unauthenticated(detail);
  if (s == 403) return has("Quota exceeded") || has("quota") ? Status::QuotaExceeded(detail) : Status::PermissionDenied(detail);
  if (s == 404) return Status::NotFound(detail);
  if (s == 409) return type == "OverQuota" ? Status::QuotaExceeded(detail) : Status::Conflict(detail);
  if (s == 413) return response.Header("Retry-After").empty() ? Status::QuotaExceeded(detail) : Status::RateLimited(detail);
  if (s == 429) return Status::RateLimited(detail);
  if (s == 400 || s == 422) return Status::InvalidArgument(detail);
  if (s == 408 || s >= 500) return Status::Transient(detail);
  return Status::Internal(detail);
}

}  // namespace orch::providers::openstack
