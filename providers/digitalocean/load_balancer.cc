// load_balancer -> load balancer: forwarding rules, health check and the
// tier tag it sends traffic to. Rules and health check change in place (PUT
// takes the whole load balancer); it targets the tier's tag, so scaling a
// group never touches it.
#include <algorithm>

#include "providers/common/timeouts.h"
#include "providers/common/observed.h"
#include "providers/common/operation_poller.h"
#include "providers/digitalocean/drift.h"
#include "providers/digitalocean/handlers.h"

namespace orch::providers::digitalocean {

using common::AttributeSpec;
using common::Observed;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

json LiveLoadBalancerAttributes(const json& lb) {
  json listeners = json::array();
  for (const json& f : lb.value("forwarding_rules", json::array())) {
    if (!f.is_object()) continue;
    listeners.push_back({{"protocol", Str(f, "entry_protocol")},
                         {"port", f.value("entry_port", json())},
                         {"target_port", f.value("target_port", json())},
                         {"target_protocol", Str(f, "target_protocol")}});
  }
  json out = {{"listeners", listeners}};
  const json& h = lb.value("health_check", json());
  if (h.is_object()) {
    out["health_check"] = {{"protocol", Str(h, "protocol")},
                           {"port", h.value("port", json())},
                           {"path", Str(h, "path")},
                           {"interval_s", h.value("check_interval_seconds", json())},
                           {"timeout_s", h.value("response_timeout_seconds", json())},
                           {"healthy_threshold", h.value("healthy_threshold", json())},
                           {"unhealthy_threshold", h.value("unhealthy_threshold", json())}};
  }
  return out;
}

json CanonicalHealthCheck(const json& health_check) {
  if (!health_check.is_object()) return health_check;
  json out = health_check;
  if (Str(out, "protocol") == "tcp") out.erase("path");
  return out;
}

namespace {

class LoadBalancerHandler final : public common::ResourceHandler {
 public:
  explicit LoadBalancerHandler(Api* api) : api_(api) {}
  model::Kind kind() const override { return model::Kind::kLoadBalancer; }
  std::vector<AttributeSpec> Attributes() const override {
    return {{"listeners", true, OnChange::kInPlace, "PUT /v2/load_balancers/{id} (forwarding rules)"},
            {"health_check", true, OnChange::kInPlace, "PUT /v2/load_balancers/{id}"},
            {"targets", false, OnChange::kInPlace,
             "PUT /v2/load_balancers/{id} for the tag; members (private_ips) are not compared, another tier replaces"},
            {"region", false, OnChange::kReplace, "a load balancer stays in its region"},
            {"network", false, OnChange::kReplace, "the VPC is fixed at create"}};
  }

  json Canonical(const json& attributes) const override {
    json j = attributes;
    if (j.contains("targets") && j["targets"].is_object()) j["targets"].erase("private_ips");
    if (j.contains("listeners")) j["listeners"] = CanonicalListeners(j["listeners"]);
    if (j.contains("health_check")) j["health_check"] = CanonicalHealthCheck(j["health_check"]);
    return j;
  }

  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override {
    plan::DiffDecision d = DiffByAttributes(desired, prior);
    if (d != plan::DiffDecision::kUpdate) return d;
    // targets.tier is bookkeeping of which tier it serves: another tier is
    // another load balancer.
    json dt = Canonical(desired.attributes).value("targets", json::object());
    json pt = Canonical(prior.attributes.is_object() ? prior.attributes : json::object()).value("targets", json::object());
    dt.erase("tag");
    pt.erase("tag");
    return dt == pt ? d : plan::DiffDecision::kReplace;
  }

  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override {
    Result<json> made = Body(r);
    if (!made.ok()) return made.status();
    const json& body = *made;
    Result<json> lb = api_->CreateNamed("load balancer", "/load_balancers", "load_balancers", "load_balancer", r.cloud_name, body, ctx);
    if (!lb.ok()) return lb.status();
    const std::string id = Str(*lb, "id");
    if (ctx.record_operation) ctx.record_operation("load_balancer:" + id);
    json last = *lb;
    common::PollOptions o;
    o.initial_interval_ms = api_->tuning.poll_initial_ms;
    o.max_interval_ms = api_->tuning.poll_max_ms;
    o.timeout_ms = common::WaitMs(ctx, api_->tuning.lb_timeout_ms);
    o.cancelled = ctx.cancelled;
    o.what = "load balancer " + r.cloud_name + " to become active";
    if (ctx.progress) ctx.progress("waiting for " + o.what);
    Status st = common::Poll(api_->env.clock, o, [&]() -> Result<bool> {
      if (Str(last, "status") == "active" && !Str(last, "ip").empty()) return true;
      Result<json> g = api_->rest->Get("/load_balancers/" + id);
      if (!g.ok()) return g.status();
      last = (*g)["load_balancer"];
      if (Str(last, "status") == "errored") return Status::Internal("load balancer " + id + " errored");
      return Str(last, "status") == "active" && !Str(last, "ip").empty();
    });
    if (!st.ok()) return st;
    return Observed(id, r.cloud_name, {{"ip", Str(last, "ip")}});
  }

  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext&) override {
    Result<json> body = Body(r);
    if (!body.ok()) return body.status();
    (*body)["name"] = prior.cloud_name.empty() ? r.cloud_name : prior.cloud_name;
    Result<common::RestResponse> put = api_->rest->Call("PUT", "/load_balancers/" + prior.id, *body);
    if (!put.ok()) return put.status();
    const json& lb = put->body.value("load_balancer", json::object());
    ObservedResource o;
    o.id = prior.id;
    o.cloud_name = Str(lb, "name", prior.cloud_name);
    std::string ip = Str(lb, "ip");
    if (ip.empty() && prior.outputs.is_object()) ip = prior.outputs.value("ip", "");
    o.outputs = {{"id", prior.id}, {"ip", ip}};
    return o;
  }

  Status Delete(const state::ResourceState& prior, engine::ApplyContext&) override {
    return api_->rest->Delete("/load_balancers/" + prior.id);
  }

 private:
  // The full request body (POST and PUT take the same), tags ensured.
  Result<json> Body(const model::Resource& r) {
    const json& a = r.attributes;
    json rules = json::array();
    for (const auto& l : a.value("listeners", json::array())) {
      std::string proto = Str(l, "protocol", "http");
      rules.push_back({{"entry_protocol", proto},
                       {"entry_port", l.value("port", 80)},
                       {"target_protocol", Str(l, "target_protocol", proto)},
                       {"target_port", l.value("target_port", l.value("port", 80))}});
    }
    json body = {{"name", r.cloud_name}, {"region", api_->Region(a)}, {"forwarding_rules", rules}};
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
      ORCH_RETURN_IF_ERROR(api_->EnsureTags({tag}));
      body["tag"] = tag;
    }
    if (!Str(a, "network").empty()) body["vpc_uuid"] = Str(a, "network");
    return body;
  }

  Api* api_;
};

}  // namespace

std::unique_ptr<common::ResourceHandler> NewLoadBalancerHandler(Api* api) {
  return std::make_unique<LoadBalancerHandler>(api);
}

}  // namespace orch::providers::digitalocean
