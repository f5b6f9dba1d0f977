// Neutron v2.0: version documents, the generic collection machinery
// (filters, tags, pagination), networks, subnets, ports, security groups and
// security group rules. Routers and floating IPs are in neutron_l3.cc.
#include <algorithm>
#include <cstdio>

#include "openstack/model.h"

namespace cloudsim::openstack {
namespace {

const std::set<std::string> kReserved = {"limit", "marker", "page_reverse", "sort_key", "sort_dir", "fields",
                                         "tags",  "tags-any", "not-tags", "not-tags-any"};

bool MatchValue(const json& v, const std::string& q) {
  if (v.is_string()) return v.get<std::string>() == q;
  if (v.is_boolean()) {
    if (q == "true" || q == "True" || q == "1") return v.get<bool>();
    if (q == "false" || q == "False" || q == "0") return !v.get<bool>();
    return false;
  }
  if (v.is_number()) return v.dump() == q;
  if (v.is_null()) return q.empty() || q == "None";
  if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_object()) {
        // fixed_ips=ip_address=10.0.0.5 / fixed_ips=subnet_id=...
        size_t eq = q.find('=');
        if (eq != std::string::npos && e.value(q.substr(0, eq), json()) == q.substr(eq + 1)) return true;
      } else if (MatchValue(e, q)) {
        return true;
      }
    }
  }
  return false;
}

bool Visible(const json& doc, const Caller& c) {
  if (std::find(c.roles.begin(), c.roles.end(), "admin") != c.roles.end()) return true;
  if (FieldIs(doc, "project_id", c.project_id)) return true;
  auto shared = doc.find("shared"), external = doc.find("router:external");
  return (shared != doc.end() && *shared == true) || (external != doc.end() && *external == true);
}

std::string Href(Model* m, const HttpRequest& req, const std::string& coll, const std::string& marker,
                 bool reverse) {
  std::string q;
  for (const auto& [k, v] : req.query) {
    if (k == "marker" || k == "page_reverse") continue;
    q += (q.empty() ? "" : "&") + k + "=" + v;
  }
  q += (q.empty() ? "" : "&") + std::string("marker=") + marker;
  if (reverse) q += "&page_reverse=True";
  return m->Base(kNetworkPrefix) + "/v2.0/" + coll + "?" + q;
}

std::string Fmt(const std::string& fmt, const std::string& id) {
  std::string out = fmt;
  size_t p = out.find("%s");
  if (p != std::string::npos) out.replace(p, 2, id);
  return out;
}

json TagList(const json& doc) { return doc.value("tags", json::array()); }

}  // namespace

const std::vector<NeutronColl>& NeutronColls() {
  static const std::vector<NeutronColl> kColls = {
      {"networks", "network", &Model::networks, "NetworkNotFound", "Network %s could not be found."},
      {"subnets", "subnet", &Model::subnets, "SubnetNotFound", "Subnet %s could not be found."},
      {"ports", "port", &Model::ports, "PortNotFound", "Port %s could not be found."},
      {"routers", "router", &Model::routers, "RouterNotFound", "Router %s could not be found."},
      {"security-groups", "security_group", &Model::security_groups, "SecurityGroupNotFound",
       "Security group %s does not exist"},
      {"security-group-rules", "security_group_rule", &Model::security_group_rules, "SecurityGroupRuleNotFound",
       "Security group rule %s does not exist"},
      {"floatingips", "floatingip", &Model::floatingips, "FloatingIPNotFound", "Floating IP %s could not be found"},
  };
  return kColls;
}

const NeutronColl& NeutronCollOf(const std::string& path) {
  for (const auto& c : NeutronColls())
    if (c.path == path) return c;
  return NeutronColls()[0];
}

HttpResponse NeutronNotFound(const NeutronColl& c, const std::string& id) {
  return NeutronError(404, c.not_found_type, Fmt(c.not_found_fmt, id));
}

bool NeutronOverQuota(const Docs& docs, const std::string& project_id, size_t limit, const std::string& resource,
                      HttpResponse* out) {
  size_t n = 0;
  for (const auto& [id, d] : docs)
    if (FieldIs(d, "project_id", project_id)) ++n;
  if (n < limit) return false;
  *out = NeutronError(409, "OverQuota", "Quota exceeded for resources: ['" + resource + "'].");
  return true;
}

bool NeutronCheckAttrs(const json& in, const std::set<std::string>& allowed, HttpResponse* out, const char* method) {
  // Zed sets tags only through the /tags sub-resource (no tag-creation
  // extension): a body carrying them is refused whatever else it holds.
  if (in.contains("tags")) {
    *out = NeutronError(400, "HTTPBadRequest", std::string("Attribute 'tags' not allowed in ") + method);
    return true;
  }
  std::string bad;
  for (auto it = in.begin(); it != in.end(); ++it)
    if (!allowed.count(it.key())) bad += (bad.empty() ? "'" : ", '") + it.key() + "'";
  if (bad.empty()) return false;
  *out = NeutronError(400, "HTTPBadRequest", "Unrecognized attribute(s) " + bad);
  return true;
}

json NeutronView(const json& doc, const Caller& caller) {
  json out = Public(doc);
  if (out.contains("is_default") && !out.value("router:external", false)) out.erase("is_default");
  if (caller.IsAdmin()) return out;
  for (const char* k : {"provider:network_type", "provider:physical_network", "provider:segmentation_id",
                        "binding:host_id", "binding:profile", "binding:vif_details", "binding:vif_type",
                        "distributed", "ha"})
    out.erase(k);
  return out;
}

HttpResponse NeutronList(Model* m, const HttpRequest& req, const Caller& caller, const NeutronColl& c) {
  const Docs& docs = m->*(c.docs);
  // Unknown filter attributes are rejected (filter-validation extension).
  if (!docs.empty()) {
    const json& sample = docs.begin()->second;
    std::string bad;
    for (const auto& [k, v] : req.query)
      if (!kReserved.count(k) && !sample.contains(k)) bad += (bad.empty() ? "'" : ", '") + k + "'";
    if (!bad.empty()) return NeutronError(400, "HTTPBadRequest", "[" + bad + "] is invalid attribute for filtering");
  }
  // Attribute filters, grouped by key (repeated keys: any of).
  std::vector<std::pair<std::string, std::vector<std::string>>> filters;
  for (const auto& [k, v] : req.query) {
    if (kReserved.count(k)) continue;
    if (filters.empty() || filters.back().first != k) filters.push_back({k, {}});
    filters.back().second.push_back(v);
  }
  bool tag_filters = req.HasQuery("tags") || req.HasQuery("tags-any") || req.HasQuery("not-tags") ||
                     req.HasQuery("not-tags-any");
  static const json kNull;
  std::vector<const json*> rows;
  for (const auto& [id, d] : docs) {
    if (!Visible(d, caller)) continue;
    if (tag_filters && !MatchTags(req, TagList(d))) continue;
    bool ok = true;
    for (const auto& [k, values] : filters) {
      auto f = d.find(k);
      const json& field = f == d.end() ? kNull : *f;
      bool hit = false;
      for (const auto& v : values) hit = hit || MatchValue(field, v);
      if (!hit) {
        ok = false;
        break;
      }
    }
    if (ok) rows.push_back(&d);
  }
  std::string sort_key = req.Query("sort_key");
  if (!sort_key.empty()) {
    bool desc = req.Query("sort_dir") == "desc";
    std::stable_sort(rows.begin(), rows.end(), [&](const json* a, const json* b) {
      const json va = a->value(sort_key, json()), vb = b->value(sort_key, json());
      return desc ? vb < va : va < vb;
    });
  }
  size_t start = 0;
  std::string marker = req.Query("marker");
  if (!marker.empty()) {
    for (size_t i = 0; i < rows.size(); ++i)
      if ((*rows[i])["id"] == marker) start = i + 1;
  }
  size_t limit = rows.size();
  if (req.HasQuery("limit")) {
    std::string l = req.Query("limit");
    if (l.empty() || l.find_first_not_of("0123456789") != std::string::npos)
      return NeutronError(400, "BadRequest", "Bad limit request: Limit must be an integer 0 or greater and not '" + l + "'.");
    long v = std::stol(l);
    if (v > 0) limit = static_cast<size_t>(v);
  }
  std::vector<std::string> fields = QueryList(req, "fields");
  json items = json::array();
  size_t end = std::min(rows.size(), start + limit);
  for (size_t i = start; i < end; ++i) {
    json item = NeutronView(*rows[i], caller);
    if (!fields.empty()) {
      json f = json::object();
      for (const auto& k : fields)
        if (item.contains(k)) f[k] = item[k];
      item = f;
    }
    items.push_back(item);
  }
  json out = {{c.path == "security-groups" ? "security_groups"
               : c.path == "security-group-rules" ? "security_group_rules"
                                                  : c.path,
               items}};
  if (req.HasQuery("limit")) {
    json links = json::array();
    std::string key = out.begin().key();
    if (end < rows.size() && end > start)
      links.push_back({{"rel", "next"}, {"href", Href(m, req, c.path, (*rows[end - 1])["id"], false)}});
    if (!marker.empty() && end > start)
      links.push_back({{"rel", "previous"}, {"href", Href(m, req, c.path, (*rows[start])["id"], true)}});
    out[key + "_links"] = links;
  }
  return HttpResponse::Json(200, out);
}

void SeedNeutron(Model* m) {
  // The external network "public" with a documentation-range subnet.
  std::string now = IsoZ(m->Now());
  std::string nid = m->Uuid(), sid = m->Uuid();
  m->public_network_id = nid;
  m->public_subnet_id = sid;
  m->networks[nid] = {{"id", nid}, {"name", "public"}, {"tenant_id", m->admin_project_id}, {"admin_state_up", true},
                      {"mtu", 1500}, {"status", "ACTIVE"}, {"subnets", {sid}}, {"shared", false},
                      {"availability_zone_hints", json::array()}, {"availability_zones", json::array()},
                      {"ipv4_address_scope", nullptr}, {"ipv6_address_scope", nullptr}, {"router:external", true},
                      {"description", ""}, {"port_security_enabled", true}, {"is_default", true},
                      {"tags", json::array()}, {"created_at", now}, {"updated_at", now}, {"revision_number", 2},
                      {"project_id", m->admin_project_id}, {"provider:network_type", "flat"},
                      {"provider:physical_network", "physnet1"}, {"provider:segmentation_id", nullptr}};
  m->subnets[sid] = {{"id", sid}, {"name", "public-subnet"}, {"tenant_id", m->admin_project_id},
                     {"network_id", nid}, {"ip_version", 4}, {"subnetpool_id", nullptr}, {"enable_dhcp", false},
                     {"ipv6_ra_mode", nullptr}, {"ipv6_address_mode", nullptr}, {"gateway_ip", "203.0.113.1"},
                     {"cidr", "203.0.113.0/24"},
                     {"allocation_pools", {{{"start", "203.0.113.2"}, {"end", "203.0.113.254"}}}},
                     {"host_routes", json::array()}, {"dns_nameservers", json::array()}, {"description", ""},
                     {"service_types", json::array()}, {"tags", json::array()}, {"created_at", now},
                     {"updated_at", now}, {"revision_number", 0}, {"project_id", m->admin_project_id}};
  uint32_t gw;
  ParseIpv4("203.0.113.1", &gw);
  m->used_ips[sid].insert(gw);
  m->DefaultSecurityGroup(m->admin_project_id);
  m->DefaultSecurityGroup(m->demo_project_id);
}

namespace {

HttpResponse CreateNetwork(Model* m, const json& body, const Caller& c) {
  if (!body.contains("network") || !body["network"].is_object())
    return NeutronError(400, "HTTPBadRequest", "Resource body required");
  const json& in = body["network"];
  HttpResponse err;
  if (NeutronCheckAttrs(in, {"name", "admin_state_up", "shared", "router:external", "port_security_enabled", "mtu",
                             "description", "availability_zone_hints", "provider:network_type",
                             "provider:physical_network", "provider:segmentation_id", "is_default", "tenant_id",
                             "project_id", "dns_domain", "qos_policy_id"}, &err))
    return err;
  if (NeutronOverQuota(m->networks, c.project_id, 100, "network", &err)) return err;
  std::string id = m->Uuid(), now = IsoZ(m->Now());
  bool external = in.value("router:external", false);
  json doc = {{"id", id}, {"name", in.value("name", "")}, {"tenant_id", c.project_id},
              {"admin_state_up", in.value("admin_state_up", true)}, {"mtu", in.value("mtu", external ? 1500 : 1450)},
              {"status", "ACTIVE"}, {"subnets", json::array()}, {"shared", in.value("shared", false)},
              {"availability_zone_hints", in.value("availability_zone_hints", json::array())},
              {"availability_zones", json::array()}, {"ipv4_address_scope", nullptr},
              {"ipv6_address_scope", nullptr}, {"router:external", external},
              {"description", in.value("description", "")},
              {"port_security_enabled", in.value("port_security_enabled", true)}, {"is_default", false},
              {"tags", json::array()}, {"created_at", now}, {"updated_at", now},
              {"revision_number", 1}, {"project_id", c.project_id},
              {"provider:network_type", external ? "flat" : "vxlan"},
              {"provider:physical_network", external ? json("physnet1") : json()},
              {"provider:segmentation_id", external ? json() : json(m->ctx->RandomInt(100, 4000))}};
  m->networks[id] = doc;
  json view = NeutronView(doc, c);
  view["is_default"] = doc["is_default"];
  return HttpResponse::Json(201, {{"network", view}});
}

HttpResponse CreateSubnet(Model* m, const json& body, const Caller& c) {
  if (!body.contains("subnet") || !body["subnet"].is_object())
    return NeutronError(400, "HTTPBadRequest", "Resource body required");
  const json& in = body["subnet"];
  HttpResponse err;
  if (NeutronCheckAttrs(in, {"name", "network_id", "ip_version", "cidr", "gateway_ip", "allocation_pools",
                             "enable_dhcp", "dns_nameservers", "host_routes", "description", "subnetpool_id",
                             "ipv6_ra_mode", "ipv6_address_mode", "service_types", "tenant_id", "project_id",
                             "segment_id", "prefixlen", "use_default_subnetpool"}, &err))
    return err;
  if (!in.contains("network_id"))
    return NeutronError(400, "HTTPBadRequest", "Failed to parse request. Required attribute 'network_id' not specified");
  if (!in.contains("ip_version"))
    return NeutronError(400, "HTTPBadRequest", "Failed to parse request. Required attribute 'ip_version' not specified");
  std::string net_id = in["network_id"].is_string() ? in["network_id"].get<std::string>() : "";
  auto nit = m->networks.find(net_id);
  if (nit == m->networks.end()) return NeutronError(404, "NetworkNotFound", "Network " + net_id + " could not be found.");
  if (in["ip_version"] != 4 && in["ip_version"] != 6)
    return NeutronError(400, "InvalidInput", "Invalid input for operation: " + in["ip_version"].dump() +
                                                 " is not in [4, 6].");
  if (!in.contains("cidr"))
    return NeutronError(400, "BadRequest", "Bad subnets request: a subnetpool must be specified in the absence of a cidr.");
  std::string cidr = in["cidr"].is_string() ? in["cidr"].get<std::string>() : in["cidr"].dump();
  uint32_t net;
  int prefix;
  if (in["ip_version"] == 6 || !ParseCidr(cidr, &net, &prefix) || prefix > 30)
    return NeutronError(400, "InvalidInput", "Invalid input for operation: " + cidr + " is not in a CIDR format.");
  std::string canonical = Ipv4(net) + "/" + std::to_string(prefix);
  if (canonical != cidr)
    return NeutronError(400, "InvalidInput", "Invalid input for operation: '" + cidr +
                                                 "' isn't a recognized IP subnet cidr, '" + canonical +
                                                 "' is recommended.");
  uint32_t size = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
  uint32_t last = net + size;
  for (const auto& sid : nit->second["subnets"]) {
    uint32_t onet;
    int opre;
    if (!ParseCidr(m->subnets[sid.get<std::string>()]["cidr"].get<std::string>(), &onet, &opre)) continue;
    uint32_t olast = onet + (opre == 0 ? 0xffffffffu : (1u << (32 - opre)) - 1);
    if (!(last < onet || olast < net))
      return NeutronError(400, "InvalidInput", "Invalid input for operation: Requested subnet with cidr: " + cidr +
                                                   " for network: " + net_id + " overlaps with another subnet.");
  }
  if (NeutronOverQuota(m->subnets, c.project_id, 100, "subnet", &err)) return err;
  json gateway = Ipv4(net + 1);
  uint32_t gw = net + 1;
  if (in.contains("gateway_ip")) {
    gateway = in["gateway_ip"];
    if (gateway.is_string() && (!ParseIpv4(gateway.get<std::string>(), &gw) || gw < net || gw > last))
      return NeutronError(400, "InvalidInput", "Invalid input for operation: Gateway IP " + gateway.get<std::string>() +
                                                   " is not in subnet " + cidr + ".");
  }
  json pools = json::array();
  if (in.contains("allocation_pools") && in["allocation_pools"].is_array()) {
    for (const auto& p : in["allocation_pools"]) {
      uint32_t s, e;
      std::string ps = p.value("start", ""), pe = p.value("end", "");
      if (!ParseIpv4(ps, &s) || !ParseIpv4(pe, &e) || s > e)
        return NeutronError(400, "InvalidAllocationPool", "The allocation pool " + ps + "-" + pe + " is not valid.");
      if (s <= net || e >= last)
        return NeutronError(400, "OutOfBoundsAllocationPool", "The allocation pool " + ps + "-" + pe +
                                                                  " spans beyond the subnet cidr " + cidr + ".");
      if (gateway.is_string() && gw >= s && gw <= e)
        return NeutronError(409, "GatewayConflictWithAllocationPools",
                            "Gateway ip " + gateway.get<std::string>() + " conflicts with allocation pool " + ps + "-" + pe);
      pools.push_back({{"start", ps}, {"end", pe}});
    }
  } else {
    uint32_t s = net + 1, e = last - 1;
    if (gateway.is_string() && gw == s) s = gw + 1;
    else if (gateway.is_string() && gw == e) e = gw - 1;
    pools.push_back({{"start", Ipv4(s)}, {"end", Ipv4(e)}});
  }
  std::string id = m->Uuid(), now = IsoZ(m->Now());
  json doc = {{"id", id}, {"name", in.value("name", "")}, {"tenant_id", c.project_id}, {"network_id", net_id},
              {"ip_version", 4}, {"subnetpool_id", nullptr}, {"enable_dhcp", in.value("enable_dhcp", true)},
              {"ipv6_ra_mode", nullptr}, {"ipv6_address_mode", nullptr}, {"gateway_ip", gateway}, {"cidr", cidr},
              {"allocation_pools", pools}, {"host_routes", in.value("host_routes", json::array())},
              {"dns_nameservers", in.value("dns_nameservers", json::array())},
              {"description", in.value("description", "")}, {"service_types", json::array()},
              {"tags", json::array()}, {"created_at", now}, {"updated_at", now},
              {"revision_number", 0}, {"project_id", c.project_id}};
  m->subnets[id] = doc;
  if (gateway.is_string()) m->used_ips[id].insert(gw);
  nit->second["subnets"].push_back(id);
  nit->second["revision_number"] = nit->second.value("revision_number", 0) + 1;
  nit->second["updated_at"] = now;
  return HttpResponse::Json(201, {{"subnet", doc}});
}

HttpResponse CreatePortApi(Model* m, const json& body, const Caller& c) {
  if (!body.contains("port") || !body["port"].is_object())
    return NeutronError(400, "HTTPBadRequest", "Resource body required");
  const json& in = body["port"];
  HttpResponse err;
  if (NeutronCheckAttrs(in, {"name", "network_id", "fixed_ips", "device_id", "device_owner", "security_groups",
                             "admin_state_up", "description", "mac_address", "port_security_enabled",
                             "allowed_address_pairs", "binding:vnic_type", "binding:host_id", "binding:profile",
                             "tenant_id", "project_id", "extra_dhcp_opts"}, &err))
    return err;
  if (!in.contains("network_id"))
    return NeutronError(400, "HTTPBadRequest", "Failed to parse request. Required attribute 'network_id' not specified");
  std::string net_id = in["network_id"].get<std::string>();
  std::string subnet_id, want_ip;
  if (in.contains("fixed_ips") && in["fixed_ips"].is_array() && !in["fixed_ips"].empty()) {
    const json& f = in["fixed_ips"][0];
    subnet_id = f.value("subnet_id", "");
    want_ip = f.value("ip_address", "");
    if (subnet_id.empty() && !want_ip.empty() && m->networks.count(net_id)) {
      uint32_t ip;
      ParseIpv4(want_ip, &ip);
      for (const auto& s : m->networks[net_id]["subnets"]) {
        uint32_t n;
        int p;
        ParseCidr(m->subnets[s.get<std::string>()]["cidr"].get<std::string>(), &n, &p);
        if (p > 0 && (ip >> (32 - p)) == (n >> (32 - p))) subnet_id = s;
      }
    }
    if (!subnet_id.empty() && !m->subnets.count(subnet_id))
      return NeutronError(404, "SubnetNotFound", "Subnet " + subnet_id + " could not be found.");
    if (!want_ip.empty()) {
      uint32_t ip;
      if (!ParseIpv4(want_ip, &ip) || subnet_id.empty())
        return NeutronError(400, "InvalidInput", "Invalid input for operation: IP address " + want_ip +
                                                     " is not a valid IP for the specified subnet.");
      if (m->used_ips[subnet_id].count(ip))
        return NeutronError(409, "IpAddressAlreadyAllocated",
                            "IP address " + want_ip + " already allocated in subnet " + subnet_id);
    }
  }
  for (const auto& sg : in.value("security_groups", json::array()))
    if (!m->security_groups.count(sg.get<std::string>()))
      return NeutronError(404, "SecurityGroupNotFound", "Security group " + sg.get<std::string>() + " does not exist");
  int status = 0;
  json e;
  std::string id = m->CreatePort(net_id, subnet_id, c.project_id, in.value("device_id", ""),
                                 in.value("device_owner", ""), in.value("name", ""),
                                 in.value("security_groups", json::array()), &status, &e);
  if (id.empty()) return NeutronError(status, e["type"], e["message"]);
  json& p = m->ports[id];
  if (!want_ip.empty()) {
    uint32_t auto_ip, ip;
    ParseIpv4(p["fixed_ips"][0]["ip_address"].get<std::string>(), &auto_ip);
    ParseIpv4(want_ip, &ip);
    m->used_ips[subnet_id].erase(auto_ip);
    m->used_ips[subnet_id].insert(ip);
    p["fixed_ips"][0]["ip_address"] = want_ip;
  }
  for (const char* k : {"admin_state_up", "description", "tags", "mac_address", "allowed_address_pairs",
                        "binding:vnic_type", "binding:host_id", "port_security_enabled"})
    if (in.contains(k)) p[k] = in[k];
  if (in.contains("security_groups")) p["security_groups"] = in["security_groups"];
  return HttpResponse::Json(201, {{"port", NeutronView(p, c)}});
}

HttpResponse CreateSecurityGroup(Model* m, const json& body, const Caller& c) {
  if (!body.contains("security_group") || !body["security_group"].is_object())
    return NeutronError(400, "HTTPBadRequest", "Resource body required");
  const json& in = body["security_group"];
  HttpResponse err;
  if (NeutronCheckAttrs(in, {"name", "description", "stateful", "tenant_id", "project_id"}, &err))
    return err;
  if (in.value("name", "") == "default")
    return NeutronError(409, "SecurityGroupDefaultAlreadyExists", "Default security group already exists.");
  m->DefaultSecurityGroup(c.project_id);
  if (NeutronOverQuota(m->security_groups, c.project_id, 10, "security_group", &err)) return err;
  std::string id = m->Uuid(), now = IsoZ(m->Now());
  json sg = {{"id", id}, {"name", in.value("name", "")}, {"stateful", in.value("stateful", true)},
             {"tenant_id", c.project_id}, {"description", in.value("description", "")}, {"shared", false},
             {"tags", json::array()}, {"created_at", now}, {"updated_at", now},
             {"revision_number", 1}, {"project_id", c.project_id}};
  m->security_groups[id] = sg;
  for (const char* eth : {"IPv6", "IPv4"}) {
    std::string rid = m->Uuid();
    m->security_group_rules[rid] = {{"id", rid}, {"tenant_id", c.project_id}, {"security_group_id", id},
                                    {"ethertype", eth}, {"direction", "egress"}, {"protocol", nullptr},
                                    {"port_range_min", nullptr}, {"port_range_max", nullptr},
                                    {"remote_ip_prefix", nullptr}, {"remote_address_group_id", nullptr},
                                    {"normalized_cidr", nullptr}, {"remote_group_id", nullptr},
                                    {"standard_attr_id", m->RandomInt(1, 1 << 20)}, {"description", nullptr}, {"tags", json::array()}, {"created_at", now},
                                    {"updated_at", now}, {"revision_number", 0}, {"project_id", c.project_id}};
  }
  return HttpResponse::Json(201, {{"security_group", sg}});
}

json SecurityGroupView(Model* m, const json& sg) {
  json out = sg;
  json rules = json::array();
  for (const auto& [rid, r] : m->security_group_rules)
    if (r["security_group_id"] == sg["id"]) rules.push_back(r);
  out["security_group_rules"] = rules;
  return out;
}

HttpResponse CreateRule(Model* m, const json& body, const Caller& c) {
  if (!body.contains("security_group_rule") || !body["security_group_rule"].is_object())
    return NeutronError(400, "HTTPBadRequest", "Resource body required");
  json in = body["security_group_rule"];
  HttpResponse err;
  if (NeutronCheckAttrs(in, {"security_group_id", "direction", "ethertype", "protocol", "port_range_min",
                             "port_range_max", "remote_ip_prefix", "remote_group_id", "remote_address_group_id",
                             "description", "tenant_id", "project_id"}, &err))
    return err;
  std::string sg = in.value("security_group_id", "");
  if (!m->security_groups.count(sg))
    return NeutronError(404, "SecurityGroupNotFound", "Security group " + sg + " does not exist");
  std::string dir = in.value("direction", "");
  if (dir != "ingress" && dir != "egress")
    return NeutronError(400, "InvalidInput", "Invalid input for direction. Reason: '" + dir +
                                                 "' is not in ['ingress', 'egress'].");
  std::string eth = in.value("ethertype", "IPv4");
  if (eth != "IPv4" && eth != "IPv6")
    return NeutronError(400, "SecurityGroupRuleInvalidEtherType",
                        "Security group rule for ethertype '" + eth + "' not supported. Allowed values are ['IPv4', 'IPv6'].");
  json pmin = in.value("port_range_min", json()), pmax = in.value("port_range_max", json());
  if (pmin.is_number() && pmax.is_number() && pmin.get<int>() > pmax.get<int>())
    return NeutronError(400, "SecurityGroupInvalidPortRange",
                        "For TCP/UDP protocols, port_range_min must be <= port_range_max");
  json prefix = in.value("remote_ip_prefix", json());
  json normalized = prefix;
  if (prefix.is_string()) {
    uint32_t n;
    int p;
    if (!ParseCidr(prefix.get<std::string>(), &n, &p)) {
      uint32_t ip;
      if (!ParseIpv4(prefix.get<std::string>(), &ip))
        return NeutronError(400, "InvalidInput", "Invalid input for remote_ip_prefix. Reason: '" +
                                                     prefix.get<std::string>() + "' is not a valid IP subnet.");
      n = ip;
      p = 32;
    }
    normalized = Ipv4(n) + "/" + std::to_string(p);
  }
  for (const auto& [rid, r] : m->security_group_rules) {
    if (r["security_group_id"] == sg && r["direction"] == dir && r["ethertype"] == eth &&
        r["protocol"] == in.value("protocol", json()) && r["port_range_min"] == pmin && r["port_range_max"] == pmax &&
        r["normalized_cidr"] == normalized && r["remote_group_id"] == in.value("remote_group_id", json()))
      return NeutronError(409, "SecurityGroupRuleExists", "Security group rule already exists. Rule id is " + rid + ".");
  }
  if (NeutronOverQuota(m->security_group_rules, c.project_id, 100, "security_group_rule", &err)) return err;
  std::string id = m->Uuid(), now = IsoZ(m->Now());
  json r = {{"id", id}, {"tenant_id", c.project_id}, {"security_group_id", sg}, {"ethertype", eth},
            {"direction", dir}, {"protocol", in.value("protocol", json())}, {"port_range_min", pmin},
            {"port_range_max", pmax}, {"remote_ip_prefix", prefix}, {"remote_address_group_id", nullptr},
            {"normalized_cidr", normalized}, {"remote_group_id", in.value("remote_group_id", json())},
            {"standard_attr_id", m->RandomInt(1, 1 << 20)},
            {"description", in.value("description", "")}, {"tags", json::array()}, {"created_at", now},
            {"updated_at", now}, {"revision_number", 0}, {"project_id", c.project_id}};
  m->security_group_rules[id] = r;
  // The create answer lacks the standard attributes that reads of the rule show.
  r.erase("standard_attr_id");
  r.erase("tags");
  return HttpResponse::Json(201, {{"security_group_rule", r}});
}

HttpResponse DeleteDoc(Model* m, const NeutronColl& c, const std::string& id) {
  Docs& docs = m->*(c.docs);
  auto it = docs.find(id);
  if (it == docs.end()) return NeutronNotFound(c, id);
  if (c.path == "networks") {
    std::string in_use;
    for (const auto& [pid, p] : m->ports)
      if (p["network_id"] == id && p["device_owner"] != "network:dhcp") in_use += (in_use.empty() ? "" : ",") + pid;
    if (!in_use.empty())
      return NeutronError(409, "NetworkInUse", "Unable to complete operation on network " + id +
                                                   ". There are one or more ports still in use on the network, id for "
                                                   "these ports is: " + in_use + ".");
    for (const auto& s : it->second["subnets"]) m->subnets.erase(s.get<std::string>());
  } else if (c.path == "subnets") {
    for (const auto& [pid, p] : m->ports)
      for (const auto& f : p["fixed_ips"])
        if (f["subnet_id"] == id)
          return NeutronError(409, "SubnetInUse", "Unable to complete operation on subnet " + id +
                                                      ": One or more ports have an IP allocation from this subnet.");
    json& net = m->networks[it->second["network_id"].get<std::string>()];
    json subs = json::array();
    for (const auto& s : net["subnets"])
      if (s != id) subs.push_back(s);
    net["subnets"] = subs;
    m->used_ips.erase(id);
  } else if (c.path == "ports") {
    std::string owner = it->second.value("device_owner", "");
    if (owner == "network:router_interface" || owner == "network:router_gateway" || owner == "network:floatingip")
      return NeutronError(409, "L3PortInUse", "Port " + id + " has owner " + owner +
                                                  " and therefore cannot be deleted directly via the port API.");
    m->DeletePort(id);
    return HttpResponse::Empty(204);
  } else if (c.path == "security-groups") {
    if (it->second["name"] == "default")
      return NeutronError(409, "SecurityGroupCannotRemoveDefault", "Insufficient rights for removing default security group.");
    for (const auto& [pid, p] : m->ports)
      for (const auto& s : p["security_groups"])
        if (s == id) return NeutronError(409, "SecurityGroupInUse", "Security Group " + id + " in use.");
    for (auto r = m->security_group_rules.begin(); r != m->security_group_rules.end();)
      r = r->second["security_group_id"] == id ? m->security_group_rules.erase(r) : std::next(r);
  }
  docs.erase(it);
  return HttpResponse::Empty(204);
}

HttpResponse UpdateDoc(Model* m, const NeutronColl& c, const std::string& id, const json& body, const Caller& caller) {
  Docs& docs = m->*(c.docs);
  auto it = docs.find(id);
  if (it == docs.end()) return NeutronNotFound(c, id);
  if (!body.contains(c.singular) || !body[c.singular].is_object())
    return NeutronError(400, "HTTPBadRequest", "Resource body required");
  const json& in = body[c.singular];
  static const std::map<std::string, std::set<std::string>> kUpdatable = {
      {"networks", {"name", "admin_state_up", "shared", "router:external", "port_security_enabled", "mtu", "description"}},
      {"subnets", {"name", "gateway_ip", "enable_dhcp", "dns_nameservers", "host_routes", "description", "allocation_pools"}},
      {"ports", {"name", "admin_state_up", "security_groups", "device_id", "device_owner", "description",
                 "allowed_address_pairs", "port_security_enabled", "binding:host_id", "binding:profile", "binding:vnic_type"}},
      {"security-groups", {"name", "description", "stateful"}},
  };
  HttpResponse err;
  auto allowed = kUpdatable.find(c.path);
  if (allowed == kUpdatable.end()) return NeutronError(400, "HTTPBadRequest", "Cannot update " + c.singular);
  if (NeutronCheckAttrs(in, allowed->second, &err, "PUT")) return err;
  for (auto f = in.begin(); f != in.end(); ++f) it->second[f.key()] = f.value();
  it->second["updated_at"] = IsoZ(m->Now());
  it->second["revision_number"] = it->second.value("revision_number", 0) + 1;
  json view = c.path == "security-groups" ? SecurityGroupView(m, it->second) : NeutronView(it->second, caller);
  return HttpResponse::Json(200, {{c.singular, view}});
}

void RegisterTags(Router& router, Model* m, const NeutronColl& c) {
  const std::string base = std::string(kNetworkPrefix) + "/v2.0/" + c.path + "/{id}/tags";
  const Service S = Service::kNetwork;
  auto find = [m, c](const std::string& id) -> json* {
    auto it = (m->*(c.docs)).find(id);
    return it == (m->*(c.docs)).end() ? nullptr : &it->second;
  };
  auto touch = [m](json* d) {
    (*d)["updated_at"] = IsoZ(m->Now());
    (*d)["revision_number"] = d->value("revision_number", 0) + 1;
  };
  m->Route(router, S, "GET", base, true, [c, find](const HttpRequest&, const PathParams& p, const Caller&) {
    json* d = find(p.at("id"));
    return d ? HttpResponse::Json(200, {{"tags", (*d)["tags"]}}) : NeutronNotFound(c, p.at("id"));
  });
  m->Route(router, S, "PUT", base, true, [c, find, touch](const HttpRequest& req, const PathParams& p, const Caller&) {
    json* d = find(p.at("id"));
    if (!d) return NeutronNotFound(c, p.at("id"));
    json body;
    if (!ParseBody(req, &body) || !body.contains("tags") || !body["tags"].is_array())
      return NeutronError(400, "HTTPBadRequest", "Invalid input for tags. Reason: tags must be a list.");
    json tags = json::array();
    for (const auto& t : body["tags"]) {
      if (!t.is_string() || t.get<std::string>().empty() || t.get<std::string>().size() > 255)
        return NeutronError(400, "HTTPBadRequest", "Invalid input for tags. Reason: '" + t.dump() + "' is not a valid tag.");
      if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
    }
    (*d)["tags"] = tags;
    touch(d);
    return HttpResponse::Json(200, {{"tags", tags}});
  });
  m->Route(router, S, "DELETE", base, true, [c, find, touch](const HttpRequest&, const PathParams& p, const Caller&) {
    json* d = find(p.at("id"));
    if (!d) return NeutronNotFound(c, p.at("id"));
    (*d)["tags"] = json::array();
    touch(d);
    return HttpResponse::Empty(204);
  });
  m->Route(router, S, "GET", base + "/{tag}", true, [c, find](const HttpRequest&, const PathParams& p, const Caller&) {
    json* d = find(p.at("id"));
    if (!d) return NeutronNotFound(c, p.at("id"));
    for (const auto& t : (*d)["tags"])
      if (t == p.at("tag")) return HttpResponse::Empty(204);
    return NeutronError(404, "TagNotFound", "Tag " + p.at("tag") + " could not be found.");
  });
  m->Route(router, S, "PUT", base + "/{tag}", true, [c, find, touch](const HttpRequest&, const PathParams& p, const Caller&) {
    json* d = find(p.at("id"));
    if (!d) return NeutronNotFound(c, p.at("id"));
    if (std::find((*d)["tags"].begin(), (*d)["tags"].end(), json(p.at("tag"))) == (*d)["tags"].end()) {
      (*d)["tags"].push_back(p.at("tag"));
      touch(d);
    }
    return HttpResponse::Empty(201);
  });
  m->Route(router, S, "DELETE", base + "/{tag}", true, [c, find, touch](const HttpRequest&, const PathParams& p, const Caller&) {
    json* d = find(p.at("id"));
    if (!d) return NeutronNotFound(c, p.at("id"));
    json& tags = (*d)["tags"];
    auto t = std::find(tags.begin(), tags.end(), json(p.at("tag")));
    if (t == tags.end()) return NeutronError(404, "TagNotFound", "Tag " + p.at("tag") + " could not be found.");
    tags.erase(t);
    touch(d);
    return HttpResponse::Empty(204);
  });
}

}  // namespace

void RegisterNeutron(Router& router, Model* m) {
  const Service S = Service::kNetwork;
  const std::string v2 = std::string(kNetworkPrefix) + "/v2.0";
  m->Route(router, S, "GET", kNetworkPrefix, false, [m](const HttpRequest&, const PathParams&, const Caller&) {
    return HttpResponse::Json(200, {{"versions", {{{"id", "v2.0"}, {"status", "CURRENT"},
                                                   {"links", {{{"rel", "self"}, {"href", m->Base(kNetworkPrefix) + "/v2.0/"}}}}}}}});
  });
  m->Route(router, S, "GET", v2, true, [m](const HttpRequest&, const PathParams&, const Caller&) {
    json res = json::array();
    for (const auto& c : NeutronColls()) {
      std::string name = c.singular;
      res.push_back({{"name", name}, {"collection", c.path},
                     {"links", {{{"rel", "self"}, {"href", m->Base(kNetworkPrefix) + "/v2.0/" + c.path}}}}});
    }
    return HttpResponse::Json(200, {{"resources", res}});
  });
  // The API extensions cloudsim models (Zed's names and dates); notably no
  // tag-creation, so clients tag after creating.
  static const json kExtensions = json::parse(R"([
    ["external-net", "Neutron external network", "Adds external network attribute to network resource.", "2013-01-14T10:00:00-00:00"],
    ["filter-validation", "Filter parameters validation", "Provides validation on filter parameters.", "2018-07-04T10:00:00-00:00"],
    ["router", "Neutron L3 Router", "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.", "2012-07-20T10:00:00-00:00"],
    ["pagination", "Pagination support", "Extension that indicates that pagination is enabled.", "2016-06-12T00:00:00-00:00"],
    ["project-id", "project_id field enabled", "Extension that indicates that project_id field is enabled.", "2016-09-09T09:09:09-09:09"],
    ["standard-attr-revisions", "Resource revision numbers", "This extension will display the revision number of neutron resources.", "2016-04-11T10:00:00-00:00"],
    ["security-group", "security-group", "The security groups extension.", "2012-10-05T10:00:00-00:00"],
    ["sorting", "Sorting support", "Extension that indicates that sorting is enabled.", "2016-06-12T00:00:00-00:00"],
    ["standard-attr-description", "standard-attr-description", "Extension to add descriptions to standard attributes", "2016-02-10T10:00:00-00:00"],
    ["standard-attr-tag", "Tag support for resources with standard attribute: port, subnet, subnetpool, network, security_group, router, floatingip, policy, trunk, network_segment_range", "Enables to set tag on resources with standard attribute.", "2017-01-01T00:00:00-00:00"],
    ["standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.", "2016-09-12T10:00:00-00:00"]
  ])");
  auto extension = [](const json& e) {
    return json{{"name", e[1]}, {"alias", e[0]}, {"description", e[2]}, {"updated", e[3]}, {"links", json::array()}};
  };
  m->Route(router, S, "GET", v2 + "/extensions", true, [extension](const HttpRequest&, const PathParams&, const Caller&) {
    json all = json::array();
    for (const json& e : kExtensions) all.push_back(extension(e));
    return HttpResponse::Json(200, {{"extensions", all}});
  });
  m->Route(router, S, "GET", v2 + "/extensions/{alias}", true,
           [extension](const HttpRequest&, const PathParams& p, const Caller&) {
             for (const json& e : kExtensions)
               if (e[0] == p.at("alias")) return HttpResponse::Json(200, {{"extension", extension(e)}});
             return HttpResponse::Json(404, {{"message", "The resource could not be found.<br /><br />\nExtension with alias " +
                                                             p.at("alias") + " does not exist\n\n"},
                                             {"code", "404 Not Found"},
                                             {"title", "Not Found"}});
           });
  RegisterNeutronL3(router, m);
  for (const NeutronColl& c : NeutronColls()) {
    const std::string coll = v2 + "/" + c.path;
    m->Route(router, S, "GET", coll, true, [m, c](const HttpRequest& req, const PathParams&, const Caller& caller) {
      if (c.path != "security-groups") return NeutronList(m, req, caller, c);
      // Security groups embed their rules; list them through a view copy.
      HttpResponse r = NeutronList(m, req, caller, c);
      json body = json::parse(r.body);
      for (auto& sg : body["security_groups"])
        if (sg.contains("id") && !req.HasQuery("fields")) sg = SecurityGroupView(m, m->security_groups[sg["id"].get<std::string>()]);
      return HttpResponse::Json(200, body);
    });
    m->Route(router, S, "GET", coll + "/{id}", true,
             [m, c](const HttpRequest&, const PathParams& p, const Caller& caller) {
      const Docs& docs = m->*(c.docs);
      auto it = docs.find(p.at("id"));
      if (it == docs.end()) return NeutronNotFound(c, p.at("id"));
      json view = c.path == "security-groups" ? SecurityGroupView(m, it->second) : NeutronView(it->second, caller);
      return HttpResponse::Json(200, {{c.singular, view}});
    });
    if (c.path == "routers" || c.path == "floatingips") continue;  // neutron_l3.cc
    m->Route(router, S, "POST", coll, true, [m, c](const HttpRequest& req, const PathParams&, const Caller& caller) {
      json body;
      if (!ParseBody(req, &body)) return NeutronError(400, "HTTPBadRequest", "Invalid JSON body");
      if (c.path == "networks") return CreateNetwork(m, body, caller);
      if (c.path == "subnets") return CreateSubnet(m, body, caller);
      if (c.path == "ports") return CreatePortApi(m, body, caller);
      if (c.path == "security-groups") {
        HttpResponse r = CreateSecurityGroup(m, body, caller);
        if (r.status != 201) return r;
        json b = json::parse(r.body);
        return HttpResponse::Json(201, {{"security_group", SecurityGroupView(m, b["security_group"])}});
      }
      return CreateRule(m, body, caller);
    });
    m->Route(router, S, "PUT", coll + "/{id}", true,
             [m, c](const HttpRequest& req, const PathParams& p, const Caller& caller) {
      json body;
      if (!ParseBody(req, &body)) return NeutronError(400, "HTTPBadRequest", "Invalid JSON body");
      return UpdateDoc(m, c, p.at("id"), body, caller);
    });
    m->Route(router, S, "DELETE", coll + "/{id}", true, [m, c](const HttpRequest&, const PathParams& p, const Caller&) {
      return DeleteDoc(m, c, p.at("id"));
    });
  }
  for (const NeutronColl& c : NeutronColls())
    if (c.path != "security-group-rules") RegisterTags(router, m, c);
}

void ListNeutron(Model* m, std::vector<SimResource>* out) {
  for (const auto& c : NeutronColls()) {
    for (const auto& [id, d] : m->*(c.docs)) {
      SimResource r;
      r.api = "openstack";
      r.kind = c.singular;
      r.id = id;
      r.name = d.value("name", d.value("floating_ip_address", ""));
      for (const auto& t : d.value("tags", json::array())) r.tags.push_back(t.get<std::string>());
      r.status = d.value("status", "");
      out->push_back(r);
    }
  }
}

}  // namespace cloudsim::openstack
