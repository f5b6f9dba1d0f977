// DigitalOceanApi: the in-memory model behind cloudsim's DigitalOcean v2 API.
//
// One mutex (mu_) guards the whole model; every route handler runs under it
// after the bearer-token and rate-limit checks. Asynchronous transitions
// (droplet new->active, actions in-progress->completed, power changes,
// snapshots, load balancers) are lazy: objects store the time they become
// ready and their state is computed whenever they are read.
// Handlers are split by resource family: do_api.cc (plumbing, account,
// catalog, actions), droplets.cc (droplets, droplet actions, images,
// snapshots, ssh keys), network.cc (vpcs, firewalls, reserved IPs, load
// balancers), storage.cc (volumes, tags).
#pragma once

#include <cstdint>
#include <deque>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/api.h"
#include "digitalocean/api.h"

namespace cloudsim::digitalocean {

using json = nlohmann::json;

// Real-world latencies in seconds, scaled by SimContext::Latency
// (the table in docs/cloudsim.md lists them).
constexpr double kDropletCreateSeconds = 35;
constexpr double kPowerOffSeconds = 8;
constexpr double kShutdownSeconds = 20;
constexpr double kPowerOnSeconds = 10;
constexpr double kRebootSeconds = 25;
constexpr double kSnapshotSeconds = 180;
constexpr double kResizeSeconds = 60;
constexpr double kRebuildSeconds = 40;
constexpr double kQuickActionSeconds = 3;  // rename, enable_ipv6, backups
constexpr double kVolumeActionSeconds = 5;
constexpr double kReservedIpActionSeconds = 4;
constexpr double kFirewallSeconds = 5;
constexpr double kLoadBalancerSeconds = 90;

// Body field readers: false if the field is present with the wrong JSON type
// (absent or null leaves *out unchanged and returns true).
inline bool OptString(const json& body, const char* key, std::string* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}
inline bool OptBool(const json& body, const char* key, bool* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_boolean()) return false;
  *out = it->get<bool>();
  return true;
}
inline bool OptInt(const json& body, const char* key, int64_t* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}
inline bool OptStringArray(const json& body, const char* key, std::vector<std::string>* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_array()) return false;
  std::vector<std::string> v;
  for (const json& e : *it) {
    if (!e.is_string()) return false;
    v.push_back(e.get<std::string>());
  }
  *out = std::move(v);
  return true;
}
inline bool OptIntArray(const json& body, const char* key, std::vector<int64_t>* out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_array()) return false;
  std::vector<int64_t> v;
  for (const json& e : *it) {
    if (!e.is_number_integer()) return false;
    v.push_back(e.get<int64_t>());
  }
  *out = std::move(v);
  return true;
}

struct Action {
  int64_t id = 0;
  std::string type;           // create, power_off, snapshot, attach_volume, assign_ip...
  std::string resource_type;  // droplet, volume, reserved_ip, floating_ip, image
  int64_t resource_id = 0;    // 0 renders as null
  std::string owner;          // volume id or IP the action belongs to (not rendered)
  std::string region;
  double started = 0;
  double done = 0;  // completed once Now() >= done
};

struct Droplet {
  int64_t id = 0;
  std::string name, region, size, vpc_uuid, user_data;
  json image;  // image object as of creation
  std::string image_text;  // image.dump(), filled lazily; not saved
  std::vector<std::string> tags;
  std::vector<std::string> features;
  double created = 0;
  double active_at = 0;
  std::string power = "active";  // settled power state: active | off
  std::string pending_power;     // power state taking effect at pending_at
  double pending_at = 0;
  double locked_until = 0;  // an action is in progress until then
  std::string private_ip, public_ip, public_gateway, ipv6;
  std::vector<std::string> volume_ids;
  std::vector<int64_t> snapshot_ids;
};

struct Image {
  int64_t id = 0;
  std::string name, distribution, slug, type, description;
  bool is_public = false;
  std::vector<std::string> regions;
  std::vector<std::string> tags;
  double created = 0;
  double ready_at = 0;  // snapshots appear once their action completes
  int min_disk_size = 0;
  double size_gigabytes = 0;
  int64_t droplet_id = 0;  // source droplet of a snapshot
};

struct SshKey {
  int64_t id = 0;
  std::string name, public_key, fingerprint;
};

struct Volume {
  std::string id, name, description, region, filesystem_type, filesystem_label;
  int size_gigabytes = 0;
  double created = 0;
  std::vector<int64_t> droplet_ids;
  std::vector<std::string> tags;
};

struct Vpc {
  std::string id, name, description, region, ip_range;
  bool is_default = false;
  double created = 0;
  uint32_t next_host = 2;  // next private address offset in ip_range
};

struct Firewall {
  std::string id, name;
  json inbound_rules = json::array();
  json outbound_rules = json::array();
  std::vector<int64_t> droplet_ids;
  std::vector<std::string> tags;
  double created = 0;
  double ready_at = 0;
};

struct ReservedIp {
  std::string ip, region;
  int64_t droplet_id = 0;
  double created = 0;
  double locked_until = 0;
};

struct LoadBalancer {
  std::string id, name, region, vpc_uuid, ip, size, algorithm, tag;
  json forwarding_rules = json::array();
  json health_check, sticky_sessions;
  bool redirect_http_to_https = false, enable_proxy_protocol = false, enable_backend_keepalive = false;
  int http_idle_timeout_seconds = 60;
  int size_unit = 1;
  std::vector<int64_t> droplet_ids;
  double created = 0;
  double active_at = 0;
};

// Droplets, volumes and images carrying a tag (for counts and tag_name filters).
struct TagIndex {
  std::set<int64_t> droplets;
  std::set<std::string> volumes;
  std::set<int64_t> images;
  std::string last_droplet_uri, last_volume_uri, last_image_uri;
};

class DigitalOceanApi : public Api {
 public:
  DigitalOceanApi(SimContext* ctx, const DigitalOceanOptions& options);

  std::string Name() const override { return "digitalocean"; }
  void RegisterRoutes(Router& router) override;
  void Describe(json* top, json* env) override;
  HttpResponse QuotaError(const HttpRequest& req) override;
  HttpResponse RateLimitError(const HttpRequest& req) override;
  HttpResponse ServerError(const HttpRequest& req, int status) override;
  void ListResources(std::vector<SimResource>* out) override;
  json Save() override;
  void Load(const json& saved) override;
  void Reset() override;

  // The bearer token this API accepts.
  const std::string& token() const { return token_; }

 private:
  using Handler = HttpResponse (DigitalOceanApi::*)(const HttpRequest&, const PathParams&);
  void Route(Router& router, const std::string& method, const std::string& pattern, Handler h);
  HttpResponse Dispatch(const HttpRequest& req, const PathParams& params, Handler h);
  // Records one request against the sliding windows; false if over a limit.
  bool ConsumeRateLimit(double now, int* remaining, int64_t* reset);

  // Shared helpers (do_api.cc).
  static HttpResponse Error(int status, const std::string& id, const std::string& message);
  static HttpResponse NotFound();
  static HttpResponse Unprocessable(const std::string& message);
  static HttpResponse BadRequest(const std::string& message);
  // Parses a JSON object body; on failure fills *err (400) and returns false.
  static bool ParseBody(const HttpRequest& req, json* body, HttpResponse* err);
  std::string Iso(double t) const;
  std::string Uuid();
  // Slices [*begin, *end) of `total` items by page/per_page and adds
  // links.pages and meta.total to *out.
  void Paginate(const HttpRequest& req, size_t total, size_t* begin, size_t* end, json* out);
  // The list response for one page of `items` (any sized range, e.g. a
  // vector of pointers or a map), each element turned into JSON by `to_json`
  // and listed under `key`, with links and meta from Paginate.
  template <typename Range, typename ToJson>
  HttpResponse PagedList(const HttpRequest& req, const Range& items, const std::string& key, ToJson to_json) {
    json out;
    size_t b, e;
    Paginate(req, std::size(items), &b, &e, &out);
    json arr = json::array();
    size_t i = 0;
    for (auto it = std::begin(items); it != std::end(items) && i < e; ++it, ++i) {
      if (i >= b) arr.push_back(to_json(*it));
    }
    out[key] = std::move(arr);
    return HttpResponse::Json(200, out);
  }
  int64_t NewActionId() { return next_action_id_++; }
  Action& AddAction(const std::string& type, const std::string& resource_type, int64_t resource_id,
                    const std::string& region, double duration_real_seconds);
  json ActionJson(const Action& a) const;
  json ActionLink(const Action& a, const std::string& rel) const;
  void ResetModel();
  void CreateDefaultVpcs();

  // Tags.
  bool ValidTagName(const std::string& name) const;
  void EnsureTag(const std::string& name);
  void TagDroplet(const std::string& tag, int64_t id);
  void UntagDroplet(const std::string& tag, int64_t id);
  std::vector<int64_t> DropletIdsForTag(const std::string& tag) const;

  // Droplets.
  void Settle(Droplet& d, double now);
  std::string DropletStatus(Droplet& d, double now);
  json DropletJson(Droplet& d, double now);
  // DropletJson without image, size and region.
  json DropletFields(Droplet& d, double now);
  // DropletJson serialised, splicing in cached image/size/region text.
  std::string DropletText(Droplet& d, double now);
  Droplet* FindDroplet(const std::string& id);
  const Image* FindImage(const std::string& id_or_slug) const;
  json ImageJson(const Image& img) const;
  json SnapshotJson(const Image& img) const;
  json VolumeJson(const Volume& v) const;
  json VpcJson(const Vpc& v) const;
  json FirewallJson(const Firewall& f, double now) const;
  json ReservedIpJson(ReservedIp& r, double now);
  json LoadBalancerJson(const LoadBalancer& lb, double now);
  Vpc* DefaultVpc(const std::string& region);
  std::string NextPrivateIp(Vpc& vpc);
  std::string NextPublicIp(const std::string& region);
  void DeleteDropletLocked(int64_t id);

  // Handlers: do_api.cc.
  HttpResponse GetAccount(const HttpRequest&, const PathParams&);
  HttpResponse ListRegions(const HttpRequest&, const PathParams&);
  HttpResponse ListSizes(const HttpRequest&, const PathParams&);
  HttpResponse ListActions(const HttpRequest&, const PathParams&);
  HttpResponse GetAction(const HttpRequest&, const PathParams&);
  // droplets.cc
  HttpResponse ListDroplets(const HttpRequest&, const PathParams&);
  HttpResponse CreateDroplets(const HttpRequest&, const PathParams&);
  HttpResponse DeleteDropletsByTag(const HttpRequest&, const PathParams&);
  HttpResponse GetDroplet(const HttpRequest&, const PathParams&);
  HttpResponse DeleteDroplet(const HttpRequest&, const PathParams&);
  HttpResponse ListDropletActions(const HttpRequest&, const PathParams&);
  HttpResponse PostDropletAction(const HttpRequest&, const PathParams&);
  HttpResponse GetDropletAction(const HttpRequest&, const PathParams&);
  HttpResponse ListDropletSnapshots(const HttpRequest&, const PathParams&);
  HttpResponse ListImages(const HttpRequest&, const PathParams&);
  HttpResponse GetImage(const HttpRequest&, const PathParams&);
  HttpResponse DeleteImage(const HttpRequest&, const PathParams&);
  HttpResponse ListSnapshots(const HttpRequest&, const PathParams&);
  HttpResponse GetSnapshot(const HttpRequest&, const PathParams&);
  HttpResponse DeleteSnapshot(const HttpRequest&, const PathParams&);
  HttpResponse ListKeys(const HttpRequest&, const PathParams&);
  HttpResponse CreateKey(const HttpRequest&, const PathParams&);
  HttpResponse GetKey(const HttpRequest&, const PathParams&);
  HttpResponse UpdateKey(const HttpRequest&, const PathParams&);
  HttpResponse DeleteKey(const HttpRequest&, const PathParams&);
  SshKey* FindKey(const std::string& id_or_fingerprint);
  // storage.cc
  HttpResponse ListVolumes(const HttpRequest&, const PathParams&);
  HttpResponse CreateVolume(const HttpRequest&, const PathParams&);
  HttpResponse GetVolume(const HttpRequest&, const PathParams&);
  HttpResponse DeleteVolume(const HttpRequest&, const PathParams&);
  HttpResponse PostVolumeAction(const HttpRequest&, const PathParams&);
  HttpResponse PostVolumeActionByName(const HttpRequest&, const PathParams&);
  HttpResponse ListVolumeActions(const HttpRequest&, const PathParams&);
  HttpResponse GetVolumeAction(const HttpRequest&, const PathParams&);
  HttpResponse VolumeAction(Volume& v, const json& body);
  HttpResponse ListTags(const HttpRequest&, const PathParams&);
  HttpResponse CreateTag(const HttpRequest&, const PathParams&);
  HttpResponse GetTag(const HttpRequest&, const PathParams&);
  HttpResponse DeleteTag(const HttpRequest&, const PathParams&);
  HttpResponse TagResources(const HttpRequest&, const PathParams&);
  HttpResponse UntagResources(const HttpRequest&, const PathParams&);
  HttpResponse TagResourcesImpl(const HttpRequest&, const PathParams&, bool add);
  json TagJson(const std::string& name) const;
  // network.cc
  HttpResponse ListVpcs(const HttpRequest&, const PathParams&);
  HttpResponse CreateVpc(const HttpRequest&, const PathParams&);
  HttpResponse GetVpc(const HttpRequest&, const PathParams&);
  HttpResponse UpdateVpc(const HttpRequest&, const PathParams&);
  HttpResponse DeleteVpc(const HttpRequest&, const PathParams&);
  HttpResponse ListFirewalls(const HttpRequest&, const PathParams&);
  HttpResponse CreateFirewall(const HttpRequest&, const PathParams&);
  HttpResponse GetFirewall(const HttpRequest&, const PathParams&);
  HttpResponse UpdateFirewall(const HttpRequest&, const PathParams&);
  HttpResponse DeleteFirewall(const HttpRequest&, const PathParams&);
  HttpResponse AddFirewallDroplets(const HttpRequest&, const PathParams&);
  HttpResponse RemoveFirewallDroplets(const HttpRequest&, const PathParams&);
  HttpResponse AddFirewallTags(const HttpRequest&, const PathParams&);
  HttpResponse RemoveFirewallTags(const HttpRequest&, const PathParams&);
  HttpResponse FirewallMembers(const HttpRequest&, const PathParams&, bool droplets, bool add);
  // Validates and normalises a firewall body into *f; returns an error response or status 0.
  HttpResponse ApplyFirewallBody(const json& body, Firewall* f);
  HttpResponse ListReservedIps(const HttpRequest&, const PathParams&);
  HttpResponse CreateReservedIp(const HttpRequest&, const PathParams&);
  HttpResponse GetReservedIp(const HttpRequest&, const PathParams&);
  HttpResponse DeleteReservedIp(const HttpRequest&, const PathParams&);
  HttpResponse PostReservedIpAction(const HttpRequest&, const PathParams&);
  HttpResponse ListReservedIpActions(const HttpRequest&, const PathParams&);
  HttpResponse GetReservedIpAction(const HttpRequest&, const PathParams&);
  HttpResponse ListLoadBalancers(const HttpRequest&, const PathParams&);
  HttpResponse CreateLoadBalancer(const HttpRequest&, const PathParams&);
  HttpResponse GetLoadBalancer(const HttpRequest&, const PathParams&);
  HttpResponse UpdateLoadBalancer(const HttpRequest&, const PathParams&);
  HttpResponse DeleteLoadBalancer(const HttpRequest&, const PathParams&);
  HttpResponse AddLoadBalancerDroplets(const HttpRequest&, const PathParams&);
  HttpResponse RemoveLoadBalancerDroplets(const HttpRequest&, const PathParams&);
  HttpResponse ApplyLoadBalancerBody(const json& body, bool create, LoadBalancer* lb);
  // "reserved_ip" or "floating_ip" depending on the path family used.
  static std::string IpFamily(const HttpRequest& req);

  SimContext* const ctx_;
  const DigitalOceanOptions options_;
  std::string token_;

  std::mutex mu_;
  std::deque<double> hour_window_, minute_window_;
  std::string account_uuid_;
  std::map<int64_t, Action> actions_;
  std::map<int64_t, Droplet> droplets_;
  std::map<int64_t, Image> images_;  // distribution images and snapshots
  std::map<int64_t, SshKey> keys_;
  std::map<std::string, Volume> volumes_;
  std::map<std::string, Vpc> vpcs_;
  std::map<std::string, Firewall> firewalls_;
  std::map<std::string, ReservedIp> reserved_ips_;
  std::map<std::string, LoadBalancer> load_balancers_;
  std::map<std::string, TagIndex> tags_;
  std::map<std::string, uint32_t> public_ip_next_;  // per region
  int64_t next_action_id_ = 0;
  int64_t next_droplet_id_ = 0;
  int64_t next_image_id_ = 0;
  int64_t next_key_id_ = 0;
};

}  // namespace cloudsim::digitalocean
