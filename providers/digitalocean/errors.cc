#include "providers/digitalocean/errors.h"

#include <nlohmann/json.hpp>

#include "http/redact.h"
#include "util/strings.h"

namespace orch::providers::digitalocean {

static std::string PathOf(const std::string& url) {
  size_t v2 = url.find("/v2/");
  std::string p = v2 == std::string::npos ? url : url.substr(v2 + 3);
  size_t q = p.find('?');
  return q == std::string::npos ? p : p.substr(0, q);
}

Status DoErrorMapper::Map(const env::HttpRequest& request, const env::HttpResponse& response) const {
  std::string id, message;
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    if (body.contains("id") && body["id"].is_string()) id = body["id"];
    if (body.contains("message") && body["message"].is_string()) message = body["message"];
  }
  if (message.empty()) message = response.body.substr(0, 200);
  message = http::Redact(message);
  std::string where = request.method + " " + http::Redact(PathOf(request.url));
  std::string detail = "DigitalOcean answered HTTP " + std::to_string(response.status) + (id.empty() ? "" : " " + id) +
                       " to " + where + ": " + message;
  const int s = response.status;
  if (s == 401)
    return Status::Unauthenticated(detail +
                                   " (check the token: provider setting 'token', DIGITALOCEAN_TOKEN or "
                                   "DIGITALOCEAN_ACCESS_TOKEN)");
  if (s == 403) return Status::PermissionDenied(detail);
  if (s == 404 || s == 410) return Status::NotFound(detail);
  if (s == 409) return Status::Conflict(detail);
  if (s == 429) return Status::RateLimited(detail);
  if (s == 422 || s == 400) {
    std::string lower;
    for (char c : message) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.find("limit") != std::string::npos && lower.find("exceed") != std::string::npos)
      return Status::QuotaExceeded(detail + " (raise the account limit or lower the count)");
    if (lower.find("pending event") != std::string::npos) return Status::Conflict(detail);
    return Status::InvalidArgument(detail);
  }
  if (s == 408 || s >= 500) return Status::Transient(detail);
  return Status::Internal(detail);
}

}  // namespace orch::providers::digitalocean
