#include "model/expand.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <set>
#include <tuple>

#include "model/references.h"

namespace orch::model {
namespace {

using nlohmann::json;

constexpr size_t kMaxCloudName = 63;

std::string Ref(const Address& a, const std::string& output) { return "${ref:" + a.ToString() + "." + output + "}"; }

class Expander {
 public:
  Expander(const spec::Spec& spec, const std::function<ProviderTraits(const std::string&)>& traits,
           Diagnostics* diags)
      : spec_(spec), traits_(traits), diags_(diags) {}

  Expansion Run() {
    for (const auto& [name, net] : spec_.networks) AddNetwork(net);
    for (const auto& [name, img] : spec_.images) AddImage(img);
    // Compute addresses of every tier first: tier dependencies need them.
    for (const spec::TierSpec& t : spec_.tiers) PlanCompute(t);
    for (const spec::TierSpec& t : spec_.tiers) AddTier(t);
    Finish();
    return std::move(out_);
  }

 private:
  struct Compute {
    bool known_provider = false;
    std::string provider;
    bool native = false;
    int count = 0;  // instances (client-side)
    std::vector<Address> addresses;
  };

  const spec::ProviderSpec* FindProvider(const std::string& name) const {
    auto it = spec_.providers.find(name);
    return it == spec_.providers.end() ? nullptr : &it->second;
  }

  Resource& Add(Address a, const std::string& provider, std::vector<std::string> name_parts,
                const SourceRange& where) {
    Resource r;
    r.address = std::move(a);
    r.provider = provider;
    r.cloud_name = CloudName(name_parts);
    r.tags[std::string(kTagDeployment)] = spec_.deployment;
    r.tags[std::string(kTagAddress)] = r.address.ToString();
    if (!r.address.tier.empty()) r.tags[std::string(kTagTier)] = r.address.tier;
    out_.where[r.address.ToString()] = where;
    out_.resources.push_back(std::move(r));
    return out_.resources.back();
  }

  void AddNetwork(const spec::NetworkSpec& net) {
    const spec::ProviderSpec* p = FindProvider(net.provider);
    if (!p) {
      diags_->Error(net.where, "network '" + net.name + "' uses unknown provider '" + net.provider + "'");
      return;
    }
    Resource& r = Add({"", Kind::kNetwork, net.name, -1}, net.provider, {spec_.deployment, net.name}, net.where);
    if (!net.existing.empty()) {
      // A lookup, like an image with a source: found, never created or deleted.
      r.attributes = {{"existing", net.existing}, {"lookup", true}, {"region", p->region}};
    } else {
      r.attributes = {{"cidr", net.cidr}, {"region", p->region}};
    }
  }

  void AddImage(const spec::ImageSpec& img) {
    if (!FindProvider(img.provider)) {
      diags_->Error(img.where, "image '" + img.name + "' uses unknown provider '" + img.provider + "'");
      return;
    }
    Resource& r = Add({"", Kind::kImage, img.name, -1}, img.provider, {spec_.deployment, img.name}, img.where);
    r.attributes = {{"source", img.source}, {"lookup", img.packer.empty()}};
    if (!img.packer.empty()) r.attributes["packer"] = img.packer;
  }

  void PlanCompute(const spec::TierSpec& t) {
    Compute& c = compute_[t.name];
    if (t.name == "network" || t.name == "image" || t.name == "ssh_key") {
      diags_->Error(t.where, "tier name '" + t.name + "' is reserved (it would clash with top-level " + t.name +
                                 " addresses); rename the tier");
      return;
    }
    const spec::ProviderSpec* p = FindProvider(t.provider);
    if (!p) {
      diags_->Error(t.where, "tier '" + t.name + "' uses unknown provider '" + t.provider + "'");
      return;
    }
    c.known_provider = true;
    c.provider = t.provider;
    c.native = t.group.has_value() && traits_(p->type).native_instance_groups;
    if (c.native) {
      c.addresses.push_back({t.name, Kind::kInstanceGroup, "", -1});
    } else {
      c.count = t.group ? t.group->min : t.count;
      for (int i = 0; i < c.count; ++i) c.addresses.push_back({t.name, Kind::kInstance, "", i});
    }
  }

  // Attributes shared by instances and native groups.
  json ComputeAttributes(const spec::TierSpec& t, const spec::ProviderSpec& p, std::vector<Address>* deps) {
    json a = json::object();
    a["size"] = t.size;
    auto img = spec_.images.find(t.image);
    if (img != spec_.images.end()) {
      if (img->second.provider != t.provider)
        diags_->Error(t.where, "tier '" + t.name + "' (provider '" + t.provider + "') uses image '" + t.image +
                                   "' of provider '" + img->second.provider + "'");
      Address ia{"", Kind::kImage, t.image, -1};
      a["image"] = Ref(ia, "id");
      deps->push_back(ia);
    } else {
      a["image"] = t.image;
    }
    a["region"] = p.region;
    if (t.service_account) {
      a["service_account"] = {{"email", t.service_account->email}, {"scopes", t.service_account->scopes}};
    }
    if (!t.network.empty()) {
      auto net = spec_.networks.find(t.network);
      if (net == spec_.networks.end()) {
        diags_->Error(t.where, "tier '" + t.name + "' uses unknown network '" + t.network + "'");
      } else {
        if (net->second.provider != t.provider)
          diags_->Error(t.where, "tier '" + t.name + "' (provider '" + t.provider + "') uses network '" +
                                     t.network + "' of provider '" + net->second.provider + "'");
        Address na{"", Kind::kNetwork, t.network, -1};
        a["network"] = Ref(na, "id");
        deps->push_back(na);
      }
    }
    json keys = json::array();
    for (const std::string& k : t.ssh_keys) {
      auto key = spec_.ssh_keys.find(k);
      if (key == spec_.ssh_keys.end()) {
        diags_->Error(t.where, "tier '" + t.name + "' uses unknown ssh key '" + k + "'");
        continue;
      }
      Address ka{"", Kind::kSshKey, k + "@" + t.provider, -1};
      keys.push_back(Ref(ka, "id"));
      deps->push_back(ka);
      ssh_keys_needed_.insert({k, t.provider});
    }
    a["ssh_keys"] = keys;
    if (t.user_data) {
      // Recorded as written (spec-relative) with the content's digest, so
      // moving the checkout changes nothing and editing the template does.
      const spec::UserDataSpec& u = *t.user_data;
      a["user_data"] = {{"template", u.template_ref.empty() ? u.template_path : u.template_ref}, {"vars", u.vars}};
      if (!u.template_digest.empty()) a["user_data"]["digest"] = u.template_digest;
    }
    a["target_tag"] = CloudName({spec_.deployment, t.name});
    return a;
  }

  // Instances/groups of the tiers this tier depends on or references.
  std::vector<Address> TierDependencies(const spec::TierSpec& t) {
    std::vector<Address> deps;
    std::set<std::string> tiers(t.depends_on.begin(), t.depends_on.end());
    tiers.insert(t.references.begin(), t.references.end());
    tiers.erase(t.name);
    for (const std::string& other : tiers) {
      auto it = compute_.find(other);
      if (it == compute_.end()) {
        diags_->Error(t.where, "tier '" + t.name + "' depends on unknown tier '" + other + "'");
        continue;
      }
      deps.insert(deps.end(), it->second.addresses.begin(), it->second.addresses.end());
    }
    return deps;
  }

  void AddTier(const spec::TierSpec& t) {
    const Compute& c = compute_[t.name];
    if (!c.known_provider) return;
    const spec::ProviderSpec& p = *FindProvider(t.provider);
    const std::string& dep = spec_.deployment;
    std::vector<Address> base_deps;
    json base = ComputeAttributes(t, p, &base_deps);
    std::vector<Address> tier_deps = TierDependencies(t);
    base_deps.insert(base_deps.end(), tier_deps.begin(), tier_deps.end());
    auto zone = [&](int i) { return p.zones.empty() ? std::string() : p.zones[i % p.zones.size()]; };

    if (c.native) {
      Resource& g = Add(c.addresses[0], t.provider, {dep, t.name}, t.group->where.known() ? t.group->where : t.where);
      g.attributes = base;
      g.attributes["min"] = t.group->min;
      g.attributes["max"] = t.group->max;
      g.attributes["cpu_target"] = t.group->cpu_target;
      if (!p.zones.empty()) g.attributes["zone"] = p.zones[0];
      ExpandSelf(t, {t.name, -1, g.cloud_name, t.provider, p.region, p.zones.empty() ? "" : p.zones[0], spec_.deployment},
                 &g);
      g.depends_on = base_deps;
      for (const spec::VolumeSpec& v : t.volumes)
        diags_->Error(v.where, "tier '" + t.name + "': volumes are not supported on a native instance group (" +
                                   p.type + "); remove the group or the volume '" + v.name + "'");
      if (t.floating_ip)
        diags_->Error(t.where, "tier '" + t.name + "': floating IPs are not supported on a native instance group (" +
                                   p.type + ")");
    } else {
      for (int i = 0; i < c.count; ++i) {
        Resource& r = Add(c.addresses[i], t.provider, {dep, t.name, std::to_string(i)}, t.where);
        r.attributes = base;
        if (!zone(i).empty()) r.attributes["zone"] = zone(i);
        if (t.group) r.attributes["group"] = t.name;
        ExpandSelf(t, {t.name, i, r.cloud_name, t.provider, p.region, zone(i), spec_.deployment}, &r);
        r.depends_on = base_deps;
      }
      for (const spec::VolumeSpec& v : t.volumes) {
        for (int i = 0; i < c.count; ++i) {
          Resource& r = Add({t.name, Kind::kVolume, v.name, i}, t.provider, {dep, t.name, v.name, std::to_string(i)},
                            v.where.known() ? v.where : t.where);
          r.attributes = {{"size_gb", v.size_gb}, {"region", p.region}, {"instance", c.addresses[i].ToString()},
                          {"instance_id", Ref(c.addresses[i], "id")}};
          if (!v.type.empty()) r.attributes["type"] = v.type;
          if (!zone(i).empty()) r.attributes["zone"] = zone(i);
        }
      }
      if (t.floating_ip) {
        for (int i = 0; i < c.count; ++i) {
          Resource& r = Add({t.name, Kind::kFloatingIp, "", i}, t.provider, {dep, t.name, "fip", std::to_string(i)},
                            t.where);
          r.attributes = {{"region", p.region}, {"instance", c.addresses[i].ToString()},
                          {"instance_id", Ref(c.addresses[i], "id")}};
        }
      }
    }

    if (t.load_balancer) {
      const spec::LoadBalancerSpec& lb = *t.load_balancer;
      Resource& r = Add({t.name, Kind::kLoadBalancer, "", -1}, t.provider, {dep, t.name, "lb"},
                        lb.where.known() ? lb.where : t.where);
      json listeners = json::array();
      for (const spec::ListenerSpec& l : lb.listeners)
        listeners.push_back({{"protocol", l.protocol}, {"port", l.port}, {"target_port", l.target_port},
                             {"target_protocol", l.target_protocol.empty() ? l.protocol : l.target_protocol}});
      const spec::HealthCheckSpec& h = lb.health_check;
      json targets = {{"tier", t.name}, {"tag", CloudName({dep, t.name})}};
      if (!c.native && c.count > 0) targets["private_ips"] = "${tiers." + t.name + ".private_ips}";
      r.attributes = {{"region", p.region},
                      {"listeners", listeners},
                      {"health_check",
                       {{"protocol", h.protocol}, {"port", h.port}, {"path", h.path}, {"interval_s", h.interval_s},
                        {"timeout_s", h.timeout_s}, {"healthy_threshold", h.healthy_threshold},
                        {"unhealthy_threshold", h.unhealthy_threshold}}},
                      {"targets", targets}};
      if (base.contains("network")) r.attributes["network"] = base["network"];
      r.depends_on = c.addresses;
    }

    if (!t.firewall.empty()) {
      Resource& r = Add({t.name, Kind::kFirewall, "", -1}, t.provider, {dep, t.name, "fw"},
                        t.firewall[0].where.known() ? t.firewall[0].where : t.where);
      json rules = json::array();
      for (const spec::FirewallRule& fr : t.firewall) {
        json sources = json::array(), tags = json::array();
        for (const std::string& s : fr.sources) {
          if (s.rfind("tier:", 0) == 0) {
            std::string other = s.substr(5);
            auto it = compute_.find(other);
            if (it == compute_.end()) {
              diags_->Error(fr.where, "firewall source '" + s + "' of tier '" + t.name + "' names an unknown tier");
            } else if (it->second.known_provider && it->second.provider != t.provider) {
              // A tier on another cloud carries no tag this cloud knows: its
              // machines are let in by their public addresses, known once
              // they exist (the references order the firewall after them).
              if (it->second.native) {
                diags_->Error(fr.where, "firewall source '" + s + "' of tier '" + t.name + "': tier '" + other +
                                            "' is an instance group on another cloud, whose members' addresses are "
                                            "not known here; open the port to a CIDR instead");
              }
              for (const Address& a : it->second.addresses) {
                if (a.kind == Kind::kInstance) sources.push_back("${ref:" + a.ToString() + ".public_ip}");
              }
            } else {
              tags.push_back(CloudName({dep, other}));
            }
          } else {
            sources.push_back(s);
          }
        }
        rules.push_back({{"protocol", fr.protocol}, {"ports", fr.ports}, {"sources", sources}, {"source_tags", tags}});
      }
      r.attributes = {{"rules", rules}, {"target_tag", CloudName({dep, t.name})}};
      if (base.contains("network")) r.attributes["network"] = base["network"];
    }
    if (t.timeouts) AddTimeouts(*t.timeouts, t.name);
  }

  // The tier's timeouts on each of its resources, as "timeouts":
  // {create_ms, delete_ms} (only those the spec sets).
  void AddTimeouts(const spec::TimeoutsSpec& ts, const std::string& tier) {
    json timeouts = json::object();
    if (ts.create_ms > 0) timeouts["create_ms"] = ts.create_ms;
    if (ts.delete_ms > 0) timeouts["delete_ms"] = ts.delete_ms;
    if (timeouts.empty()) return;
    for (Resource& r : out_.resources)
      if (r.address.tier == tier) r.attributes[std::string(kTimeoutsAttribute)] = timeouts;
  }

  // Substitutes ${self.*} (references.h) in one instance's or group's attributes.
  void ExpandSelf(const spec::TierSpec& t, const SelfValues& self, Resource* r) {
    auto expanded = ExpandSelfReferences(r->attributes, self);
    if (expanded.ok()) {
      r->attributes = std::move(*expanded);
    } else {
      diags_->Error(t.user_data ? t.user_data->where : t.where, "tier '" + t.name + "': " + expanded.status().message());
    }
  }

  void Finish() {
    for (const auto& [key, provider] : ssh_keys_needed_) {
      const spec::SshKeySpec& k = spec_.ssh_keys.at(key);
      Resource& r = Add({"", Kind::kSshKey, key + "@" + provider, -1}, provider, {spec_.deployment, key}, k.where);
      r.attributes = {{"public_key", k.public_key}};
    }
    std::sort(out_.resources.begin(), out_.resources.end(),
              [](const Resource& a, const Resource& b) { return a.address < b.address; });
    std::vector<Address> known;
    for (const Resource& r : out_.resources) known.push_back(r.address);
    for (Resource& r : out_.resources) {
      std::set<std::string> deps;
      for (const Address& a : r.depends_on) deps.insert(a.ToString());
      for (const std::string& a : ReferencedAddresses(r.attributes, known)) deps.insert(a);
      deps.erase(r.address.ToString());
      r.depends_on.clear();
      for (const std::string& d : deps) {
        auto a = Address::Parse(d);
        if (a.ok()) r.depends_on.push_back(*a);
      }
    }
    // Cloud names must be unique per provider and kind.
    std::map<std::tuple<std::string, Kind, std::string>, std::string> seen;
    for (const Resource& r : out_.resources) {
      auto [it, fresh] = seen.insert({{r.provider, r.address.kind, r.cloud_name}, r.address.ToString()});
      if (!fresh)
        diags_->Error(out_.where[r.address.ToString()], "cloud name '" + r.cloud_name + "' of " +
                                                            r.address.ToString() + " clashes with " + it->second +
                                                            "; rename a tier, volume or network");
    }
  }

  const spec::Spec& spec_;
  const std::function<ProviderTraits(const std::string&)>& traits_;
  Diagnostics* diags_;
  std::map<std::string, Compute> compute_;
  std::set<std::pair<std::string, std::string>> ssh_keys_needed_;  // (key, provider)
  Expansion out_;
};

}  // namespace

std::string CloudName(const std::vector<std::string>& parts) {
  std::string raw;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) raw += '-';
    raw += parts[i];
  }
  std::string name;
  for (char c : raw) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-';
    name += ok ? l : '-';
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  while (!name.empty() && name.front() == '-') name.erase(name.begin());
  if (name.size() <= kMaxCloudName) return name;
  uint32_t h = 2166136261u;  // FNV-1a of the untruncated name keeps long names distinct
  for (char c : raw) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  char suffix[10];
  std::snprintf(suffix, sizeof suffix, "-%08x", h);
  std::string cut = name.substr(0, kMaxCloudName - 9);
  while (!cut.empty() && cut.back() == '-') cut.pop_back();
  return cut + suffix;
}

Expansion Expand(const spec::Spec& spec, const std::function<ProviderTraits(const std::string&)>& traits,
                 Diagnostics* diags) {
  return Expander(spec, traits, diags).Run();
}

}  // namespace orch::model
