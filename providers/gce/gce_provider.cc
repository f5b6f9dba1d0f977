#include "providers/gce/gce_provider.h"

#include <set>

#include "model/expand.h"
#include "util/strings.h"

namespace orch::providers::gce {

using engine::ObservedResource;
using nlohmann::json;

GceProvider::GceProvider(const engine::ProviderEnv& env, Tuning tuning)
    : HandlerProvider("GCE", /*native_instance_groups=*/true, /*batch_create=*/false), api_(env, tuning) {
  for (auto make : {NewNetworkHandler, NewFirewallHandler, NewImageHandler, NewInstanceHandler, NewGroupHandler,
                    NewVolumeHandler, NewAddressHandler, NewLoadBalancerHandler, NewSshKeyHandler})
    handlers_.Add(make(&api_));
}

GceProvider::~GceProvider() = default;

Status GceProvider::Ready() {
  return api_.client_ ? Status::OK() : Status::Internal("gce provider used before Configure");
}

Status GceProvider::Configure(const engine::ProviderConfig& config) { return api_.Configure(config); }

void GceProvider::ValidateAny(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const {
  const json labels = EncodeLabels(resource.tags);
  for (const auto& [k, v] : labels.items()) {
    if (v.get<std::string>().size() > 63)
      diags->Error(where, resource.address.ToString() + ": GCE label " + k + " would be " +
                              std::to_string(v.get<std::string>().size()) +
                              " characters long (at most 63); use shorter deployment, tier or volume names");
  }
}

Result<std::vector<ObservedResource>> GceProvider::Discover(const std::string& deployment) {
  if (!api_.client_) return Status::Internal("gce provider used before Configure");
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

  Result<std::vector<json>> nets = api_.client_->List("/global/networks", name_filter);
  if (!nets.ok()) return nets.status().WithPrefix("listing networks");
  for (const json& n : *nets) {
    std::map<std::string, std::string> t;
    if (ours(n, &t)) add("network", n, t, RelativeLink(Str(n, "selfLink")), json::object());
  }

  Result<std::vector<json>> fws = api_.client_->List("/global/firewalls", name_filter);
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

  Result<std::vector<json>> instances = api_.ListInstances(dep_filter);
  if (!instances.ok()) return instances.status();
  std::vector<json> members;
  for (const json& i : *instances) {
    ObservedResource o = api_.ObserveInstance(i);
    if (o.address.empty()) {
      members.push_back(i);  // a managed instance of a group
      continue;
    }
    out.push_back(std::move(o));
  }

  for (const std::string& z : std::set<std::string>(api_.config_.zones.begin(), api_.config_.zones.end())) {
    Result<std::vector<json>> disks = api_.client_->List("/zones/" + z + "/disks", dep_filter);
    if (!disks.ok()) return disks.status().WithPrefix("listing disks in " + z);
    for (const json& d : *disks) {
      std::map<std::string, std::string> t;
      if (!ours(d, &t)) continue;
      add("volume", d, t, RelativeLink(Str(d, "selfLink")), {{"device", "/dev/disk/by-id/google-" + Str(d, "name")}});
      const json users = d.value("users", json::array());
      out.back().attributes = {{"instance_id", users.empty() ? "" : RelativeLink(users[0].get<std::string>())}};
    }
  }

  std::vector<std::string> group_scopes = {"regions/" + api_.config_.region};
  for (const std::string& z : std::set<std::string>(api_.config_.zones.begin(), api_.config_.zones.end()))
    group_scopes.push_back("zones/" + z);
  std::vector<json> groups;  // of this deployment, for the load balancers' pools
  for (const std::string& scope : group_scopes) {
    Result<std::vector<json>> igms = api_.client_->List("/" + scope + "/instanceGroupManagers", name_filter);
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

  const std::string region_path = "/regions/" + api_.config_.region;
  Result<std::vector<json>> addrs = api_.client_->List(region_path + "/addresses", dep_filter);
  if (!addrs.ok()) return addrs.status().WithPrefix("listing addresses");
  // A load balancer is found by its forwarding rules or by its address (so
  // one whose rules were all deleted outside is still there).
  struct Lb {
    std::map<std::string, std::string> tags;
    const json* address = nullptr;
    std::vector<json> rules;
  };
  std::map<std::string, Lb> lbs;  // by address
  for (const json& a : *addrs) {
    std::map<std::string, std::string> t;
    if (!ours(a, &t)) continue;
    Result<model::Address> parsed = model::Address::Parse(t[std::string(model::kTagAddress)]);
    if (!parsed.ok()) continue;
    if (parsed->kind == model::Kind::kLoadBalancer) {
      Lb& lb = lbs[t[std::string(model::kTagAddress)]];
      lb.tags = t;
      lb.address = &a;
      continue;
    }
    if (parsed->kind != model::Kind::kFloatingIp) continue;
    add("floating_ip", a, t, RelativeLink(Str(a, "selfLink")), {{"ip", Str(a, "address")}});
    out.back().attributes = LiveAddressAttributes(a);
  }

  Result<std::vector<json>> rules = api_.client_->List(region_path + "/forwardingRules", dep_filter);
  if (!rules.ok()) return rules.status().WithPrefix("listing forwarding rules");
  for (const json& fr : *rules) {
    std::map<std::string, std::string> t;
    if (!ours(fr, &t)) continue;
    Lb& lb = lbs[t[std::string(model::kTagAddress)]];
    lb.tags = t;
    lb.rules.push_back(fr);
  }
  std::vector<json> pools, checks;
  if (!lbs.empty()) {  // one list each, only when there is a load balancer
    Result<std::vector<json>> l = api_.client_->List(region_path + "/targetPools", name_filter);
    if (!l.ok()) return l.status().WithPrefix("listing target pools");
    pools = std::move(*l);
    Result<std::vector<json>> h = api_.client_->List("/global/httpHealthChecks", name_filter);
    if (!h.ok()) return h.status().WithPrefix("listing health checks");
    checks = std::move(*h);
  }
  for (const auto& [address, lb] : lbs) {
    // Pool, health check and address are named alike; the first rule names the pool.
    std::string pool = lb.address ? Str(*lb.address, "name") : "";
    if (!lb.rules.empty()) pool = LastSegment(Str(lb.rules[0], "target"));
    const std::string ip = lb.address ? Str(*lb.address, "address") : Str(lb.rules[0], "IPAddress");
    json named = lb.address ? *lb.address : lb.rules[0];
    named["name"] = pool;
    add("load_balancer", named, lb.tags, pool, {{"ip", ip}});
    // The pool's members: the group that feeds it, and those of its members the pool lacks.
    const json* p = nullptr;
    for (const json& candidate : pools)
      if (candidate.is_object() && Str(candidate, "name") == pool) p = &candidate;
    if (!p) continue;
    const std::string pool_link = RelativeLink(Str(*p, "selfLink"));
    if (lb.address) out.back().attributes["listeners"] = LiveListeners(pool, lb.rules, ip, pool_link);
    const json hcs = p->value("healthChecks", json::array());
    if (hcs.is_array() && !hcs.empty() && hcs[0].is_string())
      for (const json& c : checks)
        if (c.is_object() && RelativeLink(Str(c, "selfLink")) == RelativeLink(hcs[0].get<std::string>()))
          out.back().attributes["health_check"] = LiveHealthCheck(c);
    for (const json& g : groups) {
      bool feeds = false;
      const json tps = g.value("targetPools", json::array());
      if (tps.is_array())
        for (const json& tp : tps) feeds = feeds || (tp.is_string() && RelativeLink(tp.get<std::string>()) == pool_link);
      if (!feeds) continue;
      Result<model::Address> parsed = model::Address::Parse(out.back().address);
      out.back().attributes["targets"] = LiveTargets(parsed.ok() ? parsed->tier : "", *p, Str(g, "name"), members);
      break;
    }
  }
  return out;
}

// Recorded ssh keys are reported as present (ssh_key.cc); recorded network
// lookups only fill the subnetwork cache.
Result<std::vector<ObservedResource>> GceProvider::FindRecorded(const std::vector<state::ResourceState>& missing) {
  for (const state::ResourceState& rs : missing) {
    if (rs.kind != "network" || !rs.attributes.is_object() || rs.attributes.value("lookup", json(false)) != json(true))
      continue;
    std::string sub = Str(rs.outputs, "subnetwork");
    if (!rs.id.empty() && !sub.empty()) api_.RememberSubnetwork(rs.id, api_.Region(rs.attributes), sub);
  }
  return RecordedSshKeys(missing);
}


void Register(engine::ProviderRegistry* registry) {
  registry->Register("gce", [](const engine::ProviderEnv& env) -> std::unique_ptr<engine::Provider> {
    return std::make_unique<GceProvider>(env);
  });
}

}  // namespace orch::providers::gce
