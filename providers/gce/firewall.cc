// Firewalls: one GCE firewall rule per spec rule, `<name>-<i>`; drift of
// the rules or the target tag is patched rule by rule.
#include "providers/gce/api.h"

#include <map>

#include "util/strings.h"

namespace orch::providers::gce {

using common::AttributeSpec;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

namespace {

std::string CanonicalPorts(const std::string& protocol, const std::string& ports) {
  if (protocol == "icmp") return "";
  std::string out;
  for (const std::string& p : Split(ports, ',')) {
    std::string t(Trim(p));
    if (t.empty()) continue;
    out += (out.empty() ? "" : ",") + t;
  }
  return out;
}

// The index of rule "<base>-<i>", or -1.
int RuleIndex(const std::string& name, const std::string& base) {
  if (name.size() <= base.size() + 1 || name.compare(0, base.size() + 1, base + "-") != 0) return -1;
  std::string digits = name.substr(base.size() + 1);
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(digits);
}

std::string BaseName(const std::string& rule_name) {
  size_t dash = rule_name.rfind('-');
  return dash == std::string::npos ? rule_name : rule_name.substr(0, dash);
}

}  // namespace

static json FirewallAllowed(const json& rule) {
  json allowed = {{"IPProtocol", Str(rule, "protocol", "tcp")}};
  std::string ports = Str(rule, "ports");
  if (!ports.empty() && allowed["IPProtocol"] != "icmp") {
    json list = json::array();
    for (const std::string& p : Split(ports, ','))
      if (!Trim(p).empty()) list.push_back(std::string(Trim(p)));
    allowed["ports"] = list;
  }
  return allowed;
}

json FirewallRuleBody(const model::Resource& r, const json& rule, int index) {
  const json& a = r.attributes;
  json body = {{"name", r.cloud_name + "-" + std::to_string(index)},
               {"network", Str(a, "network", "global/networks/default")},
               {"direction", "INGRESS"},
               {"allowed", json::array({FirewallAllowed(rule)})},
               {"targetTags", json::array({Str(a, "target_tag")})},
               {"description", DescriptionFor(r.tags)}};
  if (rule.contains("sources") && !rule["sources"].empty()) body["sourceRanges"] = rule["sources"];
  if (rule.contains("source_tags") && !rule["source_tags"].empty()) body["sourceTags"] = rule["source_tags"];
  return body;
}

json LiveFirewallAttributes(const std::vector<json>& rules) {
  std::map<int, const json*> by_index;
  for (const json& f : rules) {
    std::string name = Str(f, "name");
    int i = RuleIndex(name, BaseName(name));
    if (i >= 0) by_index[i] = &f;
  }
  json out_rules = json::array();
  std::string target;
  bool first = true, same = true;
  for (const auto& [i, f] : by_index) {
    json allowed = f->value("allowed", json::array());
    json a = allowed.is_array() && !allowed.empty() && allowed[0].is_object() ? allowed[0] : json::object();
    std::string ports;
    for (const json& p : common::StringItems(a.value("ports", json::array()))) ports += (ports.empty() ? "" : ",") + p.get<std::string>();
    out_rules.push_back({{"protocol", Str(a, "IPProtocol")},
                         {"ports", ports},
                         {"sources", common::StringItems(f->value("sourceRanges", json::array()))},
                         {"source_tags", common::StringItems(f->value("sourceTags", json::array()))}});
    json tags = common::StringItems(f->value("targetTags", json::array()));
    std::string t = tags.size() == 1 ? tags[0].get<std::string>() : "";
    if (first) target = t;
    else if (t != target) same = false;
    first = false;
  }
  return {{"rules", out_rules}, {"target_tag", same ? target : ""}};
}

json CanonicalFirewallRules(const json& rules) {
  json out = json::array();
  if (!rules.is_array()) return out;
  for (const json& r : rules) {
    if (!r.is_object()) continue;
    std::string protocol = Str(r, "protocol", "tcp");
    json sources = common::StringItems(r.value("sources", json::array()));
    json tags = common::StringItems(r.value("source_tags", json::array()));
    if (sources.empty() && tags.empty()) sources = json::array({"0.0.0.0/0"});  // GCE's default
    out.push_back({{"protocol", protocol},
                   {"ports", CanonicalPorts(protocol, Str(r, "ports"))},
                   {"sources", sources},
                   {"source_tags", tags}});
  }
  return out;
}

plan::DiffDecision DiffFirewall(const json& desired, const json& prior) {
  if (desired == prior) return plan::DiffDecision::kNoop;
  if (!desired.is_object() || !prior.is_object()) return plan::DiffDecision::kReplace;
  // The network cannot be patched; rules and the target tag can.
  json d = desired, p = prior;
  for (const char* k : {"rules", "target_tag"}) {
    d.erase(k);
    p.erase(k);
  }
  if (d != p) return plan::DiffDecision::kReplace;
  if (CanonicalFirewallRules(desired.value("rules", json::array())) ==
          CanonicalFirewallRules(prior.value("rules", json::array())) &&
      Str(desired, "target_tag") == Str(prior, "target_tag"))
    return plan::DiffDecision::kNoop;
  return plan::DiffDecision::kUpdate;
}

namespace {

class FirewallHandler final : public GceHandler {
 public:
  using GceHandler::GceHandler;
  model::Kind kind() const override { return model::Kind::kFirewall; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
      {"rules", true, OnChange::kInPlace, "`PATCH global/firewalls/{name}-{i}` (the fields that differ); a missing rule inserted, an extra one deleted"},
      {"target_tag", true, OnChange::kInPlace, "`PATCH global/firewalls/{name}-{i}` (`targetTags`)"},
      {"network", false, OnChange::kReplace, "a rule cannot move to another network"},
    };
  }
  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override {
    return DiffFirewall(desired.attributes, prior.attributes);
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;
};

}  // namespace

Result<ObservedResource> FirewallHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  int i = 0;
  for (const json& rule : r.attributes.value("rules", json::array())) {
    json body = FirewallRuleBody(r, rule, i++);
    std::string name = Str(body, "name");
    Result<json> f = Ensure({"global/firewalls", name, body, "firewall-" + std::to_string(i), "firewall rule " + name},
                            r, ctx);
    if (!f.ok()) return f.status();
  }
  ObservedResource o;
  o.id = r.cloud_name;
  o.outputs = {{"rules", i}};
  return o;
}

Result<ObservedResource> FirewallHandler::Update(const model::Resource& r, const state::ResourceState& prior,
                                                     engine::ApplyContext& ctx) {
  (void)prior;
  Result<std::vector<json>> live = client_->List("/global/firewalls", "name eq " + r.cloud_name + "-[0-9]+");
  if (!live.ok()) return live.status().WithPrefix("listing the rules of firewall " + r.cloud_name);
  std::map<int, json> by_index;
  for (json& f : *live) {
    int i = RuleIndex(Str(f, "name"), r.cloud_name);
    if (i >= 0) by_index[i] = std::move(f);
  }
  const json rules = r.attributes.value("rules", json::array());
  int i = 0;
  for (const json& rule : rules) {
    const int index = i++;
    json want = FirewallRuleBody(r, rule, index);
    const std::string name = Str(want, "name");
    auto it = by_index.find(index);
    if (it == by_index.end()) {  // deleted outside: insert it again
      Result<json> f = Ensure({"global/firewalls", name, want, "firewall-" + std::to_string(index + 1),
                               "firewall rule " + name},
                              r, ctx);
      if (!f.ok()) return f.status();
      continue;
    }
    const json& have = it->second;
    // A JSON merge patch of what differs: a list replaces the live one, null
    // removes it (no source given is GCE's 0.0.0.0/0, as at insert).
    json patch = json::object();
    json ranges = want.value("sourceRanges", json::array());
    if (ranges.empty() && !want.contains("sourceTags")) ranges = json::array({"0.0.0.0/0"});
    if (common::StringItems(have.value("sourceRanges", json::array())) != ranges)
      patch["sourceRanges"] = ranges.empty() ? json(nullptr) : ranges;
    for (const char* k : {"sourceTags", "targetTags"}) {
      json w = want.value(k, json::array());
      if (common::StringItems(have.value(k, json::array())) != w) patch[k] = w.empty() ? json(nullptr) : w;
    }
    if (have.value("allowed", json::array()) != want["allowed"] || have.contains("denied")) {
      patch["allowed"] = want["allowed"];
      if (have.contains("denied")) patch["denied"] = nullptr;
    }
    if (patch.empty()) continue;
    ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
        "PATCH", "/global/firewalls/" + name, patch,
        RequestId(request_scope_, r.address.ToString(), "firewall-patch-" + std::to_string(index), ctx.attempt, patch),
        ctx, "updating firewall rule " + name));
  }
  for (const auto& [index, f] : by_index)
    if (index >= static_cast<int>(rules.size()))
      ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/global/firewalls/" + Str(f, "name"), ctx,
                                                  "firewall rule " + Str(f, "name")));
  ObservedResource o;
  o.id = r.cloud_name;
  o.outputs = {{"rules", static_cast<int>(rules.size())}};
  return o;
}

Status FirewallHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  Result<std::vector<json>> rules = client_->List("/global/firewalls", "name eq " + prior.id + "-[0-9]+");
  if (!rules.ok()) return rules.status();
  for (const json& f : *rules)
    ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/global/firewalls/" + Str(f, "name"), ctx, "firewall rule " + Str(f, "name")));
  return Status::OK();
}

std::unique_ptr<common::ResourceHandler> NewFirewallHandler(Api* api) { return std::make_unique<FirewallHandler>(api); }

}  // namespace orch::providers::gce
