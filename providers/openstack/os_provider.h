// The OpenStack provider (docs/providers/openstack.md): neutral resources ->
// Keystone-authenticated Nova, Neutron, Glance, Cinder and Octavia calls.
// Discovery by tags (metadata for Cinder, names for keypairs), no duplicate
// after a lost response (look by tag/name before any retried create), one
// filtered server list per poll round, group members created in one
// min_count/max_count request, one mutation queue per load balancer.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/provider.h"
#include "engine/registry.h"
#include "http/http_client.h"
#include "providers/common/batcher.h"
#include "providers/common/list_poller.h"
#include "providers/common/operation_poller.h"
#include "providers/common/resource_handler.h"
#include "providers/common/create.h"
#include "providers/common/json_read.h"
#include "providers/common/rest_client.h"
#include "providers/openstack/cloud_config.h"
#include "providers/openstack/errors.h"
#include "providers/openstack/keystone.h"

namespace orch::providers::openstack {

// Microversions this provider speaks (the highest the service also offers
// within these bounds is used). Compute >= 2.64 for server group `policy`,
// tags at create (2.52) and soft-anti-affinity (2.15).
inline constexpr const char* kComputeMin = "2.64";
inline constexpr const char* kComputeMax = "2.79";
inline constexpr const char* kVolumeMin = "3.0";
inline constexpr const char* kVolumeMax = "3.59";

struct Tuning {
  int64_t poll_initial_ms = 500;
  int64_t poll_max_ms = 5000;
  int64_t server_timeout_ms = 15 * 60 * 1000;
  int64_t volume_timeout_ms = 10 * 60 * 1000;
  int64_t lb_timeout_ms = 20 * 60 * 1000;
  int64_t busy_timeout_ms = 10 * 60 * 1000;  // 409 in-use / immutable retries
  int64_t batch_window_ms = 300;             // how long the first group member waits for siblings
  int create_attempts = 5;
  http::RetryPolicy retry;
};

// One service endpoint. Calls that get 401 renew the token and are sent
// once more.
class Service {
 public:
  Service(Keystone* keystone, http::HttpClient* http, env::Clock* clock, std::string name, std::string base_url,
          common::ErrorMapper* errors, common::Pager* pager);
  Result<nlohmann::json> Get(const std::string& path);
  Result<nlohmann::json> Post(const std::string& path, const nlohmann::json& body, http::SendOutcome* outcome = nullptr);
  Result<nlohmann::json> Put(const std::string& path, const nlohmann::json& body);
  Status Delete(const std::string& path);  // NotFound returned as is
  Result<std::vector<nlohmann::json>> List(const std::string& path, const std::string& key);
  KeystoneAuthenticator* auth() { return &auth_; }
  const std::string& base_url() const { return base_url_; }
  int64_t requests() const { return rest_.requests(); }

 private:
  template <typename T>
  Result<T> Renewing(const std::function<Result<T>()>& call);

  Keystone* keystone_;
  KeystoneAuthenticator auth_;
  std::string base_url_;
  common::RestClient rest_;
};

class OpenStackProvider;

// Waits for servers with one GET servers/detail?tags=<deployment tag> per
// round shared by every waiting thread (common::ListPoller).
class ServerPoller {
 public:
  ServerPoller(OpenStackProvider* p, std::string list_path);
  // The server once ACTIVE (an ERROR comes back with Nova's fault
  // message), or, with `gone`, once the list no longer shows it; kTimeout
  // after `timeout_ms` (0: Tuning::server_timeout_ms).
  Result<nlohmann::json> Wait(const std::string& id, bool gone, engine::ApplyContext& ctx, int64_t timeout_ms = 0);
  int rounds() const { return poller_.rounds(); }

 private:
  common::ListPoller poller_;
};

// One server of a group's create.
struct ServerMember {
  std::string address;
  int index = 0;
  std::string cloud_name;
};
// Coalesces concurrent creates of one group's instances (same request body
// apart from name and address) into one POST /servers with
// min_count = max_count = members, gathered for Tuning::batch_window_ms.
using ServerBatcher = common::CreateBatcher<ServerMember>;

class OpenStackProvider final : public common::HandlerProvider {
 public:
  explicit OpenStackProvider(const engine::ProviderEnv& env, Tuning tuning = {},
                             ConfigSources sources = RealConfigSources());
  ~OpenStackProvider() override;

  std::string Type() const override { return "openstack"; }
  Status Configure(const engine::ProviderConfig& config) override;
  Result<std::vector<engine::ObservedResource>> Discover(const std::string& deployment) override;
  // Authenticates, finds the endpoints and negotiates microversions once.
  Status Ready() override;
  Keystone* keystone() { return keystone_.get(); }
  Service* compute() { return compute_.get(); }
  Service* network() { return network_.get(); }
  Service* image() { return image_.get(); }
  Service* volume() { return volume_.get(); }
  Service* lbaas() { return lbaas_.get(); }
  ServerPoller* poller() { return poller_.get(); }
  ServerBatcher* batcher() { return batcher_.get(); }
  env::Clock* clock() { return env_.clock; }
  const Tuning& tuning() const { return tuning_; }
  int64_t TotalRequests() const;

  // Sleeps `ms` unless cancelled.
  Status Sleep(int64_t ms, engine::ApplyContext& ctx);

 private:
  friend class NetworkHandler;
  friend class FirewallHandler;
  friend class SshKeyHandler;
  friend class ImageHandler;
  friend class InstanceHandler;
  friend class VolumeHandler;
  friend class FloatingIpHandler;
  friend class LoadBalancerHandler;
  using Lookup = common::Lookup;
  using Post = common::Post;
  // POST; after an answer that may have been lost look first and adopt.
  Result<nlohmann::json> CreateOnce(const std::string& what, const Lookup& lookup, const Post& post, bool lookup_first,
                                    engine::ApplyContext& ctx);
  // Repeats `op` while it answers Conflict (in use, immutable, pending) or an
  // uncertain error other than a timeout.
  Status RetryBusy(const std::function<Status()>& op, engine::ApplyContext& ctx, const std::string& what);
  Status WaitFor(const std::string& what, int64_t timeout_ms, engine::ApplyContext& ctx,
                 const std::function<Result<bool>()>& check);

  // Neutron: create `singular` in `collection` with our tags (tags at create
  // when the server accepts them, else PUT afterwards), adopting one found
  // by `name` + deployment tag after a lost answer.
  Result<nlohmann::json> NeutronCreate(const std::string& collection, const std::string& singular,
                                       nlohmann::json body, const std::vector<std::string>& tags,
                                       const Lookup& lookup, engine::ApplyContext& ctx);
  Status EnsureNeutronTags(const std::string& collection, const nlohmann::json& obj, const std::vector<std::string>& tags);
  // Whether Neutron advertises the tag-creation extension (asked once).
  bool NeutronTagsOnCreate();
  // What this deployment created in a Neutron `collection`: the object
  // carrying all of `tags` (comma-separated) and, when given, named `name`;
  // else one whose description is `description` (OwnerDescription) carrying
  // no deployment tag: without tag-creation (Zed) tags are PUT after the
  // create, so a run that ended, or an answer lost, between the two left it
  // untagged, but its description says whose it is.
  Result<std::optional<nlohmann::json>> FindOwned(const std::string& collection, const std::string& tags,
                                                  const std::string& name, const std::string& description);
  // "TEXT [orchestrator-deployment=D orchestrator-address=A]": the
  // description of the Neutron objects the deployment creates, set in the
  // create itself (deployment names hold no space, so the marker of one
  // deployment never matches another's).
  std::string OwnerDescription(const std::string& text, const std::string& address) const;
  Result<std::string> ExternalNetwork();
  Result<std::string> FlavorId(const std::string& size);
  // A flavor's name for its id or name, once the flavors were listed (by
  // FlavorId or Discover); else `size` as it is.
  std::string FlavorName(const std::string& size);
  Result<std::string> ImageId(const std::string& image);
  // The membership security group of a tier's cloud tag (created on demand).
  Result<std::string> TierSecurityGroup(const std::string& target_tag, engine::ApplyContext& ctx);
  Result<std::string> ServerGroup(const std::string& name, engine::ApplyContext& ctx);
  // The network's first IPv4 subnet (none: an empty optional).
  Result<std::optional<nlohmann::json>> Ipv4Subnet(const std::string& network_id);
  // "project 'demo' in region RegionOne (provider 'os', credentials from
  // <source>)", for messages.
  std::string ProjectDescription();
  // Deletes the deployment's leftover membership security groups and empty
  // server groups (after the last network goes).
  void SweepDeployment(engine::ApplyContext& ctx);
  Result<std::set<std::string>> LongerDeployments(const std::string& deployment);

  engine::ObservedResource ObserveServer(const nlohmann::json& s) const;

  engine::ProviderEnv env_;
  Tuning tuning_;
  ConfigSources sources_;
  engine::ProviderConfig config_;
  CloudConfig cloud_;
  std::unique_ptr<http::HttpClient> http_;
  std::unique_ptr<Keystone> keystone_;
  OsErrorMapper errors_;
  OpenStackPager pager_;
  std::mutex ready_mu_;
  bool ready_ = false;
  std::unique_ptr<Service> compute_, network_, image_, volume_, lbaas_;
  std::unique_ptr<ServerPoller> poller_;
  std::unique_ptr<ServerBatcher> batcher_;
  std::mutex cache_mu_;
  std::mutex create_mu_;  // serializes find-or-create of shared groups
  std::map<std::string, std::string> flavors_;  // name and id -> id
  std::map<std::string, std::string> flavor_names_;  // name and id -> name
  std::string external_network_;
  std::map<std::string, std::string> tier_groups_;    // target tag -> security group id
  std::map<std::string, std::string> server_groups_;  // name -> server group id
  int neutron_tags_on_create_ = -1;  // unknown / 0 no / 1 yes (NeutronTagsOnCreate)
};

// The handlers, each in the file named after its kind.
std::unique_ptr<common::ResourceHandler> NewNetworkHandler(OpenStackProvider* p);
std::unique_ptr<common::ResourceHandler> NewFirewallHandler(OpenStackProvider* p);
std::unique_ptr<common::ResourceHandler> NewSshKeyHandler(OpenStackProvider* p);
std::unique_ptr<common::ResourceHandler> NewImageHandler(OpenStackProvider* p);
std::unique_ptr<common::ResourceHandler> NewInstanceHandler(OpenStackProvider* p);
std::unique_ptr<common::ResourceHandler> NewVolumeHandler(OpenStackProvider* p);
std::unique_ptr<common::ResourceHandler> NewFloatingIpHandler(OpenStackProvider* p);
std::unique_ptr<common::ResourceHandler> NewLoadBalancerHandler(OpenStackProvider* p);

void Register(engine::ProviderRegistry* registry);

// Tag strings "<key>=<value>" of the kTag* entries; decoding ignores others.
std::vector<std::string> EncodeTags(const std::map<std::string, std::string>& tags);
std::map<std::string, std::string> DecodeTags(const nlohmann::json& tags);
std::string DeploymentTag(const std::string& deployment);
std::string TierTag(const std::string& tier);
std::string AddressTag(const std::string& address);
// The tags filter (all of) selecting what `deployment` created for `address`.
std::string OwnedTags(const std::string& deployment, const std::string& address);
// Server groups carry no tags or description, so their name says whose they
// are: "<deployment>.<tier>" (neither name can hold a '.').
std::string ServerGroupName(const std::string& deployment, const std::string& tier);
// True for a group `deployment` made: that form, or the earlier
// "<deployment>-<tier>" when <tier> has no '-' (with one, the name could be
// deployment "<deployment>-<x>"'s).
bool OwnServerGroup(const std::string& name, const std::string& deployment);
// An OpenStack id's form (8-4-4-4-12 hex digits).
bool LooksLikeUuid(const std::string& s);
using common::Str;
using common::Uncertain;

}  // namespace orch::providers::openstack
