// The GCE provider (docs/providers/gce.md): neutral resources -> Compute
// Engine v1 objects. Networks are custom-mode VPCs with one subnetwork, or
// (`existing:`) a network the project already has, looked up, never owned;
// native instance groups are an instance template + managed instance group
// + autoscaler; load balancers are network load balancing (HTTP health
// check, target pool, forwarding rule on a reserved address). Every insert
// carries a deterministic requestId and its Operation is awaited with
// `wait`; discovery lists by label filter (or name prefix and description
// for kinds without labels). SSH keys make no API call: instances and
// templates carry them in the `ssh-keys` metadata item.
//
// The provider keeps Configure and Discover; each kind is a handler
// (api.h) in the file named after it, reached through `handlers()`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/provider.h"
#include "engine/registry.h"
#include "providers/common/resource_handler.h"
#include "providers/gce/api.h"

namespace orch::providers::gce {

class GceProvider final : public common::HandlerProvider {
 public:
  explicit GceProvider(const engine::ProviderEnv& env, Tuning tuning = {});
  ~GceProvider() override;

  std::string Type() const override { return "gce"; }
  Status Configure(const engine::ProviderConfig& config) override;
  Result<std::vector<engine::ObservedResource>> Discover(const std::string& deployment) override;
  // Reports the recorded ssh keys (GCE has no key object to list); for
  // looked-up networks reports nothing but remembers the recorded
  // subnetwork, so what is created on it later in this run needs no API call.
  Result<std::vector<engine::ObservedResource>> FindRecorded(
      const std::vector<state::ResourceState>& missing) override;
  GceClient* client() { return api_.client_.get(); }
  OAuthAuthenticator* auth() { return api_.auth_.get(); }
  const std::string& project() const { return api_.project_; }

 protected:
  Status Ready() override;
  // GCE label limits, for every kind.
  void ValidateAny(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const override;

 private:
  Api api_;
};

// Adds the "gce" factory.
void Register(engine::ProviderRegistry* registry);

}  // namespace orch::providers::gce
