#include "providers/digitalocean/drift.h"

#include <algorithm>

#include "providers/digitalocean/do_provider.h"

namespace orch::providers::digitalocean {
namespace {

using nlohmann::json;

json SortedStrings(const json& list) {
  json out = json::array();
  if (!list.is_array()) return out;
  for (const json& v : list)
    if (v.is_string()) out.push_back(v);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

json CanonicalRule(const json& rule) {
  std::string protocol = Str(rule, "protocol", "tcp");
  std::string ports = Str(rule, "ports");
  if (protocol == "icmp") ports = "";
  else if (ports.empty() || ports == "0" || ports == "1-65535") ports = "all";
  json sources = SortedStrings(rule.value("sources", json::array()));
  json tags = SortedStrings(rule.value("source_tags", json::array()));
  if (sources.empty() && tags.empty()) sources = {"0.0.0.0/0", "::/0"};
  return {{"protocol", protocol}, {"ports", ports}, {"sources", sources}, {"source_tags", tags}};
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

json CanonicalListeners(const json& listeners) {
  json out = json::array();
  if (!listeners.is_array()) return out;
  for (const json& l : listeners) {
    if (!l.is_object()) continue;
    std::string proto = Str(l, "protocol", "http");
    json port = l.value("port", json(80));
    out.push_back({{"protocol", proto},
                   {"port", port},
                   {"target_protocol", Str(l, "target_protocol", proto)},
                   {"target_port", l.value("target_port", port)}});
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return out;
}

json CanonicalHealthCheck(const json& health_check) {
  if (!health_check.is_object()) return health_check;
  json out = health_check;
  if (Str(out, "protocol") == "tcp") out.erase("path");
  return out;
}

json CanonicalFirewallRules(const json& rules) {
  json out = json::array();
  if (!rules.is_array()) return out;
  for (const json& r : rules)
    if (r.is_object()) out.push_back(CanonicalRule(r));
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return out;
}

}  // namespace orch::providers::digitalocean
