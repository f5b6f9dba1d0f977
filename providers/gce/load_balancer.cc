// Load balancers: network load balancing (legacy HTTP health check, target
// pool fed by the tier's group, reserved address, forwarding rules).
#include "providers/gce/api.h"

#include <algorithm>
#include <cctype>
#include <map>

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

namespace {

// A listener as the spec writes it, for a forwarding rule: network load
// balancing passes packets through, so the target port and protocol are
// the rule's own.
json ListenerOfRule(const json& rule) {
  std::string proto = Str(rule, "IPProtocol", "TCP");
  std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char c) { return std::tolower(c); });
  const std::string range = Str(rule, "portRange");
  int port = 0;
  try {
    port = std::stoi(range.substr(0, range.find('-')));
  } catch (const std::exception&) {
    port = 0;
  }
  return {{"protocol", proto}, {"port", port}, {"target_port", port}, {"target_protocol", proto}};
}

// Whether `rule` carries the load balancer's address, one port and its pool.
bool RuleIsRight(const json& rule, const std::string& ip, const std::string& pool_link) {
  const std::string range = Str(rule, "portRange");
  const size_t dash = range.find('-');
  return Str(rule, "IPAddress") == ip && RelativeLink(Str(rule, "target")) == pool_link &&
         (dash == std::string::npos || range.substr(0, dash) == range.substr(dash + 1));
}

json CanonicalListener(const json& l) {
  if (!l.is_object()) return l;
  const json port = l.value("port", json(80));
  const std::string proto = Str(l, "protocol", "tcp");
  return {{"protocol", proto},
          {"port", port},
          {"target_port", l.value("target_port", port)},
          {"target_protocol", Str(l, "target_protocol", proto)}};
}

}  // namespace

json LiveListeners(const std::string& name, const std::vector<json>& rules, const std::string& ip,
                   const std::string& pool_link) {
  std::map<std::string, const json*> by_name;
  for (const json& r : rules)
    if (r.is_object()) by_name[Str(r, "name")] = &r;
  // Complete by the names create gives: NAME alone (one listener), or
  // NAME-0 .. NAME-k, k >= 1, without a gap.
  bool complete = !by_name.empty();
  if (by_name.count(name)) {
    complete = by_name.size() == 1;
  } else {
    for (size_t i = 0; i < by_name.size() && complete; ++i) complete = by_name.count(name + "-" + std::to_string(i)) > 0;
    complete = complete && by_name.size() >= 2;
  }
  json found = json::array(), wrong = json::array();
  auto take = [&](const std::string& n) {
    auto it = by_name.find(n);
    if (it == by_name.end()) return;
    if (RuleIsRight(*it->second, ip, pool_link)) {
      found.push_back(ListenerOfRule(*it->second));
    } else {
      wrong.push_back(n);
    }
  };
  take(name);
  for (size_t i = 0; i <= by_name.size(); ++i) take(name + "-" + std::to_string(i));
  if (complete && wrong.empty()) return found;
  json out = {{"found", found}};
  if (!wrong.empty()) out["wrong"] = wrong;
  return out;
}

plan::DiffDecision DiffLoadBalancer(const json& desired, const json& prior) {
  if (desired == prior) return plan::DiffDecision::kNoop;
  json d = WithCanonicalHealthCheck(desired), p = WithCanonicalHealthCheck(prior);
  // Listeners in the spec's form compare by meaning (defaults filled in).
  for (json* side : {&d, &p})
    if (side->is_object() && side->contains("listeners") && (*side)["listeners"].is_array())
      for (json& l : (*side)["listeners"]) l = CanonicalListener(l);
  // Forwarding rules deleted or changed outside (the live form, an object)
  // are made again in place when those left are ones the spec wants.
  bool restore_rules = false;
  if (d.is_object() && p.is_object() && p.contains("listeners") && p["listeners"].is_object() &&
      d.contains("listeners") && d["listeners"].is_array()) {
    json want = d["listeners"];
    bool subset = true;
    for (const json& l : p["listeners"].value("found", json::array())) {
      auto it = std::find(want.begin(), want.end(), CanonicalListener(l));
      if (it == want.end()) {
        subset = false;
        break;
      }
      want.erase(it);
    }
    if (subset) {
      p["listeners"] = d["listeners"];
      restore_rules = true;
    }
  }
  if (d == p) return restore_rules ? plan::DiffDecision::kUpdate : plan::DiffDecision::kNoop;

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
      {"listeners", true, OnChange::kReplace, "a new load balancer; a forwarding rule deleted or changed outside: made again in place (`DELETE`, `POST regions/{region}/forwardingRules`)"},
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

 private:
  // The forwarding rules of `r` on the pool, each made again when it is
  // missing or not the listener's; returns the load balancer's address.
  Result<std::string> EnsureForwardingRules(const model::Resource& r, const std::string& name, const json& pool,
                                            engine::ApplyContext& ctx);
};

// The insert body of forwarding rule `name` for `listener`.
json ForwardingRuleBody(const model::Resource& r, const std::string& name, const json& listener, const std::string& ip,
                        const std::string& pool_self_link) {
  return {{"name", name},
          {"IPAddress", ip},
          {"IPProtocol", Str(listener, "protocol") == "udp" ? "UDP" : "TCP"},
          {"portRange", std::to_string(listener.value("port", 80))},
          {"target", pool_self_link},
          {"loadBalancingScheme", "EXTERNAL"},
          {"labels", EncodeLabels(r.tags)}};
}

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
    json fr = ForwardingRuleBody(r, name, listeners[i], Str(*addr, "address"), Str(*pool, "selfLink"));
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
  // Forwarding rules the plan found missing or changed (the live form).
  std::string ip = Str(prior.outputs, "ip");
  if (prior.attributes.is_object() && prior.attributes.value("listeners", json()).is_object()) {
    Result<std::string> got = EnsureForwardingRules(r, name, *pool, ctx);
    if (!got.ok()) return got.status();
    ip = *got;
  }
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
  if (!ip.empty()) o.outputs["ip"] = ip;
  return o;
}

Result<std::string> LoadBalancerHandler::EnsureForwardingRules(const model::Resource& r, const std::string& name,
                                                               const json& pool, engine::ApplyContext& ctx) {
  const std::string rp = "/regions/" + Region(r.attributes);
  Result<json> addr = client_->Get(rp + "/addresses/" + name);
  if (!addr.ok()) return addr.status().WithPrefix("reading address " + name);
  const std::string ip = Str(*addr, "address");
  const std::string pool_link = RelativeLink(Str(pool, "selfLink"));
  const json listeners = r.attributes.value("listeners", json::array());
  for (size_t i = 0; i < listeners.size(); ++i) {
    const std::string rule = listeners.size() == 1 ? name : name + "-" + std::to_string(i);
    json body = ForwardingRuleBody(r, rule, listeners[i], ip, Str(pool, "selfLink"));
    Result<json> have = client_->Get(rp + "/forwardingRules/" + rule);
    if (have.ok()) {
      if (RuleIsRight(*have, ip, pool_link) && ListenerOfRule(*have) == ListenerOfRule(body)) continue;
      // A rule's address, ports and protocol cannot change: made again.
      ORCH_RETURN_IF_ERROR(client_->DeleteAndWait(rp + "/forwardingRules/" + rule, ctx, "forwarding rule " + rule));
    } else if (!have.status().IsNotFound()) {
      return have.status().WithPrefix("reading forwarding rule " + rule);
    }
    ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
        "POST", rp + "/forwardingRules", body,
        RequestId(request_scope_, r.address.ToString(), "forwarding-rule-" + std::to_string(i), ctx.attempt, body), ctx,
        "making forwarding rule " + rule + " again"));
  }
  return ip;
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
