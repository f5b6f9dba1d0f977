// OpenStack error bodies -> Status. Every service has its own form:
//   Nova/Cinder   {"badRequest"|"itemNotFound"|"forbidden"|"overLimit"|...: {"code", "message"}}
//   Neutron       {"NeutronError": {"type", "message", "detail"}}
//   Octavia       {"faultcode", "faultstring", "debuginfo"}
//   Glance        {"message", "code", "title"}
//   Keystone      {"error": {"code", "message", "title"}}
// Codes: 400 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied
// (QuotaExceeded for "Quota exceeded"), 404 NotFound, 409 Conflict
// (QuotaExceeded for Neutron OverQuota), 413 QuotaExceeded (RateLimited with
// Retry-After), 429 RateLimited, 5xx Transient.
#pragma once

#include "providers/common/rest_client.h"

namespace orch::providers::openstack {

class OsErrorMapper final : public common::ErrorMapper {
 public:
  Status Map(const env::HttpRequest& request, const env::HttpResponse& response) const override;
};

// The human message of an OpenStack error body ("" when there is none), and
// Neutron's error type ("NetworkInUse"...) when present.
std::string ErrorMessage(const std::string& body, std::string* type = nullptr);

}  // namespace orch::providers::openstack
