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
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/provider.h"
#include "engine/registry.h"
#include "http/http_client.h"
#include "providers/common/json_read.h"
#include "providers/common/rest_client.h"
#include "providers/gce/auth.h"
#include "providers/gce/client.h"

namespace orch::providers::gce {

inline constexpr const char* kDefaultEndpoint = "https://compute.googleapis.com/compute/v1";

struct Tuning {
  ClientTuning client;
  int64_t poll_initial_ms = 500;
  int64_t poll_max_ms = 5000;
  int64_t group_timeout_ms = 20 * 60 * 1000;
  http::RetryPolicy retry;
};

class GceProvider final : public engine::Provider {
 public:
  explicit GceProvider(const engine::ProviderEnv& env, Tuning tuning = {});
  ~GceProvider() override;

  std::string Type() const override { return "gce"; }
  engine::Capabilities GetCapabilities() const override;
  Status Configure(const engine::ProviderConfig& config) override;
  void Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const override;
  Result<std::vector<engine::ObservedResource>> Discover(const std::string& deployment) override;
  // Reports the recorded ssh keys (GCE has no key object to list); for
  // looked-up networks reports nothing but remembers the recorded
  // subnetwork, so what is created on it later in this run needs no API call.
  Result<std::vector<engine::ObservedResource>> FindRecorded(
      const std::vector<state::ResourceState>& missing) override;
  // Groups: a change of min/max/cpu_target or of the instance attributes is
  // an in-place update (autoscaler patch; new template rolled out). An
  // instance whose only change is ssh_keys is updated (setMetadata). Other
  // kinds: equal attributes no-op, else replace.
  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override;
  Result<engine::ObservedResource> Create(const model::Resource& resource, engine::ApplyContext& ctx) override;
  Result<engine::ObservedResource> Update(const model::Resource& resource, const state::ResourceState& prior,
                                          engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

  GceClient* client() { return client_.get(); }
  OAuthAuthenticator* auth() { return auth_.get(); }
  const std::string& project() const { return project_; }

 private:
  // One GCE object of a neutral resource.
  struct Part {
    std::string collection;  // "global/networks", "zones/Z/instances"...
    std::string name;
    nlohmann::json body;     // insert body (name, labels/description included)
    std::string part;        // requestId component
    std::string what;        // "network gcedemo-main", for messages
  };
  // Inserts `p` unless it exists: lookup first on a resumed attempt; a 409
  // alreadyExists is adopted when the object's tags prove it is ours.
  // Returns the object as GET reports it once its Operation is done.
  Result<nlohmann::json> Ensure(const Part& p, const model::Resource& r, engine::ApplyContext& ctx);
  bool Ours(const nlohmann::json& object, const model::Resource& r) const;
  std::string Zone(const nlohmann::json& attributes) const;
  std::string Region(const nlohmann::json& attributes) const;
  bool RegionalGroups() const { return config_.zones.size() > 1; }
  std::string GroupScope() const;  // "regions/R" or "zones/Z"

  Result<engine::ObservedResource> CreateNetwork(const model::Resource& r, engine::ApplyContext& ctx);
  // `existing: NAME or numeric id`: the project's network and its
  // subnetwork in the provider's region; nothing is created or changed.
  Result<engine::ObservedResource> LookupNetwork(const model::Resource& r);
  Result<nlohmann::json> FindNetwork(const std::string& name_or_id);
  // The subnetwork (relative link) instances on the attributes' `network`
  // use in their region: "" without a network; the one named like the
  // network for a network of this deployment; else the one a lookup found,
  // or the network's subnetwork in the region (one GET, remembered).
  Result<std::string> SubnetworkFor(const nlohmann::json& attributes);
  void RememberSubnetwork(const std::string& network, const std::string& region, const std::string& subnetwork);
  Result<engine::ObservedResource> CreateFirewall(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateImage(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateInstance(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateVolume(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateFloatingIp(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateGroup(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> UpdateGroup(const model::Resource& r, const state::ResourceState& prior,
                                               engine::ApplyContext& ctx);
  // SSH keys (ssh_keys.cc): no API call; the id is the metadata line.
  Result<engine::ObservedResource> CreateSshKey(const model::Resource& r);
  void ValidateSshKey(const model::Resource& r, const SourceRange& where, Diagnostics* diags) const;
  std::vector<engine::ObservedResource> RecordedSshKeys(const std::vector<state::ResourceState>& missing) const;
  // Sets the instance's `ssh-keys` item with setMetadata (current
  // fingerprint; re-read on 412), keeping its other items.
  Result<engine::ObservedResource> UpdateInstanceKeys(const model::Resource& r, const state::ResourceState& prior,
                                                      engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateLoadBalancer(const model::Resource& r, engine::ApplyContext& ctx);
  // Drift (drift.cc): a firewall's rules are patched one by one (a missing
  // rule inserted, an extra one deleted); a load balancer's pool gets back
  // the members of its group that were taken out (addInstance).
  Result<engine::ObservedResource> UpdateFirewall(const model::Resource& r, const state::ResourceState& prior,
                                                  engine::ApplyContext& ctx);
  Result<engine::ObservedResource> UpdateLoadBalancer(const model::Resource& r, const state::ResourceState& prior,
                                                      engine::ApplyContext& ctx);
  Status DeleteNetwork(const state::ResourceState& prior, engine::ApplyContext& ctx);
  Status DeleteFirewall(const state::ResourceState& prior, engine::ApplyContext& ctx);
  Status DeleteGroup(const state::ResourceState& prior, engine::ApplyContext& ctx);
  Status DeleteLoadBalancer(const state::ResourceState& prior, engine::ApplyContext& ctx);
  Status DeleteVolume(const state::ResourceState& prior, engine::ApplyContext& ctx);

  nlohmann::json InstanceProperties(const model::Resource& r, const std::string& zone,
                                    const std::string& subnetwork) const;
  nlohmann::json TemplateBody(const model::Resource& r, const std::string& name, const std::string& subnetwork) const;
  nlohmann::json AutoscalerBody(const model::Resource& r, const std::string& group_link) const;
  // Waits until the group is stable and reports it with its members.
  Result<engine::ObservedResource> ObserveGroup(const std::string& name, const std::string& address,
                                                engine::ApplyContext* ctx);
  // `object` once GET of `path` reports status `want` (polled).
  Result<nlohmann::json> WaitStatus(const nlohmann::json& object, const std::string& path, const std::string& want,
                                    engine::ApplyContext& ctx);
  engine::ObservedResource ObserveInstance(const nlohmann::json& i) const;
  Result<std::vector<nlohmann::json>> ListInstances(const std::string& filter);

  engine::ProviderEnv env_;
  Tuning tuning_;
  engine::ProviderConfig config_;
  // The deployment and a random value drawn by Configure: the first input of
  // every RequestId, so a retry within this run repeats an id and a later
  // run (a redeploy after teardown within GCE's hour) never does.
  std::string request_scope_;
  std::string endpoint_;
  std::string project_;
  std::unique_ptr<RateQuotaTransport> transport_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<OAuthAuthenticator> auth_;
  GcePager pager_;
  GceErrorMapper errors_;
  std::unique_ptr<common::RestClient> rest_;
  std::unique_ptr<GceClient> client_;
  std::mutex subnetworks_mu_;
  std::map<std::string, std::string> subnetworks_;  // "network|region" -> subnetwork; under subnetworks_mu_
};

// Adds the "gce" factory.
void Register(engine::ProviderRegistry* registry);

// Helpers shared by the .cc files.
using common::Str;
std::string LastSegment(const std::string& url);
// "https://.../projects/p/zones/z/instances/x" -> "zones/z/instances/x".
std::string RelativeLink(const std::string& url);
// The outputs "instances" of group `group_name`: its members among
// `instances` (named "<group>-xxxx", no address label), by name.
nlohmann::json MemberList(const std::vector<nlohmann::json>& instances, const std::string& group_name);
// An ssh key as GCE metadata wants it: `line` "USER:TYPE BASE64" (the
// comment dropped), `fingerprint` "SHA256:..." (as ssh-keygen -l prints).
struct SshKeyLine {
  std::string line;
  std::string fingerprint;
};
Result<SshKeyLine> ParseSshKey(const std::string& user, const std::string& public_key);
// The `ssh-keys` metadata value for instance attributes: their `ssh_keys`
// lines joined by newlines ("" when there are none).
std::string SshKeysValue(const nlohmann::json& attributes);
// The first 8 hex digits of SHA-256 of the JSON text.
std::string ShortHash(const nlohmann::json& j);

// Drift (drift.cc). The insert body of rule `index` of firewall resource `r`.
nlohmann::json FirewallRuleBody(const model::Resource& r, const nlohmann::json& rule, int index);
// A firewall's recorded attributes as the cloud reports them: `rules` (in
// the spec's form, by rule index) and `target_tag`, from the rules
// `<name>-<i>` (`rules` in any order).
nlohmann::json LiveFirewallAttributes(const std::vector<nlohmann::json>& rules);
// Rules compared by meaning: ports spelled alike, no ports for icmp, no
// source meaning 0.0.0.0/0.
nlohmann::json CanonicalFirewallRules(const nlohmann::json& rules);
plan::DiffDecision DiffFirewall(const nlohmann::json& desired, const nlohmann::json& prior);
// A load balancer's `targets` as the cloud reports them: the tier and the
// group feeding the pool, and `missing`, the names of the group's members
// the pool lacks (absent when none).
nlohmann::json LiveTargets(const std::string& tier, const nlohmann::json& pool, const std::string& group_name,
                           const std::vector<nlohmann::json>& instances);
plan::DiffDecision DiffLoadBalancer(const nlohmann::json& desired, const nlohmann::json& prior);
// The members of group `group_name` among `instances` (named
// "<group>-xxxx", no address label), as the instance objects.
std::vector<nlohmann::json> GroupMembers(const std::vector<nlohmann::json>& instances, const std::string& group_name);

}  // namespace orch::providers::gce
