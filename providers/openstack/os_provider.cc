#include "providers/openstack/os_provider.h"

#include <algorithm>
#include <optional>
#include <set>

#include "http/redact.h"
#include "providers/common/outcome.h"
#include "providers/common/settings.h"
#include "providers/common/timeouts.h"
#include "providers/openstack/drift.h"
#include "util/strings.h"

namespace orch::providers::openstack {

using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

std::string DeploymentTag(const std::string& d) { return std::string(model::kTagDeployment) + "=" + d; }
std::string TierTag(const std::string& t) { return std::string(model::kTagTier) + "=" + t; }
std::string AddressTag(const std::string& a) { return std::string(model::kTagAddress) + "=" + a; }
std::string OwnedTags(const std::string& d, const std::string& a) { return DeploymentTag(d) + "," + AddressTag(a); }
std::string ServerGroupName(const std::string& deployment, const std::string& tier) { return deployment + "." + tier; }

bool OwnServerGroup(const std::string& name, const std::string& deployment) {
  // What follows "<deployment><sep>" when `name` starts with it and has more.
  auto tier = [&](char sep) -> std::optional<std::string> {
    const std::string prefix = deployment + sep;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    return name.substr(prefix.size());
  };
  if (auto t = tier('.'); t && t->find('.') == std::string::npos) return true;
  if (auto t = tier('-'); t && t->find_first_of("-.") == std::string::npos) return true;
  return false;
}

std::vector<std::string> EncodeTags(const std::map<std::string, std::string>& tags) {
  std::vector<std::string> out;
  for (const auto& [k, v] : tags) out.push_back(k + "=" + v);
  return out;
}

std::map<std::string, std::string> DecodeTags(const json& tags) {
  std::map<std::string, std::string> out;
  if (!tags.is_array()) return out;
  for (const json& t : tags) {
    if (!t.is_string()) continue;
    std::string s = t;
    size_t eq = s.find('=');
    if (eq == std::string::npos) continue;
    std::string k = s.substr(0, eq);
    if (k == model::kTagDeployment || k == model::kTagAddress || k == model::kTagTier) out[k] = s.substr(eq + 1);
  }
  return out;
}

// ---- Service ----

Service::Service(Keystone* keystone, http::HttpClient* http, env::Clock* clock, std::string name, std::string base_url,
                 common::ErrorMapper* errors, common::Pager* pager)
    : keystone_(keystone),
      auth_(keystone, std::move(name)),
      base_url_(std::move(base_url)),
      rest_(http, clock, base_url_, &auth_, pager, errors, nullptr) {}

template <typename T>
Result<T> Service::Renewing(const std::function<Result<T>()>& call) {
  Result<std::string> before = keystone_->Token();
  if (!before.ok()) return before.status();
  Result<T> r = call();
  if (!r.ok() && r.status().code() == StatusCode::kUnauthenticated) {
    keystone_->Invalidate(*before);  // expired or revoked: renew once
    r = call();
  }
  return r;
}

Result<json> Service::Get(const std::string& path) {
  return Renewing<json>([&] { return rest_.Get(path); });
}

Result<json> Service::Post(const std::string& path, const json& body, http::SendOutcome* outcome) {
  return Renewing<json>([&] { return rest_.Post(path, body, outcome); });
}

Result<json> Service::Put(const std::string& path, const json& body) {
  return Renewing<json>([&]() -> Result<json> {
    Result<common::RestResponse> r = rest_.Call("PUT", path, body);
    if (!r.ok()) return r.status();
    return std::move(r->body);
  });
}

Status Service::Delete(const std::string& path) {
  Result<bool> r = Renewing<bool>([&]() -> Result<bool> {
    Status st = rest_.Delete(path);
    if (!st.ok()) return st;
    return true;
  });
  return r.status();
}

Result<std::vector<json>> Service::List(const std::string& path, const std::string& key) {
  Result<std::vector<json>> items = Renewing<std::vector<json>>([&] { return rest_.List(path, key); });
  if (!items.ok()) return items;
  // Every OpenStack object has a string id (a keypair list wraps each in
  // {"keypair": {...}} with a string name instead): an item that does not is
  // not read as "nothing there".
  for (size_t i = 0; i < items->size(); ++i) {
    const json& item = (*items)[i];
    const bool keypair = key == "keypairs";
    const json* obj = keypair && item.is_object() && item.contains("keypair") ? &item["keypair"] : &item;
    const char* field = keypair ? "name" : "id";
    if (!obj->is_object() || !obj->contains(field) || !(*obj)[field].is_string())
      return Status::Internal("GET " + http::Redact(base_url_ + path) + ": malformed list response: item " +
                              std::to_string(i) + " of '" + key + "' is not " +
                              (keypair ? "a {\"keypair\": {...}} with a string 'name'" : "an object with a string 'id'") +
                              "; nothing is planned from an unreadable list, try again");
  }
  return items;
}

// ---- provider ----

OpenStackProvider::OpenStackProvider(const engine::ProviderEnv& env, Tuning tuning, ConfigSources sources)
    : HandlerProvider("OpenStack", /*native_instance_groups=*/false, /*batch_create=*/true),
      env_(env),
      tuning_(tuning),
      sources_(std::move(sources)) {
  if (!env_.clock) env_.clock = env::Clock::Real();
  for (auto* make : {NewNetworkHandler, NewFirewallHandler, NewSshKeyHandler, NewImageHandler, NewInstanceHandler,
                     NewVolumeHandler, NewFloatingIpHandler, NewLoadBalancerHandler})
    handlers_.Add(make(this));
}

OpenStackProvider::~OpenStackProvider() = default;

Status OpenStackProvider::Configure(const engine::ProviderConfig& config) {
  config_ = config;
  json settings = config.settings;
  if (!config.endpoint.empty() && Str(settings, "auth_url").empty()) settings["auth_url"] = config.endpoint;
  Result<CloudConfig> cc = LoadCloudConfig(settings, config.region, sources_);
  if (!cc.ok()) return cc.status().WithPrefix("provider '" + config.name + "' (openstack)");
  cloud_ = *cc;
  common::ReadPollIntervals(config.settings, &tuning_.poll_initial_ms, &tuning_.poll_max_ms);
  if (!env_.transport) return Status::Internal("openstack provider has no HTTP transport");
  http_ = std::make_unique<http::HttpClient>(env_.transport, env_.clock, tuning_.retry);
  keystone_ = std::make_unique<Keystone>(http_.get(), env_.clock, cloud_);
  return Status::OK();
}

// Version document of a versioned endpoint: {"version": {...}} or
// {"versions": [...]} -> (min, max) of the entry whose id starts with `id`.
static std::pair<std::string, std::string> VersionRange(const json& doc, const std::string& id) {
  std::vector<json> entries;
  if (doc.is_object() && doc.contains("version") && doc["version"].is_object()) entries.push_back(doc["version"]);
  if (doc.is_object() && doc.contains("versions") && doc["versions"].is_array())
    for (const json& v : doc["versions"]) entries.push_back(v);
  for (const json& v : entries)
    if (Str(v, "id").rfind(id, 0) == 0) return {Str(v, "min_version"), Str(v, "version")};
  return {"", ""};
}

Status OpenStackProvider::Ready() {
  std::lock_guard<std::mutex> lock(ready_mu_);
  if (ready_) return Status::OK();
  if (!keystone_) return Status::Internal("openstack provider used before Configure");
  ORCH_RETURN_IF_ERROR(keystone_->Token().status());
  auto endpoint = [&](const char* type) -> Result<std::string> { return keystone_->Endpoint(type); };
  Result<std::string> nova = endpoint("compute"), neutron = endpoint("network"), glance = endpoint("image"),
                      cinder = endpoint("volumev3"), octavia = endpoint("load-balancer");
  for (auto* r : {&nova, &neutron, &glance})
    if (!r->ok()) return r->status();
  compute_ = std::make_unique<Service>(keystone_.get(), http_.get(), env_.clock, "compute", *nova, &errors_, &pager_);
  network_ = std::make_unique<Service>(keystone_.get(), http_.get(), env_.clock, "network", *neutron + "/v2.0", &errors_, &pager_);
  image_ = std::make_unique<Service>(keystone_.get(), http_.get(), env_.clock, "image", *glance, &errors_, &pager_);
  if (cinder.ok())
    volume_ = std::make_unique<Service>(keystone_.get(), http_.get(), env_.clock, "volume", *cinder, &errors_, &pager_);
  if (octavia.ok())
    lbaas_ = std::make_unique<Service>(keystone_.get(), http_.get(), env_.clock, "load-balancer", *octavia + "/v2",
                                       &errors_, &pager_);

  // Microversions: the highest we support within what the service offers.
  Result<json> cv = compute_->Get(*nova);
  if (!cv.ok()) return cv.status().WithPrefix("reading the compute version document");
  auto [cmin, cmax] = VersionRange(*cv, "v2.1");
  std::string mv = PickMicroversion(kComputeMin, kComputeMax, cmin, cmax);
  if (mv.empty())
    return Status::NotSupported("the compute API offers microversions " + cmin + ".." + cmax +
                                "; this provider needs one in " + kComputeMin + ".." + kComputeMax);
  compute_->auth()->SetMicroversion(mv);
  if (volume_) {
    std::string root = *cinder;
    size_t v3 = root.find("/v3");
    if (v3 != std::string::npos) root = root.substr(0, v3 + 3) + "/";
    Result<json> vv = volume_->Get(root);
    if (vv.ok()) {
      auto [vmin, vmax] = VersionRange(*vv, "v3");
      std::string vmv = PickMicroversion(kVolumeMin, kVolumeMax, vmin, vmax);
      if (!vmv.empty()) volume_->auth()->SetMicroversion(vmv);
    }
  }
  poller_ = std::make_unique<ServerPoller>(this, "/servers/detail?tags=" + UrlEncode(DeploymentTag(config_.deployment)));
  common::BatchOptions batch;
  batch.window = common::BatchOptions::Window::kFixed;
  batch.window_ms = tuning_.batch_window_ms;
  batch.clock = clock();
  batcher_ = std::make_unique<ServerBatcher>(batch);
  ready_ = true;
  return Status::OK();
}

int64_t OpenStackProvider::TotalRequests() const {
  int64_t n = 0;
  for (const auto* s : {compute_.get(), network_.get(), image_.get(), volume_.get(), lbaas_.get()})
    if (s) n += s->requests();
  return n;
}

ObservedResource OpenStackProvider::ObserveServer(const json& s) const {
  ObservedResource o;
  o.kind = "instance";
  o.id = Str(s, "id");
  o.cloud_name = Str(s, "name");
  o.tags = DecodeTags(s.value("tags", json::array()));
  auto a = o.tags.find(std::string(model::kTagAddress));
  if (a != o.tags.end()) o.address = a->second;
  std::string priv, pub;
  if (s.contains("addresses") && s["addresses"].is_object())
    for (const auto& [net, addrs] : s["addresses"].items()) {
      if (!addrs.is_array()) continue;
      for (const json& ad : addrs) {
        if (!ad.is_object() || (ad.contains("version") && ad["version"] != 4)) continue;
        std::string type = Str(ad, "OS-EXT-IPS:type", "fixed");
        if (type == "floating" && pub.empty()) pub = Str(ad, "addr");
        if (type == "fixed" && priv.empty()) priv = Str(ad, "addr");
      }
    }
  o.outputs = {{"id", o.id}, {"private_ip", priv}, {"public_ip", pub}, {"status", Str(s, "status")}};
  return o;
}

// Reverses "<deployment>-<middle>" names ("" when not of that form, or when
// it starts with "<other>-" for a deployment `other` extending `deployment`:
// "demo-x-ops" is demo-x's key "ops", not demo's "x-ops").
static std::string Middle(const std::string& name, const std::string& deployment,
                          const std::set<std::string>& longer) {
  std::string prefix = deployment + "-";
  if (name.size() <= prefix.size() || name.rfind(prefix, 0) != 0) return "";
  for (const std::string& o : longer)
    if (name.rfind(o + "-", 0) == 0) return "";
  return name.substr(prefix.size());
}

// The deployments named "<deployment>-..." that own networks or security
// groups in the project, by their deployment tags or, for objects a killed
// run left untagged, the marker in their description (OwnerDescription).
Result<std::set<std::string>> OpenStackProvider::LongerDeployments(const std::string& deployment) {
  const std::string marker = "[" + DeploymentTag("");
  std::set<std::string> out;
  auto consider = [&](const std::string& other) {
    if (other.size() > deployment.size() + 1 && other.rfind(deployment + "-", 0) == 0) out.insert(other);
  };
  for (auto [path, key] : {std::pair{"/networks", "networks"}, {"/security-groups", "security_groups"}}) {
    auto all = network_->List(path, key);
    if (!all.ok()) return all.status().WithPrefix(std::string("listing ") + key);
    for (const json& o : *all) {
      std::map<std::string, std::string> tags = DecodeTags(o.value("tags", json::array()));
      if (auto it = tags.find(std::string(model::kTagDeployment)); it != tags.end()) consider(it->second);
      const std::string description = Str(o, "description");
      if (size_t at = description.find(marker); at != std::string::npos) {
        size_t from = at + marker.size();
        consider(description.substr(from, description.find_first_of(" ]", from) - from));
      }
    }
  }
  return out;
}

Result<std::vector<ObservedResource>> OpenStackProvider::Discover(const std::string& deployment) {
  ORCH_RETURN_IF_ERROR(Ready());
  std::vector<ObservedResource> out;
  const std::string dep_tag = UrlEncode(DeploymentTag(deployment));
  auto tagged = [&](const json& obj, const std::string& kind, json outputs, json attributes = json::object()) {
    ObservedResource o;
    o.kind = kind;
    o.id = Str(obj, "id");
    o.cloud_name = Str(obj, "name");
    o.tags = DecodeTags(obj.value("tags", json::array()));
    o.address = o.tags[std::string(model::kTagAddress)];
    outputs["id"] = o.id;
    o.outputs = std::move(outputs);
    o.attributes = std::move(attributes);
    if (!o.address.empty()) out.push_back(std::move(o));
  };
  auto settled = [](const json& obj) { return Str(obj, "provisioning_status") != "PENDING_DELETE"; };

  auto servers = compute_->List("/servers/detail?tags=" + dep_tag, "servers");
  if (!servers.ok()) return servers.status().WithPrefix("listing servers");
  bool flavors = false;
  for (const json& s : *servers) {
    ObservedResource o = ObserveServer(s);
    if (o.address.empty() || Str(s, "OS-EXT-STS:task_state") == "deleting") continue;
    // The flavor (embedded since compute 2.47) by name; a recorded flavor id
    // is compared by its name (FlavorName), so the flavors are listed once.
    if (s.contains("flavor") && s["flavor"].is_object() && !Str(s["flavor"], "original_name").empty()) {
      o.attributes = {{"size", Str(s["flavor"], "original_name")}};
      flavors = true;
    }
    out.push_back(std::move(o));
  }
  if (flavors) {
    auto l = compute_->List("/flavors", "flavors");
    if (!l.ok()) return l.status().WithPrefix("listing flavors");
    std::lock_guard<std::mutex> lock(cache_mu_);
    for (const json& f : *l) {
      flavors_[Str(f, "name")] = Str(f, "id");
      flavors_[Str(f, "id")] = Str(f, "id");
      flavor_names_[Str(f, "name")] = Str(f, "name");
      flavor_names_[Str(f, "id")] = Str(f, "name");
    }
  }

  auto nets = network_->List("/networks?tags=" + dep_tag, "networks");
  if (!nets.ok()) return nets.status().WithPrefix("listing networks");
  for (const json& n : *nets) tagged(n, "network", json::object());

  auto sgs = network_->List("/security-groups?tags=" + dep_tag, "security_groups");
  if (!sgs.ok()) return sgs.status().WithPrefix("listing security groups");
  // The firewalls' rules: one list of the project's ingress rules, remote
  // groups named by the deployment's groups.
  std::map<std::string, std::string> group_names;
  bool firewalls = false;
  for (const json& g : *sgs) {
    group_names[Str(g, "id")] = Str(g, "name");
    firewalls |= DecodeTags(g.value("tags", json::array())).count(std::string(model::kTagAddress)) > 0;
  }
  std::map<std::string, std::vector<json>> rules;  // group id -> its ingress rules
  if (firewalls) {
    auto all = network_->List("/security-group-rules?direction=ingress", "security_group_rules");
    if (!all.ok()) return all.status().WithPrefix("listing security group rules");
    for (const json& r : *all) rules[Str(r, "security_group_id")].push_back(r);
  }
  for (const json& g : *sgs) tagged(g, "firewall", json::object(), {{"rules", LiveRules(rules[Str(g, "id")], group_names)}});

  auto fips = network_->List("/floatingips?tags=" + dep_tag, "floatingips");
  if (!fips.ok()) return fips.status().WithPrefix("listing floating IPs");
  for (const json& f : *fips) {
    json attributes = json::object();
    // The server holding it: port_details (fip-port-details) names the port's device.
    if (!f.contains("port_id") || f["port_id"].is_null()) attributes["instance_id"] = "";
    else if (f.contains("port_details") && f["port_details"].is_object()) attributes["instance_id"] = Str(f["port_details"], "device_id");
    tagged(f, "floating_ip", {{"ip", Str(f, "floating_ip_address")}}, std::move(attributes));
  }

  if (lbaas_) {
    auto lbs = lbaas_->List("/lbaas/loadbalancers?tags=" + dep_tag, "loadbalancers");
    if (!lbs.ok()) return lbs.status().WithPrefix("listing load balancers");
    std::map<std::string, std::vector<json>> lb_listeners;  // lb id -> its listeners
    std::map<std::string, json> pools, monitors;
    std::map<std::string, std::vector<json>> members;       // pool id -> its members
    bool any = false;
    for (const json& l : *lbs) any |= settled(l);
    if (any) {
      // The children: one list per kind by the deployment tag, and the
      // members of each pool (Octavia lists members per pool only).
      auto listeners = lbaas_->List("/lbaas/listeners?tags=" + dep_tag, "listeners");
      if (!listeners.ok()) return listeners.status().WithPrefix("listing listeners");
      for (json& l : *listeners)
        if (settled(l))
          for (const json& ref : l.value("loadbalancers", json::array())) lb_listeners[Str(ref, "id")].push_back(l);
      auto ps = lbaas_->List("/lbaas/pools?tags=" + dep_tag, "pools");
      if (!ps.ok()) return ps.status().WithPrefix("listing pools");
      for (const json& p : *ps)
        if (settled(p)) pools[Str(p, "id")] = p;
      auto hms = lbaas_->List("/lbaas/healthmonitors?tags=" + dep_tag, "healthmonitors");
      if (!hms.ok()) return hms.status().WithPrefix("listing health monitors");
      for (const json& m : *hms)
        if (settled(m)) monitors[Str(m, "id")] = m;
      for (const auto& [id, p] : pools) {
        auto ms = lbaas_->List("/lbaas/pools/" + id + "/members", "members");
        if (!ms.ok()) return ms.status().WithPrefix("listing the members of pool " + id);
        for (json& m : *ms)
          if (settled(m)) members[id].push_back(std::move(m));
      }
    }
    for (const json& l : *lbs) {
      if (!settled(l)) continue;
      json listeners = json::array(), health = nullptr, ips = nullptr;
      bool first = true;
      for (const json& li : lb_listeners[Str(l, "id")]) {
        auto p = pools.find(Str(li, "default_pool_id"));
        const json* pool = p == pools.end() ? nullptr : &p->second;
        const std::vector<json>& mine = pool ? members[p->first] : std::vector<json>();
        listeners.push_back(LiveListener(li, pool, mine));
        const json* monitor = nullptr;
        if (pool) {
          auto m = monitors.find(Str(*pool, "healthmonitor_id"));
          if (m != monitors.end()) monitor = &m->second;
        }
        // One health check and one member list stand for all pools: any
        // pool without its monitor, or short of a member, shows.
        json h = LiveHealthCheck(monitor);
        json addresses = json::array();
        for (const json& m : mine) addresses.push_back(Str(m, "address"));
        addresses = CanonicalIps(addresses);
        if (first) {
          health = h;
          ips = addresses;
        } else {
          if (h.is_null() || (!health.is_null() && CanonicalHealthCheck(h) != CanonicalHealthCheck(health))) health = h;
          json both = json::array();
          for (const json& ip : ips)
            if (std::find(addresses.begin(), addresses.end(), ip) != addresses.end()) both.push_back(ip);
          ips = both;
        }
        first = false;
      }
      json attributes = {{"listeners", listeners}, {"health_check", health},
                         {"targets", {{"private_ips", ips.is_null() ? json::array() : ips}}}};
      tagged(l, "load_balancer", {{"ip", Str(l, "vip_address")}}, std::move(attributes));
    }
  }

  if (volume_) {
    auto vols = volume_->List("/volumes/detail", "volumes");
    if (!vols.ok()) return vols.status().WithPrefix("listing volumes");
    for (const json& v : *vols) {
      json md = v.value("metadata", json::object());
      if (Str(md, std::string(model::kTagDeployment)) != deployment || Str(v, "status") == "deleting") continue;
      ObservedResource o;
      o.kind = "volume";
      o.id = Str(v, "id");
      o.cloud_name = Str(v, "name");
      o.address = Str(md, std::string(model::kTagAddress));
      o.tags = {{std::string(model::kTagDeployment), deployment}, {std::string(model::kTagAddress), o.address}};
      if (!Str(md, std::string(model::kTagTier)).empty()) o.tags[std::string(model::kTagTier)] = Str(md, std::string(model::kTagTier));
      o.outputs = {{"id", o.id}};
      std::string server;
      for (const json& at : v.value("attachments", json::array()))
        if (server.empty()) server = Str(at, "server_id");
      // Mid-attach or mid-detach says nothing yet.
      const std::string status = Str(v, "status");
      if (status == "in-use" || status == "available") o.attributes = {{"instance_id", server}};
      if (!o.address.empty()) out.push_back(std::move(o));
    }
  }

  auto keys = compute_->List("/os-keypairs", "keypairs");
  if (!keys.ok()) return keys.status().WithPrefix("listing keypairs");
  // "<deployment>-a-b" could be deployment "<deployment>-a"'s key "b": only
  // then are the project's deployments asked for.
  std::set<std::string> longer;
  for (const json& k : *keys) {
    const json& kp = k.contains("keypair") ? k["keypair"] : k;
    if (Middle(Str(kp, "name"), deployment, {}).find('-') == std::string::npos) continue;
    Result<std::set<std::string>> found = LongerDeployments(deployment);
    if (!found.ok()) return found.status();
    longer = std::move(*found);
    break;
  }
  for (const json& k : *keys) {
    const json& kp = k.contains("keypair") ? k["keypair"] : k;
    std::string m = Middle(Str(kp, "name"), deployment, longer);
    if (m.empty()) continue;
    ObservedResource o;
    o.kind = "ssh_key";
    o.id = Str(kp, "name");
    o.cloud_name = o.id;
    o.address = "ssh_key." + m + "@" + config_.name;
    o.tags = {{std::string(model::kTagDeployment), deployment}, {std::string(model::kTagAddress), o.address}};
    o.outputs = {{"id", o.id}, {"fingerprint", Str(kp, "fingerprint")}};
    out.push_back(std::move(o));
  }
  return out;
}

Status OpenStackProvider::Sleep(int64_t ms, engine::ApplyContext& ctx) {
  return common::SleepUnlessCancelled(env_.clock, ms, ctx);
}

Result<json> OpenStackProvider::CreateOnce(const std::string& what, const Lookup& lookup, const Post& post,
                                           bool lookup_first, engine::ApplyContext& ctx) {
  return common::CreateAdopting(what, lookup, post, lookup_first, ctx, env_.clock,
                                {tuning_.create_attempts, tuning_.poll_initial_ms, tuning_.poll_max_ms});
}

Status OpenStackProvider::RetryBusy(const std::function<Status()>& op, engine::ApplyContext& ctx,
                                    const std::string& what) {
  auto busy = [](const Status& st) { return st.IsConflict() || (Uncertain(st) && !st.IsTimeout()); };
  return common::RetryWhileBusy(op, busy, env_.clock,
                                {tuning_.poll_initial_ms, tuning_.poll_max_ms, common::WaitMs(ctx, tuning_.busy_timeout_ms)}, ctx, what);
}

Status OpenStackProvider::WaitFor(const std::string& what, int64_t timeout_ms, engine::ApplyContext& ctx,
                                  const std::function<Result<bool>()>& check) {
  common::PollOptions o;
  o.initial_interval_ms = tuning_.poll_initial_ms;
  o.max_interval_ms = tuning_.poll_max_ms;
  o.timeout_ms = common::WaitMs(ctx, timeout_ms);
  o.cancelled = ctx.cancelled;
  o.what = what;
  if (ctx.progress) ctx.progress("waiting for " + what);
  return common::Poll(env_.clock, o, check);
}


void Register(engine::ProviderRegistry* registry) {
  registry->Register("openstack", [](const engine::ProviderEnv& env) -> std::unique_ptr<engine::Provider> {
    return std::make_unique<OpenStackProvider>(env);
  });
}

}  // namespace orch::providers::openstack
