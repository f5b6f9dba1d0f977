// The DigitalOcean provider (docs/providers/digitalocean.md): neutral
// resources -> DO API v2 objects, discovery by tags and deterministic names,
// no duplicate after a lost response, shared droplet polling, pacing by the
// rate-limit headers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/provider.h"
#include "engine/registry.h"
#include "http/http_client.h"
#include "providers/common/resource_handler.h"
#include "providers/common/rest_client.h"
#include "providers/digitalocean/api.h"
#include "providers/digitalocean/errors.h"
#include "providers/digitalocean/handlers.h"

namespace orch::providers::digitalocean {

inline constexpr const char* kDefaultEndpoint = "https://api.digitalocean.com/v2";

class DigitalOceanProvider final : public common::HandlerProvider {
 public:
  explicit DigitalOceanProvider(const engine::ProviderEnv& env, Tuning tuning = {});
  ~DigitalOceanProvider() override;

  std::string Type() const override { return "digitalocean"; }
  Status Configure(const engine::ProviderConfig& config) override;
  Result<std::vector<engine::ObservedResource>> Discover(const std::string& deployment) override;
  // Recorded reserved IPs no droplet of the deployment holds any more.
  Result<std::vector<engine::ObservedResource>> FindRecorded(
      const std::vector<state::ResourceState>& missing) override;
  // Account SSH keys with the fingerprint of a desired key (reused by its create).
  Result<std::map<std::string, std::string>> FindReusable(const std::vector<model::Resource>& wanted) override;

  common::RestClient* rest() { return rest_.get(); }
  common::RateLimiter* limiter() { return limiter_.get(); }
  DropletPoller* poller() { return poller_.get(); }
  DropletBatcher* batcher() { return batcher_.get(); }

 protected:
  Status Ready() override;
  void ValidateAny(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const override;

 private:
  engine::ObservedResource ObserveDroplet(const nlohmann::json& d) const {
    return digitalocean::ObserveDroplet(d, api_.config.deployment);
  }

  Api api_;
  std::string endpoint_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<common::BearerAuthenticator> auth_;
  common::LinksPagesPager pager_;
  DoErrorMapper errors_;
  std::unique_ptr<common::RateLimiter> limiter_;
  std::unique_ptr<common::RestClient> rest_;
  std::unique_ptr<DropletPoller> poller_;
  std::unique_ptr<DropletBatcher> batcher_;
};

// Adds the "digitalocean" factory.
void Register(engine::ProviderRegistry* registry);

}  // namespace orch::providers::digitalocean
