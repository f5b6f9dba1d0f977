#include "providers/openstack/drift.h"

#include <algorithm>
#include <set>

#include "providers/common/json_read.h"
#include "util/strings.h"

namespace orch::providers::openstack {

using common::Str;
using nlohmann::json;

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

json IntOr(const json& obj, const char* key, int fallback) {
  if (obj.is_object() && obj.contains(key) && obj[key].is_number_integer()) return obj[key];
  return fallback;
}

// "9042" -> (9042, 9042), "8000-8100" -> (8000, 8100); -1s when unreadable.
std::pair<int, int> PortRange(const std::string& ports) {
  try {
    size_t dash = ports.find('-');
    int lo = std::stoi(ports.substr(0, dash));
    int hi = dash == std::string::npos ? lo : std::stoi(ports.substr(dash + 1));
    return {lo, hi};
  } catch (...) {
    return {-1, -1};
  }
}

std::string Source(std::string s) {
  if (s.find('/') == std::string::npos && s.find('.') != std::string::npos) s += "/32";
  return s;
}

}  // namespace

json LiveRules(const std::vector<json>& neutron_rules, const std::map<std::string, std::string>& group_names) {
  json out = json::array();
  for (const json& r : neutron_rules) {
    if (!r.is_object() || Str(r, "direction", "ingress") != "ingress") continue;
    json rule = {{"protocol", Str(r, "protocol")}, {"sources", json::array()}, {"source_tags", json::array()}};
    const json lo = r.value("port_range_min", json()), hi = r.value("port_range_max", json());
    if (lo.is_number_integer()) {
      int a = lo.get<int>(), b = hi.is_number_integer() ? hi.get<int>() : a;
      rule["ports"] = a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b);
    } else {
      rule["ports"] = "";
    }
    const std::string group = Str(r, "remote_group_id");
    if (!group.empty()) {
      auto it = group_names.find(group);
      rule["source_tags"].push_back(it == group_names.end() ? group : it->second);
    } else {
      rule["sources"].push_back(Str(r, "remote_ip_prefix", "0.0.0.0/0"));
    }
    out.push_back(std::move(rule));
  }
  return out;
}

json LiveHealthCheck(const json* monitor) {
  if (!monitor || !monitor->is_object()) return nullptr;
  const json& m = *monitor;
  json out = {{"protocol", Lower(Str(m, "type"))},
              {"interval_s", m.value("delay", json())},
              {"timeout_s", m.value("timeout", json())},
              {"healthy_threshold", m.value("max_retries", json())},
              {"unhealthy_threshold", m.value("max_retries_down", json())}};
  if (!Str(m, "url_path").empty()) out["path"] = Str(m, "url_path");
  return out;
}

json LiveListener(const json& listener, const json* pool, const std::vector<json>& members) {
  json out = {{"protocol", Lower(Str(listener, "protocol"))},
              {"port", listener.value("protocol_port", json())},
              {"target_protocol", pool ? json(Lower(Str(*pool, "protocol"))) : json()},
              {"target_port", nullptr}};
  for (const json& m : members)
    if (m.contains("protocol_port") && m["protocol_port"].is_number_integer()) {
      out["target_port"] = m["protocol_port"];
      break;
    }
  return out;
}

json CanonicalRules(const json& rules) {
  std::set<std::string> atoms;
  if (rules.is_array())
    for (const json& rule : rules) {
      if (!rule.is_object()) continue;
      const std::string protocol = Str(rule, "protocol", "tcp");
      const std::string ports = Str(rule, "ports");
      std::pair<int, int> range{-1, -1};
      if (protocol != "icmp") range = ports.empty() ? std::pair{1, 65535} : PortRange(ports);
      const std::string head = protocol + "|" + std::to_string(range.first) + "|" + std::to_string(range.second) + "|";
      json sources = rule.value("sources", json::array()), tags = rule.value("source_tags", json::array());
      if (!sources.is_array()) sources = json::array();
      if (!tags.is_array()) tags = json::array();
      if (sources.empty() && tags.empty()) sources = {"0.0.0.0/0"};
      for (const json& s : sources)
        if (s.is_string()) atoms.insert(head + "ip:" + Source(s.get<std::string>()));
      for (const json& t : tags)
        if (t.is_string()) atoms.insert(head + "group:" + t.get<std::string>());
    }
  json out = json::array();
  for (const std::string& a : atoms) out.push_back(a);
  return out;
}

json CanonicalHealthCheck(const json& h) {
  if (!h.is_object()) return h;
  const std::string protocol = Lower(Str(h, "protocol", "tcp"));
  json out = {{"protocol", protocol},
              {"interval_s", IntOr(h, "interval_s", 10)},
              {"timeout_s", IntOr(h, "timeout_s", 5)},
              {"healthy_threshold", IntOr(h, "healthy_threshold", 3)},
              {"unhealthy_threshold", IntOr(h, "unhealthy_threshold", 3)}};
  if (protocol == "http" || protocol == "https") out["path"] = Str(h, "path", "/").empty() ? "/" : Str(h, "path", "/");
  return out;
}

json FillUnreported(const json& attributes, const json& desired) {
  if (!attributes.is_object() || !desired.is_object()) return attributes;
  json a = attributes;
  const json want = desired.value("listeners", json());
  if (a.contains("listeners") && a["listeners"].is_array() && want.is_array())
    for (json& l : a["listeners"]) {
      if (!l.is_object() || !l.value("target_port", json()).is_null()) continue;
      for (const json& d : want)
        if (d.is_object() && d.value("port", json(80)) == l.value("port", json(80)))
          l["target_port"] = d.value("target_port", d.value("port", json(80)));
    }
  const json wt = desired.value("targets", json());
  if (a.contains("targets") && a["targets"].is_object() && wt.is_object())
    for (const char* k : {"tier", "tag"})
      if (!a["targets"].contains(k) && wt.contains(k)) a["targets"][k] = wt[k];
  return a;
}

json CanonicalIps(const json& v) {
  std::set<std::string> ips;
  if (v.is_string()) {
    for (const std::string& s : Split(v.get<std::string>(), ','))
      if (!Trim(s).empty()) ips.emplace(Trim(s));
  } else if (v.is_array()) {
    for (const json& s : v)
      if (s.is_string() && !s.get<std::string>().empty()) ips.insert(s.get<std::string>());
  }
  json out = json::array();
  for (const std::string& ip : ips) out.push_back(ip);
  return out;
}

json CanonicalAttributes(const std::string& kind, const json& attributes) {
  if (!attributes.is_object()) return attributes;
  json a = attributes;
  if (kind == "firewall") {
    if (a.contains("rules")) a["rules"] = CanonicalRules(a["rules"]);
  } else if (kind == "load_balancer") {
    if (a.contains("listeners")) a["listeners"] = CanonicalListeners(a["listeners"]);
    if (a.contains("health_check")) a["health_check"] = CanonicalHealthCheck(a["health_check"]);
    if (a.contains("targets") && a["targets"].is_object()) {
      json t = a["targets"];
      a["targets.private_ips"] = CanonicalIps(t.value("private_ips", json()));
      t.erase("private_ips");
      a["targets"] = t;
    }
  }
  return a;
}

}  // namespace orch::providers::openstack
