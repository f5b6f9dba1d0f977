// GceApi: the in-memory model behind cloudsim's GCE compute v1 API, OAuth2
// token endpoint and metadata server.
//
// Resources live in collections keyed by their scope path ("global/networks",
// "regions/us-central1/addresses", "zones/us-central1-a/instances"), each a
// name-ordered map, so list pagination and filtering are one linear pass.
// Asynchronous work is lazy: a mutation records its operation's start and end
// times and the resource's ready / gone times; status is computed on read.
// Deletions become effective at their operation's end (a time-ordered queue
// purged at the start of every request).
//
// Thread-safety: every public method may be called from many threads; one
// mutex (mu_) guards the whole model. Operation "wait" sleeps without it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/api.h"
#include "gce/oauth.h"

namespace cloudsim::gce {

using nlohmann::json;

struct Options {
  std::string project = "cloudsim-project";
  int cpus_quota = 24;               // vCPUs per region
  int requests_per_minute = 1500;    // per project per simulated minute; 0 = unlimited
  std::set<std::string> exhausted_zones;  // inserts there fail ZONE_RESOURCE_POOL_EXHAUSTED
  double token_lifetime = 3600;      // seconds an access token is valid (expires_in = this - 1)
  static Options FromEnv();
};

// A synchronous API error; thrown inside this module only and turned into
// Google's error body by the route wrapper.
struct GceError {
  int code;
  std::string reason;
  std::string message;
  std::string domain = "global";
};
[[noreturn]] void Fail(int code, const std::string& reason, const std::string& message);
[[noreturn]] void FailNotFound(const std::string& path);  // "projects/p/zones/z/instances/x"
[[noreturn]] void FailInvalid(const std::string& field, const std::string& value, const std::string& why);
[[noreturn]] void FailRequired(const std::string& field);
HttpResponse ErrorResponse(int code, const std::string& reason, const std::string& message,
                           const std::string& domain = "global");

// RFC 3339 with milliseconds, as GCE prints it ("2026-01-02T03:04:05.678-08:00").
std::string FormatTime(double unix_seconds);
bool ValidName(const std::string& name);

struct Resource {
  json body;              // stored fields, returned as is (plus computed ones)
  json aux;               // internal bookkeeping, never returned
  double created = 0;
  double staging_at = 0;  // instances: PROVISIONING -> STAGING
  double ready_at = 0;    // instances: STAGING -> RUNNING; others: ready
  double delete_at = -1;  // >= 0: being deleted, gone at that time
};

struct Operation {
  json body;              // fixed fields
  std::string scope;      // "global" | "regions/r" | "zones/z"
  double insert = 0, start = 0, end = 0;
  json error;             // null or {"errors":[...]}
  int http_status = 0;
  std::string http_message;
};

// A collection's static description.
struct CollSpec {
  std::string coll;        // "instances"
  std::string scope_kind;  // "global" | "regions" | "zones"
  std::string kind;        // "compute#instance"
  std::string param;       // route parameter name for one item
  std::string noun;        // for in-use messages: "instance_template"
  double create_seconds;   // real-world operation durations
  double delete_seconds;
};

class GceApi : public Api {
 public:
  GceApi(SimContext* ctx, Options options);
  ~GceApi() override;

  std::string Name() const override { return "gce"; }
  void RegisterRoutes(Router& router) override;
  void Describe(json* top, json* env) override;
  HttpResponse QuotaError(const HttpRequest& req) override;
  HttpResponse RateLimitError(const HttpRequest& req) override;
  HttpResponse ServerError(const HttpRequest& req, int status) override;
  void ListResources(std::vector<SimResource>* out) override;
  json Save() override;
  void Load(const json& saved) override;
  void Reset() override;

  const std::string& project() const { return options_.project; }
  const ServiceAccount& service_account() const { return *account_; }
  // The project's Compute Engine default service account, which an
  // instance's serviceAccounts[].email "default" stands for.
  std::string DefaultServiceAccountEmail() const;
  // Issues an access token without the JWT exchange (tests only).
  std::string TEST_IssueToken();

 private:
  struct Call {
    const HttpRequest& req;
    const PathParams& params;
    std::string scope;    // "global" | "regions/r" | "zones/z"
    std::string region;   // region of the scope ("" for global)
    std::string zone;
    json body;            // parsed request body for POST/PUT/PATCH
  };
  using Fn = std::function<HttpResponse(Call&)>;
  enum class Access { kRead, kWrite, kPublicRead };

  void Add(Router& router, const std::string& method, const std::string& pattern, Access access, Fn fn);
  HttpResponse Dispatch(const HttpRequest& req, const PathParams& params, Access access, const Fn& fn);
  bool CheckRate(std::string* retry);
  void Purge();

  // Model helpers (mu_ held).
  std::string Base() const;  // ctx_->base_url + "/compute/v1/projects/" + project
  std::string Url(const std::string& rel) const { return Base() + "/" + rel; }
  std::string Rel(const std::string& scope, const std::string& coll, const std::string& name) const;
  std::map<std::string, Resource>& Coll(const std::string& scope, const std::string& coll);
  Resource* Find(const std::string& scope, const std::string& coll, const std::string& name);
  Resource& Get(const std::string& scope, const std::string& coll, const std::string& name);
  std::string NewId();
  json Render(const std::string& coll, const Resource& r) const;
  json RenderOp(const Operation& op) const;
  std::string NewOp(const std::string& scope, const std::string& type, const std::string& target_link,
                    const std::string& target_id, double duration, json error = nullptr,
                    int http_status = 0, const std::string& http_message = "");
  HttpResponse OpResponse(Call& c, const std::string& op_name);
  bool ReplayRequest(Call& c, HttpResponse* out);
  void RememberRequest(Call& c, const std::string& op_name);
  void ScheduleDelete(const std::string& scope, const std::string& coll, const std::string& name, double at);
  std::string UsedBy(const std::string& self_link) const;  // "" or rel path of a user
  // Resolves a reference (full URL, "projects/p/..." or relative) to a
  // relative path "global/networks/x" if it names an existing resource.
  std::string Resolve(const std::string& ref, const std::string& coll, const std::string& scope_hint) const;
  static std::string LastSegment(const std::string& url);

  // Generic collection handlers.
  HttpResponse List(Call& c, const CollSpec& spec);
  HttpResponse GetOne(Call& c, const CollSpec& spec);
  HttpResponse Insert(Call& c, const CollSpec& spec);
  HttpResponse Delete(Call& c, const CollSpec& spec);
  HttpResponse Page(Call& c, const std::string& list_kind, const std::string& rel,
                    const std::vector<json>& items_in_order);
  // Source of a list: calls `emit` with items named after `after`, in name
  // order, while it returns true. `raw` (optional) is the stored body, which
  // the filter may test before the item is rendered.
  using Emit = std::function<bool(const json* raw, const std::function<json()>& render)>;
  using Source = std::function<void(const std::string& after, const Emit& emit)>;
  HttpResponse PageFrom(Call& c, const std::string& list_kind, const std::string& rel, const Source& source);

  // Per-kind insert preparation: validate c.body, fill defaults, return the
  // resource to store (or throw GceError). May set *async_error for a
  // failure reported through the operation instead.
  Resource PrepareInstance(const json& in, const std::string& zone, json* async_error, int* async_status);
  Resource& Store(const std::string& scope, const std::string& coll, const std::string& kind,
                  const std::string& name, Resource r);
  void CheckFields(const std::string& coll, const json& body) const;
  // Rewrites stored URLs when ctx_->base_url changed since they were made.
  void Rebase();
  std::string built_base_;
  Resource PrepareTemplate(Call& c);
  Resource PrepareIgm(Call& c);
  Resource PrepareAutoscaler(Call& c);
  Resource PrepareAddress(Call& c);
  Resource PrepareForwardingRule(Call& c);
  Resource PrepareTargetPool(Call& c);
  Resource PrepareHttpHealthCheck(Call& c);
  Resource PrepareHealthCheck(Call& c);
  Resource PrepareFirewall(Call& c);
  Resource PrepareNetwork(Call& c);
  Resource PrepareSubnetwork(Call& c);
  void AfterInsert(const std::string& coll, const std::string& scope, Resource& r);
  void BeforeDelete(const std::string& coll, const std::string& scope, Resource& r);

  // Instances and groups.
  json NetworkInterfaces(const json& in, const std::string& region, const std::string& field);
  json Disks(const json& in, const std::string& zone, const std::string& name, const std::string& field);
  void ValidateLabels(const json& labels, const std::string& field) const;
  int RegionCpus(const std::string& region) const;
  int MachineCpus(const std::string& machine_type) const;
  // Creates one managed instance for an IGM in `zone`; "" if quota failed.
  std::string CreateManaged(const std::string& igm_scope, Resource& igm, const std::string& zone);
  void ReconcileIgm(const std::string& igm_scope, Resource& igm, double at);
  void ApplyAutoscaler(const Resource& autoscaler);
  HttpResponse Resize(Call& c);
  HttpResponse UpdateAutoscaler(Call& c, bool patch);
  HttpResponse ListManaged(Call& c);
  // setInstanceTemplate, setTargetPools, recreateInstances (instances.cc).
  HttpResponse SetInstanceTemplate(Call& c);
  // A Metadata object as GCE stores it (kind, a new fingerprint, the
  // validated items of `in`); `field` names it in errors.
  json MetadataOf(const json& in, const std::string& field);
  // instances.setMetadata: replaces the items when the fingerprint is current
  // (else 412 conditionNotMet); a new fingerprint is drawn.
  HttpResponse SetMetadata(Call& c);
  // 412 conditionNotMet unless `body` carries the fingerprint of `current`
  // (the metadata or tags object; `what` names it in the message).
  void CheckFingerprint(const json& body, const json& current, const std::string& what) const;
  // instances.setTags (current tags fingerprint, else 412), addAccessConfig
  // (one per interface; a static natIP must be RESERVED and becomes IN_USE)
  // and deleteAccessConfig (instance_network.cc).
  HttpResponse SetTags(Call& c);
  HttpResponse AddAccessConfig(Call& c);
  HttpResponse DeleteAccessConfig(Call& c);
  // Standalone disks, attachDisk/detachDisk (disks.cc).
  Resource PrepareDisk(Call& c);
  json DiskUsers(const std::string& self_link) const;
  json RenderDisk(const Resource& r) const;
  json AttachExisting(const json& d, const std::string& zone, const std::string& field, int index);
  HttpResponse AttachDisk(Call& c);
  HttpResponse DetachDisk(Call& c);
  HttpResponse SetTargetPools(Call& c);
  HttpResponse RecreateInstances(Call& c);
  HttpResponse TargetPoolMembers(Call& c, bool add);
  // firewalls.patch: a JSON merge patch of the rule, validated as an insert
  // of the result; name, network and direction cannot change.
  HttpResponse PatchFirewall(Call& c);
  // httpHealthChecks.patch: the same for a legacy HTTP health check (the name
  // cannot change).
  HttpResponse PatchHttpHealthCheck(Call& c);
  // A managed group's members are in the target pools the group names:
  // adds (or removes) instance `self_link` to (from) each pool of `pools`.
  void PoolMembership(const json& pools, const std::string& self_link, bool add);
  HttpResponse GetFromFamily(Call& c);
  HttpResponse WaitOp(Call& c);

  // Catalog (catalog.cc).
  void BuildCatalog();
  json catalog_zones_, catalog_regions_;          // name -> object
  std::map<std::string, json> machine_specs_;     // name -> {cpus, mem, shared}
  std::map<std::string, std::map<std::string, Resource>> images_;  // project -> images

  // OAuth2 and metadata (oauth_routes.cc).
  HttpResponse TokenEndpoint(const HttpRequest& req);
  HttpResponse Metadata(const HttpRequest& req, const std::string& what);
  std::string IssueToken();
  bool TokenValid(const std::string& token);

  SimContext* ctx_;
  Options options_;
  std::unique_ptr<ServiceAccount> account_;
  std::vector<CollSpec> specs_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::map<std::string, Resource>> colls_;
  std::unordered_map<std::string, Operation> ops_;
  std::map<std::string, std::vector<std::string>> ops_by_scope_;  // for operation lists
  std::unordered_map<std::string, std::pair<std::string, double>> request_ids_;  // id -> (op, time)
  std::multimap<double, std::vector<std::string>> deletions_;      // time -> {scope, coll, name}
  std::unordered_map<std::string, double> tokens_;                 // access token -> expiry
  std::map<std::string, uint32_t> next_ip_;                        // subnetwork rel -> next host
  double rate_window_ = 0;
  int rate_count_ = 0;
};

}  // namespace cloudsim::gce
