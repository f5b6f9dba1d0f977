// The DigitalOcean provider (docs/providers/digitalocean.md): neutral
// resources -> DO API v2 objects, discovery by tags and deterministic names,
// no duplicate after a lost response, shared droplet polling, pacing by the
// rate-limit headers.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/provider.h"
#include "engine/registry.h"
#include "http/http_client.h"
#include "providers/common/operation_poller.h"
#include "providers/common/create.h"
#include "providers/common/json_read.h"
#include "providers/common/rest_client.h"
#include "providers/digitalocean/errors.h"

namespace orch::providers::digitalocean {

inline constexpr const char* kDefaultEndpoint = "https://api.digitalocean.com/v2";

// Tuning, settable from provider settings (poll_interval_ms...) and tests.
struct Tuning {
  int64_t poll_initial_ms = 500;
  int64_t poll_max_ms = 5000;
  int64_t droplet_timeout_ms = 15 * 60 * 1000;
  int64_t lb_timeout_ms = 20 * 60 * 1000;
  int64_t action_timeout_ms = 10 * 60 * 1000;
  int create_attempts = 5;
  // Droplet multi-create: a batch closes once nobody joined it for this
  // long (wall-clock, see DropletBatcher), or when it is full.
  int64_t batch_window_ms = 250;
  http::RetryPolicy retry;
};

// One droplet of a multi-create.
struct BatchMember {
  std::string name;     // cloud name
  std::string address;  // resource address
  bool resume = false;  // an earlier run may have created it: look first
};

// Joins concurrent droplet creates whose requests are identical but for the
// name into one POST /droplets with `names` (at most kMaxBatch). The first
// caller for a request leads: it waits until nobody joined for `window_ms`
// or the batch is full, then sends it through `send`; the others block until
// it is done and take their own result. The window is measured on the wall
// clock on purpose: it waits for other threads of this process, not for the
// cloud. Thread-safe.
class DropletBatcher {
 public:
  static constexpr size_t kMaxBatch = 10;  // the API's limit for `names`
  using Send = std::function<std::vector<Result<nlohmann::json>>(const std::vector<BatchMember>&)>;

  explicit DropletBatcher(int64_t window_ms) : window_ms_(window_ms) {}
  // This member's droplet (as the create or a later list returned it).
  Result<nlohmann::json> Join(const std::string& key, const BatchMember& member, const Send& send);
  int batches_sent() const;

 private:
  struct Batch {
    std::vector<BatchMember> members;
    bool sealed = false;
    bool done = false;
    std::vector<Result<nlohmann::json>> results;
  };
  const int64_t window_ms_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Batch>> open_;
  int sent_ = 0;
};

// Waits for droplets to become active with one list call (by the deployment
// tag) per poll round, shared by every waiting thread.
class DropletPoller {
 public:
  DropletPoller(common::RestClient* rest, env::Clock* clock, std::string list_path, const Tuning& tuning)
      : rest_(rest), clock_(clock), list_path_(std::move(list_path)), tuning_(tuning) {}
  // The droplet once its status is "active".
  Result<nlohmann::json> WaitActive(int64_t id, engine::ApplyContext& ctx);
  int rounds() const;

 private:
  common::RestClient* rest_;
  env::Clock* clock_;
  std::string list_path_;
  Tuning tuning_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool polling_ = false;
  int round_ = 0;
  int64_t waiters_ = 0;
  int64_t interval_ms_ = 0;
  int64_t next_poll_micros_ = 0;
  Status last_error_;
  std::map<int64_t, nlohmann::json> seen_;  // id -> droplet from the latest round
};

class DigitalOceanProvider final : public engine::Provider {
 public:
  explicit DigitalOceanProvider(const engine::ProviderEnv& env, Tuning tuning = {});
  ~DigitalOceanProvider() override;

  std::string Type() const override { return "digitalocean"; }
  engine::Capabilities GetCapabilities() const override;
  Status Configure(const engine::ProviderConfig& config) override;
  void Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const override;
  Result<std::vector<engine::ObservedResource>> Discover(const std::string& deployment) override;
  // Recorded reserved IPs no droplet of the deployment holds any more.
  Result<std::vector<engine::ObservedResource>> FindRecorded(
      const std::vector<state::ResourceState>& missing) override;
  // Equal attributes: no-op. In place (kUpdate) where the API allows it:
  // firewall rules and target tag, load balancer listeners/health
  // check/target tag, a larger volume, a volume or reserved IP following a
  // replaced droplet, a droplet's size (a reboot), target tag or group;
  // anything else (user_data, image, region, ssh keys...) is
  // a replace. A load balancer targets its tier's tag, so its
  // targets.private_ips (the members) are ignored: scaling a group never
  // touches the load balancer.
  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override;
  Result<engine::ObservedResource> Create(const model::Resource& resource, engine::ApplyContext& ctx) override;
  Result<engine::ObservedResource> Update(const model::Resource& resource, const state::ResourceState& prior,
                                          engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

  common::RestClient* rest() { return rest_.get(); }
  common::RateLimiter* limiter() { return limiter_.get(); }
  DropletPoller* poller() { return poller_.get(); }
  DropletBatcher* batcher() { return batcher_.get(); }

 private:
  using Lookup = common::Lookup;
  using Post = common::Post;
  // POST once; after an answer that may have been lost (or a 5xx/timeout),
  // look first and adopt what is found before any retry.
  Result<nlohmann::json> CreateOnce(const std::string& what, const Lookup& lookup, const Post& post,
                                    bool lookup_first, engine::ApplyContext& ctx);
  Status WaitAction(const std::string& action_path, engine::ApplyContext& ctx, const std::string& what);
  Status Sleep(int64_t ms, engine::ApplyContext& ctx);
  // Retries DELETE/POSTs that the API rejects while something is busy (409/422 pending).
  Status RetryBusy(const std::function<Status()>& op, engine::ApplyContext& ctx, const std::string& what);
  Status EnsureTags(const std::vector<std::string>& tags);
  void CleanupTags(const std::string& deployment);

  Result<engine::ObservedResource> CreateNetwork(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> LookupVpc(const model::Resource& r);
  Result<engine::ObservedResource> CreateSshKey(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateImage(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateInstance(const model::Resource& r, engine::ApplyContext& ctx);
  // Creates `members` (one request per try: `name` plus the address tag for
  // one, `names` for more), adopting after an uncertain answer what a list
  // by the deployment tag shows under the same names. One result per member.
  std::vector<Result<nlohmann::json>> CreateDroplets(const nlohmann::json& body,
                                                     const std::vector<BatchMember>& members,
                                                     engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateVolume(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateFloatingIp(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateFirewall(const model::Resource& r, engine::ApplyContext& ctx);
  Result<engine::ObservedResource> CreateLoadBalancer(const model::Resource& r, engine::ApplyContext& ctx);
  // Full request bodies (POST and PUT take the same), tags ensured.
  Result<nlohmann::json> FirewallBody(const model::Resource& r);
  Result<nlohmann::json> LoadBalancerBody(const model::Resource& r);
  Status DeleteVolume(const state::ResourceState& prior, engine::ApplyContext& ctx);
  // Attaches volume `id` to `droplet` unless it already is (checked before
  // each try, so a lost answer is not sent twice; `known` is the volume as
  // just read, saving the first check).
  Status AttachVolume(const std::string& id, const std::string& name, const std::string& droplet,
                      const std::string& region, engine::ApplyContext& ctx, const nlohmann::json* known = nullptr);
  // Detaches volume `id` from every droplet but `keep` ("" = all).
  Status DetachVolume(const std::string& id, const std::string& name, const std::string& keep,
                      engine::ApplyContext& ctx);
  Result<engine::ObservedResource> UpdateFloatingIp(const model::Resource& r, const state::ResourceState& prior,
                                                    engine::ApplyContext& ctx);
  Result<engine::ObservedResource> UpdateInstance(const model::Resource& r, const state::ResourceState& prior,
                                                  engine::ApplyContext& ctx);
  Result<engine::ObservedResource> UpdateVolume(const model::Resource& r, const state::ResourceState& prior,
                                                engine::ApplyContext& ctx);
  // Posts a droplet action unless `done(droplet)` already holds, waits for
  // it; after an uncertain answer or a busy droplet, checks again first.
  Status DropletAction(const std::string& id, const nlohmann::json& action,
                       const std::function<bool(const nlohmann::json&)>& done, engine::ApplyContext& ctx);
  // Adds (or removes) `tag` on one resource; safe to repeat.
  Status TagResource(const std::string& tag, const std::string& id, const std::string& type, bool add);
  Status DeleteFloatingIp(const state::ResourceState& prior, engine::ApplyContext& ctx);

  engine::ObservedResource ObserveDroplet(const nlohmann::json& d) const;

  engine::ProviderEnv env_;
  Tuning tuning_;
  engine::ProviderConfig config_;
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

// Helpers shared by the .cc files.
using common::Str;
// A JSON id (number or string) as text.
std::string IdText(const nlohmann::json& id);
// "123" -> 123 as JSON number; anything else stays a string (slugs).
nlohmann::json NumericOrString(const std::string& s);
std::vector<std::string> TagList(const nlohmann::json& obj);
using common::Uncertain;
// The address of a droplet created by a multi-create (which carries no
// address tag): "T.instance[i]" when it carries `deployment`'s tag and tier
// tag T and is named exactly CloudName(deployment, T, i); else "".
std::string BatchedDropletAddress(const std::string& name, const std::string& deployment,
                                  const std::map<std::string, std::string>& tags);
// MD5 fingerprint "aa:bb:..." of an OpenSSH public key line, "" if malformed.
std::string SshFingerprint(const std::string& public_key);

}  // namespace orch::providers::digitalocean
