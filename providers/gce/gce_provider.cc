#include "providers/gce/gce_provider.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "http/redact.h"
#include "providers/common/outcome.h"
#include "providers/common/settings.h"
#include "model/expand.h"
#include "util/strings.h"

namespace orch::providers::gce {

using common::EnvOr;
using common::SettingMs;
using common::StringField;
using engine::ObservedResource;
using nlohmann::json;

std::string LastSegment(const std::string& url) {
  size_t s = url.rfind('/');
  return s == std::string::npos ? url : url.substr(s + 1);
}

std::string RelativeLink(const std::string& url) {
  size_t p = url.find("/projects/");
  if (p == std::string::npos) return url;
  std::string rest = url.substr(p + 10);
  size_t s = rest.find('/');
  return s == std::string::npos ? rest : rest.substr(s + 1);
}

std::string ShortHash(const json& j) {
  std::string text = j.dump();
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  char hex[9];
  for (int i = 0; i < 4; ++i) std::snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return hex;
}

GceProvider::GceProvider(const engine::ProviderEnv& env, Tuning tuning) : env_(env), tuning_(tuning) {
  if (!env_.clock) env_.clock = env::Clock::Real();
}

GceProvider::~GceProvider() = default;

engine::Capabilities GceProvider::GetCapabilities() const {
  engine::Capabilities c;
  c.kinds = {model::Kind::kNetwork,      model::Kind::kFirewall,   model::Kind::kSshKey,
             model::Kind::kImage,        model::Kind::kInstance,   model::Kind::kInstanceGroup,
             model::Kind::kFloatingIp,   model::Kind::kVolume,     model::Kind::kLoadBalancer};
  c.native_instance_groups = true;
  c.batch_create = false;
  return c;
}

Status GceProvider::Configure(const engine::ProviderConfig& config) {
  config_ = config;
  if (!env_.transport) return Status::Internal("gce provider has no HTTP transport");
  endpoint_ = config.endpoint;
  if (endpoint_.empty()) endpoint_ = EnvOr("GOOGLE_COMPUTE_CUSTOM_ENDPOINT");
  if (endpoint_.empty()) endpoint_ = kDefaultEndpoint;
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  tuning_.client.retry_sleep_ms = SettingMs(config.settings, "poll_interval_ms", tuning_.client.retry_sleep_ms);
  common::ReadPollIntervals(config.settings, &tuning_.poll_initial_ms, &tuning_.poll_max_ms);

  transport_ = std::make_unique<RateQuotaTransport>(env_.transport);
  http_ = std::make_unique<http::HttpClient>(transport_.get(), env_.clock, tuning_.retry);
  std::string file = StringField(config.settings, "credentials");
  if (!file.empty() && file[0] != '/' && !config.spec_dir.empty()) file = config.spec_dir + "/" + file;
  Result<Credentials> creds = FindCredentials(file, http_.get(), env_.clock);
  if (!creds.ok()) return creds.status().WithPrefix("provider '" + config.name + "' (gce)");
  project_ = StringField(config.settings, "project");
  if (project_.empty()) project_ = creds->project;
  if (project_.empty()) project_ = EnvOr("GOOGLE_CLOUD_PROJECT");
  if (project_.empty())
    return Status::InvalidArgument("provider '" + config.name +
                                   "' (gce) has no project: set the provider setting 'project' or use a "
                                   "service-account key that names one");
  auth_ = std::make_unique<OAuthAuthenticator>(env_.clock, std::move(creds->source));
  rest_ = std::make_unique<common::RestClient>(http_.get(), env_.clock, endpoint_ + "/projects/" + project_,
                                               auth_.get(), &pager_, &errors_, nullptr);
  client_ = std::make_unique<GceClient>(rest_.get(), auth_.get(), env_.clock, tuning_.client);
  unsigned char salt[8];
  if (RAND_bytes(salt, sizeof salt) != 1) return Status::Internal("no random bytes for GCE request ids");
  request_scope_ = config.deployment + "\n";
  for (unsigned char b : salt) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", b);
    request_scope_ += hex;
  }
  return Status::OK();
}

void GceProvider::Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const {
  const json labels = EncodeLabels(resource.tags);
  for (const auto& [k, v] : labels.items()) {
    if (v.get<std::string>().size() > 63)
      diags->Error(where, resource.address.ToString() + ": GCE label " + k + " would be " +
                              std::to_string(v.get<std::string>().size()) +
                              " characters long (at most 63); use shorter deployment, tier or volume names");
  }
  if (resource.address.kind == model::Kind::kLoadBalancer && resource.attributes.contains("listeners")) {
    for (const json& l : resource.attributes["listeners"]) {
      if (l.value("port", 0) != l.value("target_port", 0))
        diags->Error(where, resource.address.ToString() +
                                ": GCE network load balancing passes traffic through unchanged, so a listener's "
                                "port must equal its target_port (" +
                                std::to_string(l.value("port", 0)) + " != " + std::to_string(l.value("target_port", 0)) +
                                ")");
    }
  }
  if (resource.address.kind == model::Kind::kInstance && resource.attributes.contains("user_data") &&
      resource.attributes["user_data"].is_string() && resource.attributes["user_data"].get<std::string>().size() > 256 * 1024)
    diags->Error(where, resource.address.ToString() + ": GCE metadata values are limited to 256 KiB");
  if (resource.address.kind == model::Kind::kSshKey) ValidateSshKey(resource, where, diags);
}

std::string GceProvider::Zone(const json& a) const {
  std::string z = Str(a, "zone");
  if (z.empty() && !config_.zones.empty()) z = config_.zones[0];
  return z;
}

std::string GceProvider::Region(const json& a) const {
  std::string r = Str(a, "region");
  return r.empty() ? config_.region : r;
}

std::string GceProvider::GroupScope() const {
  return RegionalGroups() || config_.zones.empty() ? "regions/" + config_.region : "zones/" + config_.zones[0];
}

bool GceProvider::Ours(const json& object, const model::Resource& r) const {
  std::map<std::string, std::string> t = TagsOf(object);
  return t[std::string(model::kTagDeployment)] == config_.deployment &&
         t[std::string(model::kTagAddress)] == r.address.ToString();
}

Result<json> GceProvider::Ensure(const Part& p, const model::Resource& r, engine::ApplyContext& ctx) {
  const std::string path = "/" + p.collection + "/" + p.name;
  auto adopt = [&](const json& found) -> Result<json> {
    if (!Ours(found, r))
      return Status::Conflict(p.what + " already exists and its labels/description do not name " +
                              r.address.ToString() + " of deployment " + config_.deployment +
                              "; delete or rename it");
    if (ctx.progress) ctx.progress("adopting " + p.what + " created by an earlier request");
    return found;
  };
  bool look = ctx.attempt > 1 || !ctx.resume_operation.empty();
  if (!ctx.resume_operation.empty()) {
    Status st = client_->WaitLink(ctx.resume_operation, ctx, "earlier operation on " + p.what);
    if (!st.ok() && !st.IsNotFound() && !st.IsConflict()) return st;
  }
  if (look) {
    Result<json> found = client_->Get(path);
    if (found.ok()) return adopt(*found);
    if (!found.status().IsNotFound()) return found.status();
  }
  std::string id = RequestId(request_scope_, r.address.ToString(), p.part, ctx.attempt, p.body);
  Result<json> op = client_->Mutate("POST", "/" + p.collection, p.body, id, ctx);
  if (!op.ok()) {
    if (!op.status().IsConflict()) return op.status();
    Result<json> found = client_->Get(path);
    if (!found.ok()) return op.status();
    return adopt(*found);
  }
  if (ctx.record_operation && !Str(*op, "selfLink").empty()) ctx.record_operation(Str(*op, "selfLink"));
  ORCH_RETURN_IF_ERROR(client_->Wait(*op, ctx, p.what));
  Result<json> got = client_->Get(path);
  if (got.ok()) return got;
  if (got.status().IsNotFound())
    return Status::Internal(p.what + ": the insert operation finished but the resource is not there");
  return got.status();
}

Result<std::vector<json>> GceProvider::ListInstances(const std::string& filter) {
  std::vector<json> all;
  std::set<std::string> zones(config_.zones.begin(), config_.zones.end());
  for (const std::string& z : zones) {
    Result<std::vector<json>> l = client_->List("/zones/" + z + "/instances", filter);
    if (!l.ok()) return l.status().WithPrefix("listing instances in " + z);
    for (json& i : *l) all.push_back(std::move(i));
  }
  return all;
}

ObservedResource GceProvider::ObserveInstance(const json& i) const {
  ObservedResource o;
  o.kind = "instance";
  o.id = RelativeLink(Str(i, "selfLink"));
  o.cloud_name = Str(i, "name");
  o.tags = DecodeLabels(i.value("labels", json::object()));
  auto a = o.tags.find(std::string(model::kTagAddress));
  if (a != o.tags.end()) o.address = a->second;
  std::string priv, pub;
  if (i.contains("networkInterfaces") && i["networkInterfaces"].is_array() && !i["networkInterfaces"].empty()) {
    const json& ni = i["networkInterfaces"][0];
    priv = Str(ni, "networkIP");
    if (ni.is_object() && ni.contains("accessConfigs") && ni["accessConfigs"].is_array() &&
        !ni["accessConfigs"].empty())
      pub = Str(ni["accessConfigs"][0], "natIP");
  }
  o.outputs = {{"id", o.id}, {"private_ip", priv}, {"public_ip", pub}, {"status", Str(i, "status")}};
  o.attributes = {{"size", LastSegment(Str(i, "machineType"))}, {"zone", LastSegment(Str(i, "zone"))}};
  return o;
}

json MemberList(const std::vector<json>& instances, const std::string& group_name) {
  json out = json::array();
  for (const json& m : instances) {
    std::string name = Str(m, "name");
    if (name.rfind(group_name + "-", 0) != 0 || name.size() != group_name.size() + 5) continue;
    if (m.contains("labels") && m["labels"].contains(std::string(model::kTagAddress))) continue;
    std::string priv, pub;
    if (m.contains("networkInterfaces") && m["networkInterfaces"].is_array() && !m["networkInterfaces"].empty()) {
      const json& ni = m["networkInterfaces"][0];
      priv = Str(ni, "networkIP");
      if (ni.is_object() && ni.contains("accessConfigs") && ni["accessConfigs"].is_array() &&
          !ni["accessConfigs"].empty())
        pub = Str(ni["accessConfigs"][0], "natIP");
    }
    out.push_back({{"name", name}, {"private_ip", priv}, {"public_ip", pub}});
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["name"] < b["name"]; });
  return out;
}

Result<std::vector<ObservedResource>> GceProvider::Discover(const std::string& deployment) {
  if (!client_) return Status::Internal("gce provider used before Configure");
  std::vector<ObservedResource> out;
  const std::string dep_filter = "labels." + std::string(model::kTagDeployment) + "=" + EncodeLabelValue(deployment);
  const std::string name_filter = "name eq " + model::CloudName({deployment}) + "-.*";
  auto ours = [&](const json& obj, std::map<std::string, std::string>* tags) {
    *tags = TagsOf(obj);
    return (*tags)[std::string(model::kTagDeployment)] == deployment && !(*tags)[std::string(model::kTagAddress)].empty();
  };
  auto add = [&](const std::string& kind, const json& obj, const std::map<std::string, std::string>& tags,
                 std::string id, json outputs) {
    ObservedResource o;
    o.kind = kind;
    o.id = std::move(id);
    o.cloud_name = Str(obj, "name");
    o.tags = tags;
    o.address = tags.at(std::string(model::kTagAddress));
    outputs["id"] = o.id;
    o.outputs = std::move(outputs);
    out.push_back(std::move(o));
  };

  Result<std::vector<json>> nets = client_->List("/global/networks", name_filter);
  if (!nets.ok()) return nets.status().WithPrefix("listing networks");
  for (const json& n : *nets) {
    std::map<std::string, std::string> t;
    if (ours(n, &t)) add("network", n, t, RelativeLink(Str(n, "selfLink")), json::object());
  }

  Result<std::vector<json>> fws = client_->List("/global/firewalls", name_filter);
  if (!fws.ok()) return fws.status().WithPrefix("listing firewalls");
  // One firewall rule per spec rule, named "<cloud name>-<i>": the resource
  // is reported once, with the rules read back.
  std::map<std::string, std::vector<json>> fw_rules;  // address -> its rules
  std::vector<std::pair<json, std::map<std::string, std::string>>> fw_first;
  for (const json& f : *fws) {
    std::map<std::string, std::string> t;
    if (!ours(f, &t)) continue;
    std::vector<json>& rules = fw_rules[t[std::string(model::kTagAddress)]];
    if (rules.empty()) fw_first.push_back({f, t});
    rules.push_back(f);
  }
  for (const auto& [f, t] : fw_first) {
    std::string name = Str(f, "name");
    std::string base = name.substr(0, name.rfind('-'));
    json named = f;
    named["name"] = base;
    add("firewall", named, t, base, json::object());
    out.back().attributes = LiveFirewallAttributes(fw_rules[t.at(std::string(model::kTagAddress))]);
  }

  Result<std::vector<json>> instances = ListInstances(dep_filter);
  if (!instances.ok()) return instances.status();
  std::vector<json> members;
  for (const json& i : *instances) {
    ObservedResource o = ObserveInstance(i);
    if (o.address.empty()) {
      members.push_back(i);  // a managed instance of a group
      continue;
    }
    out.push_back(std::move(o));
  }

  for (const std::string& z : std::set<std::string>(config_.zones.begin(), config_.zones.end())) {
    Result<std::vector<json>> disks = client_->List("/zones/" + z + "/disks", dep_filter);
    if (!disks.ok()) return disks.status().WithPrefix("listing disks in " + z);
    for (const json& d : *disks) {
      std::map<std::string, std::string> t;
      if (ours(d, &t)) add("volume", d, t, RelativeLink(Str(d, "selfLink")), {{"device", "/dev/disk/by-id/google-" + Str(d, "name")}});
    }
  }

  std::vector<std::string> group_scopes = {"regions/" + config_.region};
  for (const std::string& z : std::set<std::string>(config_.zones.begin(), config_.zones.end()))
    group_scopes.push_back("zones/" + z);
  std::vector<json> groups;  // of this deployment, for the load balancers' pools
  for (const std::string& scope : group_scopes) {
    Result<std::vector<json>> igms = client_->List("/" + scope + "/instanceGroupManagers", name_filter);
    if (!igms.ok()) return igms.status().WithPrefix("listing instance groups in " + scope);
    for (const json& g : *igms) {
      if (g.is_object()) groups.push_back(g);
      std::map<std::string, std::string> t;
      if (!ours(g, &t)) continue;
      add("instance_group", g, t, RelativeLink(Str(g, "selfLink")),
          {{"instances", MemberList(members, Str(g, "name"))}, {"target_size", g.contains("targetSize") && g["targetSize"].is_number_integer() ? g["targetSize"].get<int64_t>() : 0},
           {"template", LastSegment(Str(g, "instanceTemplate"))}});
    }
  }

  const std::string region_path = "/regions/" + config_.region;
  Result<std::vector<json>> addrs = client_->List(region_path + "/addresses", dep_filter);
  if (!addrs.ok()) return addrs.status().WithPrefix("listing addresses");
  for (const json& a : *addrs) {
    std::map<std::string, std::string> t;
    if (!ours(a, &t)) continue;
    Result<model::Address> parsed = model::Address::Parse(t[std::string(model::kTagAddress)]);
    if (!parsed.ok() || parsed->kind != model::Kind::kFloatingIp) continue;  // a load balancer's address
    add("floating_ip", a, t, RelativeLink(Str(a, "selfLink")), {{"ip", Str(a, "address")}});
  }

  Result<std::vector<json>> rules = client_->List(region_path + "/forwardingRules", dep_filter);
  if (!rules.ok()) return rules.status().WithPrefix("listing forwarding rules");
  std::set<std::string> lb_seen;
  std::vector<json> pools;
  bool pools_listed = false;
  for (const json& fr : *rules) {
    std::map<std::string, std::string> t;
    if (!ours(fr, &t) || !lb_seen.insert(t[std::string(model::kTagAddress)]).second) continue;
    std::string pool = LastSegment(Str(fr, "target"));
    json named = fr;
    named["name"] = pool;
    add("load_balancer", named, t, pool, {{"ip", Str(fr, "IPAddress")}});
    if (!pools_listed) {  // one list, only when there is a load balancer
      Result<std::vector<json>> l = client_->List(region_path + "/targetPools", name_filter);
      if (!l.ok()) return l.status().WithPrefix("listing target pools");
      pools = std::move(*l);
      pools_listed = true;
    }
    // The pool's members: the group that feeds it, and those of its members the pool lacks.
    const json* p = nullptr;
    for (const json& candidate : pools)
      if (candidate.is_object() && Str(candidate, "name") == pool) p = &candidate;
    if (!p) continue;
    const std::string pool_link = RelativeLink(Str(*p, "selfLink"));
    for (const json& g : groups) {
      bool feeds = false;
      const json tps = g.value("targetPools", json::array());
      if (tps.is_array())
        for (const json& tp : tps) feeds = feeds || (tp.is_string() && RelativeLink(tp.get<std::string>()) == pool_link);
      if (!feeds) continue;
      Result<model::Address> parsed = model::Address::Parse(out.back().address);
      out.back().attributes = {{"targets", LiveTargets(parsed.ok() ? parsed->tier : "", *p, Str(g, "name"), members)}};
      break;
    }
  }
  return out;
}

Result<ObservedResource> GceProvider::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  if (!client_) return Status::Internal("gce provider used before Configure");
  Result<ObservedResource> res = Status::NotSupported("");
  switch (r.address.kind) {
    case model::Kind::kNetwork: res = CreateNetwork(r, ctx); break;
    case model::Kind::kFirewall: res = CreateFirewall(r, ctx); break;
    case model::Kind::kSshKey: res = CreateSshKey(r); break;
    case model::Kind::kImage: res = CreateImage(r, ctx); break;
    case model::Kind::kInstance: res = CreateInstance(r, ctx); break;
    case model::Kind::kInstanceGroup: res = CreateGroup(r, ctx); break;
    case model::Kind::kFloatingIp: res = CreateFloatingIp(r, ctx); break;
    case model::Kind::kVolume: res = CreateVolume(r, ctx); break;
    case model::Kind::kLoadBalancer: res = CreateLoadBalancer(r, ctx); break;
    default:
      return Status::NotSupported(r.address.ToString() + ": the gce provider cannot create " +
                                  std::string(model::KindName(r.address.kind)));
  }
  return common::FinishCreate(std::move(res), r);
}

static json WithoutScaling(const json& a) {
  json out = a;
  if (out.is_object())
    for (const char* k : {"min", "max", "cpu_target"}) out.erase(k);
  return out;
}

plan::DiffDecision GceProvider::Diff(const model::Resource& desired, const state::ResourceState& prior) const {
  if (desired.attributes == prior.attributes) return plan::DiffDecision::kNoop;
  if (desired.address.kind == model::Kind::kFirewall) return DiffFirewall(desired.attributes, prior.attributes);
  if (desired.address.kind == model::Kind::kLoadBalancer)
    return DiffLoadBalancer(desired.attributes, prior.attributes);
  if (desired.address.kind == model::Kind::kInstanceGroup) {
    // Network or region changes need a new group; the rest is rolled out.
    json d = WithoutScaling(desired.attributes), p = WithoutScaling(prior.attributes);
    if (Str(d, "network") != Str(p, "network") || Str(d, "region") != Str(p, "region"))
      return plan::DiffDecision::kReplace;
    return plan::DiffDecision::kUpdate;
  }
  if (desired.address.kind == model::Kind::kInstance && desired.attributes.is_object() &&
      prior.attributes.is_object()) {
    // Only the keys changed: setMetadata, no new instance.
    json d = desired.attributes, p = prior.attributes;
    d.erase("ssh_keys");
    p.erase("ssh_keys");
    if (d == p) return plan::DiffDecision::kUpdate;
  }
  return plan::DiffDecision::kReplace;
}

Result<ObservedResource> GceProvider::Update(const model::Resource& r, const state::ResourceState& prior,
                                             engine::ApplyContext& ctx) {
  if (!client_) return Status::Internal("gce provider used before Configure");
  Result<ObservedResource> res = Status::NotSupported("");
  if (r.address.kind == model::Kind::kInstanceGroup)
    res = UpdateGroup(r, prior, ctx);
  else if (r.address.kind == model::Kind::kInstance)
    res = UpdateInstanceKeys(r, prior, ctx);
  else if (r.address.kind == model::Kind::kFirewall)
    res = UpdateFirewall(r, prior, ctx);
  else if (r.address.kind == model::Kind::kLoadBalancer)
    res = UpdateLoadBalancer(r, prior, ctx);
  else
    return Status::NotSupported(r.address.ToString() + ": the gce provider replaces a changed " +
                                std::string(model::KindName(r.address.kind)));
  if (!res.ok()) return res.status().WithPrefix(r.address.ToString());
  res->address = r.address.ToString();
  res->kind = std::string(model::KindName(r.address.kind));
  res->tags = r.tags;
  res->cloud_name = r.cloud_name;
  res->outputs["id"] = res->id;
  return res;
}

Status GceProvider::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  if (!client_) return Status::Internal("gce provider used before Configure");
  std::optional<model::Kind> kind = model::KindFromName(prior.kind);
  if (!kind) return Status::InvalidArgument(prior.address + ": unknown kind '" + prior.kind + "'");
  if (*kind == model::Kind::kImage) return Status::OK();  // looked up, never owned
  if (*kind == model::Kind::kSshKey) return Status::OK();  // no key object: nothing to delete
  if (prior.id.empty()) return Status::OK();
  Status st;
  switch (*kind) {
    case model::Kind::kNetwork: st = DeleteNetwork(prior, ctx); break;
    case model::Kind::kFirewall: st = DeleteFirewall(prior, ctx); break;
    case model::Kind::kInstance:
    case model::Kind::kFloatingIp:
      st = client_->DeleteAndWait("/" + prior.id, ctx, prior.kind + " " + prior.cloud_name);
      break;
    case model::Kind::kInstanceGroup: st = DeleteGroup(prior, ctx); break;
    case model::Kind::kVolume: st = DeleteVolume(prior, ctx); break;
    case model::Kind::kLoadBalancer: st = DeleteLoadBalancer(prior, ctx); break;
    default: return Status::NotSupported(prior.address + ": cannot delete kind " + prior.kind);
  }
  return common::FinishDelete(st, prior.address);
}

void Register(engine::ProviderRegistry* registry) {
  registry->Register("gce", [](const engine::ProviderEnv& env) -> std::unique_ptr<engine::Provider> {
    return std::make_unique<GceProvider>(env);
  });
}

}  // namespace orch::providers::gce
