// Load balancers: network load balancing (legacy HTTP health check, target
// pool fed by the tier's group, reserved address, forwarding rules).
#include "providers/gce/api.h"

#include <algorithm>

#include "model/expand.h"

namespace orch::providers::gce {

using common::AttributeSpec;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

namespace {

json WithoutMissing(const json& attributes) {
  json out = attributes;
  if (out.is_object() && out.contains("targets") && out["targets"].is_object()) out["targets"].erase("missing");
  return out;
}

// The legacy HTTP health check's fields for a neutral health_check (what
// create sends, defaults filled in).
json HealthCheckFields(const json& hc) {
  const json h = hc.is_object() ? hc : json::object();
  return {{"port", h.value("port", json(80))},
          {"requestPath", Str(h, "path", "/")},
          {"checkIntervalSec", h.value("interval_s", json(5))},
          {"timeoutSec", h.value("timeout_s", json(5))},
          {"healthyThreshold", h.value("healthy_threshold", json(2))},
          {"unhealthyThreshold", h.value("unhealthy_threshold", json(2))}};
}

// The health check as GCE makes it: its protocol is always HTTP, so only
// the fields it carries are compared.
json WithCanonicalHealthCheck(const json& attributes) {
  json out = attributes;
  if (out.is_object() && out.contains("health_check")) out["health_check"] = HealthCheckFields(out["health_check"]);
  return out;
}

}  // namespace

std::vector<json> GroupMembers(const std::vector<json>& instances, const std::string& group_name) {
  std::vector<json> out;
  for (const json& m : instances) {
    if (!m.is_object()) continue;
    std::string name = Str(m, "name");
    if (name.rfind(group_name + "-", 0) != 0 || name.size() != group_name.size() + 5) continue;
    if (m.contains("labels") && m["labels"].is_object() && m["labels"].contains(std::string(model::kTagAddress)))
      continue;
    out.push_back(m);
  }
  return out;
}

json LiveTargets(const std::string& tier, const json& pool, const std::string& group_name,
                 const std::vector<json>& instances) {
  json targets = {{"tier", tier}, {"tag", group_name}};
  std::vector<std::string> in_pool;
  for (const json& i : common::StringItems(pool.is_object() ? pool.value("instances", json::array()) : json::array()))
    in_pool.push_back(RelativeLink(i.get<std::string>()));
  json missing = json::array();
  for (const json& m : GroupMembers(instances, group_name)) {
    std::string status = Str(m, "status");
    if (!status.empty() && status != "RUNNING") continue;  // still joining, or on its way out
    if (std::find(in_pool.begin(), in_pool.end(), RelativeLink(Str(m, "selfLink"))) == in_pool.end())
      missing.push_back(Str(m, "name"));
  }
  if (!missing.empty()) {
    std::sort(missing.begin(), missing.end());
    targets["missing"] = missing;
  }
  return targets;
}

json LiveHealthCheck(const json& check) {
  if (!check.is_object()) return json::object();
  return {{"protocol", "http"},
          {"port", check.value("port", json(80))},
          {"path", Str(check, "requestPath", "/")},
          {"interval_s", check.value("checkIntervalSec", json(5))},
          {"timeout_s", check.value("timeoutSec", json(5))},
          {"healthy_threshold", check.value("healthyThreshold", json(2))},
          {"unhealthy_threshold", check.value("unhealthyThreshold", json(2))}};
}

plan::DiffDecision DiffLoadBalancer(const json& desired, const json& prior) {
  if (desired == prior) return plan::DiffDecision::kNoop;
  json d = WithCanonicalHealthCheck(desired), p = WithCanonicalHealthCheck(prior);
  if (d == p) return plan::DiffDecision::kNoop;
  // Members taken out of the pool are put back and the health check is
  // patched; any other change makes a new load balancer.
  json dr = WithoutMissing(d), pr = WithoutMissing(p);
  if (dr.is_object() && pr.is_object()) {
    dr.erase("health_check");
    pr.erase("health_check");
  }
  if (dr == pr) return plan::DiffDecision::kUpdate;
  return plan::DiffDecision::kReplace;
}

namespace {

class LoadBalancerHandler final : public GceHandler {
 public:
  using GceHandler::GceHandler;
  model::Kind kind() const override { return model::Kind::kLoadBalancer; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
      {"targets", true, OnChange::kInPlace, "members of the group taken out of the pool: `POST regions/{region}/targetPools/{name}/addInstance`; another group: replace"},
      {"listeners", false, OnChange::kReplace, "a new load balancer"},
      {"health_check", true, OnChange::kInPlace, "`PATCH global/httpHealthChecks/{name}` (the fields that differ; GCE's check is always HTTP)"},
      {"region", false, OnChange::kReplace, "a new load balancer"},
      {"network", false, OnChange::kReplace, "a new load balancer"},
    };
  }
  void Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const override;
  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override {
    return DiffLoadBalancer(desired.attributes, prior.attributes);
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;
};

}  // namespace

void LoadBalancerHandler::Validate(const model::Resource& resource, const SourceRange& where,
                                   Diagnostics* diags) const {
  if (!resource.attributes.contains("listeners")) return;
  for (const json& l : resource.attributes["listeners"]) {
    if (l.value("port", 0) != l.value("target_port", 0))
      diags->Error(where, resource.address.ToString() +
                              ": GCE network load balancing passes traffic through unchanged, so a listener's "
                              "port must equal its target_port (" +
                              std::to_string(l.value("port", 0)) + " != " + std::to_string(l.value("target_port", 0)) +
                              ")");
  }
}

Result<ObservedResource> LoadBalancerHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  const std::string region = Region(a);
  const std::string desc = DescriptionFor(r.tags);
  json hc_body = HealthCheckFields(a.value("health_check", json::object()));
  hc_body["name"] = r.cloud_name;
  hc_body["description"] = desc;
  Result<json> h = Ensure({"global/httpHealthChecks", r.cloud_name, hc_body, "health-check",
                           "HTTP health check " + r.cloud_name},
                          r, ctx);
  if (!h.ok()) return h.status();
  json pool_body = {{"name", r.cloud_name},
                    {"healthChecks", json::array({Str(*h, "selfLink")})},
                    {"sessionAffinity", "NONE"},
                    {"description", desc}};
  Result<json> pool = Ensure({"regions/" + region + "/targetPools", r.cloud_name, pool_body, "target-pool",
                              "target pool " + r.cloud_name},
                             r, ctx);
  if (!pool.ok()) return pool.status();
  Result<json> addr = Ensure({"regions/" + region + "/addresses", r.cloud_name,
                              {{"name", r.cloud_name}, {"addressType", "EXTERNAL"}, {"labels", EncodeLabels(r.tags)}},
                              "address", "address " + r.cloud_name},
                             r, ctx);
  if (!addr.ok()) return addr.status();
  const json listeners = a.value("listeners", json::array());
  for (size_t i = 0; i < listeners.size(); ++i) {
    std::string name = listeners.size() == 1 ? r.cloud_name : r.cloud_name + "-" + std::to_string(i);
    std::string port = std::to_string(listeners[i].value("port", 80));
    json fr = {{"name", name},
               {"IPAddress", Str(*addr, "address")},
               {"IPProtocol", Str(listeners[i], "protocol") == "udp" ? "UDP" : "TCP"},
               {"portRange", port},
               {"target", Str(*pool, "selfLink")},
               {"loadBalancingScheme", "EXTERNAL"},
               {"labels", EncodeLabels(r.tags)}};
    Result<json> f = Ensure({"regions/" + region + "/forwardingRules", name, fr, "forwarding-rule-" + std::to_string(i),
                             "forwarding rule " + name},
                            r, ctx);
    if (!f.ok()) return f.status();
  }
  // The tier's group feeds the pool: its members join and leave with scaling.
  std::string group = Str(a.value("targets", json::object()), "tag");
  if (!group.empty()) {
    std::string path = "/" + GroupScope() + "/instanceGroupManagers/" + group;
    Result<json> g = client_->Get(path);
    if (!g.ok()) return g.status().WithPrefix("reading the backend group " + group);
    json pools = g->value("targetPools", json::array());
    if (std::find(pools.begin(), pools.end(), Str(*pool, "selfLink")) == pools.end()) {
      pools.push_back(Str(*pool, "selfLink"));
      json body = {{"targetPools", pools}, {"fingerprint", Str(*g, "fingerprint")}};
      ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
          "POST", path + "/setTargetPools", body,
          RequestId(request_scope_, r.address.ToString(), "set-target-pools", ctx.attempt, body), ctx,
          "adding target pool " + r.cloud_name + " to group " + group));
    }
  }
  ObservedResource o;
  o.id = r.cloud_name;
  o.outputs = {{"ip", Str(*addr, "address")}};
  return o;
}

Result<ObservedResource> LoadBalancerHandler::Update(const model::Resource& r, const state::ResourceState& prior,
                                                         engine::ApplyContext& ctx) {
  const std::string name = prior.id.empty() ? r.cloud_name : prior.id;
  const std::string pool_path = "/regions/" + Region(r.attributes) + "/targetPools/" + name;
  // The health check: a JSON merge patch of the fields that differ.
  const std::string hc_path = "/global/httpHealthChecks/" + name;
  Result<json> hc = client_->Get(hc_path);
  if (!hc.ok()) return hc.status().WithPrefix("reading health check " + name);
  json patch = json::object();
  const json want = HealthCheckFields(r.attributes.value("health_check", json::object()));
  for (const auto& [k, v] : want.items())
    if (!hc->is_object() || !hc->contains(k) || (*hc)[k] != v) patch[k] = v;
  if (!patch.empty())
    ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
        "PATCH", hc_path, patch, RequestId(request_scope_, r.address.ToString(), "health-check-patch", ctx.attempt, patch),
        ctx, "updating health check " + name));
  Result<json> pool = client_->Get(pool_path);
  if (!pool.ok()) return pool.status().WithPrefix("reading target pool " + name);
  const std::string group = Str(r.attributes.value("targets", json::object()), "tag");
  if (!group.empty()) {
    const std::string filter =
        "labels." + std::string(model::kTagDeployment) + "=" + EncodeLabelValue(config_.deployment);
    Result<std::vector<json>> instances = ListInstances(filter);
    if (!instances.ok()) return instances.status();
    json missing = LiveTargets("", *pool, group, *instances).value("missing", json::array());
    json add = json::array();
    for (const json& m : GroupMembers(*instances, group))
      if (std::find(missing.begin(), missing.end(), json(Str(m, "name"))) != missing.end())
        add.push_back({{"instance", Str(m, "selfLink")}});
    if (!add.empty()) {
      json body = {{"instances", add}};
      ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
          "POST", pool_path + "/addInstance", body,
          RequestId(request_scope_, r.address.ToString(), "add-instance", ctx.attempt, body), ctx,
          "putting the members of group " + group + " back into target pool " + name));
    }
  }
  ObservedResource o;
  o.id = name;
  o.outputs = prior.outputs.is_object() ? prior.outputs : json::object();
  return o;
}

Status LoadBalancerHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  std::string region = Str(prior.attributes, "region");
  if (region.empty()) region = config_.region;
  const std::string name = prior.id;
  const std::string rp = "/regions/" + region;
  Result<std::vector<json>> rules = client_->List(rp + "/forwardingRules", "name eq " + name + ".*");
  if (!rules.ok()) return rules.status();
  for (const json& f : *rules) {
    std::string fname = Str(f, "name");
    if (fname != name && (fname.size() <= name.size() + 1 || fname.rfind(name + "-", 0) != 0 ||
                          fname.find_first_not_of("0123456789", name.size() + 1) != std::string::npos))
      continue;  // another load balancer's rule sharing the prefix
    ORCH_RETURN_IF_ERROR(client_->DeleteAndWait(rp + "/forwardingRules/" + Str(f, "name"), ctx, "forwarding rule " + Str(f, "name")));
  }
  // Detach the pool from the group that feeds it, if the group is still there.
  std::string group = Str(prior.attributes.value("targets", json::object()), "tag");
  Result<json> pool = client_->Get(rp + "/targetPools/" + name);
  if (!group.empty() && pool.ok()) {
    std::string path = "/" + GroupScope() + "/instanceGroupManagers/" + group;
    Result<json> g = client_->Get(path);
    if (g.ok()) {
      json pools = json::array();
      for (const json& p : g->value("targetPools", json::array()))
        if (p != Str(*pool, "selfLink")) pools.push_back(p);
      if (pools.size() != g->value("targetPools", json::array()).size()) {
        json body = {{"targetPools", pools}, {"fingerprint", Str(*g, "fingerprint")}};
        ORCH_RETURN_IF_ERROR(client_->MutateAndWait("POST", path + "/setTargetPools", body, "", ctx,
                                                    "removing target pool " + name + " from group " + group));
      }
    } else if (!g.status().IsNotFound()) {
      return g.status();
    }
  }
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait(rp + "/targetPools/" + name, ctx, "target pool " + name));
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/global/httpHealthChecks/" + name, ctx, "health check " + name));
  return client_->DeleteAndWait(rp + "/addresses/" + name, ctx, "address " + name);
}

std::unique_ptr<common::ResourceHandler> NewLoadBalancerHandler(Api* api) { return std::make_unique<LoadBalancerHandler>(api); }

}  // namespace orch::providers::gce
