// Networks (network + subnet + router with the external gateway, or the
// lookup of an existing network), security groups (firewalls and per-tier
// membership groups), keypairs, images.
#include <algorithm>
#include <set>
#include <tuple>

#include "providers/common/observed.h"
#include "providers/openstack/os_provider.h"
#include "util/strings.h"

namespace orch::providers::openstack {

using common::Observed;
using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

namespace {

bool LooksLikeUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// `lookup: true`: the spec names something the cloud already has (an image
// by source, a network with `existing`); it is found, never owned.
bool IsLookup(const json& attributes) {
  if (!attributes.is_object()) return false;
  auto it = attributes.find("lookup");
  return it != attributes.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

bool OpenStackProvider::NeutronTagsOnCreate() {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (neutron_tags_on_create_ < 0) {
    // Neutron takes tags in a create body only with the tag-creation
    // extension (newer than Zed); without it, tags are PUT afterwards.
    Result<json> ext = network_->Get("/extensions/tag-creation");
    neutron_tags_on_create_ = ext.ok() ? 1 : 0;
  }
  return neutron_tags_on_create_ == 1;
}

Result<std::optional<json>> OpenStackProvider::FindOwned(const std::string& collection, const std::string& tags,
                                                         const std::string& name, const std::string& description) {
  std::string key = collection;
  std::replace(key.begin(), key.end(), '-', '_');
  std::string path = "/" + collection + "?tags=" + UrlEncode(tags);
  if (!name.empty()) path += "&name=" + UrlEncode(name);
  auto tagged = network_->List(path, key);
  if (!tagged.ok()) return tagged.status();
  if (!tagged->empty()) return std::optional<json>((*tagged)[0]);
  auto l = network_->List("/" + collection + "?description=" + UrlEncode(description), key);
  if (!l.ok()) return l.status();
  for (json& o : *l)
    if (!DecodeTags(o.value("tags", json::array())).count(std::string(model::kTagDeployment)))
      return std::optional<json>(std::move(o));
  return std::optional<json>();
}

Status OpenStackProvider::EnsureNeutronTags(const std::string& collection, const json& obj,
                                            const std::vector<std::string>& tags) {
  std::set<std::string> have;
  for (const json& t : obj.value("tags", json::array()))
    if (t.is_string()) have.insert(t.get<std::string>());
  bool missing = false;
  for (const std::string& t : tags) missing |= !have.count(t);
  if (!missing) return Status::OK();
  json all = json::array();
  std::set<std::string> merged = have;
  merged.insert(tags.begin(), tags.end());
  for (const std::string& t : merged) all.push_back(t);
  return network_->Put("/" + collection + "/" + Str(obj, "id") + "/tags", {{"tags", all}}).status();
}

Result<json> OpenStackProvider::NeutronCreate(const std::string& collection, const std::string& singular, json body,
                                              const std::vector<std::string>& tags, const Lookup& lookup,
                                              engine::ApplyContext& ctx) {
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    json b = body;
    bool with_tags = NeutronTagsOnCreate();
    if (with_tags) b["tags"] = tags;
    Result<json> r = network_->Post("/" + collection, {{singular, b}}, o);
    if (!r.ok() && with_tags && r.status().code() == StatusCode::kInvalidArgument &&
        r.status().message().find("tags") != std::string::npos) {
      {
        std::lock_guard<std::mutex> lock(cache_mu_);
        neutron_tags_on_create_ = 0;  // older Neutron: tag afterwards
      }
      r = network_->Post("/" + collection, {{singular, body}}, o);
    }
    if (!r.ok()) return r.status();
    return (*r)[singular];
  };
  Result<json> obj = CreateOnce(singular + " " + Str(body, "name"), lookup, post, ctx.attempt > 1, ctx);
  if (!obj.ok()) return obj.status();
  ORCH_RETURN_IF_ERROR(EnsureNeutronTags(collection, *obj, tags));
  return obj;
}

Result<std::string> OpenStackProvider::ExternalNetwork() {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (!external_network_.empty()) return external_network_;
  }
  auto l = network_->List("/networks?router%3Aexternal=true", "networks");
  if (!l.ok()) return l.status().WithPrefix("looking for the external network");
  if (l->empty()) return Status::NotFound("the cloud has no external network (router:external) for routers and floating IPs");
  std::string id = Str((*l)[0], "id");
  for (const json& n : *l)
    if (Str(n, "name") == "public") id = Str(n, "id");
  std::lock_guard<std::mutex> lock(cache_mu_);
  external_network_ = id;
  return id;
}

Result<std::optional<json>> OpenStackProvider::Ipv4Subnet(const std::string& network_id) {
  auto subnets = network_->List("/subnets?network_id=" + UrlEncode(network_id), "subnets");
  if (!subnets.ok()) return subnets.status();
  for (const json& s : *subnets)
    if (s.contains("ip_version") && s["ip_version"] == 4) return std::optional<json>(s);
  return std::optional<json>();
}

std::string OpenStackProvider::OwnerDescription(const std::string& text, const std::string& address) const {
  return text + " [" + DeploymentTag(config_.deployment) + " " + AddressTag(address) + "]";
}

std::string OpenStackProvider::ProjectDescription() {
  std::string project = !cloud_.project_name.empty() ? cloud_.project_name
                        : !cloud_.project_id.empty() ? cloud_.project_id
                                                     : (keystone_ ? keystone_->project_id() : "");
  std::string out = "project '" + project + "'";
  if (!cloud_.region.empty()) out += " in region " + cloud_.region;
  return out + " (provider '" + config_.name + "', credentials from " + cloud_.source + ")";
}

Result<ObservedResource> OpenStackProvider::LookupNetwork(const model::Resource& r) {
  const std::string want = Str(r.attributes, "existing");
  if (want.empty()) return Status::InvalidArgument("the network has no 'existing' name or id");
  std::vector<json> found;
  if (LooksLikeUuid(want)) {  // an id, unless no network has it (then a name that looks like one)
    auto l = network_->List("/networks?id=" + UrlEncode(want), "networks");
    if (!l.ok()) return l.status().WithPrefix("looking up network '" + want + "'");
    found = std::move(*l);
  }
  if (found.empty()) {
    auto l = network_->List("/networks?name=" + UrlEncode(want), "networks");
    if (!l.ok()) return l.status().WithPrefix("looking up network '" + want + "'");
    found = std::move(*l);
  }
  if (found.empty())
    return Status::NotFound("no network '" + want + "' is visible to " + ProjectDescription() +
                            "; list them with `openstack network list`");
  if (found.size() > 1) {
    std::vector<std::string> ids;
    for (const json& n : found) ids.push_back(Str(n, "id"));
    return Status::InvalidArgument(std::to_string(found.size()) + " networks named '" + want + "' are visible to " +
                                   ProjectDescription() + " (ids " + Join(ids, ", ") +
                                   "); give the id of one in 'existing' instead");
  }
  const json& net = found[0];
  const std::string id = Str(net, "id");
  Result<std::optional<json>> subnet = Ipv4Subnet(id);
  if (!subnet.ok()) return subnet.status().WithPrefix("listing the subnets of network '" + want + "'");
  if (subnet->has_value())
    return Observed(id, Str(net, "name"), {{"subnet_id", Str(**subnet, "id")}, {"cidr", Str(**subnet, "cidr")}});
  // An external network's subnets are usually hidden from projects.
  return Status::InvalidArgument("network '" + want + "' (" + id + ") has no IPv4 subnet visible to " +
                                 ProjectDescription() + " for the servers; add one (`openstack subnet create "
                                 "--network " + id + " ...`) or name another network");
}

Result<ObservedResource> OpenStackProvider::CreateNetwork(const model::Resource& r, engine::ApplyContext& ctx) {
  if (IsLookup(r.attributes)) return LookupNetwork(r);
  const std::vector<std::string> tags = EncodeTags(r.tags);
  const std::string owned = OwnedTags(config_.deployment, r.address.ToString());
  const std::string description = OwnerDescription("network", r.address.ToString());
  auto find = [&](const char* collection) {
    return [this, collection, &owned, &description] { return FindOwned(collection, owned, "", description); };
  };
  Result<json> net = NeutronCreate("networks", "network",
                                   {{"name", r.cloud_name}, {"admin_state_up", true}, {"description", description}}, tags,
                                   find("networks"), ctx);
  if (!net.ok()) return net.status().WithPrefix("creating the network");
  const std::string net_id = Str(*net, "id");

  Result<std::optional<json>> existing_subnet = find("subnets")();
  if (!existing_subnet.ok()) return existing_subnet.status();
  json subnet;
  if (existing_subnet->has_value()) {
    subnet = **existing_subnet;
    ORCH_RETURN_IF_ERROR(EnsureNeutronTags("subnets", subnet, tags));  // found untagged by description
  } else {
    json body = {{"name", r.cloud_name}, {"network_id", net_id}, {"ip_version", 4},
                 {"cidr", Str(r.attributes, "cidr", "10.0.0.0/24")}, {"description", description}};
    Result<json> s = NeutronCreate("subnets", "subnet", body, tags, find("subnets"), ctx);
    if (!s.ok()) return s.status().WithPrefix("creating the subnet");
    subnet = *s;
  }
  const std::string subnet_id = Str(subnet, "id");

  Result<std::string> ext = ExternalNetwork();
  if (!ext.ok()) return ext.status();
  Result<std::optional<json>> existing_router = find("routers")();
  if (!existing_router.ok()) return existing_router.status();
  json router;
  if (existing_router->has_value()) {
    router = **existing_router;
    ORCH_RETURN_IF_ERROR(EnsureNeutronTags("routers", router, tags));
  } else {
    json body = {{"name", r.cloud_name}, {"admin_state_up", true}, {"external_gateway_info", {{"network_id", *ext}}},
                 {"description", description}};
    Result<json> rt = NeutronCreate("routers", "router", body, tags, find("routers"), ctx);
    if (!rt.ok()) return rt.status().WithPrefix("creating the router");
    router = *rt;
  }
  const std::string router_id = Str(router, "id");

  // The router interface on the subnet (PUT is idempotent only in effect:
  // check for the port first).
  auto has_interface = [&]() -> Result<bool> {
    auto ports = network_->List("/ports?device_id=" + router_id + "&network_id=" + net_id, "ports");
    if (!ports.ok()) return ports.status();
    for (const json& p : *ports)
      for (const json& ip : p.value("fixed_ips", json::array()))
        if (Str(ip, "subnet_id") == subnet_id) return true;
    return false;
  };
  Result<bool> has = has_interface();
  if (!has.ok()) return has.status();
  if (!*has) {
    Result<json> add = network_->Put("/routers/" + router_id + "/add_router_interface", {{"subnet_id", subnet_id}});
    // A retried PUT whose first try went through answers 400 "Router
    // already has a port on subnet": attached, as wanted.
    if (!add.ok() && add.status().message().find("already has a port on subnet") != std::string::npos)
      add = json::object();
    if (!add.ok()) {
      Result<bool> again = has_interface();  // lost answer, or already attached
      if (!again.ok() || !*again) return add.status().WithPrefix("attaching the subnet to the router");
    }
  }
  return Observed(net_id, r.cloud_name, {{"subnet_id", subnet_id}, {"router_id", router_id}});
}

Status OpenStackProvider::DeleteNetwork(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  if (IsLookup(prior.attributes)) {
    // Not ours: only what the deployment left behind on it goes.
    SweepDeployment(ctx);
    return Status::OK();
  }
  auto routers = network_->List("/routers?tags=" + UrlEncode(OwnedTags(config_.deployment, prior.address)), "routers");
  if (!routers.ok()) return routers.status();
  if (routers->empty()) {  // one a killed run created but never tagged
    Result<std::optional<json>> untagged = FindOwned("routers", OwnedTags(config_.deployment, prior.address), "",
                                                     OwnerDescription("network", prior.address));
    if (!untagged.ok()) return untagged.status();
    if (untagged->has_value()) routers->push_back(**untagged);
  }
  auto subnets = network_->List("/subnets?network_id=" + prior.id, "subnets");
  if (!subnets.ok()) return subnets.status();
  for (const json& rt : *routers) {
    const std::string rid = Str(rt, "id");
    for (const json& s : *subnets) {
      Result<json> rm = network_->Put("/routers/" + rid + "/remove_router_interface", {{"subnet_id", Str(s, "id")}});
      if (!rm.ok() && !rm.status().IsNotFound()) {
        Status st = RetryBusy([&] {
          Result<json> again = network_->Put("/routers/" + rid + "/remove_router_interface", {{"subnet_id", Str(s, "id")}});
          return again.status();
        }, ctx, "router interface " + rid);
        if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("removing the router interface");
      }
    }
    Status st = RetryBusy([&] { return network_->Delete("/routers/" + rid); }, ctx, "router " + rid);
    if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("deleting the router");
  }
  SweepDeployment(ctx);
  for (const json& s : *subnets) {
    Status st = RetryBusy([&] { return network_->Delete("/subnets/" + Str(s, "id")); }, ctx, "subnet " + Str(s, "id"));
    if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("deleting the subnet");
  }
  return RetryBusy([&] { return network_->Delete("/networks/" + prior.id); }, ctx, "network " + prior.id);
}

void OpenStackProvider::SweepDeployment(engine::ApplyContext& ctx) {
  // Servers of an interrupted batch that never got their address tag.
  auto servers = compute_->List("/servers/detail?tags=" + UrlEncode(DeploymentTag(config_.deployment)), "servers");
  if (servers.ok())
    for (const json& s : *servers) {
      if (DecodeTags(s.value("tags", json::array())).count(std::string(model::kTagAddress))) continue;
      if (compute_->Delete("/servers/" + Str(s, "id")).ok()) {
        Result<json> gone = poller_->Wait(Str(s, "id"), true, ctx);
        (void)gone;
      }
    }
  auto sgs = network_->List("/security-groups?tags=" + UrlEncode(DeploymentTag(config_.deployment)), "security_groups");
  if (sgs.ok())
    for (const json& g : *sgs) {
      if (DecodeTags(g.value("tags", json::array())).count(std::string(model::kTagAddress))) continue;  // a firewall's
      Status st = RetryBusy([&] { return network_->Delete("/security-groups/" + Str(g, "id")); }, ctx,
                            "security group " + Str(g, "name"));
      (void)st;
    }
  // Security groups and floating IPs a killed run created but never tagged
  // (without tag-creation, tags follow the create): their description
  // carries the deployment from the create on (OwnerDescription).
  const std::string mine = " [" + DeploymentTag(config_.deployment) + " ";
  for (auto [collection, key] : {std::pair{"floatingips", "floatingips"}, {"security-groups", "security_groups"}}) {
    auto all = network_->List(std::string("/") + collection, key);
    if (!all.ok()) continue;
    for (const json& o : *all) {
      if (Str(o, "description").find(mine) == std::string::npos) continue;
      if (DecodeTags(o.value("tags", json::array())).count(std::string(model::kTagDeployment))) continue;
      const std::string path = std::string("/") + collection + "/" + Str(o, "id");
      Status st = RetryBusy([&] { return network_->Delete(path); }, ctx, Str(o, "id"));
      (void)st;
    }
  }
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    tier_groups_.clear();
    server_groups_.clear();
  }
  auto groups = compute_->List("/os-server-groups", "server_groups");
  if (groups.ok())
    for (const json& g : *groups)
      if (OwnServerGroup(Str(g, "name"), config_.deployment) && g.value("members", json::array()).empty()) {
        Status st = compute_->Delete("/os-server-groups/" + Str(g, "id"));
        (void)st;
      }
}

Result<std::string> OpenStackProvider::TierSecurityGroup(const std::string& target_tag, engine::ApplyContext& ctx) {
  std::lock_guard<std::mutex> create(create_mu_);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = tier_groups_.find(target_tag);
    if (it != tier_groups_.end()) return it->second;
  }
  const std::string dep_tag = DeploymentTag(config_.deployment);
  const std::string description = OwnerDescription("members of " + target_tag, target_tag);
  auto lookup = [&]() { return FindOwned("security-groups", dep_tag, target_tag, description); };
  Result<std::optional<json>> found = lookup();
  if (!found.ok()) return found.status();
  std::string id;
  if (found->has_value()) {
    id = Str(**found, "id");
    Status tagged = EnsureNeutronTags("security-groups", **found, {dep_tag});
    if (!tagged.ok()) return tagged.WithPrefix("tagging security group " + target_tag);
  } else {
    json body = {{"name", target_tag}, {"description", description}};
    Result<json> g = NeutronCreate("security-groups", "security_group", body, {dep_tag}, lookup, ctx);
    if (!g.ok()) return g.status().WithPrefix("creating security group " + target_tag);
    id = Str(*g, "id");
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  tier_groups_[target_tag] = id;
  return id;
}

Result<ObservedResource> OpenStackProvider::CreateFirewall(const model::Resource& r, engine::ApplyContext& ctx) {
  std::string target = Str(r.attributes, "target_tag", r.cloud_name);
  Result<std::string> sg = TierSecurityGroup(target, ctx);
  if (!sg.ok()) return sg.status();
  Result<json> g = network_->Get("/security-groups/" + *sg);
  if (!g.ok()) return g.status();
  ORCH_RETURN_IF_ERROR(EnsureNeutronTags("security-groups", (*g)["security_group"], EncodeTags(r.tags)));
  ORCH_RETURN_IF_ERROR(SyncRules(*sg, r.attributes.value("rules", json::array()), ctx));
  return Observed(*sg, target);
}

namespace {

struct Rule {
  std::string protocol;
  int min = -1, max = -1;
  std::string remote_ip, remote_group;
  auto Key() const { return std::tie(protocol, min, max, remote_ip, remote_group); }
  bool operator<(const Rule& o) const { return Key() < o.Key(); }
};

Rule FromNeutron(const json& r) {
  Rule x;
  x.protocol = Str(r, "protocol");
  x.min = r.value("port_range_min", json()).is_number() ? r["port_range_min"].get<int>() : -1;
  x.max = r.value("port_range_max", json()).is_number() ? r["port_range_max"].get<int>() : -1;
  x.remote_ip = Str(r, "remote_ip_prefix");
  x.remote_group = Str(r, "remote_group_id");
  return x;
}

}  // namespace

Status OpenStackProvider::SyncRules(const std::string& sg_id, const json& rules, engine::ApplyContext& ctx) {
  std::set<Rule> want;
  for (const json& rule : rules) {
    Rule base;
    base.protocol = Str(rule, "protocol", "tcp");
    std::string ports = Str(rule, "ports");
    if (base.protocol != "icmp" && !ports.empty()) {
      size_t dash = ports.find('-');
      base.min = std::stoi(ports.substr(0, dash));
      base.max = dash == std::string::npos ? base.min : std::stoi(ports.substr(dash + 1));
    } else if (base.protocol != "icmp") {
      base.min = 1;
      base.max = 65535;
    }
    json sources = rule.value("sources", json::array());
    json tags = rule.value("source_tags", json::array());
    if (sources.empty() && tags.empty()) sources = {"0.0.0.0/0"};
    for (const json& s : sources) {
      Rule x = base;
      x.remote_ip = s.get<std::string>();
      want.insert(x);
    }
    for (const json& t : tags) {
      Result<std::string> g = TierSecurityGroup(t.get<std::string>(), ctx);
      if (!g.ok()) return g.status();
      Rule x = base;
      x.remote_group = *g;
      want.insert(x);
    }
  }
  auto existing = network_->List("/security-group-rules?security_group_id=" + sg_id + "&direction=ingress",
                                 "security_group_rules");
  if (!existing.ok()) return existing.status();
  std::set<Rule> have;
  for (const json& r : *existing) {
    Rule x = FromNeutron(r);
    if (!want.count(x)) {
      Status st = network_->Delete("/security-group-rules/" + Str(r, "id"));
      if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("deleting a security group rule");
    }
    have.insert(x);
  }
  for (const Rule& x : want) {
    if (have.count(x)) continue;
    json body = {{"security_group_id", sg_id}, {"direction", "ingress"}, {"ethertype", "IPv4"}, {"protocol", x.protocol}};
    if (x.min >= 0) body["port_range_min"] = x.min;
    if (x.max >= 0) body["port_range_max"] = x.max;
    if (!x.remote_ip.empty()) body["remote_ip_prefix"] = x.remote_ip;
    if (!x.remote_group.empty()) body["remote_group_id"] = x.remote_group;
    // Neutron refuses a duplicate rule (409 SecurityGroupRuleExists), so a
    // re-sent create after a lost answer cannot duplicate it.
    for (int attempt = 0;; ++attempt) {
      http::SendOutcome o;
      Result<json> c = network_->Post("/security-group-rules", {{"security_group_rule", body}}, &o);
      if (c.ok() || c.status().IsConflict()) break;
      if (!Uncertain(c.status()) || attempt + 1 >= tuning_.create_attempts)
        return c.status().WithPrefix("creating a security group rule");
      ORCH_RETURN_IF_ERROR(Sleep(tuning_.poll_initial_ms, ctx));
    }
  }
  return Status::OK();
}

Status OpenStackProvider::DeleteFirewall(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  Status st = network_->Delete("/security-groups/" + prior.id);
  if (st.ok() || st.IsNotFound() || !st.IsConflict()) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    for (auto it = tier_groups_.begin(); it != tier_groups_.end();)
      it = it->second == prior.id ? tier_groups_.erase(it) : std::next(it);
    return st;
  }
  // Still in use by servers: drop the rules and the firewall's tags; the
  // group stays as the tier's membership group until the network goes.
  ORCH_RETURN_IF_ERROR(SyncRules(prior.id, json::array(), ctx));
  Result<json> g = network_->Get("/security-groups/" + prior.id);
  if (!g.ok()) return g.status();
  json keep = json::array();
  for (const json& t : (*g)["security_group"].value("tags", json::array())) {
    std::string s = t;
    if (s.rfind(std::string(model::kTagAddress) + "=", 0) != 0 && s.rfind(std::string(model::kTagTier) + "=", 0) != 0)
      keep.push_back(s);
  }
  return network_->Put("/security-groups/" + prior.id + "/tags", {{"tags", keep}}).status();
}

Result<ObservedResource> OpenStackProvider::CreateSshKey(const model::Resource& r, engine::ApplyContext& ctx) {
  const std::string raw_key = Str(r.attributes, "public_key");
  const std::string public_key(Trim(raw_key));
  auto lookup = [&]() -> Result<std::optional<json>> {
    Result<json> k = compute_->Get("/os-keypairs/" + UrlEncode(r.cloud_name));
    if (!k.ok()) {
      if (k.status().IsNotFound()) return std::optional<json>();
      return k.status();
    }
    return std::optional<json>((*k)["keypair"]);
  };
  json body = {{"keypair", {{"name", r.cloud_name}, {"public_key", public_key}, {"type", "ssh"}}}};
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = compute_->Post("/os-keypairs", body, o);
    if (!res.ok()) {
      if (res.status().IsConflict()) {  // it exists: ours from a lost answer, or someone else's
        Result<std::optional<json>> f = lookup();
        if (f.ok() && f->has_value()) return **f;
      }
      return res.status();
    }
    return (*res)["keypair"];
  };
  Result<json> k = CreateOnce("keypair " + r.cloud_name, lookup, post, true, ctx);
  if (!k.ok()) return k.status();
  const std::string raw_have = Str(*k, "public_key");
  const std::string have(Trim(raw_have));
  auto words = [](const std::string& s) {
    std::vector<std::string> w = Split(s, ' ');
    return w.size() >= 2 ? w[0] + " " + w[1] : s;
  };
  if (!have.empty() && words(have) != words(public_key))
    return Status::Conflict("keypair " + r.cloud_name + " exists with a different public key; delete it or rename the key");
  return Observed(r.cloud_name, r.cloud_name, {{"fingerprint", Str(*k, "fingerprint")}});
}

Result<std::string> OpenStackProvider::ImageId(const std::string& image) {
  if (LooksLikeUuid(image)) return image;
  auto l = image_->List("/v2/images?name=" + UrlEncode(image), "images");
  if (!l.ok()) return l.status().WithPrefix("looking up image '" + image + "'");
  for (const json& i : *l)
    if (Str(i, "status") == "active") return Str(i, "id");
  return Status::NotFound("no active Glance image named '" + image + "'");
}

Result<ObservedResource> OpenStackProvider::CreateImage(const model::Resource& r, engine::ApplyContext&) {
  std::string source = Str(r.attributes, "source");
  if (source.empty()) return Status::InvalidArgument("image has no source");
  if (LooksLikeUuid(source)) {  // a Packer-built image id
    Result<json> img = image_->Get("/v2/images/" + source);
    if (img.ok()) return Observed(source, Str(*img, "name"));
    if (!img.status().IsNotFound()) return img.status();
  }
  Result<std::string> id = ImageId(source);
  if (!id.ok()) return id.status();
  return Observed(*id, source);
}

Result<std::string> OpenStackProvider::FlavorId(const std::string& size) {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = flavors_.find(size);
    if (it != flavors_.end()) return it->second;
  }
  auto l = compute_->List("/flavors", "flavors");
  if (!l.ok()) return l.status().WithPrefix("listing flavors");
  std::lock_guard<std::mutex> lock(cache_mu_);
  std::string names;
  for (const json& f : *l) {
    flavors_[Str(f, "name")] = Str(f, "id");
    flavors_[Str(f, "id")] = Str(f, "id");
    names += (names.empty() ? "" : ", ") + Str(f, "name");
  }
  auto it = flavors_.find(size);
  if (it == flavors_.end()) return Status::InvalidArgument("no flavor '" + size + "' (the cloud has: " + names + ")");
  return it->second;
}

}  // namespace orch::providers::openstack
