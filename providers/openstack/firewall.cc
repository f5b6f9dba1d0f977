// The firewall kind: the ingress rules of the tier's membership security
// group (remote groups for tier sources), synced in place.
#include <set>
#include <tuple>

#include "providers/common/observed.h"
#include "providers/openstack/drift.h"
#include "providers/openstack/os_provider.h"

namespace orch::providers::openstack {

using common::Observed;
using engine::ObservedResource;
using nlohmann::json;

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

class FirewallHandler final : public common::ResourceHandler {
 public:
  explicit FirewallHandler(OpenStackProvider* p) : p_(p) {}
  model::Kind kind() const override { return model::Kind::kFirewall; }
  std::vector<common::AttributeSpec> Attributes() const override {
    return {
        {"rules", true, common::OnChange::kInPlace,
         "missing rules `POST /v2.0/security-group-rules`, others `DELETE /v2.0/security-group-rules/{id}`"},
        {"target_tag", false, common::OnChange::kReplace, "the security group is the tier's"},
        {"network", false, common::OnChange::kReplace, "follows the network"},
    };
  }
  // Rules compared as Neutron holds them (drift.h CanonicalRules).
  json Canonical(const json& attributes) const override { return CanonicalAttributes("firewall", attributes); }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  // Makes the group's ingress rules the desired ones.
  Status SyncRules(const std::string& sg_id, const json& rules, engine::ApplyContext& ctx);
  OpenStackProvider* p_;
};

Result<ObservedResource> FirewallHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  std::string target = Str(r.attributes, "target_tag", r.cloud_name);
  Result<std::string> sg = p_->TierSecurityGroup(target, ctx);
  if (!sg.ok()) return sg.status();
  Result<json> g = p_->network_->Get("/security-groups/" + *sg);
  if (!g.ok()) return g.status();
  ORCH_RETURN_IF_ERROR(p_->EnsureNeutronTags("security-groups", (*g)["security_group"], EncodeTags(r.tags)));
  ORCH_RETURN_IF_ERROR(SyncRules(*sg, r.attributes.value("rules", json::array()), ctx));
  return Observed(*sg, target);
}

Status FirewallHandler::SyncRules(const std::string& sg_id, const json& rules, engine::ApplyContext& ctx) {
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
      Result<std::string> g = p_->TierSecurityGroup(t.get<std::string>(), ctx);
      if (!g.ok()) return g.status();
      Rule x = base;
      x.remote_group = *g;
      want.insert(x);
    }
  }
  auto existing = p_->network_->List("/security-group-rules?security_group_id=" + sg_id + "&direction=ingress",
                                     "security_group_rules");
  if (!existing.ok()) return existing.status();
  std::set<Rule> have;
  for (const json& r : *existing) {
    Rule x = FromNeutron(r);
    if (!want.count(x)) {
      Status st = p_->network_->Delete("/security-group-rules/" + Str(r, "id"));
      if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("deleting a security group rule");
    }
    have.insert(x);
  }
  for (const Rule& x : want) {
    if (have.count(x)) continue;
    json body = {
        {"security_group_id", sg_id}, {"direction", "ingress"}, {"ethertype", "IPv4"}, {"protocol", x.protocol}};
    if (x.min >= 0) body["port_range_min"] = x.min;
    if (x.max >= 0) body["port_range_max"] = x.max;
    if (!x.remote_ip.empty()) body["remote_ip_prefix"] = x.remote_ip;
    if (!x.remote_group.empty()) body["remote_group_id"] = x.remote_group;
    // Neutron refuses a duplicate rule (409 SecurityGroupRuleExists), so a
    // re-sent create after a lost answer cannot duplicate it.
    for (int attempt = 0;; ++attempt) {
      http::SendOutcome o;
      Result<json> c = p_->network_->Post("/security-group-rules", {{"security_group_rule", body}}, &o);
      if (c.ok() || c.status().IsConflict()) break;
      if (!Uncertain(c.status()) || attempt + 1 >= p_->tuning_.create_attempts)
        return c.status().WithPrefix("creating a security group rule");
      ORCH_RETURN_IF_ERROR(p_->Sleep(p_->tuning_.poll_initial_ms, ctx));
    }
  }
  return Status::OK();
}

Status FirewallHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  Status st = p_->network_->Delete("/security-groups/" + prior.id);
  if (st.ok() || st.IsNotFound() || !st.IsConflict()) {
    std::lock_guard<std::mutex> lock(p_->cache_mu_);
    for (auto it = p_->tier_groups_.begin(); it != p_->tier_groups_.end();)
      it = it->second == prior.id ? p_->tier_groups_.erase(it) : std::next(it);
    return st;
  }
  // Still in use by servers: drop the rules and the firewall's tags; the
  // group stays as the tier's membership group until the network goes.
  ORCH_RETURN_IF_ERROR(SyncRules(prior.id, json::array(), ctx));
  Result<json> g = p_->network_->Get("/security-groups/" + prior.id);
  if (!g.ok()) return g.status();
  json keep = json::array();
  for (const json& t : (*g)["security_group"].value("tags", json::array())) {
    std::string s = t;
    if (s.rfind(std::string(model::kTagAddress) + "=", 0) != 0 && s.rfind(std::string(model::kTagTier) + "=", 0) != 0)
      keep.push_back(s);
  }
  return p_->network_->Put("/security-groups/" + prior.id + "/tags", {{"tags", keep}}).status();
}

Result<ObservedResource> FirewallHandler::Update(const model::Resource& r, const state::ResourceState& prior,
                                                 engine::ApplyContext& ctx) {
  ORCH_RETURN_IF_ERROR(SyncRules(prior.id, r.attributes.value("rules", json::array()), ctx));
  ObservedResource o;
  o.address = r.address.ToString();
  o.kind = "firewall";
  o.id = prior.id;
  o.cloud_name = prior.cloud_name;
  o.tags = r.tags;
  o.outputs = prior.outputs;
  return o;
}

std::unique_ptr<common::ResourceHandler> NewFirewallHandler(OpenStackProvider* p) {
  return std::make_unique<FirewallHandler>(p);
}

}  // namespace orch::providers::openstack
