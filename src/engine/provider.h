// Provider: the interface every cloud implements (providers/<type>/).
// The engine owns this interface; the core never includes providers/.
//
// Threading: the engine calls Create/Update/Delete for independent resources
// from several threads at once on one Provider object; implementations must
// be safe for that. Configure() is called once, before anything else.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "env/clock.h"
#include "env/http_transport.h"
#include "model/resource.h"
#include "plan/diff_decision.h"
#include "state/state.h"
#include "util/diagnostic.h"
#include "util/status.h"

namespace orch::engine {

// What a provider needs from the outside world. Not owned.
struct ProviderEnv {
  env::Clock* clock = nullptr;
  env::HttpTransport* transport = nullptr;
  // Extra CA bundle path (--cacert), already applied to the transport.
  std::string cacert;
};

struct ProviderConfig {
  std::string name;        // instance name from the spec
  std::string type;        // digitalocean | gce | openstack
  std::string deployment;
  std::string region;
  std::vector<std::string> zones;
  std::string endpoint;    // override; empty = provider default/env
  std::string spec_dir;    // relative paths in settings resolve here
  // Remaining provider settings from the spec (token, project, cloud...).
  // May hold secrets: never log or persist.
  nlohmann::json settings = nlohmann::json::object();
};

struct Capabilities {
  std::set<model::Kind> kinds;           // kinds this provider can create
  bool native_instance_groups = false;   // autoscaling without a client loop
  bool batch_create = false;             // multi-create (e.g. DO `names`)
};

// A resource as the cloud reports it.
struct ObservedResource {
  std::string address;  // from the address tag/label ("" if not ours)
  std::string kind;     // model::KindName
  std::string id;
  std::string cloud_name;
  std::map<std::string, std::string> tags;
  nlohmann::json attributes = nlohmann::json::object();  // neutral, comparable with desired
  nlohmann::json outputs = nlohmann::json::object();     // ips, status...
};

// Per-call context: cancellation and progress messages.
struct ApplyContext {
  const std::atomic<bool>* cancelled = nullptr;  // set on SIGINT/SIGTERM
  // "waiting for droplet 1234 to become active" etc.
  std::function<void(const std::string& message)> progress;
  // Called when a cloud operation id is known before its completion, so it
  // is journaled in the intent and a killed run can resume waiting.
  std::function<void(const std::string& operation)> record_operation;
  // The operation recorded by a previous killed run, if any.
  std::string resume_operation;
  int attempt = 0;
  // The tier's `timeouts` for this change (create and update: `create`;
  // delete: `delete`), 0 when it sets none. Every wait of the change that
  // has no deadline of its own ends at it instead of the kind's default.
  int64_t timeout_ms = 0;

  bool IsCancelled() const { return cancelled && cancelled->load(); }
};

class Provider {
 public:
  virtual ~Provider() = default;

  virtual std::string Type() const = 0;
  virtual Capabilities GetCapabilities() const = 0;

  // Reads credentials and endpoint; no API call needed. Errors say which
  // setting or environment variable to set.
  virtual Status Configure(const ProviderConfig& config) = 0;

  // Offline checks of one desired resource (sizes, regions known to be
  // invalid...), reported at `where` when it is known.
  virtual void Validate(const model::Resource& resource, const SourceRange& where,
                        Diagnostics* diags) const {}

  // Every resource of `deployment` in this provider, found by its tags with
  // list calls (one per kind, following pagination), never one GET each.
  virtual Result<std::vector<ObservedResource>> Discover(const std::string& deployment) = 0;

  // Of the resources State records for this provider that Discover did not
  // return, those that still exist: for kinds a cloud keeps no tag or name
  // on (a DigitalOcean reserved IP, unassigned when its droplet is deleted,
  // can only be known by its address). Default: none.
  virtual Result<std::vector<ObservedResource>> FindRecorded(const std::vector<state::ResourceState>& missing) {
    return std::vector<ObservedResource>{};
  }
  // Of the desired resources that neither State nor Discover knows, those a
  // create would find and reuse rather than make (an account SSH key with
  // the same fingerprint, another deployment's or made by hand): address ->
  // what was found, for the plan's read line. Only reads. Default: none.
  virtual Result<std::map<std::string, std::string>> FindReusable(const std::vector<model::Resource>& wanted) {
    return std::map<std::string, std::string>{};
  }
  // A recorded resource reported as still there (for FindRecorded): address,
  // kind, id, cloud name, tags and outputs (with its id) as State holds them.
  static ObservedResource StillThere(const state::ResourceState& rs) {
    ObservedResource o;
    o.address = rs.address;
    o.kind = rs.kind;
    o.id = rs.id;
    o.cloud_name = rs.cloud_name;
    o.tags = rs.tags;
    if (rs.outputs.is_object()) o.outputs = rs.outputs;
    o.outputs["id"] = rs.id;
    return o;
  }

  // How a change of attributes from `prior` to `desired` is applied.
  // Default: kNoop if equal, else kReplace.
  virtual plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const;

  // `resource` has every reference resolved. Returns what was created.
  // Must not create a duplicate when a resource with the same tags exists
  // (a create retried after a lost response adopts it instead).
  virtual Result<ObservedResource> Create(const model::Resource& resource, ApplyContext& ctx) = 0;
  virtual Result<ObservedResource> Update(const model::Resource& resource,
                                          const state::ResourceState& prior, ApplyContext& ctx) = 0;
  // Already-gone counts as success.
  virtual Status Delete(const state::ResourceState& prior, ApplyContext& ctx) = 0;
};

inline plan::DiffDecision Provider::Diff(const model::Resource& desired, const state::ResourceState& prior) const {
  return desired.attributes == prior.attributes ? plan::DiffDecision::kNoop : plan::DiffDecision::kReplace;
}

}  // namespace orch::engine
