// GceApi: networks, subnetworks, firewalls, addresses, forwarding rules,
// target pools, health checks; rendering and insert/delete side effects.
#include <algorithm>

#include "gce/gce_api.h"
#include "gce/net_util.h"

namespace cloudsim::gce {

namespace {

int IntField(const json& in, const char* key, int fallback, const std::string& field) {
  if (!in.contains(key)) return fallback;
  const json& v = in[key];
  if (!v.is_number_integer()) Fail(400, "invalid", "Invalid value at '" + field + "' (TYPE_INT32), " + v.dump());
  return v.get<int>();
}

void CheckEnum(const json& in, const char* key, std::initializer_list<const char*> allowed, const std::string& field) {
  if (!in.contains(key)) return;
  std::string v = in[key].is_string() ? in[key].get<std::string>() : in[key].dump();
  for (const char* a : allowed) {
    if (v == a) return;
  }
  Fail(400, "invalid", "Invalid value at '" + field + "' (" + key + "), \"" + v + "\"");
}

}  // namespace

Resource GceApi::PrepareNetwork(Call& c) {
  CheckFields("networks", c.body);
  const json& in = c.body;
  if (in.contains("IPv4Range")) {
    FailInvalid("resource.IPv4Range", in["IPv4Range"].dump(), "Legacy networks are not supported.");
  }
  if (in.contains("autoCreateSubnetworks") && !in["autoCreateSubnetworks"].is_boolean()) {
    Fail(400, "invalid", "Invalid value at 'resource.auto_create_subnetworks' (TYPE_BOOL), " +
                             in["autoCreateSubnetworks"].dump());
  }
  int mtu = IntField(in, "mtu", 1460, "resource.mtu");
  if (mtu < 1300 || mtu > 8896) FailInvalid("resource.mtu", std::to_string(mtu), "MTU must be between 1300 and 8896.");
  Resource r;
  r.body = {{"autoCreateSubnetworks", in.value("autoCreateSubnetworks", false)},
            {"mtu", mtu},
            {"routingConfig", {{"routingMode", "REGIONAL"}}},
            {"networkFirewallPolicyEnforcementOrder", "AFTER_CLASSIC_FIREWALL"}};
  if (in.contains("routingConfig")) {
    CheckEnum(in["routingConfig"], "routingMode", {"REGIONAL", "GLOBAL"}, "resource.routing_config.routing_mode");
    r.body["routingConfig"].update(in["routingConfig"]);
  }
  if (in.contains("description")) r.body["description"] = in["description"];
  return r;
}

Resource GceApi::PrepareSubnetwork(Call& c) {
  CheckFields("subnetworks", c.body);
  const json& in = c.body;
  if (!in.contains("network")) FailRequired("resource.network");
  std::string net_ref = in["network"].get<std::string>();
  std::string net_rel = Resolve(net_ref, "networks", "global");
  if (net_rel.empty()) FailNotFound("projects/" + options_.project + "/global/networks/" + LastSegment(net_ref));
  if (!in.contains("ipCidrRange")) FailRequired("resource.ipCidrRange");
  std::string cidr = in["ipCidrRange"].get<std::string>();
  uint32_t base = 0;
  int prefix = 0;
  if (!ParseCidr(cidr, &base, &prefix) || prefix < 8 || prefix > 29 ||
      (prefix < 32 && (base & ((1u << (32 - prefix)) - 1)) != 0)) {
    FailInvalid("resource.ipCidrRange", cidr, "Invalid IPCidrRange: " + cidr + " is not a valid IPv4 CIDR range.");
  }
  std::string net_url = Url(net_rel);
  for (auto& [key, coll] : colls_) {
    if (key.size() < 12 || key.compare(key.size() - 12, 12, "/subnetworks") != 0) continue;
    for (auto& [sname, s] : coll) {
      if (s.delete_at >= 0 || s.body["network"] != net_url) continue;
      uint32_t ob = 0;
      int op = 0;
      ParseCidr(s.body["ipCidrRange"], &ob, &op);
      int p = std::min(prefix, op);
      uint32_t mask = p == 0 ? 0 : ~0u << (32 - p);
      if ((ob & mask) == (base & mask)) {
        FailInvalid("resource.ipCidrRange", cidr,
                    "Invalid IPCidrRange: " + cidr + " conflicts with existing subnetwork '" + sname + "' in region '" +
                        LastSegment(s.body["region"]) + "'.");
      }
    }
  }
  Resource r;
  r.body = {{"network", net_url},
            {"ipCidrRange", cidr},
            {"gatewayAddress", IpText(base + 1)},
            {"privateIpGoogleAccess", in.value("privateIpGoogleAccess", false)},
            {"fingerprint", ctx_->RandomHex(8)},
            {"purpose", "PRIVATE"},
            {"stackType", "IPV4_ONLY"}};
  for (const char* k : {"description", "secondaryIpRanges"}) {
    if (in.contains(k)) r.body[k] = in[k];
  }
  return r;
}

Resource GceApi::PrepareFirewall(Call& c) {
  CheckFields("firewalls", c.body);
  const json& in = c.body;
  std::string net_ref = in.value("network", "global/networks/default");
  std::string net_rel = Resolve(net_ref, "networks", "global");
  if (net_rel.empty()) FailNotFound("projects/" + options_.project + "/global/networks/" + LastSegment(net_ref));
  bool has_allowed = in.contains("allowed") && !in["allowed"].empty();
  bool has_denied = in.contains("denied") && !in["denied"].empty();
  if (has_allowed == has_denied) {
    FailInvalid("resource", "", "Exactly one of allowed or denied must be specified.");
  }
  const char* rules_key = has_allowed ? "allowed" : "denied";
  for (size_t i = 0; i < in[rules_key].size(); ++i) {
    const json& rule = in[rules_key][i];
    std::string f = std::string("resource.") + rules_key + "[" + std::to_string(i) + "]";
    if (!rule.contains("IPProtocol")) FailRequired(f + ".IPProtocol");
    std::string proto = rule["IPProtocol"].get<std::string>();
    static const std::set<std::string> kProtos = {"tcp", "udp", "icmp", "esp", "ah", "sctp", "ipip", "all"};
    if (!kProtos.count(proto) && proto.find_first_not_of("0123456789") != std::string::npos) {
      FailInvalid(f + ".IPProtocol", proto, "Invalid IP protocol.");
    }
    if (rule.contains("ports") && proto != "tcp" && proto != "udp" && proto != "sctp") {
      FailInvalid(f + ".ports", rule["ports"].dump(), "Ports may only be specified for tcp, udp and sctp.");
    }
  }
  CheckEnum(in, "direction", {"INGRESS", "EGRESS"}, "resource.direction");
  int priority = IntField(in, "priority", 1000, "resource.priority");
  if (priority < 0 || priority > 65535) FailInvalid("resource.priority", std::to_string(priority), "Must be in [0, 65535].");
  std::string direction = in.value("direction", "INGRESS");
  Resource r;
  r.body = {{"network", Url(net_rel)},
            {rules_key, in[rules_key]},
            {"direction", direction},
            {"priority", priority},
            {"disabled", in.value("disabled", false)},
            {"logConfig", {{"enable", false}}}};
  for (const char* k : {"description", "sourceRanges", "sourceTags", "targetTags", "destinationRanges",
                        "sourceServiceAccounts", "targetServiceAccounts"}) {
    if (in.contains(k)) r.body[k] = in[k];
  }
  if (direction == "INGRESS" && !in.contains("sourceRanges") && !in.contains("sourceTags") &&
      !in.contains("sourceServiceAccounts")) {
    r.body["sourceRanges"] = json::array({"0.0.0.0/0"});
  }
  if (direction == "EGRESS" && !in.contains("destinationRanges")) {
    r.body["destinationRanges"] = json::array({"0.0.0.0/0"});
  }
  return r;
}

Resource GceApi::PrepareAddress(Call& c) {
  CheckFields("addresses", c.body);
  const json& in = c.body;
  CheckEnum(in, "addressType", {"EXTERNAL", "INTERNAL"}, "resource.address_type");
  CheckEnum(in, "networkTier", {"PREMIUM", "STANDARD"}, "resource.network_tier");
  if (in.contains("labels")) ValidateLabels(in["labels"], "resource.labels");
  std::string type = in.value("addressType", "EXTERNAL");
  Resource r;
  json& b = r.body;
  b = {{"addressType", type}, {"users", json::array()}, {"labelFingerprint", kFingerprint}};
  if (in.contains("labels")) b["labels"] = in["labels"];
  if (in.contains("description")) b["description"] = in["description"];
  std::string ip = in.value("address", "");
  if (type == "INTERNAL") {
    std::string sub_ref = in.value("subnetwork", "");
    std::string sub_rel;
    if (sub_ref.empty()) {
      sub_rel = Resolve("regions/" + c.region + "/subnetworks/default", "subnetworks", "");
      if (sub_rel.empty()) FailRequired("resource.subnetwork");
    } else {
      sub_rel = Resolve(sub_ref, "subnetworks", "regions/" + c.region);
      if (sub_rel.empty()) {
        FailNotFound("projects/" + options_.project + "/regions/" + c.region + "/subnetworks/" + LastSegment(sub_ref));
      }
    }
    Resource* sub = Find("regions/" + c.region, "subnetworks", LastSegment(sub_rel));
    if (ip.empty()) {
      uint32_t base = 0;
      int prefix = 0;
      ParseCidr(sub->body["ipCidrRange"], &base, &prefix);
      uint32_t& next = next_ip_[sub_rel];
      if (next < 2) next = 2;
      ip = IpText(base + next++);
    }
    b["subnetwork"] = Url(sub_rel);
    b["purpose"] = in.value("purpose", "GCE_ENDPOINT");
  } else {
    b["networkTier"] = in.value("networkTier", "PREMIUM");
    if (ip.empty()) {
      uint32_t& next = next_ip_["static"];
      ip = IpText((35u << 24) + (200u << 16) + 10 + next++);
    }
  }
  uint32_t parsed = 0;
  int bits = 0;
  if (!ParseCidr(ip + "/32", &parsed, &bits)) FailInvalid("resource.address", ip, "Invalid IPv4 address.");
  b["address"] = ip;
  b["ipVersion"] = "IPV4";
  return r;
}

Resource GceApi::PrepareTargetPool(Call& c) {
  CheckFields("targetPools", c.body);
  const json& in = c.body;
  CheckEnum(in, "sessionAffinity", {"NONE", "CLIENT_IP", "CLIENT_IP_PROTO"}, "resource.session_affinity");
  Resource r;
  json& b = r.body;
  b = {{"sessionAffinity", in.value("sessionAffinity", "NONE")}};
  json instances = json::array();
  for (const json& ref : in.value("instances", json::array())) {
    std::string rel = Resolve(ref.get<std::string>(), "instances", "");
    if (rel.empty()) FailNotFound("projects/" + options_.project + "/" + ref.get<std::string>());
    instances.push_back(Url(rel));
  }
  b["instances"] = instances;
  json checks = json::array();
  for (const json& ref : in.value("healthChecks", json::array())) {
    std::string rel = Resolve(ref.get<std::string>(), "httpHealthChecks", "global");
    if (rel.empty()) {
      FailNotFound("projects/" + options_.project + "/global/httpHealthChecks/" + LastSegment(ref.get<std::string>()));
    }
    checks.push_back(Url(rel));
  }
  if (checks.size() > 1) FailInvalid("resource.healthChecks", checks.dump(), "At most one health check is allowed.");
  if (!checks.empty()) b["healthChecks"] = checks;
  for (const char* k : {"description", "failoverRatio"}) {
    if (in.contains(k)) b[k] = in[k];
  }
  if (in.contains("backupPool")) {
    std::string rel = Resolve(in["backupPool"].get<std::string>(), "targetPools", c.scope);
    if (rel.empty()) FailNotFound("projects/" + options_.project + "/" + in["backupPool"].get<std::string>());
    b["backupPool"] = Url(rel);
  }
  return r;
}

Resource GceApi::PrepareForwardingRule(Call& c) {
  CheckFields("forwardingRules", c.body);
  const json& in = c.body;
  CheckEnum(in, "IPProtocol", {"TCP", "UDP", "ESP", "AH", "SCTP", "ICMP", "L3_DEFAULT"}, "resource.I_p_protocol");
  CheckEnum(in, "loadBalancingScheme", {"EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL", "INTERNAL_MANAGED"},
            "resource.load_balancing_scheme");
  if (in.contains("labels")) ValidateLabels(in["labels"], "resource.labels");
  if (!in.contains("target") && !in.contains("backendService")) FailRequired("resource.target");
  if (in.contains("backendService")) {
    // Backend services are not modelled.
    FailNotFound("projects/" + options_.project + "/regions/" + c.region + "/backendServices/" +
                 LastSegment(in["backendService"].get<std::string>()));
  }
  std::string target = in["target"].get<std::string>();
  std::string rel = Resolve(target, "targetPools", c.scope);
  if (rel.empty()) FailNotFound("projects/" + options_.project + "/" + c.scope + "/targetPools/" + LastSegment(target));
  Resource r;
  json& b = r.body;
  b = {{"target", Url(rel)},
       {"IPProtocol", in.value("IPProtocol", "TCP")},
       {"loadBalancingScheme", in.value("loadBalancingScheme", "EXTERNAL")},
       {"networkTier", in.value("networkTier", "PREMIUM")},
       {"fingerprint", ctx_->RandomHex(8)},
       {"labelFingerprint", kFingerprint}};
  if (in.contains("labels")) b["labels"] = in["labels"];
  if (in.contains("description")) b["description"] = in["description"];
  if (in.contains("portRange")) {
    std::string pr = in["portRange"].get<std::string>();
    int lo = 0, hi = 0;
    char extra;
    if (std::sscanf(pr.c_str(), "%d-%d%c", &lo, &hi, &extra) == 2) {
    } else if (std::sscanf(pr.c_str(), "%d%c", &lo, &extra) == 1) {
      hi = lo;
    } else {
      FailInvalid("resource.portRange", pr, "Invalid port range.");
    }
    if (lo < 1 || hi > 65535 || lo > hi) FailInvalid("resource.portRange", pr, "Invalid port range.");
    b["portRange"] = std::to_string(lo) + "-" + std::to_string(hi);
  }
  std::string ip = in.value("IPAddress", "");
  if (!ip.empty()) {
    std::string addr_rel = Resolve(ip, "addresses", c.scope);
    if (!addr_rel.empty()) {
      ip = Find(c.scope, "addresses", LastSegment(addr_rel))->body["address"];
    } else if (ip.find('/') != std::string::npos) {
      FailNotFound("projects/" + options_.project + "/" + c.scope + "/addresses/" + LastSegment(ip));
    } else {
      bool reserved = false;
      for (auto& [n, a] : Coll(c.scope, "addresses")) reserved = reserved || (a.delete_at < 0 && a.body["address"] == ip);
      if (!reserved) FailInvalid("resource.IPAddress", ip, "The specified IP address was not found in region '" + c.region + "'.");
    }
  } else {
    uint32_t& next = next_ip_["external"];
    ip = IpText((34u << 24) + (16u << 16) + 10 + next++);
  }
  b["IPAddress"] = ip;
  return r;
}

Resource GceApi::PrepareHttpHealthCheck(Call& c) {
  CheckFields("httpHealthChecks", c.body);
  const json& in = c.body;
  Resource r;
  int interval = IntField(in, "checkIntervalSec", 5, "resource.check_interval_sec");
  int timeout = IntField(in, "timeoutSec", 5, "resource.timeout_sec");
  if (timeout > interval) {
    FailInvalid("resource.timeoutSec", std::to_string(timeout), "Timeout sec must be less than or equal to check interval sec.");
  }
  int port = IntField(in, "port", 80, "resource.port");
  if (port < 1 || port > 65535) FailInvalid("resource.port", std::to_string(port), "Must be in [1, 65535].");
  r.body = {{"checkIntervalSec", interval},
            {"timeoutSec", timeout},
            {"healthyThreshold", IntField(in, "healthyThreshold", 2, "resource.healthy_threshold")},
            {"unhealthyThreshold", IntField(in, "unhealthyThreshold", 2, "resource.unhealthy_threshold")},
            {"port", port},
            {"requestPath", in.value("requestPath", "/")}};
  for (const char* k : {"description", "host"}) {
    if (in.contains(k)) r.body[k] = in[k];
  }
  return r;
}

Resource GceApi::PrepareHealthCheck(Call& c) {
  CheckFields("healthChecks", c.body);
  const json& in = c.body;
  if (!in.contains("type")) FailInvalid("resource.type", "", "Health check type must be specified.");
  CheckEnum(in, "type", {"TCP", "SSL", "HTTP", "HTTPS", "HTTP2", "GRPC"}, "resource.type");
  std::string type = in["type"];
  static const std::map<std::string, std::string> kSub = {{"TCP", "tcpHealthCheck"},     {"SSL", "sslHealthCheck"},
                                                          {"HTTP", "httpHealthCheck"},   {"HTTPS", "httpsHealthCheck"},
                                                          {"HTTP2", "http2HealthCheck"}, {"GRPC", "grpcHealthCheck"}};
  int interval = IntField(in, "checkIntervalSec", 5, "resource.check_interval_sec");
  int timeout = IntField(in, "timeoutSec", 5, "resource.timeout_sec");
  if (timeout > interval) {
    FailInvalid("resource.timeoutSec", std::to_string(timeout), "Timeout sec must be less than or equal to check interval sec.");
  }
  Resource r;
  r.body = {{"type", type},
            {"checkIntervalSec", interval},
            {"timeoutSec", timeout},
            {"healthyThreshold", IntField(in, "healthyThreshold", 2, "resource.healthy_threshold")},
            {"unhealthyThreshold", IntField(in, "unhealthyThreshold", 2, "resource.unhealthy_threshold")}};
  const std::string& key = kSub.at(type);
  json sub = in.value(key, json::object());
  int default_port = type == "HTTPS" || type == "SSL" || type == "HTTP2" ? 443 : 80;
  if (type != "GRPC") {
    if (!sub.contains("port")) sub["port"] = default_port;
    if (!sub.contains("proxyHeader")) sub["proxyHeader"] = "NONE";
  }
  if ((type == "HTTP" || type == "HTTPS" || type == "HTTP2") && !sub.contains("requestPath")) sub["requestPath"] = "/";
  if (!sub.contains("portSpecification")) sub["portSpecification"] = "USE_FIXED_PORT";
  r.body[key] = sub;
  if (in.contains("description")) r.body["description"] = in["description"];
  if (in.contains("logConfig")) r.body["logConfig"] = in["logConfig"];
  return r;
}

HttpResponse GceApi::TargetPoolMembers(Call& c, bool add) {
  const std::string& name = c.params.at("targetPool");
  Resource& tp = Get(c.scope, "targetPools", name);
  if (!c.body.contains("instances") || !c.body["instances"].is_array() || c.body["instances"].empty()) {
    FailRequired("resource.instances");
  }
  json& list = tp.body["instances"];
  for (size_t i = 0; i < c.body["instances"].size(); ++i) {
    const json& ref = c.body["instances"][i];
    std::string inst = ref.value("instance", "");
    if (inst.empty()) FailRequired("resource.instances[" + std::to_string(i) + "].instance");
    std::string rel = Resolve(inst, "instances", "");
    if (rel.empty()) {
      std::string path = inst;
      size_t p = path.find("zones/");
      FailNotFound("projects/" + options_.project + "/" + (p == std::string::npos ? path : path.substr(p)));
    }
    std::string url = Url(rel);
    auto it = std::find(list.begin(), list.end(), json(url));
    if (add && it == list.end()) list.push_back(url);
    if (!add && it != list.end()) list.erase(it);
  }
  std::string op = NewOp(c.scope, add ? "addInstance" : "removeInstance", tp.body["selfLink"], tp.body["id"],
                         ctx_->Latency(3));
  return OpResponse(c, op);
}

HttpResponse GceApi::PatchHttpHealthCheck(Call& c) {
  const std::string& name = c.params.at("httpHealthCheck");
  Resource& hc = Get("global", "httpHealthChecks", name);
  CheckFields("httpHealthChecks", c.body);
  static const char* kFields[] = {"checkIntervalSec", "timeoutSec", "healthyThreshold", "unhealthyThreshold",
                                  "port", "requestPath", "description", "host"};
  json current = json::object();
  for (const char* k : kFields)
    if (hc.body.contains(k)) current[k] = hc.body[k];
  if (c.body.contains("name") && c.body["name"] != json(name)) {
    FailInvalid("resource.name", c.body["name"].is_string() ? c.body["name"].get<std::string>() : c.body["name"].dump(),
                "The name of a health check cannot be changed.");
  }
  json patch = c.body;
  for (const char* k : {"name", "kind", "id", "selfLink", "creationTimestamp"}) patch.erase(k);
  current.merge_patch(patch);
  Call merged{c.req, c.params, c.scope, c.region, c.zone, current};
  Resource r = PrepareHttpHealthCheck(merged);
  for (const char* k : kFields) {
    if (r.body.contains(k)) hc.body[k] = r.body[k];
    else hc.body.erase(k);
  }
  std::string op = NewOp("global", "patch", hc.body["selfLink"], hc.body["id"], ctx_->Latency(3));
  return OpResponse(c, op);
}

void GceApi::PoolMembership(const json& pools, const std::string& self_link, bool add) {
  if (!pools.is_array()) return;
  for (const json& ref : pools) {
    if (!ref.is_string()) continue;
    std::string rel = Resolve(ref.get<std::string>(), "targetPools", "");
    size_t at = rel.find("/targetPools/");
    if (rel.empty() || at == std::string::npos) continue;
    Resource* tp = Find(rel.substr(0, at), "targetPools", LastSegment(rel));
    if (!tp || tp->delete_at >= 0) continue;
    json& list = tp->body["instances"];
    auto it = std::find(list.begin(), list.end(), json(self_link));
    if (add && it == list.end()) list.push_back(self_link);
    if (!add && it != list.end()) list.erase(it);
  }
}

HttpResponse GceApi::PatchFirewall(Call& c) {
  const std::string& name = c.params.at("firewall");
  Resource& fw = Get("global", "firewalls", name);
  CheckFields("firewalls", c.body);
  // The fields a client sets, as stored; the patch is merged into them (JSON
  // merge patch: a field given replaces, null removes) and the result is
  // validated as an insert would be.
  static const char* kFields[] = {"network", "allowed", "denied", "direction", "priority", "disabled", "logConfig",
                                  "description", "sourceRanges", "sourceTags", "targetTags", "destinationRanges",
                                  "sourceServiceAccounts", "targetServiceAccounts"};
  json current = json::object();
  for (const char* k : kFields)
    if (fw.body.contains(k)) current[k] = fw.body[k];
  if (c.body.contains("name") && c.body["name"] != json(name)) {
    FailInvalid("resource.name", c.body["name"].is_string() ? c.body["name"].get<std::string>() : c.body["name"].dump(),
                "The name of a firewall rule cannot be changed.");
  }
  if (c.body.contains("network")) {
    std::string want = c.body["network"].is_string() ? c.body["network"].get<std::string>() : "";
    if (Resolve(want, "networks", "global") != Resolve(current["network"].get<std::string>(), "networks", "global")) {
      FailInvalid("resource.network", want, "The network of a firewall rule cannot be changed.");
    }
  }
  if (c.body.contains("direction") && c.body["direction"] != current.value("direction", json("INGRESS"))) {
    FailInvalid("resource.direction", c.body["direction"].dump(), "The direction of a firewall rule cannot be changed.");
  }
  json patch = c.body;
  for (const char* k : {"name", "kind", "id", "selfLink", "creationTimestamp"}) patch.erase(k);
  current.merge_patch(patch);
  Call merged{c.req, c.params, c.scope, c.region, c.zone, current};
  Resource r = PrepareFirewall(merged);
  for (const char* k : kFields) {
    if (r.body.contains(k)) fw.body[k] = r.body[k];
    else fw.body.erase(k);
  }
  std::string op = NewOp("global", "patch", fw.body["selfLink"], fw.body["id"], ctx_->Latency(3));
  return OpResponse(c, op);
}

json GceApi::Render(const std::string& coll, const Resource& r) const {
  double now = ctx_->Now();
  if (coll == "disks") return RenderDisk(r);
  if (coll == "instances") {
    json j = r.body;
    if (r.delete_at >= 0) {
      j["status"] = "STOPPING";
    } else if (now < r.staging_at) {
      j["status"] = "PROVISIONING";
    } else if (now < r.ready_at) {
      j["status"] = "STAGING";
    } else {
      j["status"] = "RUNNING";
      j["lastStartTimestamp"] = FormatTime(r.ready_at);
    }
    return j;
  }
  if (coll == "instanceGroupManagers") {
    json j = r.body;
    int none = 0, creating = 0;
    for (const json& m : r.aux["members"]) {
      auto it = colls_.find("zones/" + m["zone"].get<std::string>() + "/instances");
      if (it == colls_.end()) continue;
      auto inst = it->second.find(m["name"]);
      if (inst == it->second.end() || inst->second.delete_at >= 0) continue;
      if (now >= inst->second.ready_at) {
        ++none;
      } else {
        ++creating;
      }
    }
    creating += static_cast<int>(r.aux["failed"].size());
    j["currentActions"] = {{"none", none},       {"creating", creating},     {"creatingWithoutRetries", 0},
                           {"recreating", 0},    {"deleting", 0},            {"abandoning", 0},
                           {"restarting", 0},    {"refreshing", 0},          {"verifying", 0},
                           {"starting", 0},      {"stopping", 0},            {"suspending", 0},
                           {"resuming", 0}};
    j["status"] = {{"isStable", creating == 0},
                   {"versionTarget", {{"isReached", true}}},
                   {"stateful", {{"hasStatefulConfig", false}, {"perInstanceConfigs", {{"allEffective", true}}}}}};
    std::string scope = r.body.contains("zone") ? "zones/" + LastSegment(r.body["zone"]) : "regions/" + LastSegment(r.body["region"]);
    auto as = colls_.find(scope + "/autoscalers");
    if (as != colls_.end()) {
      for (auto& [n, a] : as->second) {
        if (a.delete_at < 0 && a.body["target"] == r.body["selfLink"]) j["status"]["autoscaler"] = a.body["selfLink"];
      }
    }
    return j;
  }
  if (coll == "autoscalers") {
    json j = r.body;
    std::string target = r.body["target"];
    std::string scope = r.body.contains("zone") ? "zones/" + LastSegment(r.body["zone"]) : "regions/" + LastSegment(r.body["region"]);
    auto it = colls_.find(scope + "/instanceGroupManagers");
    if (it != colls_.end()) {
      auto igm = it->second.find(LastSegment(target));
      if (igm != it->second.end()) j["recommendedSize"] = igm->second.body["targetSize"];
    }
    return j;
  }
  if (coll == "addresses") {
    json j = r.body;
    j["status"] = r.body["users"].empty() ? "RESERVED" : "IN_USE";
    if (r.body["users"].empty()) j.erase("users");
    return j;
  }
  if (coll == "networks") {
    json j = r.body;
    json subs = json::array();
    std::string self = r.body["selfLink"];
    for (auto& [key, c] : colls_) {
      if (key.size() < 12 || key.compare(key.size() - 12, 12, "/subnetworks") != 0) continue;
      for (auto& [n, s] : c) {
        if (s.delete_at < 0 && s.body["network"] == self) subs.push_back(s.body["selfLink"]);
      }
    }
    if (!subs.empty()) j["subnetworks"] = subs;
    return j;
  }
  return r.body;
}

void GceApi::AfterInsert(const std::string& coll, const std::string& scope, Resource& r) {
  if (coll == "instances") {
    // Mark reserved addresses used as NAT IPs.
    std::string region = LastSegment(r.body["zone"]);
    region = catalog_zones_[region]["_region"];
    for (const json& ni : r.body["networkInterfaces"]) {
      for (const json& ac : ni.value("accessConfigs", json::array())) {
        for (auto& [n, a] : Coll("regions/" + region, "addresses")) {
          if (a.delete_at < 0 && a.body["address"] == ac["natIP"]) a.body["users"].push_back(r.body["selfLink"]);
        }
      }
    }
  } else if (coll == "addresses" && r.body.value("addressType", "EXTERNAL") == "EXTERNAL") {
    // Promoting an ephemeral IP: the instance using it keeps it, now static.
    for (auto& [key, instances] : colls_) {
      if (key.size() < 10 || key.compare(key.size() - 10, 10, "/instances") != 0) continue;
      if (catalog_zones_[key.substr(6, key.size() - 16)].value("_region", "") != LastSegment(scope)) continue;
      for (auto& [n, inst] : instances) {
        if (inst.delete_at >= 0) continue;
        for (const json& ni : inst.body.value("networkInterfaces", json::array()))
          for (const json& ac : ni.value("accessConfigs", json::array()))
            if (ac.value("natIP", "") == r.body["address"]) r.body["users"].push_back(inst.body["selfLink"]);
      }
    }
  } else if (coll == "forwardingRules") {
    for (auto& [n, a] : Coll(scope, "addresses")) {
      if (a.delete_at < 0 && a.body["address"] == r.body["IPAddress"]) a.body["users"].push_back(r.body["selfLink"]);
    }
  } else if (coll == "instanceGroupManagers") {
    ReconcileIgm(scope, r, r.ready_at);
  } else if (coll == "autoscalers") {
    ApplyAutoscaler(r);
  } else if (coll == "networks" && r.body["autoCreateSubnetworks"] == true) {
    const std::pair<const char*, const char*> ranges[] = {{"us-central1", "10.128.0.0/20"},
                                                         {"europe-west1", "10.132.0.0/20"}};
    for (const auto& [region, cidr] : ranges) {
      Resource s;
      s.body = {{"network", r.body["selfLink"]},  {"ipCidrRange", cidr},
                {"gatewayAddress", std::string(cidr).substr(0, std::string(cidr).rfind('.')) + ".1"},
                {"privateIpGoogleAccess", false}, {"fingerprint", ctx_->RandomHex(8)},
                {"purpose", "PRIVATE"},           {"stackType", "IPV4_ONLY"}};
      s.aux = {{"auto_of", r.body["selfLink"]}};
      s.ready_at = r.ready_at;
      std::string sscope = std::string("regions/") + region;
      if (Find(sscope, "subnetworks", r.body["name"])) continue;
      Store(sscope, "subnetworks", "compute#subnetwork", r.body["name"], std::move(s));
    }
  }
}

void GceApi::BeforeDelete(const std::string& coll, const std::string& scope, Resource& r) {
  std::string self = r.body["selfLink"];
  auto drop_user = [&](const std::string& addr_scope) {
    for (auto& [n, a] : Coll(addr_scope, "addresses")) {
      json& users = a.body["users"];
      auto it = std::find(users.begin(), users.end(), json(self));
      if (it != users.end()) users.erase(it);
    }
  };
  if (coll == "instances") {
    std::string region = catalog_zones_[scope.substr(6)]["_region"];
    drop_user("regions/" + region);
    if (r.aux.is_object() && r.aux.contains("igm")) {
      // The group takes its member out of its target pools.
      Resource* igm = Find(r.aux["igm_scope"], "instanceGroupManagers", LastSegment(r.aux["igm"]));
      if (igm) PoolMembership(igm->body.value("targetPools", json::array()), self, false);
    }
  } else if (coll == "forwardingRules") {
    drop_user(scope);
  } else if (coll == "instanceGroupManagers") {
    double at = ctx_->Now() + ctx_->Latency(20);
    for (const json& m : r.aux["members"]) {
      std::string iscope = "zones/" + m["zone"].get<std::string>();
      Resource* inst = Find(iscope, "instances", m["name"]);
      if (inst && inst->delete_at < 0) {
        BeforeDelete("instances", iscope, *inst);
        ScheduleDelete(iscope, "instances", m["name"], at);
      }
    }
    r.aux["members"] = json::array();
    r.aux["failed"] = json::array();
  } else if (coll == "networks") {
    for (auto& [key, c] : colls_) {
      if (key.size() < 12 || key.compare(key.size() - 12, 12, "/subnetworks") != 0) continue;
      for (auto& [n, s] : c) {
        if (s.delete_at < 0 && s.aux.is_object() && s.aux.value("auto_of", "") == self) {
          s.delete_at = ctx_->Now() + ctx_->Latency(10);
          deletions_.emplace(s.delete_at, std::vector<std::string>{key.substr(0, key.size() - 12), "subnetworks", n});
        }
      }
    }
  }
}

std::string GceApi::UsedBy(const std::string& self_link) const {
  // Which collections may reference which.
  static const std::map<std::string, std::vector<std::string>> kUsers = {
      {"instanceTemplates", {"instanceGroupManagers"}},
      {"instanceGroupManagers", {"autoscalers"}},
      {"networks", {"subnetworks", "firewalls", "instances", "instanceTemplates"}},
      {"subnetworks", {"instances", "addresses", "instanceTemplates"}},
      {"targetPools", {"forwardingRules", "instanceGroupManagers"}},
      {"httpHealthChecks", {"targetPools"}},
      {"addresses", {}},
      {"disks", {"instances"}},
  };
  std::string rel = self_link.substr(Base().size() + 1);
  std::string coll = rel.substr(0, rel.rfind('/'));
  coll = coll.substr(coll.rfind('/') + 1);
  auto users = kUsers.find(coll);
  if (users == kUsers.end()) return "";
  if (coll == "addresses") {
    std::string scope = rel.substr(0, rel.find("/addresses/"));
    auto it = colls_.find(scope + "/addresses");
    if (it != colls_.end()) {
      auto a = it->second.find(LastSegment(rel));
      if (a != it->second.end() && !a->second.body["users"].empty()) {
        std::string u = a->second.body["users"][0];
        return u.substr(Base().size() + 1);
      }
    }
    return "";
  }
  std::string needle = "\"" + self_link + "\"";
  for (const std::string& user_coll : users->second) {
    std::string suffix = "/" + user_coll;
    for (auto& [key, c] : colls_) {
      if (key.size() < suffix.size() || key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      for (auto& [n, r] : c) {
        if (r.delete_at >= 0) continue;
        if (r.aux.is_object() && r.aux.value("auto_of", "") == self_link) continue;
        if (r.body.dump().find(needle) != std::string::npos) return key + "/" + n;
      }
    }
  }
  return "";
}

}  // namespace cloudsim::gce
