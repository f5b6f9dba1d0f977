// Shared model of the emulated OpenStack cloud (Keystone, Nova, Neutron,
// Glance, Cinder, Octavia) and helpers used by every service file.
//
// One Model holds every resource as JSON documents keyed by id; fields whose
// names start with '_' are private bookkeeping (ready/gone times, owners) and
// never reach a client. All handlers run under Model::mu (taken by the route
// wrapper in Model::Route), so the service files need no locking of their own.
// Asynchronous transitions are lazy: objects store the time they become ready
// and status is computed when read; deletions that complete later are queued
// in `due_` and applied by Tick() at the start of each request.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/api.h"

namespace cloudsim::openstack {

using json = nlohmann::json;
using Docs = std::map<std::string, json>;

enum class Service { kIdentity, kCompute, kNetwork, kImage, kVolume, kLoadBalancer };

// Path prefixes under ctx->base_url.
inline constexpr const char* kIdentityPrefix = "/identity";
inline constexpr const char* kComputePrefix = "/compute";
inline constexpr const char* kNetworkPrefix = "/network";
inline constexpr const char* kImagePrefix = "/image";
inline constexpr const char* kVolumePrefix = "/volume";
inline constexpr const char* kLoadBalancerPrefix = "/load-balancer";
inline constexpr const char* kRegion = "RegionOne";

// The authenticated caller of a request.
struct Caller {
  std::string token;
  std::string user_id;
  std::string project_id;
  std::vector<std::string> roles;

  // Holds the admin role: the services' default policies show admin-only fields.
  bool IsAdmin() const;
};

struct Model {
  explicit Model(SimContext* c) : ctx(c) {}

  SimContext* ctx;
  std::mutex mu;

  // Keystone.
  Docs domains, projects, users, roles, app_creds, tokens;
  // Nova.
  Docs flavors, keypairs, servers, server_groups;
  // Neutron.
  Docs networks, subnets, ports, routers, security_groups, security_group_rules, floatingips;
  // Glance.
  Docs images;
  // Cinder.
  Docs volumes;
  // Octavia.
  Docs loadbalancers, listeners, pools, members, healthmonitors;
  // Used fixed IPs per subnet (derived from ports; rebuilt on Load).
  std::map<std::string, std::set<uint32_t>> used_ips;
  // Pending completions: time -> (kind, id).
  std::multimap<double, std::pair<std::string, std::string>> due_;
  // Sequence for instance names ("instance-0000000c").
  int64_t instance_seq = 0;
  // Token lifetime in seconds of simulated time (not scaled).
  double token_lifetime = 3600;

  // Pre-created identity, exported by Describe().
  std::string admin_project_id, demo_project_id, admin_user_id, demo_user_id;
  std::string app_cred_id, app_cred_secret;
  static constexpr const char* kAdminPassword = "cloudsim-admin";
  static constexpr const char* kDemoPassword = "cloudsim-demo";
  std::string public_network_id, public_subnet_id;

  // Fills the default catalog objects (identity, flavors, public network,
  // images, default security groups). Requires the maps to be empty.
  void Seed();
  void Clear();
  json Save() const;
  void Load(const json& saved);

  // --- helpers -------------------------------------------------------------
  double Now() const { return ctx->Now(); }
  std::string Uuid();
  std::string Hex32() { return ctx->RandomHex(32); }
  std::string Mac();
  int64_t RandomInt(int64_t lo, int64_t hi);
  std::string Base(const std::string& prefix) const { return ctx->base_url + prefix; }

  // Applies every completion whose time has come.
  void Tick();
  void Due(double at, const std::string& kind, const std::string& id) { due_.emplace(at, std::make_pair(kind, id)); }

  // Validates X-Auth-Token; fills *caller or returns false.
  bool Authenticate(const HttpRequest& req, Caller* caller);

  // Registers a route whose handler runs under the model lock after Tick()
  // and (when `auth`) token validation. Parse errors of JSON bodies are
  // answered in the service's error form.
  using Handler = std::function<HttpResponse(const HttpRequest&, const PathParams&, const Caller&)>;
  void Route(Router& router, Service svc, const std::string& method, const std::string& pattern, bool auth,
             Handler handler);

  // Neutron side effects used by Nova and Octavia. Return "" and set *err on
  // failure (err is a Neutron-style JSON error with its status in *status).
  std::string CreatePort(const std::string& network_id, const std::string& subnet_id, const std::string& project_id,
                         const std::string& device_id, const std::string& device_owner, const std::string& name,
                         const json& security_groups, int* status, json* err);
  void DeletePort(const std::string& port_id);
  // Allocates a free address in the subnet (0 if exhausted).
  uint32_t AllocateIp(const std::string& subnet_id);
  std::string DefaultSecurityGroup(const std::string& project_id);
  // Cinder/Nova: applies completed transitions and removes deleted objects.
  void FinishServerDelete(const std::string& id);
};

// Time formats used by the services.
std::string IsoZ(double t);        // 2026-11-26T05:47:06Z (nova, neutron, glance)
std::string IsoMicro(double t);    // 2026-11-26T05:47:20.000000 (cinder, nova launched_at)
std::string IsoMicroZ(double t);   // 2026-11-26T05:47:05.000000Z (keystone)
std::string IsoPlain(double t);    // 2026-11-26T05:47:22 (octavia)

// IPv4 helpers.
bool ParseIpv4(const std::string& s, uint32_t* out);
std::string Ipv4(uint32_t ip);
bool ParseCidr(const std::string& s, uint32_t* net, int* prefix);

// Error bodies in each service's real form.
HttpResponse KeystoneError(int code, const std::string& message);
HttpResponse NovaError(int code, const std::string& message);  // {"badRequest": {...}}
HttpResponse NeutronError(int code, const std::string& type, const std::string& message);
HttpResponse GlanceError(int code, const std::string& message);
HttpResponse CinderError(int code, const std::string& message);
HttpResponse OctaviaError(int code, const std::string& message);
HttpResponse Unauthorized();
HttpResponse ServiceError(Service svc, int code, const std::string& message);
Service ServiceOfPath(const std::string& path);

// True when doc[key] is the string `value` (no copies; for hot loops).
bool FieldIs(const json& doc, const char* key, const std::string& value);
// Removes private '_' keys (shallow).
json Public(const json& doc);
// Parses a JSON object body; false when the body is not a JSON object.
bool ParseBody(const HttpRequest& req, json* out);
// Tags filters shared by Neutron and Octavia (tags, tags-any, not-tags, not-tags-any).
bool MatchTags(const HttpRequest& req, const json& tags);
// All values of a repeated query parameter (comma-separated values split).
std::vector<std::string> QueryList(const HttpRequest& req, const std::string& name);

// Route registration per service.
void RegisterKeystone(Router& router, Model* m);
void RegisterNova(Router& router, Model* m);
void RegisterNeutron(Router& router, Model* m);
void RegisterGlance(Router& router, Model* m);
void RegisterCinder(Router& router, Model* m);
void RegisterOctavia(Router& router, Model* m);

// Seeds per service (called by Model::Seed).
void SeedKeystone(Model* m);
void SeedNova(Model* m);
void SeedNeutron(Model* m);
void SeedGlance(Model* m);
// Completion handlers for queued transitions, by kind.
void CompleteVolume(Model* m, const std::string& id);
void CompleteOctavia(Model* m, const std::string& kind, const std::string& id);
// Nova createImage: records a snapshot of `server` in Glance (private,
// image_type snapshot, inheriting the base image's formats and properties),
// queued now, saving after a while, active with size and hashes at `ready_at`.
// Returns the new image id.
std::string CreateSnapshotImage(Model* m, const json& server, const std::string& name, const json& metadata,
                                double ready_at);
// Glance: applies a queued snapshot transition ("image-saving", "image-active").
void CompleteImage(Model* m, const std::string& kind, const std::string& id);
// Neutron collection helpers shared by neutron.cc and neutron_l3.cc.
struct NeutronColl {
  std::string path;      // "security-groups"
  std::string singular;  // "security_group"
  Docs Model::*docs;
  std::string not_found_type;  // "SecurityGroupNotFound"
  std::string not_found_fmt;   // "Security group %s does not exist"
};
const std::vector<NeutronColl>& NeutronColls();
const NeutronColl& NeutronCollOf(const std::string& path);
HttpResponse NeutronNotFound(const NeutronColl& c, const std::string& id);
// A Neutron object as `caller` sees it: private keys dropped, and for callers without the admin
// role also what Neutron's default policy keeps to admins (provider:*, binding:* but the vnic
// type, router distributed/ha). Networks carry is_default only when external (create answers
// add it back for the others, as Neutron does).
json NeutronView(const json& doc, const Caller& caller);
// GET list with attribute filters, tags filters, fields, sorting and limit/marker pagination.
HttpResponse NeutronList(Model* m, const HttpRequest& req, const Caller& caller, const NeutronColl& c);
// 409 OverQuota when the project already has `limit` objects in `docs`.
bool NeutronOverQuota(const Docs& docs, const std::string& project_id, size_t limit, const std::string& resource,
                      HttpResponse* out);
// Rejects unknown attributes in a create/update body.
bool NeutronCheckAttrs(const json& in, const std::set<std::string>& allowed, HttpResponse* out,
                       const char* method = "POST");
void RegisterNeutronL3(Router& router, Model* m);
// Nova: routes negotiate the compute microversion (2.1 .. 2.93; the minor
// number is passed to the handler) and add the version headers.
inline constexpr int kNovaMaxMinor = 93;
using NovaHandler = std::function<HttpResponse(const HttpRequest&, const PathParams&, const Caller&, int mv)>;
void NovaRoute(Router& router, Model* m, const std::string& method, const std::string& pattern, NovaHandler h);
void RegisterNovaServers(Router& router, Model* m);
// Cinder volume status as a client sees it.
std::string VolumeStatus(Model* m, const json& vol);
// Live resources for the admin API, by service.
void ListNova(Model* m, std::vector<SimResource>* out);
void ListNeutron(Model* m, std::vector<SimResource>* out);
void ListGlance(Model* m, std::vector<SimResource>* out);
void ListCinder(Model* m, std::vector<SimResource>* out);
void ListOctavia(Model* m, std::vector<SimResource>* out);
// Keystone: builds the service catalog for a project.
json Catalog(Model* m, const std::string& project_id);

}  // namespace cloudsim::openstack
