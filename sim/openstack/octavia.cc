// Octavia v2: load balancers (VIP port from Neutron), listeners, pools,
// members (including the batch update), health monitors, the status tree and
// cascade delete. Provisioning is lazy: each object stores its pending status
// and the time it becomes ACTIVE; a mutation of any child puts its load
// balancer in PENDING_UPDATE until the child is done, and any mutation while
// the tree is PENDING_* is refused with 409 as Octavia does.
#include <algorithm>

#include "openstack/model.h"

namespace cloudsim::openstack {
namespace {

constexpr double kLbCreateSeconds = 60, kChildSeconds = 10, kUpdateSeconds = 5, kDeleteSeconds = 10;

struct Kind {
  const char* kind;      // "listener"
  const char* path;      // "listeners"
  const char* title;     // "Listener" (error messages)
  Docs Model::*docs;
};
const Kind kLb{"loadbalancer", "loadbalancers", "Load Balancer", &Model::loadbalancers};
const Kind kListener{"listener", "listeners", "Listener", &Model::listeners};
const Kind kPool{"pool", "pools", "Pool", &Model::pools};
const Kind kMember{"member", "members", "Member", &Model::members};
const Kind kMonitor{"healthmonitor", "healthmonitors", "Health Monitor", &Model::healthmonitors};
const Kind* const kKinds[] = {&kLb, &kListener, &kPool, &kMember, &kMonitor};

std::string Prov(Model* m, const json& o) {
  std::string p = o.value("_prov", "ACTIVE");
  if (p == "PENDING_DELETE") return p;
  return m->Now() < o.value("_ready_at", 0.0) ? p : "ACTIVE";
}

bool Pending(Model* m, const json& o) { return Prov(m, o).rfind("PENDING_", 0) == 0; }

std::string Oper(Model* m, const json& o, const std::string& kind) {
  if (!o.value("admin_state_up", true)) return "OFFLINE";
  std::string p = Prov(m, o);
  if (p == "PENDING_CREATE") return kind == "member" ? "NO_MONITOR" : "OFFLINE";
  if (kind == "member") {
    auto pool = m->pools.find(o.value("_pool", ""));
    bool monitored = false;
    for (const auto& [id, hm] : m->healthmonitors) monitored = monitored || (pool != m->pools.end() && hm["_pool"] == pool->first);
    return monitored ? "ONLINE" : "NO_MONITOR";
  }
  return "ONLINE";
}

json Refs(const Docs& docs, const std::string& field, const std::string& value) {
  json out = json::array();
  for (const auto& [id, d] : docs)
    if (d.value(field, "") == value) out.push_back({{"id", id}});
  return out;
}

json Common(Model* m, const json& o, const std::string& kind) {
  json out = Public(o);
  out["provisioning_status"] = Prov(m, o);
  out["operating_status"] = Oper(m, o, kind);
  out["created_at"] = IsoPlain(o["_created"].get<double>());
  double upd = o.value("_updated", 0.0);
  if (!Pending(m, o) && o.contains("_ready_at")) upd = std::max(upd, o["_ready_at"].get<double>());
  out["updated_at"] = upd > 0 ? json(IsoPlain(upd)) : json();
  out["tenant_id"] = o["project_id"];
  return out;
}

json View(Model* m, const Kind& k, const json& o) {
  json out = Common(m, o, k.kind);
  std::string id = o["id"];
  if (&k == &kLb) {
    out["listeners"] = Refs(m->listeners, "_lb", id);
    out["pools"] = Refs(m->pools, "_lb", id);
  } else if (&k == &kListener) {
    out["loadbalancers"] = {{{"id", o["_lb"]}}};
    out["default_pool_id"] = o.value("default_pool_id", json());
  } else if (&k == &kPool) {
    out["loadbalancers"] = {{{"id", o["_lb"]}}};
    out["listeners"] = o.value("_listener", "").empty() ? json::array() : json{{{"id", o["_listener"]}}};
    out["members"] = Refs(m->members, "_pool", id);
    // Octavia leaves unset attributes out: healthmonitor_id only once the pool has one.
    json hm = Refs(m->healthmonitors, "_pool", id);
    if (!hm.empty()) out["healthmonitor_id"] = hm[0]["id"];
  } else if (&k == &kMonitor) {
    out["pools"] = {{{"id", o["_pool"]}}};
  }
  return out;
}

HttpResponse NotFound(const Kind& k, const std::string& id) {
  return OctaviaError(404, std::string(k.title) + " " + id + " not found.");
}

HttpResponse Immutable(const std::string& lb) {
  return OctaviaError(409, "Load Balancer " + lb + " is immutable and cannot be updated.");
}

HttpResponse Missing(const std::string& field) {
  return OctaviaError(400, "Invalid input for field/attribute " + field + ". Value: 'Unset'. Mandatory field missing.");
}

HttpResponse BadValue(const std::string& field, const json& v, const std::string& why) {
  return OctaviaError(400, "Invalid input for field/attribute " + field + ". Value: '" +
                               (v.is_string() ? v.get<std::string>() : v.dump()) + "'. " + why);
}

// Marks a child pending and the load balancer PENDING_UPDATE until it is done.
void MarkPending(Model* m, json* child, const std::string& status, double secs) {
  double at = m->Now() + m->ctx->Latency(secs);
  (*child)["_prov"] = status;
  (*child)["_ready_at"] = at;
  if (status != "PENDING_CREATE") (*child)["_updated"] = m->Now();
  std::string lb = child->value("_lb", "");
  if (!lb.empty() && m->loadbalancers.count(lb)) {
    json& l = m->loadbalancers[lb];
    l["_prov"] = "PENDING_UPDATE";
    l["_ready_at"] = at;
    l["_updated"] = m->Now();
  }
}

bool ValidPort(const json& v) { return v.is_number_integer() && v.get<int>() >= 1 && v.get<int>() <= 65535; }

json TagsOf(const json& in) { return in.value("tags", json::array()); }

// Applies the common optional fields.
void Copy(const json& in, json* o, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (in.contains(k)) (*o)[k] = in[k];
}

HttpResponse CreateLb(Model* m, const json& in, const Caller& c) {
  std::string subnet = in.value("vip_subnet_id", json()).is_string() ? in["vip_subnet_id"].get<std::string>() : "";
  std::string network = in.value("vip_network_id", json()).is_string() ? in["vip_network_id"].get<std::string>() : "";
  std::string port_id = in.value("vip_port_id", json()).is_string() ? in["vip_port_id"].get<std::string>() : "";
  if (subnet.empty() && network.empty() && port_id.empty())
    return OctaviaError(400, "Validation failure: VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.");
  if (in.contains("listeners") && !in["listeners"].empty())
    return OctaviaError(400, "Validation failure: Single-call creation of load balancer trees is not supported.");
  std::string id = m->Uuid();
  if (!port_id.empty()) {
    auto pit = m->ports.find(port_id);
    if (pit == m->ports.end()) return OctaviaError(400, "Port " + port_id + " not found.");
    if (pit->second["fixed_ips"].empty()) return OctaviaError(400, "Validation failure: No VIP address found on the port.");
    network = pit->second["network_id"];
    subnet = pit->second["fixed_ips"][0]["subnet_id"];
  } else {
    if (!subnet.empty() && !m->subnets.count(subnet)) return OctaviaError(400, "Subnet " + subnet + " not found.");
    if (!network.empty() && !m->networks.count(network)) return OctaviaError(400, "Network " + network + " not found.");
    if (subnet.empty()) {
      if (m->networks[network]["subnets"].empty())
        return OctaviaError(400, "Validation failure: Supplied network does not contain a subnet.");
      subnet = m->networks[network]["subnets"][0];
    }
    if (network.empty()) network = m->subnets[subnet]["network_id"];
    if (m->subnets[subnet]["network_id"] != network)
      return OctaviaError(400, "Validation failure: vip_subnet_id " + subnet + " is not in vip_network_id " + network + ".");
    int status = 0;
    json err;
    port_id = m->CreatePort(network, subnet, c.project_id, "lb-" + id, "Octavia", "octavia-lb-" + id, json::array(),
                            &status, &err);
    if (port_id.empty()) return OctaviaError(status == 409 ? 409 : 400, err.value("message", "VIP port allocation failed"));
  }
  double now = m->Now();
  json lb = {{"id", id}, {"name", in.value("name", "")}, {"description", in.value("description", "")},
             {"admin_state_up", in.value("admin_state_up", true)}, {"project_id", c.project_id},
             {"vip_address", m->ports[port_id]["fixed_ips"][0]["ip_address"]}, {"vip_port_id", port_id},
             {"vip_subnet_id", subnet}, {"vip_network_id", network}, {"additional_vips", json::array()},
             {"provider", in.value("provider", "amphora")}, {"flavor_id", in.value("flavor_id", json())},
             {"vip_qos_policy_id", nullptr}, {"tags", TagsOf(in)}, {"availability_zone", in.value("availability_zone", json())},
             {"_created", now}, {"_prov", "PENDING_CREATE"}, {"_ready_at", now + m->ctx->Latency(kLbCreateSeconds)},
             {"_own_port", in.value("vip_port_id", json()).is_string() ? "" : port_id}};
  m->loadbalancers[id] = lb;
  return HttpResponse::Json(201, {{"loadbalancer", View(m, kLb, lb)}});
}

HttpResponse CreateListener(Model* m, const json& in, const Caller& c) {
  if (!in.contains("loadbalancer_id")) return Missing("loadbalancer_id");
  if (!in.contains("protocol")) return Missing("protocol");
  if (!in.contains("protocol_port")) return Missing("protocol_port");
  static const std::set<std::string> kProto = {"HTTP", "HTTPS", "TCP", "TERMINATED_HTTPS", "UDP", "SCTP", "PROMETHEUS"};
  if (!in["protocol"].is_string() || !kProto.count(in["protocol"]))
    return BadValue("protocol", in["protocol"], "Value should be one of: HTTP, HTTPS, PROMETHEUS, SCTP, TCP, TERMINATED_HTTPS, UDP");
  if (!ValidPort(in["protocol_port"])) return BadValue("protocol_port", in["protocol_port"], "Value should be between 1 and 65535");
  std::string lb = in["loadbalancer_id"];
  auto lit = m->loadbalancers.find(lb);
  if (lit == m->loadbalancers.end()) return OctaviaError(400, "Validation failure: Load Balancer " + lb + " not found.");
  if (Pending(m, lit->second)) return Immutable(lb);
  for (const auto& [id, l] : m->listeners)
    if (l["_lb"] == lb && l["protocol_port"] == in["protocol_port"])
      return OctaviaError(409, "Another Listener on this Load Balancer is already using protocol_port " +
                                   in["protocol_port"].dump());
  std::string id = m->Uuid();
  bool http = in["protocol"] == "HTTP" || in["protocol"] == "TERMINATED_HTTPS" || in["protocol"] == "HTTPS";
  json l = {{"id", id}, {"name", in.value("name", "")}, {"description", in.value("description", "")},
            {"admin_state_up", in.value("admin_state_up", true)}, {"protocol", in["protocol"]},
            {"protocol_port", in["protocol_port"]}, {"connection_limit", in.value("connection_limit", -1)},
            {"default_tls_container_ref", nullptr}, {"sni_container_refs", json::array()}, {"project_id", c.project_id},
            {"default_pool_id", in.value("default_pool_id", json())}, {"l7policies", json::array()},
            {"insert_headers", in.value("insert_headers", json::object())},
            {"timeout_client_data", in.value("timeout_client_data", 50000)},
            {"timeout_member_connect", in.value("timeout_member_connect", 5000)},
            {"timeout_member_data", in.value("timeout_member_data", 50000)},
            {"timeout_tcp_inspect", in.value("timeout_tcp_inspect", 0)}, {"tags", TagsOf(in)},
            {"client_ca_tls_container_ref", nullptr}, {"client_authentication", "NONE"},
            {"client_crl_container_ref", nullptr}, {"allowed_cidrs", in.value("allowed_cidrs", json())},
            {"tls_ciphers", nullptr}, {"tls_versions", nullptr}, {"alpn_protocols", http ? json() : json()},
            {"_lb", lb}, {"_created", m->Now()}};
  MarkPending(m, &l, "PENDING_CREATE", kChildSeconds);
  m->listeners[id] = l;
  return HttpResponse::Json(201, {{"listener", View(m, kListener, l)}});
}

HttpResponse CreatePool(Model* m, const json& in, const Caller& c) {
  if (!in.contains("protocol")) return Missing("protocol");
  if (!in.contains("lb_algorithm")) return Missing("lb_algorithm");
  static const std::set<std::string> kProto = {"HTTP", "HTTPS", "PROXY", "PROXYV2", "TCP", "UDP", "SCTP"};
  static const std::set<std::string> kAlg = {"ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT"};
  if (!in["protocol"].is_string() || !kProto.count(in["protocol"]))
    return BadValue("protocol", in["protocol"], "Value should be one of: HTTP, HTTPS, PROXY, PROXYV2, SCTP, TCP, UDP");
  if (!in["lb_algorithm"].is_string() || !kAlg.count(in["lb_algorithm"]))
    return BadValue("lb_algorithm", in["lb_algorithm"],
                    "Value should be one of: LEAST_CONNECTIONS, ROUND_ROBIN, SOURCE_IP, SOURCE_IP_PORT");
  std::string listener = in.value("listener_id", json()).is_string() ? in["listener_id"].get<std::string>() : "";
  std::string lb = in.value("loadbalancer_id", json()).is_string() ? in["loadbalancer_id"].get<std::string>() : "";
  if (listener.empty() && lb.empty())
    return OctaviaError(400, "Validation failure: Either listener_id or loadbalancer_id must be specified.");
  if (!listener.empty()) {
    auto lit = m->listeners.find(listener);
    if (lit == m->listeners.end()) return OctaviaError(400, "Validation failure: Listener " + listener + " not found.");
    if (!lit->second["default_pool_id"].is_null())
      return OctaviaError(409, "Listener " + listener + " already has a default pool");
    lb = lit->second["_lb"];
  }
  auto lbit = m->loadbalancers.find(lb);
  if (lbit == m->loadbalancers.end()) return OctaviaError(400, "Validation failure: Load Balancer " + lb + " not found.");
  if (Pending(m, lbit->second)) return Immutable(lb);
  std::string id = m->Uuid();
  json p = {{"id", id}, {"name", in.value("name", "")}, {"description", in.value("description", "")},
            {"admin_state_up", in.value("admin_state_up", true)}, {"protocol", in["protocol"]},
            {"lb_algorithm", in["lb_algorithm"]}, {"session_persistence", in.value("session_persistence", json())},
            {"project_id", c.project_id}, {"tags", TagsOf(in)}, {"tls_container_ref", nullptr},
            {"ca_tls_container_ref", nullptr}, {"crl_container_ref", nullptr}, {"tls_enabled", false},
            {"tls_ciphers", nullptr}, {"tls_versions", nullptr}, {"alpn_protocols", nullptr},
            {"_lb", lb}, {"_listener", listener}, {"_created", m->Now()}};
  MarkPending(m, &p, "PENDING_CREATE", kChildSeconds);
  if (!listener.empty()) m->listeners[listener]["default_pool_id"] = id;
  m->pools[id] = p;
  return HttpResponse::Json(201, {{"pool", View(m, kPool, p)}});
}

json NewMember(Model* m, const json& in, const std::string& pool, const std::string& lb, const Caller& c) {
  return {{"id", m->Uuid()}, {"name", in.value("name", "")}, {"admin_state_up", in.value("admin_state_up", true)},
          {"address", in["address"]}, {"protocol_port", in["protocol_port"]}, {"weight", in.value("weight", 1)},
          {"backup", in.value("backup", false)}, {"subnet_id", in.value("subnet_id", json())},
          {"project_id", c.project_id}, {"monitor_address", in.value("monitor_address", json())},
          {"monitor_port", in.value("monitor_port", json())}, {"tags", TagsOf(in)}, {"_pool", pool}, {"_lb", lb},
          {"_created", m->Now()}};
}

HttpResponse CheckMember(Model* m, const json& in) {
  if (!in.contains("address")) return Missing("address");
  if (!in.contains("protocol_port")) return Missing("protocol_port");
  uint32_t ip;
  if (!in["address"].is_string() || !ParseIpv4(in["address"], &ip))
    return BadValue("address", in["address"], "Value should be IPv4 or IPv6 format");
  if (!ValidPort(in["protocol_port"])) return BadValue("protocol_port", in["protocol_port"], "Value should be between 1 and 65535");
  if (in.contains("weight") && (!in["weight"].is_number_integer() || in["weight"].get<int>() < 0 || in["weight"].get<int>() > 256))
    return BadValue("weight", in["weight"], "Value should be lower or equal to 256");
  if (in.contains("subnet_id") && in["subnet_id"].is_string() && !m->subnets.count(in["subnet_id"]))
    return OctaviaError(400, "Validation failure: Subnet " + in["subnet_id"].get<std::string>() + " not found.");
  HttpResponse ok;
  ok.status = 0;
  return ok;
}

HttpResponse CreateMonitor(Model* m, const json& in, const Caller& c) {
  for (const char* f : {"pool_id", "type", "delay", "timeout", "max_retries"})
    if (!in.contains(f)) return Missing(f);
  static const std::set<std::string> kTypes = {"HTTP", "HTTPS", "PING", "TCP", "TLS-HELLO", "UDP-CONNECT", "SCTP"};
  if (!in["type"].is_string() || !kTypes.count(in["type"]))
    return BadValue("type", in["type"], "Value should be one of: HTTP, HTTPS, PING, SCTP, TCP, TLS-HELLO, UDP-CONNECT");
  for (const char* f : {"delay", "timeout"})
    if (!in[f].is_number_integer() || in[f].get<int>() < 0) return BadValue(f, in[f], "Value should be greater or equal to 0");
  if (!in["max_retries"].is_number_integer() || in["max_retries"].get<int>() < 1 || in["max_retries"].get<int>() > 10)
    return BadValue("max_retries", in["max_retries"], "Value should be lower or equal to 10");
  std::string pool = in["pool_id"];
  auto pit = m->pools.find(pool);
  if (pit == m->pools.end()) return OctaviaError(400, "Validation failure: Pool " + pool + " not found.");
  std::string lb = pit->second["_lb"];
  if (Pending(m, m->loadbalancers[lb])) return Immutable(lb);
  for (const auto& [id, hm] : m->healthmonitors)
    if (hm["_pool"] == pool) return OctaviaError(409, "This pool already has a health monitor");
  bool http = in["type"] == "HTTP" || in["type"] == "HTTPS";
  std::string id = m->Uuid();
  json hm = {{"id", id}, {"name", in.value("name", "")}, {"type", in["type"]}, {"delay", in["delay"]},
             {"timeout", in["timeout"]}, {"max_retries", in["max_retries"]},
             {"max_retries_down", in.value("max_retries_down", 3)},
             {"http_method", http ? json(in.value("http_method", "GET")) : json()},
             {"url_path", http ? json(in.value("url_path", "/")) : json()},
             {"expected_codes", http ? json(in.value("expected_codes", "200")) : json()},
             {"admin_state_up", in.value("admin_state_up", true)}, {"project_id", c.project_id},
             {"tags", TagsOf(in)}, {"http_version", in.value("http_version", json())},
             {"domain_name", in.value("domain_name", json())}, {"_pool", pool}, {"_lb", lb}, {"_created", m->Now()}};
  MarkPending(m, &hm, "PENDING_CREATE", kChildSeconds);
  m->healthmonitors[id] = hm;
  return HttpResponse::Json(201, {{"healthmonitor", View(m, kMonitor, hm)}});
}

// Schedules deletion of an object (and, for pools/LBs, their children).
void ScheduleDelete(Model* m, const Kind& k, const std::string& id, double at) {
  json& o = (m->*(k.docs))[id];
  o["_prov"] = "PENDING_DELETE";
  o["_ready_at"] = at;
  o["_updated"] = m->Now();
  m->Due(at, k.kind, id);
}

HttpResponse List(Model* m, const Kind& k, const HttpRequest& req, const Caller& c, const std::string& pool) {
  static const std::set<std::string> kReserved = {"limit", "marker", "page_reverse", "sort", "fields", "tags",
                                                  "tags-any", "not-tags", "not-tags-any", "project_id"};
  std::vector<json> rows;
  for (const auto& [id, o] : m->*(k.docs)) {
    if (!pool.empty() && o["_pool"] != pool) continue;
    if (o["project_id"] != c.project_id) continue;
    if (!MatchTags(req, o["tags"])) continue;
    json v = View(m, k, o);
    bool ok = true;
    for (const auto& [qk, qv] : req.query) {
      if (kReserved.count(qk)) continue;
      const json f = v.value(qk, json());
      if (f.is_string() ? f.get<std::string>() != qv : f.is_null() ? true : f.dump() != qv) ok = false;
    }
    if (ok) rows.push_back(std::move(v));
  }
  size_t start = 0;
  if (req.HasQuery("marker")) {
    for (size_t i = 0; i < rows.size(); ++i)
      if (rows[i]["id"] == req.Query("marker")) start = i + 1;
  }
  size_t limit = rows.size();
  if (req.HasQuery("limit")) {
    std::string l = req.Query("limit");
    if (l.empty() || l.find_first_not_of("0123456789") != std::string::npos)
      return OctaviaError(400, "Invalid input for field/attribute limit. Value: '" + l + "'. Invalid integer");
    limit = std::stoul(l);
  }
  json out = json::array();
  size_t end = std::min(rows.size(), start + limit);
  for (size_t i = start; i < end; ++i) out.push_back(rows[i]);
  json links = json::array();
  std::string base = m->Base(kLoadBalancerPrefix) + "/v2/lbaas/" + (pool.empty() ? std::string(k.path) : "pools/" + pool + "/members");
  if (end < rows.size() && end > start)
    links.push_back({{"rel", "next"}, {"href", base + "?limit=" + std::to_string(limit) + "&marker=" + rows[end - 1]["id"].get<std::string>()}});
  if (start > 0 && end > start)
    links.push_back({{"rel", "previous"}, {"href", base + "?limit=" + std::to_string(limit) + "&marker=" + rows[start]["id"].get<std::string>() + "&page_reverse=True"}});
  return HttpResponse::Json(200, {{k.path, out}, {std::string(k.path) + "_links", links}});
}

json StatusTree(Model* m, const json& lb) {
  std::string id = lb["id"];
  json listeners = json::array();
  auto pool_status = [&](const json& p) {
    json members = json::array();
    for (const auto& [mid, mem] : m->members)
      if (mem["_pool"] == p["id"])
        members.push_back({{"id", mid}, {"name", mem["name"]}, {"operating_status", Oper(m, mem, "member")},
                           {"provisioning_status", Prov(m, mem)}, {"address", mem["address"]},
                           {"protocol_port", mem["protocol_port"]}});
    json out = {{"id", p["id"]}, {"name", p["name"]}, {"provisioning_status", Prov(m, p)},
                {"operating_status", Oper(m, p, "pool")}, {"members", members}};
    for (const auto& [hid, hm] : m->healthmonitors)
      if (hm["_pool"] == p["id"])
        out["health_monitor"] = {{"id", hid}, {"name", hm["name"]}, {"type", hm["type"]},
                                 {"provisioning_status", Prov(m, hm)}, {"operating_status", Oper(m, hm, "healthmonitor")}};
    return out;
  };
  for (const auto& [lid, l] : m->listeners) {
    if (l["_lb"] != id) continue;
    json pools = json::array();
    for (const auto& [pid, p] : m->pools)
      if (p["_listener"] == lid) pools.push_back(pool_status(p));
    listeners.push_back({{"id", lid}, {"name", l["name"]}, {"operating_status", Oper(m, l, "listener")},
                         {"provisioning_status", Prov(m, l)}, {"pools", pools}});
  }
  return {{"statuses", {{"loadbalancer", {{"id", id}, {"name", lb["name"]}, {"operating_status", Oper(m, lb, "loadbalancer")},
                                          {"provisioning_status", Prov(m, lb)}, {"listeners", listeners}}}}}};
}

// Fields a PUT may change, per kind.
const std::set<std::string>& Updatable(const Kind& k) {
  static const std::map<std::string, std::set<std::string>> kFields = {
      {"loadbalancer", {"name", "description", "admin_state_up", "tags", "vip_qos_policy_id"}},
      {"listener", {"name", "description", "admin_state_up", "connection_limit", "default_pool_id", "insert_headers",
                    "timeout_client_data", "timeout_member_connect", "timeout_member_data", "timeout_tcp_inspect",
                    "tags", "allowed_cidrs"}},
      {"pool", {"name", "description", "admin_state_up", "lb_algorithm", "session_persistence", "tags"}},
      {"member", {"name", "admin_state_up", "weight", "backup", "monitor_address", "monitor_port", "tags"}},
      {"healthmonitor", {"name", "delay", "timeout", "max_retries", "max_retries_down", "http_method", "url_path",
                         "expected_codes", "admin_state_up", "tags", "http_version", "domain_name"}},
  };
  return kFields.at(k.kind);
}

HttpResponse Update(Model* m, const Kind& k, const std::string& id, const HttpRequest& req) {
  auto it = (m->*(k.docs)).find(id);
  if (it == (m->*(k.docs)).end()) return NotFound(k, id);
  json body;
  if (!ParseBody(req, &body) || !body.contains(k.kind) || !body[k.kind].is_object())
    return Missing(k.kind);
  const json& in = body[k.kind];
  for (auto f = in.begin(); f != in.end(); ++f)
    if (!Updatable(k).count(f.key())) return OctaviaError(400, "Invalid input for field/attribute " + f.key() + ". Value: '" + f.value().dump() + "'. Unknown attribute");
  json& o = it->second;
  if (&k == &kLb) {
    if (Pending(m, o)) return OctaviaError(409, "Invalid state " + Prov(m, o) + " of loadbalancer resource " + id);
    Copy(in, &o, {"name", "description", "admin_state_up", "tags", "vip_qos_policy_id"});
    o["_prov"] = "PENDING_UPDATE";
    o["_ready_at"] = m->Now() + m->ctx->Latency(kUpdateSeconds);
    o["_updated"] = m->Now();
  } else {
    std::string lb = o["_lb"];
    if (Pending(m, m->loadbalancers[lb]) || Pending(m, o)) return Immutable(lb);
    for (auto f = in.begin(); f != in.end(); ++f) o[f.key()] = f.value();
    MarkPending(m, &o, "PENDING_UPDATE", kUpdateSeconds);
  }
  return HttpResponse::Json(200, {{k.kind, View(m, k, o)}});
}

HttpResponse Delete(Model* m, const Kind& k, const std::string& id, const HttpRequest& req) {
  auto it = (m->*(k.docs)).find(id);
  if (it == (m->*(k.docs)).end()) return NotFound(k, id);
  json& o = it->second;
  double at = m->Now() + m->ctx->Latency(kDeleteSeconds);
  if (&k == &kLb) {
    if (Pending(m, o)) return OctaviaError(409, "Invalid state " + Prov(m, o) + " of loadbalancer resource " + id);
    bool children = !Refs(m->listeners, "_lb", id).empty() || !Refs(m->pools, "_lb", id).empty();
    std::string cascade = req.Query("cascade");
    if (children && cascade != "true" && cascade != "True")
      return OctaviaError(400, "Validation failure: Cannot delete Load Balancer " + id + " - it has children");
    for (const Kind* ck : kKinds)
      for (auto& [cid, child] : m->*(ck->docs))
        if (ck != &kLb && child.value("_lb", "") == id) {
          child["_prov"] = "PENDING_DELETE";
          child["_ready_at"] = at;
        }
    ScheduleDelete(m, kLb, id, at);
    return HttpResponse::Empty(204);
  }
  std::string lb = o["_lb"];
  if (Pending(m, m->loadbalancers[lb]) || Pending(m, o)) return Immutable(lb);
  MarkPending(m, &o, "PENDING_DELETE", kDeleteSeconds);
  ScheduleDelete(m, k, id, o["_ready_at"].get<double>());
  if (&k == &kPool) {
    for (auto& [cid, child] : m->members)
      if (child["_pool"] == id) child["_prov"] = "PENDING_DELETE";
    for (auto& [cid, child] : m->healthmonitors)
      if (child["_pool"] == id) child["_prov"] = "PENDING_DELETE";
  }
  return HttpResponse::Empty(204);
}

HttpResponse BatchMembers(Model* m, const std::string& pool, const HttpRequest& req, const Caller& c) {
  auto pit = m->pools.find(pool);
  if (pit == m->pools.end()) return NotFound(kPool, pool);
  std::string lb = pit->second["_lb"];
  if (Pending(m, m->loadbalancers[lb]) || Pending(m, pit->second)) return Immutable(lb);
  json body;
  if (!ParseBody(req, &body) || !body.contains("members") || !body["members"].is_array()) return Missing("members");
  std::map<std::string, std::string> existing;  // "addr:port" -> id
  for (const auto& [id, mem] : m->members)
    if (mem["_pool"] == pool) existing[mem["address"].get<std::string>() + ":" + mem["protocol_port"].dump()] = id;
  std::set<std::string> seen;
  for (const auto& in : body["members"]) {
    HttpResponse bad = CheckMember(m, in);
    if (bad.status != 0) return bad;
    std::string key = in["address"].get<std::string>() + ":" + in["protocol_port"].dump();
    if (!seen.insert(key).second)
      return OctaviaError(400, "Validation failure: Duplicate member address/port in batch: " + key);
  }
  double at = m->Now() + m->ctx->Latency(kUpdateSeconds);
  for (const auto& in : body["members"]) {
    std::string key = in["address"].get<std::string>() + ":" + in["protocol_port"].dump();
    auto ex = existing.find(key);
    if (ex != existing.end()) {
      json& mem = m->members[ex->second];
      Copy(in, &mem, {"name", "weight", "backup", "admin_state_up", "monitor_address", "monitor_port", "tags"});
      mem["_prov"] = "PENDING_UPDATE";
      mem["_ready_at"] = at;
      mem["_updated"] = m->Now();
      existing.erase(ex);
    } else {
      json mem = NewMember(m, in, pool, lb, c);
      mem["_prov"] = "PENDING_CREATE";
      mem["_ready_at"] = at;
      m->members[mem["id"].get<std::string>()] = mem;
    }
  }
  for (const auto& [key, id] : existing) ScheduleDelete(m, kMember, id, at);
  json& l = m->loadbalancers[lb];
  l["_prov"] = "PENDING_UPDATE";
  l["_ready_at"] = at;
  l["_updated"] = m->Now();
  return HttpResponse::Empty(202);
}

}  // namespace

void CompleteOctavia(Model* m, const std::string& kind, const std::string& id) {
  for (const Kind* k : kKinds) {
    if (kind != k->kind) continue;
    auto it = (m->*(k->docs)).find(id);
    if (it == (m->*(k->docs)).end() || it->second.value("_prov", "") != "PENDING_DELETE") return;
    if (k == &kLb) {
      for (const Kind* ck : kKinds) {
        if (ck == &kLb) continue;
        Docs& docs = m->*(ck->docs);
        for (auto c = docs.begin(); c != docs.end();) c = c->second.value("_lb", "") == id ? docs.erase(c) : std::next(c);
      }
      std::string port = it->second.value("_own_port", "");
      if (!port.empty()) m->DeletePort(port);
    } else if (k == &kPool) {
      for (Docs* docs : {&m->members, &m->healthmonitors})
        for (auto c = docs->begin(); c != docs->end();) c = c->second.value("_pool", "") == id ? docs->erase(c) : std::next(c);
      for (auto& [lid, l] : m->listeners)
        if (l["default_pool_id"] == id) l["default_pool_id"] = nullptr;
    }
    (m->*(k->docs)).erase(it);
    return;
  }
}

void RegisterOctavia(Router& router, Model* m) {
  const Service S = Service::kLoadBalancer;
  const std::string v2 = std::string(kLoadBalancerPrefix) + "/v2";
  m->Route(router, S, "GET", kLoadBalancerPrefix, false, [m](const HttpRequest&, const PathParams&, const Caller&) {
    json vs = json::array();
    for (int i = 0; i <= 26; ++i)
      vs.push_back({{"id", "v2." + std::to_string(i)}, {"status", i == 26 ? "CURRENT" : "SUPPORTED"},
                    {"updated", "2022-09-01T00:00:00Z"},
                    {"links", {{{"href", m->Base(kLoadBalancerPrefix) + "/v2"}, {"rel", "self"}}}}});
    return HttpResponse::Json(200, {{"versions", vs}});
  });
  m->Route(router, S, "GET", v2, false,
           [](const HttpRequest&, const PathParams&, const Caller&) { return HttpResponse::Json(200, "v2"); });
  for (const Kind* k : kKinds) {
    if (k == &kMember) continue;
    const std::string coll = v2 + "/lbaas/" + k->path;
    m->Route(router, S, "GET", coll, true, [m, k](const HttpRequest& req, const PathParams&, const Caller& c) {
      return List(m, *k, req, c, "");
    });
    m->Route(router, S, "POST", coll, true, [m, k](const HttpRequest& req, const PathParams&, const Caller& c) {
      json body;
      if (!ParseBody(req, &body) || !body.contains(k->kind) || !body[k->kind].is_object()) return Missing(k->kind);
      const json& in = body[k->kind];
      if (k == &kLb) return CreateLb(m, in, c);
      if (k == &kListener) return CreateListener(m, in, c);
      if (k == &kPool) return CreatePool(m, in, c);
      return CreateMonitor(m, in, c);
    });
    if (k == &kLb) {
      m->Route(router, S, "GET", coll + "/{id}/status", true, [m](const HttpRequest&, const PathParams& p, const Caller&) {
        auto it = m->loadbalancers.find(p.at("id"));
        return it == m->loadbalancers.end() ? NotFound(kLb, p.at("id")) : HttpResponse::Json(200, StatusTree(m, it->second));
      });
      m->Route(router, S, "GET", coll + "/{id}/stats", true, [m](const HttpRequest&, const PathParams& p, const Caller&) {
        if (!m->loadbalancers.count(p.at("id"))) return NotFound(kLb, p.at("id"));
        return HttpResponse::Json(200, {{"stats", {{"bytes_in", 0}, {"bytes_out", 0}, {"active_connections", 0},
                                                   {"total_connections", 0}, {"request_errors", 0}}}});
      });
    }
    m->Route(router, S, "GET", coll + "/{id}", true, [m, k](const HttpRequest&, const PathParams& p, const Caller&) {
      auto it = (m->*(k->docs)).find(p.at("id"));
      if (it == (m->*(k->docs)).end()) return NotFound(*k, p.at("id"));
      return HttpResponse::Json(200, {{k->kind, View(m, *k, it->second)}});
    });
    m->Route(router, S, "PUT", coll + "/{id}", true, [m, k](const HttpRequest& req, const PathParams& p, const Caller&) {
      return Update(m, *k, p.at("id"), req);
    });
    m->Route(router, S, "DELETE", coll + "/{id}", true, [m, k](const HttpRequest& req, const PathParams& p, const Caller&) {
      return Delete(m, *k, p.at("id"), req);
    });
  }
  const std::string members = v2 + "/lbaas/pools/{pool}/members";
  m->Route(router, S, "GET", members, true, [m](const HttpRequest& req, const PathParams& p, const Caller& c) {
    if (!m->pools.count(p.at("pool"))) return NotFound(kPool, p.at("pool"));
    return List(m, kMember, req, c, p.at("pool"));
  });
  m->Route(router, S, "POST", members, true, [m](const HttpRequest& req, const PathParams& p, const Caller& c) {
    auto pit = m->pools.find(p.at("pool"));
    if (pit == m->pools.end()) return NotFound(kPool, p.at("pool"));
    json body;
    if (!ParseBody(req, &body) || !body.contains("member") || !body["member"].is_object()) return Missing("member");
    const json& in = body["member"];
    HttpResponse bad = CheckMember(m, in);
    if (bad.status != 0) return bad;
    std::string lb = pit->second["_lb"];
    if (Pending(m, m->loadbalancers[lb]) || Pending(m, pit->second)) return Immutable(lb);
    for (const auto& [id, mem] : m->members)
      if (mem["_pool"] == p.at("pool") && mem["address"] == in["address"] && mem["protocol_port"] == in["protocol_port"])
        return OctaviaError(409, "Another member on this pool is already using ip " + in["address"].get<std::string>() +
                                     " on protocol_port " + in["protocol_port"].dump());
    json mem = NewMember(m, in, p.at("pool"), lb, c);
    MarkPending(m, &mem, "PENDING_CREATE", kChildSeconds);
    m->members[mem["id"].get<std::string>()] = mem;
    return HttpResponse::Json(201, {{"member", View(m, kMember, mem)}});
  });
  m->Route(router, S, "PUT", members, true, [m](const HttpRequest& req, const PathParams& p, const Caller& c) {
    return BatchMembers(m, p.at("pool"), req, c);
  });
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    std::string meth = method;
    m->Route(router, S, method, members + "/{id}", true, [m, meth](const HttpRequest& req, const PathParams& p, const Caller&) {
      auto it = m->members.find(p.at("id"));
      if (!m->pools.count(p.at("pool"))) return NotFound(kPool, p.at("pool"));
      if (it == m->members.end() || it->second["_pool"] != p.at("pool")) return NotFound(kMember, p.at("id"));
      if (meth == "GET") return HttpResponse::Json(200, {{"member", View(m, kMember, it->second)}});
      if (meth == "PUT") return Update(m, kMember, p.at("id"), req);
      return Delete(m, kMember, p.at("id"), req);
    });
  }
}

void ListOctavia(Model* m, std::vector<SimResource>* out) {
  for (const Kind* k : kKinds) {
    for (const auto& [id, o] : m->*(k->docs)) {
      SimResource r{"openstack", k->kind, id, o.value("name", ""), {}, {}, Prov(m, o)};
      for (const auto& t : o.value("tags", json::array())) r.tags.push_back(t);
      out->push_back(r);
    }
  }
}

}  // namespace cloudsim::openstack
