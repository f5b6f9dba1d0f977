// firewall -> cloud firewall: inbound rules from the spec, outbound open,
// applied to the tier's tag. Rules and target tag change in place (PUT
// takes the whole firewall).
#include <algorithm>

#include "providers/common/observed.h"
#include "providers/digitalocean/drift.h"
#include "providers/digitalocean/handlers.h"

namespace orch::providers::digitalocean {

using common::AttributeSpec;
using common::Observed;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

namespace {

json CanonicalRule(const json& rule) {
  std::string protocol = Str(rule, "protocol", "tcp");
  std::string ports = Str(rule, "ports");
  if (protocol == "icmp") ports = "";
  else if (ports.empty() || ports == "0" || ports == "1-65535") ports = "all";
  json sources = common::SortedStrings(rule.value("sources", json::array()));
  json tags = common::SortedStrings(rule.value("source_tags", json::array()));
  if (sources.empty() && tags.empty()) sources = {"0.0.0.0/0", "::/0"};
  return {{"protocol", protocol}, {"ports", ports}, {"sources", sources}, {"source_tags", tags}};
}

json FirewallRule(const json& rule) {
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

}  // namespace

json LiveFirewallAttributes(const json& firewall) {
  json rules = json::array();
  for (const json& r : firewall.value("inbound_rules", json::array())) {
    if (!r.is_object()) continue;
    json src = r.value("sources", json::object());
    if (!src.is_object()) src = json::object();
    rules.push_back({{"protocol", Str(r, "protocol")},
                     {"ports", Str(r, "ports")},
                     {"sources", src.value("addresses", json::array())},
                     {"source_tags", src.value("tags", json::array())}});
  }
  std::vector<std::string> tags = TagList(firewall);
  return {{"rules", rules}, {"target_tag", tags.empty() ? "" : tags[0]}};
}

json CanonicalFirewallRules(const json& rules) {
  json out = json::array();
  if (!rules.is_array()) return out;
  for (const json& r : rules)
    if (r.is_object()) out.push_back(CanonicalRule(r));
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return out;
}

namespace {

class FirewallHandler final : public common::ResourceHandler {
 public:
  explicit FirewallHandler(Api* api) : api_(api) {}
  model::Kind kind() const override { return model::Kind::kFirewall; }
  std::vector<AttributeSpec> Attributes() const override {
    return {{"rules", true, OnChange::kInPlace, "PUT /v2/firewalls/{id} (the whole firewall)"},
            {"target_tag", true, OnChange::kInPlace, "PUT /v2/firewalls/{id}"},
            {"network", false, OnChange::kReplace, "create-only input"}};
  }

  json Canonical(const json& attributes) const override {
    json j = attributes;
    if (j.contains("rules")) j["rules"] = CanonicalFirewallRules(j["rules"]);
    return j;
  }

  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override {
    Result<json> made = Body(r);
    if (!made.ok()) return made.status();
    const json& body = *made;
    Result<json> f = api_->CreateNamed("firewall", "/firewalls", "firewalls", "firewall", r.cloud_name, body, ctx);
    if (!f.ok()) return f.status();
    return Observed(Str(*f, "id"), r.cloud_name);
  }

  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext&) override {
    Result<json> body = Body(r);
    if (!body.ok()) return body.status();
    Result<common::RestResponse> put = api_->rest->Call("PUT", "/firewalls/" + prior.id, *body);
    if (!put.ok()) return put.status();
    ObservedResource o;
    o.id = prior.id;
    o.cloud_name = prior.cloud_name;
    return o;
  }

  Status Delete(const state::ResourceState& prior, engine::ApplyContext&) override {
    return api_->rest->Delete("/firewalls/" + prior.id);
  }

 private:
  // The full request body (POST and PUT take the same), tags ensured.
  Result<json> Body(const model::Resource& r) {
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
    ORCH_RETURN_IF_ERROR(api_->EnsureTags(needed));
    json everywhere = {{"addresses", {"0.0.0.0/0", "::/0"}}};
    json outbound = json::array({{{"protocol", "tcp"}, {"ports", "all"}, {"destinations", everywhere}},
                                 {{"protocol", "udp"}, {"ports", "all"}, {"destinations", everywhere}},
                                 {{"protocol", "icmp"}, {"destinations", everywhere}}});
    json body = {{"name", r.cloud_name}, {"inbound_rules", inbound}, {"outbound_rules", outbound}};
    if (!target.empty()) body["tags"] = {target};
    return body;
  }

  Api* api_;
};

}  // namespace

std::unique_ptr<common::ResourceHandler> NewFirewallHandler(Api* api) { return std::make_unique<FirewallHandler>(api); }

}  // namespace orch::providers::digitalocean
