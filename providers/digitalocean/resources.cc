// Networks (VPCs), SSH keys, images, volumes, reserved IPs, firewalls and
// load balancers.
#include <algorithm>

#include "providers/common/observed.h"
#include "providers/digitalocean/do_provider.h"
#include "providers/digitalocean/tags.h"

namespace orch::providers::digitalocean {

using common::Observed;
using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

namespace {

std::string Region(const json& a, const engine::ProviderConfig& c) {
  std::string r = Str(a, "region");
  return r.empty() ? c.region : r;
}

}  // namespace

// `existing: NAME or id`: a VPC the account already has (VPC names are
// unique per account), in the provider's region; never created or deleted.
Result<ObservedResource> DigitalOceanProvider::LookupVpc(const model::Resource& r) {
  const std::string want = Str(r.attributes, "existing");
  const std::string region = Region(r.attributes, config_);
  auto l = rest_->List("/vpcs", "vpcs");
  if (!l.ok()) return l.status().WithPrefix("listing VPCs");
  for (const json& v : *l) {
    if (Str(v, "id") != want && Str(v, "name") != want) continue;
    if (Str(v, "region") != region)
      return Status::InvalidArgument("VPC '" + want + "' is in region " + Str(v, "region") + ", but provider '" +
                                     config_.name + "' deploys to " + region +
                                     "; droplets can only join a VPC of their own region");
    return Observed(Str(v, "id"), Str(v, "name"), {{"ip_range", Str(v, "ip_range")}});
  }
  return Status::NotFound("no VPC '" + want + "' in the account of provider '" + config_.name +
                          "'; list them with `doctl vpcs list`");
}

Result<ObservedResource> DigitalOceanProvider::CreateNetwork(const model::Resource& r, engine::ApplyContext& ctx) {
  if (r.attributes.value("lookup", json(false)) == json(true)) return LookupVpc(r);
  json body = {{"name", r.cloud_name}, {"region", Region(r.attributes, config_)},
               {"description", DeploymentTag(config_.deployment) + " " + AddressTag(r.address.ToString())}};
  if (!Str(r.attributes, "cidr").empty()) body["ip_range"] = Str(r.attributes, "cidr");
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = rest_->List("/vpcs", "vpcs");
    if (!l.ok()) return l.status();
    for (json& v : *l)
      if (Str(v, "name") == r.cloud_name) return std::optional<json>(std::move(v));
    return std::optional<json>();
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = rest_->Post("/vpcs", body, o);
    if (!res.ok()) return res.status();
    return (*res)["vpc"];
  };
  Result<json> v = CreateOnce("VPC " + r.cloud_name, lookup, post, ctx.attempt > 1, ctx);
  if (!v.ok()) return v.status();
  return Observed(Str(*v, "id"), r.cloud_name);
}

Result<ObservedResource> DigitalOceanProvider::CreateSshKey(const model::Resource& r, engine::ApplyContext& ctx) {
  std::string public_key = Str(r.attributes, "public_key");
  std::string fp = SshFingerprint(public_key);
  if (fp.empty()) return Status::InvalidArgument("public_key is not an OpenSSH public key line");
  auto lookup = [&]() -> Result<std::optional<json>> {
    Result<json> k = rest_->Get("/account/keys/" + fp);
    if (!k.ok()) {
      if (k.status().IsNotFound()) return std::optional<json>();
      return k.status();
    }
    return std::optional<json>((*k)["ssh_key"]);
  };
  // Reuse by fingerprint: DO refuses a second key with the same one.
  Result<std::optional<json>> existing = lookup();
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    const json& k = **existing;
    bool reused = Str(k, "name") != r.cloud_name;
    return Observed(IdText(k["id"]), Str(k, "name"), {{"fingerprint", fp}, {"reused", reused}});
  }
  json body = {{"name", r.cloud_name}, {"public_key", public_key}};
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = rest_->Post("/account/keys", body, o);
    if (!res.ok()) return res.status();
    return (*res)["ssh_key"];
  };
  Result<json> k = CreateOnce("SSH key " + r.cloud_name, lookup, post, false, ctx);
  if (!k.ok()) return k.status();
  return Observed(IdText((*k)["id"]), r.cloud_name, {{"fingerprint", fp}});
}

Result<ObservedResource> DigitalOceanProvider::CreateImage(const model::Resource& r, engine::ApplyContext&) {
  std::string source = Str(r.attributes, "source");
  if (source.empty()) return Status::InvalidArgument("image has no source");
  // A slug or numeric id first (distribution images, Packer snapshot ids)...
  Result<json> img = rest_->Get("/images/" + UrlEncode(source));
  if (img.ok()) {
    const json& i = (*img)["image"];
    return Observed(IdText(i["id"]), Str(i, "name"), {{"slug", Str(i, "slug")}});
  }
  if (!img.status().IsNotFound()) return img.status();
  // ...then a private snapshot by name.
  auto l = rest_->List("/images?private=true", "images");
  if (!l.ok()) return l.status();
  for (const json& i : *l)
    if (Str(i, "name") == source) return Observed(IdText(i["id"]), source);
  return Status::NotFound("no DigitalOcean image with slug, id or snapshot name '" + source + "'");
}

Result<ObservedResource> DigitalOceanProvider::CreateVolume(const model::Resource& r, engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  const std::string region = Region(a, config_);
  json body = {{"name", r.cloud_name}, {"region", region}, {"tags", EncodeTags(r.tags)}};
  body["size_gigabytes"] = a.contains("size_gb") && a["size_gb"].is_number() ? a["size_gb"].get<int64_t>() : 10;
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = rest_->List("/volumes?name=" + UrlEncode(r.cloud_name) + "&region=" + UrlEncode(region), "volumes");
    if (!l.ok()) return l.status();
    if (l->empty()) return std::optional<json>();
    return std::optional<json>((*l)[0]);
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = rest_->Post("/volumes", body, o);
    if (!res.ok()) {
      if (res.status().IsConflict()) {  // same name: ours from a lost answer
        auto found = lookup();
        if (found.ok() && found->has_value()) return **found;
      }
      return res.status();
    }
    return (*res)["volume"];
  };
  Result<json> v = CreateOnce("volume " + r.cloud_name, lookup, post, ctx.attempt > 1, ctx);
  if (!v.ok()) return v.status();
  const std::string id = Str(*v, "id");
  ObservedResource out = Observed(id, r.cloud_name, {{"name", r.cloud_name}});

  std::string droplet = Str(a, "instance_id");
  if (droplet.empty()) return out;
  ORCH_RETURN_IF_ERROR(AttachVolume(id, r.cloud_name, droplet, region, ctx, &*v));
  return out;
}

static bool AttachedTo(const json& vol, const std::string& droplet) {
  if (!vol.contains("droplet_ids") || !vol["droplet_ids"].is_array()) return false;
  for (const auto& d : vol["droplet_ids"])
    if (IdText(d) == droplet) return true;
  return false;
}

Status DigitalOceanProvider::AttachVolume(const std::string& id, const std::string& name, const std::string& droplet,
                                          const std::string& region, engine::ApplyContext& ctx, const json* known) {
  json action = {{"type", "attach"}, {"droplet_id", NumericOrString(droplet)}, {"region", region}};
  for (int attempt = 0; attempt < tuning_.create_attempts; ++attempt) {
    if (attempt == 0 && known) {
      if (AttachedTo(*known, droplet)) return Status::OK();
    } else {
      Result<json> now = rest_->Get("/volumes/" + id);
      if (!now.ok()) return now.status();
      if (AttachedTo((*now)["volume"], droplet)) return Status::OK();
    }
    http::SendOutcome o;
    Result<json> act = rest_->Post("/volumes/" + id + "/actions", action, &o);
    if (act.ok()) {
      std::string aid = IdText((*act)["action"]["id"]);
      if (ctx.record_operation) ctx.record_operation("action:" + aid);
      return WaitAction("/actions/" + aid, ctx, "volume " + name + " to attach");
    }
    if (!Uncertain(act.status()) && !act.status().IsConflict()) return act.status().WithPrefix("attaching volume");
    ORCH_RETURN_IF_ERROR(Sleep(tuning_.poll_initial_ms * (attempt + 1), ctx));
  }
  return Status::Transient("attaching volume " + name + " kept failing");
}

Status DigitalOceanProvider::DetachVolume(const std::string& id, const std::string& name, const std::string& keep,
                                          engine::ApplyContext& ctx) {
  // Re-reads the volume after an uncertain answer: a detach that never
  // arrived must be sent again.
  for (int round = 0; round < tuning_.create_attempts * 2; ++round) {
    Result<json> v = rest_->Get("/volumes/" + id);
    if (!v.ok()) return v.status();
    const json& vol = (*v)["volume"];
    std::string region = vol.contains("region") ? Str(vol["region"], "slug") : config_.region;
    json others = json::array();
    for (const auto& d : vol.value("droplet_ids", json::array()))
      if (IdText(d) != keep) others.push_back(d);
    if (others.empty()) return Status::OK();
    for (const auto& d : others) {
      json action = {{"type", "detach"}, {"droplet_id", d}, {"region", region}};
      http::SendOutcome o;
      Result<json> act = rest_->Post("/volumes/" + id + "/actions", action, &o);
      if (act.ok()) {
        ORCH_RETURN_IF_ERROR(WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx, "volume " + name + " to detach"));
      } else if (!Uncertain(act.status()) && !act.status().IsNotFound() && !act.status().IsConflict() &&
                 act.status().code() != StatusCode::kInvalidArgument) {
        return act.status().WithPrefix("detaching volume");
      } else {
        ORCH_RETURN_IF_ERROR(Sleep(tuning_.poll_initial_ms, ctx));
      }
    }
  }
  return Status::OK();  // the delete that follows retries while it is still attached
}

Status DigitalOceanProvider::DeleteVolume(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  ORCH_RETURN_IF_ERROR(DetachVolume(prior.id, prior.cloud_name, "", ctx));
  return RetryBusy([&] { return rest_->Delete("/volumes/" + prior.id); }, ctx, "volume " + prior.cloud_name);
}

Result<ObservedResource> DigitalOceanProvider::CreateFloatingIp(const model::Resource& r, engine::ApplyContext& ctx) {
  std::string droplet = Str(r.attributes, "instance_id");
  json body = json::object();
  if (!droplet.empty()) body["droplet_id"] = NumericOrString(droplet);
  else body["region"] = Region(r.attributes, config_);
  auto lookup = [&]() -> Result<std::optional<json>> {
    if (droplet.empty()) return std::optional<json>();
    auto l = rest_->List("/reserved_ips", "reserved_ips");
    if (!l.ok()) return l.status();
    for (json& ip : *l)
      if (ip.contains("droplet") && ip["droplet"].is_object() && IdText(ip["droplet"].value("id", json())) == droplet)
        return std::optional<json>(std::move(ip));
    return std::optional<json>();
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = rest_->Post("/reserved_ips", body, o);
    if (!res.ok()) return res.status();
    return (*res)["reserved_ip"];
  };
  Result<json> ip = CreateOnce("reserved IP for droplet " + droplet, lookup, post, !droplet.empty(), ctx);
  if (!ip.ok()) return ip.status();
  std::string addr = Str(*ip, "ip");
  return Observed(addr, addr, {{"ip", addr}});
}

Status DigitalOceanProvider::DeleteFloatingIp(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  Result<json> ip = rest_->Get("/reserved_ips/" + prior.id);
  if (!ip.ok()) return ip.status();
  const json& rip = (*ip)["reserved_ip"];
  if (rip.contains("droplet") && rip["droplet"].is_object()) {
    Status st = RetryBusy(
        [&]() -> Status {
          http::SendOutcome o;
          Result<json> act = rest_->Post("/reserved_ips/" + prior.id + "/actions", {{"type", "unassign"}}, &o);
          if (act.ok()) return WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx, "reserved IP to unassign");
          if (Uncertain(act.status())) return Status::Conflict("retrying unassign");
          return act.status();
        },
        ctx, "reserved IP " + prior.id);
    if (!st.ok() && !st.IsNotFound() && st.code() != StatusCode::kInvalidArgument) return st;
  }
  return RetryBusy([&] { return rest_->Delete("/reserved_ips/" + prior.id); }, ctx, "reserved IP " + prior.id);
}

static json FirewallRule(const json& rule) {
  std::string protocol = Str(rule, "protocol", "tcp");
  json out = {{"protocol", protocol}};
  std::string ports = Str(rule, "ports");
  if (protocol != "icmp") out["ports"] = ports.empty() ? "all" : ports;
  json sources = json::object();
  json addresses = rule.value("sources", json::array());
  json tags = rule.value("source_tags", json::array());
  if (addresses.empty() && tags.empty()) addresses = {"0.0.0.0/0", "::/0"};
  if (!addresses.empty()) sources["addresses"] = addresses;
  if (!tags.empty()) sources["tags"] = tags;
  out["sources"] = sources;
  return out;
}

Result<json> DigitalOceanProvider::FirewallBody(const model::Resource& r) {
  const json& a = r.attributes;
  std::string target = Str(a, "target_tag");
  std::vector<std::string> needed;
  if (!target.empty()) needed.push_back(target);
  json inbound = json::array();
  if (a.contains("rules") && a["rules"].is_array())
    for (const auto& rule : a["rules"]) {
      inbound.push_back(FirewallRule(rule));
      for (const auto& t : rule.value("source_tags", json::array()))
        if (t.is_string()) needed.push_back(t);
    }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  ORCH_RETURN_IF_ERROR(EnsureTags(needed));
  json everywhere = {{"addresses", {"0.0.0.0/0", "::/0"}}};
  json outbound = json::array({{{"protocol", "tcp"}, {"ports", "all"}, {"destinations", everywhere}},
                               {{"protocol", "udp"}, {"ports", "all"}, {"destinations", everywhere}},
                               {{"protocol", "icmp"}, {"destinations", everywhere}}});
  json body = {{"name", r.cloud_name}, {"inbound_rules", inbound}, {"outbound_rules", outbound}};
  if (!target.empty()) body["tags"] = {target};
  return body;
}

Result<ObservedResource> DigitalOceanProvider::CreateFirewall(const model::Resource& r, engine::ApplyContext& ctx) {
  Result<json> made = FirewallBody(r);
  if (!made.ok()) return made.status();
  const json& body = *made;
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = rest_->List("/firewalls", "firewalls");
    if (!l.ok()) return l.status();
    for (json& f : *l)
      if (Str(f, "name") == r.cloud_name) return std::optional<json>(std::move(f));
    return std::optional<json>();
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = rest_->Post("/firewalls", body, o);
    if (!res.ok()) return res.status();
    return (*res)["firewall"];
  };
  Result<json> f = CreateOnce("firewall " + r.cloud_name, lookup, post, ctx.attempt > 1, ctx);
  if (!f.ok()) return f.status();
  return Observed(Str(*f, "id"), r.cloud_name);
}

Result<json> DigitalOceanProvider::LoadBalancerBody(const model::Resource& r) {
  const json& a = r.attributes;
  json rules = json::array();
  for (const auto& l : a.value("listeners", json::array())) {
    std::string proto = Str(l, "protocol", "http");
    rules.push_back({{"entry_protocol", proto},
                     {"entry_port", l.value("port", 80)},
                     {"target_protocol", Str(l, "target_protocol", proto)},
                     {"target_port", l.value("target_port", l.value("port", 80))}});
  }
  json body = {{"name", r.cloud_name}, {"region", Region(a, config_)}, {"forwarding_rules", rules}};
  if (a.contains("health_check") && a["health_check"].is_object()) {
    const json& h = a["health_check"];
    json hc = json::object();
    if (!Str(h, "protocol").empty()) hc["protocol"] = Str(h, "protocol");
    if (h.value("port", 0) > 0) hc["port"] = h["port"];
    if (!Str(h, "path").empty() && Str(h, "protocol") != "tcp") hc["path"] = Str(h, "path");
    if (h.value("interval_s", 0) > 0) hc["check_interval_seconds"] = h["interval_s"];
    if (h.value("timeout_s", 0) > 0) hc["response_timeout_seconds"] = h["timeout_s"];
    if (h.value("healthy_threshold", 0) > 0) hc["healthy_threshold"] = h["healthy_threshold"];
    if (h.value("unhealthy_threshold", 0) > 0) hc["unhealthy_threshold"] = h["unhealthy_threshold"];
    body["health_check"] = hc;
  }
  std::string tag = a.contains("targets") ? Str(a["targets"], "tag") : "";
  if (!tag.empty()) {
    ORCH_RETURN_IF_ERROR(EnsureTags({tag}));
    body["tag"] = tag;
  }
  if (!Str(a, "network").empty()) body["vpc_uuid"] = Str(a, "network");
  return body;
}

Result<ObservedResource> DigitalOceanProvider::CreateLoadBalancer(const model::Resource& r, engine::ApplyContext& ctx) {
  Result<json> made = LoadBalancerBody(r);
  if (!made.ok()) return made.status();
  const json& body = *made;
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = rest_->List("/load_balancers", "load_balancers");
    if (!l.ok()) return l.status();
    for (json& lb : *l)
      if (Str(lb, "name") == r.cloud_name) return std::optional<json>(std::move(lb));
    return std::optional<json>();
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = rest_->Post("/load_balancers", body, o);
    if (!res.ok()) return res.status();
    return (*res)["load_balancer"];
  };
  Result<json> lb = CreateOnce("load balancer " + r.cloud_name, lookup, post, ctx.attempt > 1, ctx);
  if (!lb.ok()) return lb.status();
  const std::string id = Str(*lb, "id");
  if (ctx.record_operation) ctx.record_operation("load_balancer:" + id);
  json last = *lb;
  common::PollOptions o;
  o.initial_interval_ms = tuning_.poll_initial_ms;
  o.max_interval_ms = tuning_.poll_max_ms;
  o.timeout_ms = tuning_.lb_timeout_ms;
  o.cancelled = ctx.cancelled;
  o.what = "load balancer " + r.cloud_name + " to become active";
  if (ctx.progress) ctx.progress("waiting for " + o.what);
  Status st = common::Poll(env_.clock, o, [&]() -> Result<bool> {
    if (Str(last, "status") == "active" && !Str(last, "ip").empty()) return true;
    Result<json> g = rest_->Get("/load_balancers/" + id);
    if (!g.ok()) return g.status();
    last = (*g)["load_balancer"];
    if (Str(last, "status") == "errored") return Status::Internal("load balancer " + id + " errored");
    return Str(last, "status") == "active" && !Str(last, "ip").empty();
  });
  if (!st.ok()) return st;
  return Observed(id, r.cloud_name, {{"ip", Str(last, "ip")}});
}

}  // namespace orch::providers::digitalocean
