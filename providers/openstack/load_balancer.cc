// The load_balancer kind: an Octavia load balancer and, per listener, its
// listener, pool (ROUND_ROBIN), health monitor and members. Every mutation
// of one load balancer goes through LbMutate under that load balancer's
// lock (one queue per LB): wait for provisioning_status ACTIVE, send, retry
// a 409 "immutable" only after the LB is ACTIVE again, wait for ACTIVE.
// Members are always set with one batch update per pool.
#include <algorithm>
#include <set>

#include "providers/common/timeouts.h"
#include "providers/openstack/drift.h"
#include "providers/openstack/os_provider.h"
#include "util/strings.h"

namespace orch::providers::openstack {

using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> Ips(const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) {
    for (const std::string& s : Split(v.get<std::string>(), ','))
      if (!Trim(s).empty()) out.emplace_back(Trim(s));
  } else if (v.is_array()) {
    for (const json& s : v)
      if (s.is_string() && !s.get<std::string>().empty()) out.push_back(s);
  }
  return out;
}

}  // namespace

class LoadBalancerHandler final : public common::ResourceHandler {
 public:
  explicit LoadBalancerHandler(OpenStackProvider* p) : p_(p) {}
  model::Kind kind() const override { return model::Kind::kLoadBalancer; }
  std::vector<common::AttributeSpec> Attributes() const override {
    return {
        {"region", false, common::OnChange::kReplace, "another region is another cloud"},
        {"network", false, common::OnChange::kReplace, "the VIP is on the network's subnet"},
        {"listeners", true, common::OnChange::kInPlace,
         "missing listener and pool `POST /v2/lbaas/listeners`, `POST /v2/lbaas/pools`; others deleted with their "
         "pools"},
        {"health_check", true, common::OnChange::kInPlace,
         "missing monitor `POST /v2/lbaas/healthmonitors`, changed `PUT /v2/lbaas/healthmonitors/{id}` (another type: "
         "deleted and created); `port` ignored (Octavia probes the member port)"},
        {"targets", false, common::OnChange::kReplace, "tier and tag of the members"},
        {"targets.private_ips", true, common::OnChange::kInPlace,
         "one batch `PUT /v2/lbaas/pools/{id}/members` per pool"},
    };
  }
  // Listeners, health check and members in the form Octavia holds them
  // (drift.h), the members split off the targets.
  json Canonical(const json& attributes) const override { return CanonicalAttributes("load_balancer", attributes); }
  // What the cloud does not report (a pool without members has no target
  // port; members carry no tier) is taken from the desired first.
  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override {
    state::ResourceState filled = prior;
    filled.attributes = FillUnreported(prior.attributes, desired.attributes);
    return DiffByAttributes(desired, filled);
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  // Waits for the load balancer to be ACTIVE, then runs `mutation`, again
  // after each 409 "immutable" answer, and waits for ACTIVE once more.
  Result<json> LbMutate(const std::string& lb_id, const std::string& what,
                        const std::function<Result<json>()>& mutation, engine::ApplyContext& ctx);
  // Per desired listener: listener, pool, health monitor (created, or
  // changed to the desired one) and members; listeners of the load balancer
  // no longer desired are deleted with their pools when `prune`. The pool
  // ids in listener order.
  Result<json> EnsureLbChildren(const model::Resource& r, const std::string& lb_id, const std::string& subnet_id,
                                bool prune, engine::ApplyContext& ctx);
  // Sets the pool's members to `ips`:`port` with one batch update (none
  // when they already match).
  Status SetMembers(const std::string& lb_id, const std::string& pool_id, const std::vector<std::string>& ips, int port,
                    const std::string& subnet_id, engine::ApplyContext& ctx);
  Result<json> WaitLbActive(const std::string& lb_id, engine::ApplyContext& ctx);
  std::mutex& LbLock(const std::string& lb_id);
  OpenStackProvider* p_;
  std::map<std::string, std::unique_ptr<std::mutex>> lb_locks_;  // under the provider's cache lock
};

Result<json> LoadBalancerHandler::WaitLbActive(const std::string& lb_id, engine::ApplyContext& ctx) {
  json last;
  Status st =
      p_->WaitFor("load balancer " + lb_id + " to be ACTIVE", p_->tuning_.lb_timeout_ms, ctx, [&]() -> Result<bool> {
        Result<json> g = p_->lbaas_->Get("/lbaas/loadbalancers/" + lb_id);
        if (!g.ok()) return g.status();
        last = (*g)["loadbalancer"];
        std::string s = Str(last, "provisioning_status");
        if (s == "ERROR") return Status::Internal("load balancer " + lb_id + " went to provisioning_status ERROR");
        return s == "ACTIVE";
      });
  if (!st.ok()) return st;
  return last;
}

Result<json> LoadBalancerHandler::LbMutate(const std::string& lb_id, const std::string& what,
                                           const std::function<Result<json>()>& mutation, engine::ApplyContext& ctx) {
  std::lock_guard<std::mutex> queue(LbLock(lb_id));
  const int64_t start = p_->env_.clock->MonotonicMicros();
  for (;;) {
    ORCH_RETURN_IF_ERROR(WaitLbActive(lb_id, ctx).status());
    Result<json> r = mutation();
    if (r.ok()) {
      ORCH_RETURN_IF_ERROR(WaitLbActive(lb_id, ctx).status());
      return r;
    }
    if (!r.status().IsConflict()) return r.status().WithPrefix(what);
    if ((p_->env_.clock->MonotonicMicros() - start) / 1000 > common::WaitMs(ctx, p_->tuning_.busy_timeout_ms))
      return r.status().WithPrefix(what);
    if (ctx.progress) ctx.progress(what + ": load balancer busy, retrying once it is ACTIVE");
  }
}

Result<ObservedResource> LoadBalancerHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  if (!p_->lbaas_) return Status::NotSupported("the service catalog has no load-balancer (Octavia) endpoint");
  const json& a = r.attributes;
  const std::string net = Str(a, "network");
  if (net.empty()) return Status::InvalidArgument("an OpenStack load balancer needs the tier's network");
  // The members are IPv4 addresses: the VIP goes on the network's IPv4
  // subnet (an existing network may list an IPv6 one first).
  Result<std::optional<json>> subnet = p_->Ipv4Subnet(net);
  if (!subnet.ok()) return subnet.status();
  if (!subnet->has_value()) return Status::NotFound("network " + net + " has no IPv4 subnet for the load balancer VIP");
  const std::string subnet_id = Str(**subnet, "id");
  const std::vector<std::string> tags = EncodeTags(r.tags);

  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = p_->lbaas_->List(
        "/lbaas/loadbalancers?tags=" + UrlEncode(OwnedTags(p_->config_.deployment, r.address.ToString())),
        "loadbalancers");
    if (!l.ok()) return l.status();
    for (json& lb : *l)
      if (Str(lb, "provisioning_status") != "PENDING_DELETE") return std::optional<json>(std::move(lb));
    return std::optional<json>();
  };
  json body = {{"loadbalancer",
                {{"name", r.cloud_name}, {"vip_subnet_id", subnet_id}, {"tags", tags}, {"admin_state_up", true}}}};
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = p_->lbaas_->Post("/lbaas/loadbalancers", body, o);
    if (!res.ok()) return res.status();
    return (*res)["loadbalancer"];
  };
  Result<json> lb = p_->CreateOnce("load balancer " + r.cloud_name, lookup, post, ctx.attempt > 1, ctx);
  if (!lb.ok()) return lb.status();
  const std::string lb_id = Str(*lb, "id");
  if (ctx.record_operation) ctx.record_operation("loadbalancer:" + lb_id);
  Result<json> pools = EnsureLbChildren(r, lb_id, subnet_id, false, ctx);
  if (!pools.ok()) return pools.status();
  Result<json> final = WaitLbActive(lb_id, ctx);
  if (!final.ok()) return final.status();
  ObservedResource o;
  o.id = lb_id;
  o.cloud_name = r.cloud_name;
  o.outputs = {{"ip", Str(*final, "vip_address")}, {"pools", *pools}, {"subnet_id", subnet_id}};
  return o;
}

Result<json> LoadBalancerHandler::EnsureLbChildren(const model::Resource& r, const std::string& lb_id,
                                                   const std::string& subnet_id, bool prune,
                                                   engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  const std::string dep_tag = DeploymentTag(p_->config_.deployment);
  // A child of this deployment with name `name` (for lookup before a retried
  // create); one being deleted does not count.
  auto find_child = [&](const std::string& collection, const std::string& key,
                        const std::string& name) -> Result<std::optional<json>> {
    auto l = p_->lbaas_->List("/lbaas/" + collection + "?name=" + UrlEncode(name) + "&tags=" + UrlEncode(dep_tag), key);
    if (!l.ok()) return l.status();
    for (json& c : *l)
      if (Str(c, "provisioning_status") != "PENDING_DELETE") return std::optional<json>(std::move(c));
    return std::optional<json>();
  };

  // Creates one child through the LB's queue unless it already exists.
  auto ensure_child = [&](const std::string& collection, const std::string& key, const std::string& singular,
                          json child) -> Result<json> {
    const std::string name = Str(child, "name");
    Result<std::optional<json>> found = find_child(collection, key, name);
    if (!found.ok()) return found.status();
    if (found->has_value()) return **found;
    child["tags"] = json::array({dep_tag});
    return LbMutate(
        lb_id, "creating " + singular + " " + name,
        [&]() -> Result<json> {
          http::SendOutcome o;
          Result<json> c = p_->lbaas_->Post("/lbaas/" + collection, {{singular, child}}, &o);
          if (c.ok()) return (*c)[singular];
          if (Uncertain(c.status()) || c.status().IsConflict()) {
            Result<std::optional<json>> again = find_child(collection, key, name);
            if (again.ok() && again->has_value()) return **again;
            if (Uncertain(c.status())) return Status::Conflict("retrying after an uncertain create");
          }
          return c.status();
        },
        ctx);
  };

  json pools = json::array();
  std::set<std::string> names;
  const std::vector<std::string> ips = Ips(a.contains("targets") ? a["targets"].value("private_ips", json()) : json());
  for (const json& l : a.value("listeners", json::array())) {
    const int port = l.value("port", 80);
    const int target_port = l.value("target_port", port);
    const std::string name = r.cloud_name + "-" + std::to_string(port);
    names.insert(name);
    std::string proto = Upper(Str(l, "protocol", "http"));
    std::string target_proto = Upper(Str(l, "target_protocol", Str(l, "protocol", "http")));
    Result<json> listener =
        ensure_child("listeners", "listeners", "listener",
                     {{"name", name}, {"protocol", proto}, {"protocol_port", port}, {"loadbalancer_id", lb_id}});
    if (!listener.ok()) return listener.status();
    Result<json> pool = ensure_child("pools", "pools", "pool",
                                     {{"name", name},
                                      {"protocol", target_proto},
                                      {"lb_algorithm", "ROUND_ROBIN"},
                                      {"listener_id", Str(*listener, "id")}});
    if (!pool.ok()) return pool.status();
    const std::string pool_id = Str(*pool, "id");
    pools.push_back(pool_id);
    if (a.contains("health_check") && a["health_check"].is_object()) {
      const json& h = a["health_check"];
      std::string type = Upper(Str(h, "protocol", "tcp"));
      json hm = {{"name", name},
                 {"pool_id", pool_id},
                 {"type", type},
                 {"delay", h.value("interval_s", 10)},
                 {"timeout", h.value("timeout_s", 5)},
                 {"max_retries", h.value("healthy_threshold", 3)},
                 {"max_retries_down", h.value("unhealthy_threshold", 3)}};
      if (type == "HTTP" || type == "HTTPS") {
        hm["url_path"] = Str(h, "path", "/");
        hm["expected_codes"] = "200";
      }
      const std::string monitor_id = Str(*pool, "healthmonitor_id");
      std::optional<json> monitor;
      if (!monitor_id.empty()) {
        Result<json> m = p_->lbaas_->Get("/lbaas/healthmonitors/" + monitor_id);
        if (!m.ok() && !m.status().IsNotFound()) return m.status();
        if (m.ok() && Str((*m)["healthmonitor"], "provisioning_status") != "PENDING_DELETE")
          monitor = (*m)["healthmonitor"];
      }
      if (monitor && CanonicalHealthCheck(LiveHealthCheck(&*monitor)) != CanonicalHealthCheck(h)) {
        if (Upper(Str(*monitor, "type")) == type) {  // changed: set the desired values
          json change = hm;
          for (const char* k : {"name", "pool_id", "type", "expected_codes"}) change.erase(k);
          Result<json> u = LbMutate(
              lb_id, "updating health monitor " + name,
              [&]() -> Result<json> {
                return p_->lbaas_->Put("/lbaas/healthmonitors/" + monitor_id, {{"healthmonitor", change}});
              },
              ctx);
          if (!u.ok()) return u.status();
        } else {  // Octavia cannot change a monitor's type: a new one
          Result<json> d = LbMutate(
              lb_id, "deleting health monitor " + name,
              [&]() -> Result<json> {
                Status st = p_->lbaas_->Delete("/lbaas/healthmonitors/" + monitor_id);
                if (!st.ok() && !st.IsNotFound()) return st;
                return json::object();
              },
              ctx);
          if (!d.ok()) return d.status();
          monitor.reset();
        }
      }
      if (!monitor) {
        Result<json> m = ensure_child("healthmonitors", "healthmonitors", "healthmonitor", hm);
        if (!m.ok()) return m.status();
      }
    }
    ORCH_RETURN_IF_ERROR(SetMembers(lb_id, pool_id, ips, target_port, subnet_id, ctx));
  }

  if (!prune) return pools;
  // Listeners no longer desired go with their pools (pool first: Octavia
  // refuses to delete a listener whose default pool is still there).
  auto listeners = p_->lbaas_->List("/lbaas/listeners?tags=" + UrlEncode(dep_tag), "listeners");
  if (!listeners.ok()) return listeners.status();
  for (const json& l : *listeners) {
    bool mine = false;
    for (const json& ref : l.value("loadbalancers", json::array())) mine |= Str(ref, "id") == lb_id;
    if (!mine || names.count(Str(l, "name")) || Str(l, "provisioning_status") == "PENDING_DELETE") continue;
    const std::string pool_id = Str(l, "default_pool_id");
    for (const auto& [path, what] :
         {std::pair{"/lbaas/pools/" + pool_id, "pool"}, std::pair{"/lbaas/listeners/" + Str(l, "id"), "listener"}}) {
      if (what == std::string("pool") && pool_id.empty()) continue;
      Result<json> d = LbMutate(
          lb_id, std::string("deleting ") + what + " " + Str(l, "name"),
          [&]() -> Result<json> {
            Status st = p_->lbaas_->Delete(path);
            if (!st.ok() && !st.IsNotFound()) return st;
            return json::object();
          },
          ctx);
      if (!d.ok()) return d.status();
    }
  }
  return pools;
}

Status LoadBalancerHandler::SetMembers(const std::string& lb_id, const std::string& pool_id,
                                       const std::vector<std::string>& ips, int port, const std::string& subnet_id,
                                       engine::ApplyContext& ctx) {
  auto current = p_->lbaas_->List("/lbaas/pools/" + pool_id + "/members", "members");
  if (!current.ok()) return current.status();
  std::vector<std::string> have, want = ips;
  for (const json& m : *current) have.push_back(Str(m, "address") + ":" + Str(m, "protocol_port"));
  std::vector<std::string> want_keys;
  for (const std::string& ip : want) want_keys.push_back(ip + ":" + std::to_string(port));
  std::sort(have.begin(), have.end());
  std::sort(want_keys.begin(), want_keys.end());
  if (have == want_keys) return Status::OK();
  json members = json::array();
  for (const std::string& ip : want)
    members.push_back({{"address", ip}, {"protocol_port", port}, {"subnet_id", subnet_id}});
  // One batch update replaces the whole member list.
  return LbMutate(
             lb_id, "updating the members of pool " + pool_id,
             [&]() -> Result<json> {
               Result<json> u = p_->lbaas_->Put("/lbaas/pools/" + pool_id + "/members", {{"members", members}});
               if (!u.ok()) return u.status();
               return json::object();
             },
             ctx)
      .status();
}

Result<ObservedResource> LoadBalancerHandler::Update(const model::Resource& r, const state::ResourceState& prior,
                                                     engine::ApplyContext& ctx) {
  if (!p_->lbaas_) return Status::NotSupported("the service catalog has no load-balancer (Octavia) endpoint");
  // Settled first: a child deleted outside is gone, not pending, when the
  // children are read.
  Result<json> lb = WaitLbActive(prior.id, ctx);
  if (!lb.ok()) return lb.status();
  std::string subnet_id = Str(prior.outputs, "subnet_id");
  if (subnet_id.empty()) subnet_id = Str(*lb, "vip_subnet_id");
  Result<json> pools = EnsureLbChildren(r, prior.id, subnet_id, true, ctx);
  if (!pools.ok()) return pools.status();
  ObservedResource o;
  o.address = r.address.ToString();
  o.kind = "load_balancer";
  o.id = prior.id;
  o.cloud_name = prior.cloud_name;
  o.tags = r.tags;
  o.outputs = prior.outputs;
  o.outputs["pools"] = *pools;
  o.outputs["subnet_id"] = subnet_id;
  return o;
}

Status LoadBalancerHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  std::lock_guard<std::mutex> queue(LbLock(prior.id));
  Status st = p_->RetryBusy([&] { return p_->lbaas_->Delete("/lbaas/loadbalancers/" + prior.id + "?cascade=true"); },
                            ctx, "load balancer " + prior.cloud_name);
  if (st.IsNotFound()) return Status::OK();
  if (!st.ok()) return st;
  return p_->WaitFor("load balancer " + prior.cloud_name + " to be deleted",
                     common::TimeoutMs(prior.attributes, "delete", p_->tuning_.lb_timeout_ms), ctx,
                     [&]() -> Result<bool> {
                       Result<json> g = p_->lbaas_->Get("/lbaas/loadbalancers/" + prior.id);
                       if (g.ok()) return Str((*g)["loadbalancer"], "provisioning_status") == "DELETED";
                       if (g.status().IsNotFound()) return true;
                       return g.status();
                     });
}

std::mutex& LoadBalancerHandler::LbLock(const std::string& lb_id) {
  std::lock_guard<std::mutex> lock(p_->cache_mu_);
  auto& m = lb_locks_[lb_id];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

std::unique_ptr<common::ResourceHandler> NewLoadBalancerHandler(OpenStackProvider* p) {
  return std::make_unique<LoadBalancerHandler>(p);
}

}  // namespace orch::providers::openstack
