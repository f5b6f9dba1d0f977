// GCE REST plumbing over common::RestClient: Google's error bodies,
// nextPageToken pages, 403 rateLimitExceeded retried like a 429, a 401
// answered by fetching a new token once, mutations with a deterministic
// requestId, and Operations awaited with their `wait` method.
// Also the label encoding (docs/providers/gce.md "Labels").
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/provider.h"
#include "env/http_transport.h"
#include "providers/common/create.h"
#include "providers/common/rest_client.h"
#include "providers/gce/auth.h"

namespace orch::providers::gce {

// Label values allow only [a-z0-9_-] (at most 63). Lowercase letters,
// digits and '-' stay; every other byte becomes '_' and two lowercase hex
// digits ("api.instance[2]" -> "api_2einstance_5b2_5d"). Reversible.
std::string EncodeLabelValue(std::string_view value);
std::optional<std::string> DecodeLabelValue(std::string_view label);
// kTag* map -> labels object, and back (keys that are not ours are dropped).
nlohmann::json EncodeLabels(const std::map<std::string, std::string>& tags);
std::map<std::string, std::string> DecodeLabels(const nlohmann::json& labels);
// Resources without labels (networks, firewalls, templates, groups, target
// pools, health checks) carry the tags as JSON in their description.
std::string DescriptionFor(const std::map<std::string, std::string>& tags);
std::map<std::string, std::string> TagsFromDescription(const std::string& description);
// The tags a GCE object carries (labels, else description).
std::map<std::string, std::string> TagsOf(const nlohmann::json& object);

class GcePager final : public common::Pager {
 public:
  std::optional<std::string> NextUrl(const std::string& url, const nlohmann::json& body) const override;
  std::string FirstPageQuery() const override { return "maxResults=500"; }
};

class GceErrorMapper final : public common::ErrorMapper {
 public:
  Status Map(const env::HttpRequest& request, const env::HttpResponse& response) const override;
};

// Turns Google's 403 rateLimitExceeded / userRateLimitExceeded answers into
// 429 so http::HttpClient backs off and retries them (the request was not
// processed). Everything else passes through.
class RateQuotaTransport final : public env::HttpTransport {
 public:
  explicit RateQuotaTransport(env::HttpTransport* target) : target_(target) {}
  Result<env::HttpResponse> Send(const env::HttpRequest& request) override;

 private:
  env::HttpTransport* target_;
};

// The Status for a DONE Operation's `error` (OK when it has none).
Status OperationError(const nlohmann::json& operation);

struct ClientTuning {
  int64_t operation_timeout_ms = 20 * 60 * 1000;
  int64_t retry_sleep_ms = 500;
  int mutate_attempts = 5;
};

class GceClient {
 public:
  // rest's base URL is ".../compute/v1/projects/PROJECT".
  GceClient(common::RestClient* rest, OAuthAuthenticator* auth, env::Clock* clock, ClientTuning tuning = {});

  Result<nlohmann::json> Get(const std::string& path);
  // Every item of a list (all pages), `filter` added when not empty.
  Result<std::vector<nlohmann::json>> List(const std::string& path, const std::string& filter = "");
  // A mutating call carrying requestId; a retry after an uncertain failure
  // repeats the same requestId, so GCE answers with the original Operation.
  // Returns the Operation (or the error; 409 alreadyExists is kConflict).
  Result<nlohmann::json> Mutate(const std::string& method, const std::string& path, const nlohmann::json& body,
                                const std::string& request_id, engine::ApplyContext& ctx);
  // A POST that changes nothing (listManagedInstances): a lost or refused
  // answer is simply asked again, a few times.
  Result<nlohmann::json> PostRead(const std::string& path, engine::ApplyContext& ctx);
  // Repeats POST <operation>/wait until the Operation is DONE; its error
  // becomes the Status (prefixed with `what`). kTimeout after `timeout_ms`
  // (0: ClientTuning::operation_timeout_ms).
  Status Wait(const nlohmann::json& operation, engine::ApplyContext& ctx, const std::string& what,
              int64_t timeout_ms = 0);
  Status WaitLink(const std::string& self_link, engine::ApplyContext& ctx, const std::string& what,
                  int64_t timeout_ms = 0);
  // Mutate + record_operation + Wait.
  Status MutateAndWait(const std::string& method, const std::string& path, const nlohmann::json& body,
                       const std::string& request_id, engine::ApplyContext& ctx, const std::string& what);
  // DELETE and wait (up to `timeout_ms`, as Wait); gone (404) is success.
  Status DeleteAndWait(const std::string& path, engine::ApplyContext& ctx, const std::string& what,
                       int64_t timeout_ms = 0);
  Status Sleep(int64_t ms, engine::ApplyContext& ctx);

  int waits() const;
  const ClientTuning& tuning() const { return tuning_; }

 private:
  Result<common::RestResponse> CallWithAuth(const std::string& method, const std::string& path,
                                            const nlohmann::json& body, http::SendOutcome* outcome);
  common::RestClient* rest_;
  OAuthAuthenticator* auth_;
  env::Clock* clock_;
  ClientTuning tuning_;
  mutable std::mutex mu_;
  int waits_ = 0;
};

// UUID v5 for the requestId of one mutation: the scope (the provider passes
// its deployment and a value drawn once per run), address, the part of the
// resource ("template", "autoscaler"...), the create attempt and a hash of
// the body, so a retry repeats it and a new attempt, a changed body or a
// later run does not (GCE ignores a repeated requestId for an hour).
std::string RequestId(const std::string& scope, const std::string& address, const std::string& part,
                      int attempt, const nlohmann::json& body);

using common::Uncertain;

}  // namespace orch::providers::gce
