// In-place updates: what Diff lets through as kUpdate, and Update.
#include <algorithm>
#include <set>

#include "providers/digitalocean/do_provider.h"
#include "providers/digitalocean/drift.h"
#include "providers/digitalocean/tags.h"

namespace orch::providers::digitalocean {

using common::RestResponse;
using common::UrlEncode;
using plan::DiffDecision;
using engine::ObservedResource;
using nlohmann::json;

namespace {

// Attributes each kind can change in place; any other change replaces.
const std::set<std::string>& UpdatableKeys(model::Kind kind) {
  static const std::set<std::string> kNone;
  static const std::set<std::string> kInstance = {"size", "target_tag", "group"};
  static const std::set<std::string> kVolume = {"size_gb", "instance", "instance_id"};  // growth only, see Diff
  static const std::set<std::string> kFloatingIp = {"instance", "instance_id"};
  static const std::set<std::string> kFirewall = {"rules", "target_tag"};
  static const std::set<std::string> kLoadBalancer = {"listeners", "health_check", "targets"};
  switch (kind) {
    case model::Kind::kInstance: return kInstance;
    case model::Kind::kVolume: return kVolume;
    case model::Kind::kFloatingIp: return kFloatingIp;
    case model::Kind::kFirewall: return kFirewall;
    case model::Kind::kLoadBalancer: return kLoadBalancer;
    default: return kNone;
  }
}

json Normalised(const json& attributes, model::Kind kind) {
  json j = attributes.is_object() ? attributes : json::object();
  if (kind == model::Kind::kLoadBalancer && j.contains("targets") && j["targets"].is_object())
    j["targets"].erase("private_ips");
  if (kind == model::Kind::kLoadBalancer && j.contains("listeners")) j["listeners"] = CanonicalListeners(j["listeners"]);
  if (kind == model::Kind::kLoadBalancer && j.contains("health_check"))
    j["health_check"] = CanonicalHealthCheck(j["health_check"]);
  if (kind == model::Kind::kFirewall && j.contains("rules")) j["rules"] = CanonicalFirewallRules(j["rules"]);
  return j;
}

int64_t SizeGb(const json& a) { return a.contains("size_gb") && a["size_gb"].is_number() ? a["size_gb"].get<int64_t>() : 0; }

}  // namespace

DiffDecision DigitalOceanProvider::Diff(const model::Resource& desired, const state::ResourceState& prior) const {
  const model::Kind kind = desired.address.kind;
  json d = Normalised(desired.attributes, kind), p = Normalised(prior.attributes, kind);
  if (d == p) return DiffDecision::kNoop;
  if (prior.id.empty()) return DiffDecision::kReplace;
  const std::set<std::string>& updatable = UpdatableKeys(kind);
  std::set<std::string> keys;
  for (auto it = d.begin(); it != d.end(); ++it) keys.insert(it.key());
  for (auto it = p.begin(); it != p.end(); ++it) keys.insert(it.key());
  for (const std::string& k : keys) {
    json dv = d.contains(k) ? d[k] : json(), pv = p.contains(k) ? p[k] : json();
    if (dv == pv) continue;
    if (!updatable.count(k)) return DiffDecision::kReplace;
  }
  if (kind == model::Kind::kVolume && SizeGb(d) < SizeGb(p)) return DiffDecision::kReplace;  // volumes only grow
  if (kind == model::Kind::kLoadBalancer) {
    // The region and VPC are fixed; targets.tier is only bookkeeping.
    json dt = d.value("targets", json::object()), pt = p.value("targets", json::object());
    dt.erase("tag");
    pt.erase("tag");
    if (dt != pt) return DiffDecision::kReplace;
  }
  return DiffDecision::kUpdate;
}

Result<ObservedResource> DigitalOceanProvider::Update(const model::Resource& r, const state::ResourceState& prior,
                                                      engine::ApplyContext& ctx) {
  if (!rest_) return Status::Internal("digitalocean provider used before Configure");
  if (prior.id.empty()) return Status::InvalidArgument(r.address.ToString() + ": no recorded id to update");
  Result<ObservedResource> res = Status::NotSupported("");
  switch (r.address.kind) {
    case model::Kind::kInstance: res = UpdateInstance(r, prior, ctx); break;
    case model::Kind::kVolume: res = UpdateVolume(r, prior, ctx); break;
    case model::Kind::kFloatingIp: res = UpdateFloatingIp(r, prior, ctx); break;
    case model::Kind::kFirewall: {
      Result<json> body = FirewallBody(r);
      if (!body.ok()) return body.status().WithPrefix(r.address.ToString());
      Result<RestResponse> put = rest_->Call("PUT", "/firewalls/" + prior.id, *body);
      if (!put.ok()) {
        res = put.status();
        break;
      }
      ObservedResource o;
      o.id = prior.id;
      o.cloud_name = prior.cloud_name;
      o.outputs = {{"id", prior.id}};
      res = o;
      break;
    }
    case model::Kind::kLoadBalancer: {
      Result<json> body = LoadBalancerBody(r);
      if (!body.ok()) return body.status().WithPrefix(r.address.ToString());
      (*body)["name"] = prior.cloud_name.empty() ? r.cloud_name : prior.cloud_name;
      Result<RestResponse> put = rest_->Call("PUT", "/load_balancers/" + prior.id, *body);
      if (!put.ok()) {
        res = put.status();
        break;
      }
      const json& lb = put->body.value("load_balancer", json::object());
      ObservedResource o;
      o.id = prior.id;
      o.cloud_name = Str(lb, "name", prior.cloud_name);
      std::string ip = Str(lb, "ip");
      if (ip.empty() && prior.outputs.is_object()) ip = prior.outputs.value("ip", "");
      o.outputs = {{"id", prior.id}, {"ip", ip}};
      res = o;
      break;
    }
    default:
      return Status::NotSupported(r.address.ToString() + ": " + std::string(model::KindName(r.address.kind)) +
                                  " cannot be updated in place on DigitalOcean; it is replaced");
  }
  if (!res.ok()) return res.status().WithPrefix(r.address.ToString() + ": updating in place");
  res->address = r.address.ToString();
  res->kind = std::string(model::KindName(r.address.kind));
  if (res->tags.empty()) res->tags = prior.tags.empty() ? r.tags : prior.tags;
  if (res->cloud_name.empty()) res->cloud_name = prior.cloud_name;
  res->outputs["id"] = res->id;
  return res;
}

Status DigitalOceanProvider::DropletAction(const std::string& id, const json& action,
                                           const std::function<bool(const json&)>& done, engine::ApplyContext& ctx) {
  const std::string what = "droplet " + id + " action " + Str(action, "type");
  int64_t backoff = tuning_.poll_initial_ms;
  const int64_t start = env_.clock->MonotonicMicros();
  for (;;) {
    Result<json> d = rest_->Get("/droplets/" + id);
    if (!d.ok()) return d.status();
    if (done((*d)["droplet"])) return Status::OK();
    http::SendOutcome o;
    Result<json> act = rest_->Post("/droplets/" + id + "/actions", action, &o);
    if (act.ok()) {
      if (ctx.progress) ctx.progress("waiting for " + what);
      ORCH_RETURN_IF_ERROR(WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx, what));
      continue;  // check the result
    }
    if (!Uncertain(act.status()) && !act.status().IsConflict()) return act.status().WithPrefix(what);
    if ((env_.clock->MonotonicMicros() - start) / 1000 > tuning_.action_timeout_ms) return act.status();
    ORCH_RETURN_IF_ERROR(Sleep(backoff, ctx));
    backoff = std::min(backoff * 2, tuning_.poll_max_ms);
  }
}

Status DigitalOceanProvider::TagResource(const std::string& tag, const std::string& id, const std::string& type,
                                         bool add) {
  if (add) ORCH_RETURN_IF_ERROR(EnsureTags({tag}));
  json body = {{"resources", {{{"resource_id", id}, {"resource_type", type}}}}};
  Status last;
  for (int attempt = 0; attempt < tuning_.create_attempts; ++attempt) {
    http::SendOutcome o;
    Result<RestResponse> r = rest_->Call(add ? "POST" : "DELETE", "/tags/" + UrlEncode(tag) + "/resources", body, &o);
    if (r.ok() || (!add && r.status().IsNotFound())) return Status::OK();
    last = r.status();
    if (!Uncertain(last)) return last;  // tagging twice is harmless: just send again
  }
  return last;
}

Result<ObservedResource> DigitalOceanProvider::UpdateInstance(const model::Resource& r, const state::ResourceState& prior,
                                                              engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  const json& p = prior.attributes;
  const std::string& id = prior.id;
  std::string size = Str(a, "size");
  if (!size.empty() && size != Str(p, "size")) {
    // DigitalOcean resizes a powered-off droplet: this reboots it. The disk
    // is left as it is (disk: false), so the size can go back down later.
    if (ctx.progress) ctx.progress("resizing droplet " + id + " to " + size + " (power off, resize, power on)");
    ORCH_RETURN_IF_ERROR(DropletAction(id, {{"type", "power_off"}}, [&](const json& d) {
      return Str(d, "status") == "off" || Str(d, "size_slug") == size;
    }, ctx));
    ORCH_RETURN_IF_ERROR(DropletAction(id, {{"type", "resize"}, {"size", size}, {"disk", false}},
                                       [&](const json& d) { return Str(d, "size_slug") == size; }, ctx));
    ORCH_RETURN_IF_ERROR(DropletAction(id, {{"type", "power_on"}},
                                       [&](const json& d) { return Str(d, "status") == "active"; }, ctx));
  }
  std::string tag = Str(a, "target_tag"), old_tag = Str(p, "target_tag");
  if (tag != old_tag) {
    if (!tag.empty()) ORCH_RETURN_IF_ERROR(TagResource(tag, id, "droplet", true));
    if (!old_tag.empty()) ORCH_RETURN_IF_ERROR(TagResource(old_tag, id, "droplet", false));
  }
  Result<json> d = rest_->Get("/droplets/" + id);
  if (!d.ok()) return d.status();
  ObservedResource o = ObserveDroplet((*d)["droplet"]);
  o.address = r.address.ToString();
  o.tags = prior.tags.empty() ? r.tags : prior.tags;
  return o;
}

Result<ObservedResource> DigitalOceanProvider::UpdateVolume(const model::Resource& r, const state::ResourceState& prior,
                                                            engine::ApplyContext& ctx) {
  const int64_t size = SizeGb(r.attributes);
  const std::string region = Str(r.attributes, "region", config_.region);
  const std::string droplet = Str(r.attributes, "instance_id");
  if (droplet != Str(prior.attributes, "instance_id")) {
    // Moved to another droplet (its droplet was replaced): keep the data.
    if (ctx.progress) ctx.progress("moving volume " + prior.cloud_name + " to droplet " + droplet);
    ORCH_RETURN_IF_ERROR(DetachVolume(prior.id, prior.cloud_name, droplet, ctx));
    if (!droplet.empty()) ORCH_RETURN_IF_ERROR(AttachVolume(prior.id, prior.cloud_name, droplet, region, ctx));
  }
  int64_t backoff = tuning_.poll_initial_ms;
  for (int attempt = 0; attempt < tuning_.create_attempts * 2; ++attempt) {
    Result<json> v = rest_->Get("/volumes/" + prior.id);
    if (!v.ok()) return v.status();
    if ((*v)["volume"].value("size_gigabytes", int64_t{0}) >= size) {
      ObservedResource o;
      o.id = prior.id;
      o.cloud_name = prior.cloud_name;
      o.outputs = prior.outputs.is_object() ? prior.outputs : json::object();
      return o;
    }
    http::SendOutcome o;
    Result<json> act = rest_->Post("/volumes/" + prior.id + "/actions",
                                   {{"type", "resize"}, {"size_gigabytes", size}, {"region", region}}, &o);
    if (act.ok()) {
      ORCH_RETURN_IF_ERROR(WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx,
                                      "volume " + prior.cloud_name + " to grow to " + std::to_string(size) + " GB"));
      continue;
    }
    if (!Uncertain(act.status()) && !act.status().IsConflict()) return act.status().WithPrefix("resizing volume");
    ORCH_RETURN_IF_ERROR(Sleep(backoff, ctx));
    backoff = std::min(backoff * 2, tuning_.poll_max_ms);
  }
  return Status::Transient("volume " + prior.cloud_name + " did not grow to " + std::to_string(size) + " GB");
}

Result<ObservedResource> DigitalOceanProvider::UpdateFloatingIp(const model::Resource& r,
                                                                const state::ResourceState& prior,
                                                                engine::ApplyContext& ctx) {
  const std::string droplet = Str(r.attributes, "instance_id");
  if (droplet.empty()) return Status::InvalidArgument("a reserved IP is only moved to a droplet, not unassigned");
  Status st = RetryBusy(
      [&]() -> Status {
        Result<json> ip = rest_->Get("/reserved_ips/" + prior.id);
        if (!ip.ok()) return ip.status();
        const json& rip = (*ip)["reserved_ip"];
        if (rip.contains("droplet") && rip["droplet"].is_object() && IdText(rip["droplet"].value("id", json())) == droplet)
          return Status::OK();
        http::SendOutcome o;
        Result<json> act = rest_->Post("/reserved_ips/" + prior.id + "/actions",
                                       {{"type", "assign"}, {"droplet_id", NumericOrString(droplet)}}, &o);
        if (act.ok()) {
          return WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx,
                            "reserved IP " + prior.id + " to move to droplet " + droplet);
        }
        if (Uncertain(act.status())) return Status::Conflict("check the assignment after an uncertain answer");
        return act.status();
      },
      ctx, "reserved IP " + prior.id);
  if (!st.ok()) return st;
  ObservedResource o;
  o.id = prior.id;
  o.cloud_name = prior.cloud_name;
  o.outputs = {{"id", prior.id}, {"ip", prior.id}};
  return o;
}

}  // namespace orch::providers::digitalocean
