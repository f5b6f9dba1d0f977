// What the GCE kinds share (docs/providers/gce.md): the configured client
// and settings (Api), the create-or-adopt of one GCE object, zones,
// regions and subnetworks, instance bodies and reads; GceHandler, the base
// of the per-kind handlers (network.cc, firewall.cc, image.cc, instance.cc,
// instance_group.cc, volume.cc, address.cc, load_balancer.cc, ssh_key.cc).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/provider.h"
#include "http/http_client.h"
#include "providers/common/json_read.h"
#include "providers/common/resource_handler.h"
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

// One GCE object of a neutral resource.
struct Part {
  std::string collection;  // "global/networks", "zones/Z/instances"...
  std::string name;
  nlohmann::json body;     // insert body (name, labels/description included)
  std::string part;        // requestId component
  std::string what;        // "network gcedemo-main", for messages
};

// The provider's configured state, shared by its handlers.
class Api {
 public:
  Api(const engine::ProviderEnv& env, Tuning tuning);
  ~Api();

  Status Configure(const engine::ProviderConfig& config);

  // Inserts `p` unless it exists: lookup first on a resumed attempt; a 409
  // alreadyExists is adopted when the object's tags prove it is ours.
  // Returns the object as GET reports it once its Operation is done.
  Result<nlohmann::json> Ensure(const Part& p, const model::Resource& r, engine::ApplyContext& ctx);
  bool Ours(const nlohmann::json& object, const model::Resource& r) const;
  std::string Zone(const nlohmann::json& attributes) const;
  std::string Region(const nlohmann::json& attributes) const;
  bool RegionalGroups() const { return config_.zones.size() > 1; }
  std::string GroupScope() const;  // "regions/R" or "zones/Z"
  // The subnetwork (relative link) instances on the attributes' `network`
  // use in their region: "" without a network; the one named like the
  // network for a network of this deployment; else the one a lookup found,
  // or the network's subnetwork in the region (one GET, remembered).
  Result<std::string> SubnetworkFor(const nlohmann::json& attributes);
  void RememberSubnetwork(const std::string& network, const std::string& region, const std::string& subnetwork);
  // `object` once GET of `path` reports status `want` (polled).
  Result<nlohmann::json> WaitStatus(const nlohmann::json& object, const std::string& path, const std::string& want,
                                    engine::ApplyContext& ctx);
  engine::ObservedResource ObserveInstance(const nlohmann::json& i) const;
  Result<std::vector<nlohmann::json>> ListInstances(const std::string& filter);
  // Properties shared by an instance and a template.
  nlohmann::json InstanceProperties(const model::Resource& r, const std::string& zone,
                                    const std::string& subnetwork) const;

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

 private:
  std::mutex subnetworks_mu_;
  std::map<std::string, std::string> subnetworks_;  // "network|region" -> subnetwork; under subnetworks_mu_
};

// The base of the GCE handlers: the Api's settings and helpers under the
// names the kinds' code uses.
class GceHandler : public common::ResourceHandler {
 public:
  explicit GceHandler(Api* api)
      : api_(api),
        env_(api->env_),
        tuning_(api->tuning_),
        config_(api->config_),
        request_scope_(api->request_scope_),
        endpoint_(api->endpoint_),
        project_(api->project_),
        client_(api->client_) {}

 protected:
  Result<nlohmann::json> Ensure(const Part& p, const model::Resource& r, engine::ApplyContext& ctx) {
    return api_->Ensure(p, r, ctx);
  }
  std::string Zone(const nlohmann::json& a) const { return api_->Zone(a); }
  std::string Region(const nlohmann::json& a) const { return api_->Region(a); }
  bool RegionalGroups() const { return api_->RegionalGroups(); }
  std::string GroupScope() const { return api_->GroupScope(); }
  Result<std::string> SubnetworkFor(const nlohmann::json& a) { return api_->SubnetworkFor(a); }
  void RememberSubnetwork(const std::string& network, const std::string& region, const std::string& subnetwork) {
    api_->RememberSubnetwork(network, region, subnetwork);
  }
  Result<nlohmann::json> WaitStatus(const nlohmann::json& object, const std::string& path, const std::string& want,
                                    engine::ApplyContext& ctx) {
    return api_->WaitStatus(object, path, want, ctx);
  }
  engine::ObservedResource ObserveInstance(const nlohmann::json& i) const { return api_->ObserveInstance(i); }
  Result<std::vector<nlohmann::json>> ListInstances(const std::string& filter) { return api_->ListInstances(filter); }
  nlohmann::json InstanceProperties(const model::Resource& r, const std::string& zone,
                                    const std::string& subnetwork) const {
    return api_->InstanceProperties(r, zone, subnetwork);
  }

  Api* api_;
  engine::ProviderEnv& env_;
  Tuning& tuning_;
  const engine::ProviderConfig& config_;
  const std::string& request_scope_;
  const std::string& endpoint_;
  const std::string& project_;
  std::unique_ptr<GceClient>& client_;
};

// One handler per kind, in the file named after it.
std::unique_ptr<common::ResourceHandler> NewNetworkHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewFirewallHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewImageHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewInstanceHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewGroupHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewVolumeHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewAddressHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewLoadBalancerHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewSshKeyHandler(Api* api);

// Helpers shared by the .cc files.
using common::Str;
std::string LastSegment(const std::string& url);
// "https://.../projects/p/zones/z/instances/x" -> "zones/z/instances/x".
std::string RelativeLink(const std::string& url);
// The outputs "instances" of group `group_name`: its members among
// `instances` (named "<group>-xxxx", no address label), by name.
nlohmann::json MemberList(const std::vector<nlohmann::json>& instances, const std::string& group_name);
// The members of group `group_name` among `instances` (named
// "<group>-xxxx", no address label), as the instance objects.
std::vector<nlohmann::json> GroupMembers(const std::vector<nlohmann::json>& instances, const std::string& group_name);
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
// Recorded ssh keys, reported as present (GCE has no key object to list).
std::vector<engine::ObservedResource> RecordedSshKeys(const std::vector<state::ResourceState>& missing);
// Instances (instance.cc): the live `user_data` Discover reports when the
// instance lost its `user-data` metadata item (the rendered text is not
// compared: the state records the template and its inputs).
nlohmann::json UserDataMissing();
bool IsUserDataMissing(const nlohmann::json& v);
// The relative link of the subnetwork of `region` among the network's
// `subnetworks` (the first GCE lists), or "".
std::string RegionalSubnetwork(const nlohmann::json& network, const std::string& region);
// The first 8 hex digits of SHA-256 of the JSON text.
std::string ShortHash(const nlohmann::json& j);

// Why a managed instance group is not stable (instance_group.cc): the
// members its `currentActions` still act on, and the first error a
// member's `lastAttempt` reports in listManagedInstances (with how many
// members failed with that code).
struct GroupUnstableReason {
  std::string actions;        // "2 creating", "" when currentActions shows none
  std::string error_code;     // "QUOTA_EXCEEDED", "" when no attempt failed
  std::string error_message;  // the cloud's own words ("Quota 'CPUS' exceeded. ...")
  int failed = 0;
  // "2 creating; last attempt: QUOTA_EXCEEDED: Quota 'CPUS' exceeded. ...
  // (raise the quota or lower the group size)", or "" when nothing is known.
  std::string Text() const;
};
// `group` as GET reports it, `managed` the answer of listManagedInstances
// (an empty object when not asked).
GroupUnstableReason UnstableReason(const nlohmann::json& group, const nlohmann::json& managed);

// Drift of firewalls (firewall.cc). The insert body of rule `index` of
// firewall resource `r`.
nlohmann::json FirewallRuleBody(const model::Resource& r, const nlohmann::json& rule, int index);
// A firewall's recorded attributes as the cloud reports them: `rules` (in
// the spec's form, by rule index) and `target_tag`, from the rules
// `<name>-<i>` (`rules` in any order).
nlohmann::json LiveFirewallAttributes(const std::vector<nlohmann::json>& rules);
// Rules compared by meaning: ports spelled alike, no ports for icmp, no
// source meaning 0.0.0.0/0.
nlohmann::json CanonicalFirewallRules(const nlohmann::json& rules);
plan::DiffDecision DiffFirewall(const nlohmann::json& desired, const nlohmann::json& prior);
// Static addresses (address.cc): `instance_id` as the cloud reports it,
// the instance among the address's `users` ("" when it is RESERVED).
nlohmann::json LiveAddressAttributes(const nlohmann::json& address);
// Drift of load balancers (load_balancer.cc): `targets` as the cloud
// reports them: the tier and the group feeding the pool, and `missing`, the
// names of the group's running members the pool lacks (absent when none).
nlohmann::json LiveTargets(const std::string& tier, const nlohmann::json& pool, const std::string& group_name,
                           const std::vector<nlohmann::json>& instances);
// `listeners` as the cloud reports them, from the forwarding rules of load
// balancer `name` (its address `ip`, its pool's relative link): in the
// spec's form when every rule is there and right; else {"found": [the
// right ones], "wrong": [names of rules on another address, pool or port
// range]}, which Diff plans as an in-place update.
nlohmann::json LiveListeners(const std::string& name, const std::vector<nlohmann::json>& rules, const std::string& ip,
                             const std::string& pool_link);
// A legacy HTTP health check as the spec writes it (protocol http).
nlohmann::json LiveHealthCheck(const nlohmann::json& check);
plan::DiffDecision DiffLoadBalancer(const nlohmann::json& desired, const nlohmann::json& prior);

}  // namespace orch::providers::gce
