// Keystone v3 session: password or application-credential authentication,
// the service catalog, and the token, reused until shortly before it
// expires (then renewed) or until a service answers 401 (then renewed once
// for that request, see Session::Call in os_provider.h).
// Thread-safe: one token is shared by every thread; renewal is serialized.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "env/clock.h"
#include "http/http_client.h"
#include "providers/common/rest_client.h"
#include "providers/openstack/cloud_config.h"
#include "util/status.h"

namespace orch::providers::openstack {

// A token is renewed this long before its expires_at.
inline constexpr int64_t kTokenGraceSeconds = 300;

class Keystone {
 public:
  Keystone(http::HttpClient* http, env::Clock* clock, CloudConfig config);

  // A valid token, authenticating when there is none or it is about to expire.
  Result<std::string> Token();
  // Forgets `token` (a service refused it) so the next Token() renews it.
  void Invalidate(const std::string& token);
  // Endpoint URL (no trailing slash) of `service_type` for the configured
  // region and interface; NotFound names what the catalog offers.
  Result<std::string> Endpoint(const std::string& service_type);
  std::string project_id();
  int authentications() const;
  const CloudConfig& config() const { return config_; }

  // The JSON body of POST /v3/auth/tokens for `c`.
  static nlohmann::json AuthBody(const CloudConfig& c);
  // ".../v3" form of an auth_url ("http://h:5000" -> "http://h:5000/v3").
  static std::string IdentityV3(const std::string& auth_url);

 private:
  Status AuthenticateLocked();

  http::HttpClient* http_;
  env::Clock* clock_;
  CloudConfig config_;
  mutable std::mutex mu_;
  std::string token_;
  int64_t expires_micros_ = 0;
  nlohmann::json catalog_ = nlohmann::json::array();
  std::string project_id_;
  int authentications_ = 0;
};

// Adds X-Auth-Token (from Keystone) and an optional microversion header to
// each request of one service.
class KeystoneAuthenticator final : public common::Authenticator {
 public:
  KeystoneAuthenticator(Keystone* keystone, std::string service) : keystone_(keystone), service_(std::move(service)) {}
  Status Authenticate(env::HttpRequest* request) override;
  // "2.79" for compute, "3.59" for volume; empty = no header.
  void SetMicroversion(const std::string& version);
  std::string microversion() const;

 private:
  Keystone* keystone_;
  std::string service_;  // "compute", "volume"
  mutable std::mutex mu_;
  std::string microversion_;
};

// Pager for OpenStack lists: "<collection>_links" [{rel: next, href}] (Nova,
// Neutron, Cinder, Octavia) or Glance's top-level "next" (a path relative to
// the image endpoint). The first page asks for `limit` items.
class OpenStackPager final : public common::Pager {
 public:
  std::optional<std::string> NextUrl(const std::string& url, const nlohmann::json& body) const override;
  std::string FirstPageQuery() const override { return "limit=200"; }
};

// "2.79" -> {2, 79}; {-1,-1} when malformed.
std::pair<int, int> ParseVersion(const std::string& v);
// The highest version <= `ours_max` within [server_min, server_max], or ""
// when the ranges do not meet (or ours_min is above server_max).
std::string PickMicroversion(const std::string& ours_min, const std::string& ours_max, const std::string& server_min,
                             const std::string& server_max);
// Seconds since the epoch of an ISO 8601 UTC time ("2026-11-26T06:47:05.000000Z"), -1 if malformed.
int64_t ParseIsoTime(const std::string& text);

}  // namespace orch::providers::openstack
