// What the DigitalOcean kind handlers share: the REST client, tuning, the
// droplet batcher and poller (providers/common), and the calls several kinds make (a create
// that adopts after a lost answer, action waits, tags, busy retries).
// Owned by DigitalOceanProvider, filled in by Configure.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/provider.h"
#include "http/http_client.h"
#include "providers/common/batcher.h"
#include "providers/common/create.h"
#include "providers/common/json_read.h"
#include "providers/common/list_poller.h"
#include "providers/common/rest_client.h"

namespace orch::providers::digitalocean {

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

// Droplet creates identical but for the name share one POST /droplets
// with `names` (at most 10, the API's limit), gathered while nobody joins
// for Tuning::batch_window_ms of wall-clock time.
using DropletBatcher = common::CreateBatcher<BatchMember>;
inline constexpr size_t kMaxDropletBatch = 10;

// Droplets are waited for with one list by the deployment tag per round.
using DropletPoller = common::ListPoller;

class Api {
 public:
  engine::ProviderEnv env;
  Tuning tuning;
  engine::ProviderConfig config;
  // Set by Configure; owned by the provider.
  common::RestClient* rest = nullptr;
  DropletPoller* poller = nullptr;
  DropletBatcher* batcher = nullptr;

  // The attribute's region, else the provider's.
  std::string Region(const nlohmann::json& attributes) const;
  // POST once; after an answer that may have been lost (or a 5xx/timeout),
  // look first and adopt what is found before any retry.
  Result<nlohmann::json> CreateOnce(const std::string& what, const common::Lookup& lookup, const common::Post& post,
                                    bool lookup_first, engine::ApplyContext& ctx);
  // CreateOnce for a kind whose names are unique per account: POST `body`
  // to `collection` ("/firewalls"), its answer under `key` ("firewall"); an
  // uncertain answer is resolved by the list of `collection` (under
  // `list_key`) showing an object named `name`.
  Result<nlohmann::json> CreateNamed(const std::string& what, const std::string& collection, const std::string& list_key,
                                     const std::string& key, const std::string& name, const nlohmann::json& body,
                                     engine::ApplyContext& ctx);
  Status WaitAction(const std::string& action_path, engine::ApplyContext& ctx, const std::string& what);
  Status Sleep(int64_t ms, engine::ApplyContext& ctx);
  // Retries DELETE/POSTs that the API rejects while something is busy (409/422 pending).
  Status RetryBusy(const std::function<Status()>& op, engine::ApplyContext& ctx, const std::string& what);
  Status EnsureTags(const std::vector<std::string>& tags);
  // Deletes the deployment's tags that no longer tag anything.
  void CleanupTags(const std::string& deployment);
  // The droplet once the shared poller lists it "active", waiting up to
  // `timeout_ms` (0: Tuning::droplet_timeout_ms); at the deadline the error
  // says the status it was last listed with ("new").
  Result<nlohmann::json> WaitActive(int64_t id, engine::ApplyContext& ctx, int64_t timeout_ms = 0);
  // Adds (or removes) `tag` on one resource; safe to repeat.
  Status TagResource(const std::string& tag, const std::string& id, const std::string& type, bool add);
};

// Helpers shared by the .cc files.
using common::Str;
using common::Uncertain;
// A JSON id (number or string) as text.
std::string IdText(const nlohmann::json& id);
// "123" -> 123 as JSON number; anything else stays a string (slugs).
nlohmann::json NumericOrString(const std::string& s);
std::vector<std::string> TagList(const nlohmann::json& obj);
// MD5 fingerprint "aa:bb:..." of an OpenSSH public key line, "" if malformed.
std::string SshFingerprint(const std::string& public_key);

}  // namespace orch::providers::digitalocean
