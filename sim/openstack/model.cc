#include "openstack/model.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace cloudsim::openstack {
namespace {

std::string Format(double t, const char* fmt, bool micro, const char* suffix) {
  time_t secs = static_cast<time_t>(t);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), fmt, &tm);
  std::string out = buf;
  if (micro) {
    char frac[16];
    snprintf(frac, sizeof(frac), ".%06d", static_cast<int>((t - static_cast<double>(secs)) * 1e6));
    out += frac;
  }
  return out + suffix;
}

const char* Reason(int code) {
  switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

// nova/api/openstack/wsgi.py Fault._fault_names (cinder uses the same table).
std::string FaultName(int code) {
  switch (code) {
    case 400: return "badRequest";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "itemNotFound";
    case 405: return "badMethod";
    case 409: return "conflictingRequest";
    case 413: return "overLimit";
    case 415: return "badMediaType";
    case 429: return "overLimit";
    case 501: return "notImplemented";
    case 503: return "serviceUnavailable";
    default: return "computeFault";
  }
}

}  // namespace

std::string IsoZ(double t) { return Format(t, "%Y-%m-%dT%H:%M:%S", false, "Z"); }
std::string IsoMicro(double t) { return Format(t, "%Y-%m-%dT%H:%M:%S", true, ""); }
std::string IsoMicroZ(double t) { return Format(t, "%Y-%m-%dT%H:%M:%S", true, "Z"); }
std::string IsoPlain(double t) { return Format(t, "%Y-%m-%dT%H:%M:%S", false, ""); }

bool ParseIpv4(const std::string& s, uint32_t* out) {
  unsigned a, b, c, d;
  char tail;
  if (sscanf(s.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return false;
  if (a > 255 || b > 255 || c > 255 || d > 255) return false;
  *out = (a << 24) | (b << 16) | (c << 8) | d;
  return true;
}

std::string Ipv4(uint32_t ip) {
  char buf[20];
  snprintf(buf, sizeof(buf), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
  return buf;
}

bool ParseCidr(const std::string& s, uint32_t* net, int* prefix) {
  size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  std::string p = s.substr(slash + 1);
  if (p.empty() || p.size() > 2 || p.find_first_not_of("0123456789") != std::string::npos) return false;
  int len = std::stoi(p);
  if (len > 32) return false;
  uint32_t ip;
  if (!ParseIpv4(s.substr(0, slash), &ip)) return false;
  uint32_t mask = len == 0 ? 0 : (0xffffffffu << (32 - len));
  *net = ip & mask;
  *prefix = len;
  return true;
}

HttpResponse KeystoneError(int code, const std::string& message) {
  return HttpResponse::Json(code, {{"error", {{"code", code}, {"message", message}, {"title", Reason(code)}}}});
}

HttpResponse NovaError(int code, const std::string& message) {
  return HttpResponse::Json(code, {{FaultName(code), {{"code", code}, {"message", message}}}});
}

HttpResponse CinderError(int code, const std::string& message) { return NovaError(code, message); }

HttpResponse NeutronError(int code, const std::string& type, const std::string& message) {
  return HttpResponse::Json(code, {{"NeutronError", {{"type", type}, {"message", message}, {"detail", ""}}}});
}

HttpResponse GlanceError(int code, const std::string& message) {
  return HttpResponse::Json(code, {{"message", message + "<br /><br />\n\n\n"},
                                   {"code", std::to_string(code) + " " + Reason(code)},
                                   {"title", Reason(code)}});
}

HttpResponse OctaviaError(int code, const std::string& message) {
  return HttpResponse::Json(
      code, {{"faultcode", code >= 500 ? "Server" : "Client"}, {"faultstring", message}, {"debuginfo", nullptr}});
}

HttpResponse Unauthorized() {
  HttpResponse r = KeystoneError(401, "The request you have made requires authentication.");
  return r;
}

HttpResponse ServiceError(Service svc, int code, const std::string& message) {
  switch (svc) {
    case Service::kIdentity: return KeystoneError(code, message);
    case Service::kCompute: return NovaError(code, message);
    case Service::kNetwork: {
      std::string type = code == 400 ? "HTTPBadRequest" : code == 404 ? "HTTPNotFound" : "HTTPInternalServerError";
      return NeutronError(code, type, message);
    }
    case Service::kImage: return GlanceError(code, message);
    case Service::kVolume: return CinderError(code, message);
    case Service::kLoadBalancer: return OctaviaError(code, message);
  }
  return KeystoneError(code, message);
}

Service ServiceOfPath(const std::string& path) {
  auto starts = [&](const char* p) { return path.rfind(p, 0) == 0; };
  if (starts(kComputePrefix)) return Service::kCompute;
  if (starts(kNetworkPrefix)) return Service::kNetwork;
  if (starts(kImagePrefix)) return Service::kImage;
  if (starts(kVolumePrefix)) return Service::kVolume;
  if (starts(kLoadBalancerPrefix)) return Service::kLoadBalancer;
  return Service::kIdentity;
}

bool FieldIs(const json& doc, const char* key, const std::string& value) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() && it->get_ref<const std::string&>() == value;
}

json Public(const json& doc) {
  json out = json::object();
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!it.key().empty() && it.key()[0] == '_') continue;
    out[it.key()] = it.value();
  }
  return out;
}

bool ParseBody(const HttpRequest& req, json* out) {
  *out = json::parse(req.body, nullptr, false);
  return !out->is_discarded() && out->is_object();
}

std::vector<std::string> QueryList(const HttpRequest& req, const std::string& name) {
  std::vector<std::string> out;
  auto range = req.query.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) {
    std::string cur;
    for (char c : it->second + ",") {
      if (c == ',') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
  }
  return out;
}

bool MatchTags(const HttpRequest& req, const json& tags) {
  auto has = [&](const std::string& t) {
    for (const auto& x : tags)
      if (x.is_string() && x.get<std::string>() == t) return true;
    return false;
  };
  for (const auto& t : QueryList(req, "tags"))
    if (!has(t)) return false;
  auto any = QueryList(req, "tags-any");
  if (!any.empty()) {
    bool found = false;
    for (const auto& t : any) found = found || has(t);
    if (!found) return false;
  }
  auto not_all = QueryList(req, "not-tags");
  if (!not_all.empty()) {
    bool all = true;
    for (const auto& t : not_all) all = all && has(t);
    if (all) return false;
  }
  for (const auto& t : QueryList(req, "not-tags-any"))
    if (has(t)) return false;
  return true;
}

std::string Model::Uuid() {
  std::string h = ctx->RandomHex(32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

int64_t Model::RandomInt(int64_t lo, int64_t hi) { return static_cast<int64_t>(ctx->RandomInt(lo, hi)); }

std::string Model::Mac() {
  std::string h = ctx->RandomHex(6);
  return "fa:16:3e:" + h.substr(0, 2) + ":" + h.substr(2, 2) + ":" + h.substr(4, 2);
}

void Model::Tick() {
  double now = Now();
  while (!due_.empty() && due_.begin()->first <= now) {
    auto [kind, id] = due_.begin()->second;
    due_.erase(due_.begin());
    if (kind == "server") {
      FinishServerDelete(id);
    } else if (kind.rfind("volume", 0) == 0) {
      CompleteVolume(this, id);
    } else if (kind.rfind("image", 0) == 0) {
      CompleteImage(this, kind, id);
    } else {
      CompleteOctavia(this, kind, id);
    }
  }
}

bool Caller::IsAdmin() const { return std::find(roles.begin(), roles.end(), "admin") != roles.end(); }

bool Model::Authenticate(const HttpRequest& req, Caller* caller) {
  std::string token = req.Header("x-auth-token");
  if (token.empty()) return false;
  auto it = tokens.find(token);
  if (it == tokens.end()) return false;
  if (it->second.value("_expires", 0.0) <= Now()) return false;
  caller->token = token;
  caller->user_id = it->second.value("user_id", "");
  caller->project_id = it->second.value("project_id", "");
  for (const auto& r : it->second.value("roles", json::array())) caller->roles.push_back(r.get<std::string>());
  return true;
}

void Model::Route(Router& router, Service svc, const std::string& method, const std::string& pattern, bool auth,
                  Handler handler) {
  router.Add("openstack", method, pattern,
             [this, svc, auth, handler = std::move(handler)](const HttpRequest& req, const PathParams& params) {
               std::lock_guard<std::mutex> lock(mu);
               Tick();
               Caller caller;
               HttpResponse r;
               if (auth && !Authenticate(req, &caller)) {
                 // keystonemiddleware answers for the other services; Glance wraps the 401 in its
                 // own error form.
                 r = svc == Service::kImage
                         ? GlanceError(401, "This server could not verify that you are authorized to access the "
                                            "document you requested. Either you supplied the wrong credentials "
                                            "(e.g., bad password), or your browser does not understand how to "
                                            "supply the credentials required.")
                         : Unauthorized();
               } else {
                 try {
                   r = handler(req, params, caller);
                 } catch (const json::exception& e) {
                   r = ServiceError(svc, 400, std::string("Invalid input: ") + e.what());
                 } catch (const std::exception& e) {
                   r = ServiceError(svc, 400, std::string("Invalid input: ") + e.what());
                 }
               }
               if (r.status == 401) {
                 // Keystone names its own versioned URL; the services name the identity root.
                 r.SetHeader("WWW-Authenticate", "Keystone uri=\"" + Base(kIdentityPrefix) +
                                                     (svc == Service::kIdentity ? "/v3" : "") + "\"");
               }
               // Glance and Octavia reject a missing token before their request-id middleware runs.
               bool no_request_id = r.status == 401 && (svc == Service::kImage || svc == Service::kLoadBalancer);
               if (!no_request_id) r.SetHeader("x-openstack-request-id", "req-" + Uuid());
               return r;
             });
}

uint32_t Model::AllocateIp(const std::string& subnet_id) {
  auto sit = subnets.find(subnet_id);
  if (sit == subnets.end()) return 0;
  std::set<uint32_t>& used = used_ips[subnet_id];
  for (const auto& pool : sit->second["allocation_pools"]) {
    uint32_t start, end;
    if (!ParseIpv4(pool.value("start", ""), &start) || !ParseIpv4(pool.value("end", ""), &end)) continue;
    // Start after the highest used address in the pool when possible (fast path).
    auto hi = used.upper_bound(end);
    uint32_t cand = start;
    if (hi != used.begin()) {
      uint32_t top = *std::prev(hi);
      if (top >= start && top < end) cand = top + 1;
      else if (top >= end) cand = start;
    }
    for (uint32_t ip = cand; ip <= end && ip >= start; ++ip) {
      if (!used.count(ip)) {
        used.insert(ip);
        return ip;
      }
    }
    for (uint32_t ip = start; ip < cand; ++ip) {
      if (!used.count(ip)) {
        used.insert(ip);
        return ip;
      }
    }
  }
  return 0;
}

std::string Model::CreatePort(const std::string& network_id, const std::string& subnet_id,
                              const std::string& project_id, const std::string& device_id,
                              const std::string& device_owner, const std::string& name, const json& security_groups,
                              int* status, json* err) {
  auto nit = networks.find(network_id);
  if (nit == networks.end()) {
    *status = 404;
    *err = {{"type", "NetworkNotFound"}, {"message", "Network " + network_id + " could not be found."}};
    return "";
  }
  int count = 0;
  for (const auto& [id, p] : ports)
    if (FieldIs(p, "project_id", project_id)) ++count;
  if (count >= 500) {
    *status = 409;
    *err = {{"type", "OverQuota"}, {"message", "Quota exceeded for resources: ['port']."}};
    return "";
  }
  json fixed = json::array();
  std::string sub = subnet_id;
  if (sub.empty()) {
    for (const auto& s : nit->second["subnets"]) {
      sub = s.get<std::string>();
      break;
    }
  }
  if (!sub.empty()) {
    uint32_t ip = AllocateIp(sub);
    if (ip == 0) {
      *status = 409;
      *err = {{"type", "IpAddressGenerationFailure"},
              {"message", "No more IP addresses available on network " + network_id + "."}};
      return "";
    }
    fixed.push_back({{"subnet_id", sub}, {"ip_address", Ipv4(ip)}});
  }
  bool port_security = nit->second.value("port_security_enabled", true);
  json sgs = json::array();
  if (device_owner.rfind("network:", 0) != 0 && device_owner != "Octavia" && port_security) {
    sgs = security_groups.is_array() && !security_groups.empty() ? security_groups
                                                                 : json::array({DefaultSecurityGroup(project_id)});
  }
  std::string id = Uuid();
  std::string now = IsoZ(Now());
  bool bound = device_owner.rfind("compute:", 0) == 0;
  std::string st = device_owner.empty() ? "DOWN" : device_owner == "network:floatingip" ? "N/A" : "ACTIVE";
  ports[id] = {{"id", id},
               {"name", name},
               {"network_id", network_id},
               {"tenant_id", project_id},
               {"mac_address", Mac()},
               {"admin_state_up", true},
               {"status", st},
               {"device_id", device_id},
               {"device_owner", device_owner},
               {"fixed_ips", fixed},
               {"allowed_address_pairs", json::array()},
               {"extra_dhcp_opts", json::array()},
               {"security_groups", sgs},
               {"description", ""},
               {"binding:vnic_type", "normal"},
               {"binding:profile", json::object()},
               {"binding:host_id", bound ? "cloudsim-compute" : ""},
               {"binding:vif_type", bound ? "ovs" : "unbound"},
               {"binding:vif_details", bound ? json{{"connectivity", "l2"}, {"port_filter", true}, {"ovs_hybrid_plug", false},
                                                     {"datapath_type", "system"}, {"bridge_name", "br-int"},
                                                     {"bound_drivers", {{"0", "openvswitch"}}}}
                                              : json::object()},
               {"port_security_enabled", port_security},
               {"tags", json::array()},
               {"created_at", now},
               {"updated_at", now},
               {"revision_number", 1},
               {"project_id", project_id}};
  return id;
}

void Model::DeletePort(const std::string& port_id) {
  auto it = ports.find(port_id);
  if (it == ports.end()) return;
  for (const auto& f : it->second["fixed_ips"]) {
    uint32_t ip;
    if (ParseIpv4(f.value("ip_address", ""), &ip)) used_ips[f.value("subnet_id", "")].erase(ip);
  }
  // Floating IPs bound to this port are disassociated.
  for (auto& [fid, fip] : floatingips) {
    if (fip.value("port_id", json()).is_string() && fip["port_id"] == port_id) {
      fip["port_id"] = nullptr;
      fip["fixed_ip_address"] = nullptr;
      fip["router_id"] = nullptr;
      fip["port_details"] = nullptr;
      fip["status"] = "DOWN";
      fip["updated_at"] = IsoZ(Now());
    }
  }
  ports.erase(it);
}

std::string Model::DefaultSecurityGroup(const std::string& project_id) {
  for (const auto& [id, sg] : security_groups)
    if (sg["name"] == "default" && sg["project_id"] == project_id) return id;
  std::string id = Uuid();
  std::string now = IsoZ(Now());
  security_groups[id] = {{"id", id},          {"name", "default"},         {"stateful", true},
                         {"tenant_id", project_id}, {"description", "Default security group"},
                         {"shared", false},   {"tags", json::array()},     {"created_at", now},
                         {"updated_at", now}, {"revision_number", 1},      {"project_id", project_id}};
  for (const char* dir : {"ingress", "egress"}) {
    for (const char* eth : {"IPv4", "IPv6"}) {
      std::string rid = Uuid();
      security_group_rules[rid] = {{"id", rid},
                                   {"tenant_id", project_id},
                                   {"security_group_id", id},
                                   {"ethertype", eth},
                                   {"direction", dir},
                                   {"protocol", nullptr},
                                   {"port_range_min", nullptr},
                                   {"port_range_max", nullptr},
                                   {"remote_ip_prefix", nullptr},
                                   {"remote_address_group_id", nullptr},
                                   {"normalized_cidr", nullptr},
                                   {"remote_group_id", std::string(dir) == "ingress" ? json(id) : json()},
                                   {"standard_attr_id", RandomInt(1, 1 << 20)},
                                   {"description", nullptr},
                                   {"tags", json::array()},
                                   {"created_at", now},
                                   {"updated_at", now},
                                   {"revision_number", 0},
                                   {"project_id", project_id}};
    }
  }
  return id;
}

void Model::Clear() {
  for (Docs* d : {&domains, &projects, &users, &roles, &app_creds, &tokens, &flavors, &keypairs, &servers,
                  &server_groups, &networks, &subnets, &ports, &routers, &security_groups, &security_group_rules,
                  &floatingips, &images, &volumes, &loadbalancers, &listeners, &pools, &members, &healthmonitors})
    d->clear();
  used_ips.clear();
  due_.clear();
  instance_seq = 0;
}

void Model::Seed() {
  SeedKeystone(this);
  SeedNeutron(this);
  SeedNova(this);
  SeedGlance(this);
}

namespace {
struct Named {
  const char* name;
  Docs Model::*docs;
};
constexpr Named kAll[] = {
    {"domains", &Model::domains},       {"projects", &Model::projects},
    {"users", &Model::users},           {"roles", &Model::roles},
    {"app_creds", &Model::app_creds},   {"tokens", &Model::tokens},
    {"flavors", &Model::flavors},       {"keypairs", &Model::keypairs},
    {"servers", &Model::servers},       {"server_groups", &Model::server_groups},
    {"networks", &Model::networks},     {"subnets", &Model::subnets},
    {"ports", &Model::ports},           {"routers", &Model::routers},
    {"security_groups", &Model::security_groups},
    {"security_group_rules", &Model::security_group_rules},
    {"floatingips", &Model::floatingips}, {"images", &Model::images},
    {"volumes", &Model::volumes},       {"loadbalancers", &Model::loadbalancers},
    {"listeners", &Model::listeners},   {"pools", &Model::pools},
    {"members", &Model::members},       {"healthmonitors", &Model::healthmonitors},
};
}  // namespace

json Model::Save() const {
  json out = json::object();
  for (const auto& n : kAll) out[n.name] = this->*(n.docs);
  json due = json::array();
  for (const auto& [t, kv] : due_) due.push_back({t, kv.first, kv.second});
  out["due"] = due;
  out["instance_seq"] = instance_seq;
  out["ids"] = {admin_project_id, demo_project_id, admin_user_id, demo_user_id,
                app_cred_id,      app_cred_secret, public_network_id, public_subnet_id};
  return out;
}

void Model::Load(const json& saved) {
  Clear();
  for (const auto& n : kAll) {
    if (!saved.contains(n.name)) continue;
    for (auto it = saved[n.name].begin(); it != saved[n.name].end(); ++it) (this->*(n.docs))[it.key()] = it.value();
  }
  for (const auto& d : saved.value("due", json::array()))
    due_.emplace(d[0].get<double>(), std::make_pair(d[1].get<std::string>(), d[2].get<std::string>()));
  instance_seq = saved.value("instance_seq", 0);
  if (saved.contains("ids") && saved["ids"].size() == 8) {
    const json& ids = saved["ids"];
    admin_project_id = ids[0];
    demo_project_id = ids[1];
    admin_user_id = ids[2];
    demo_user_id = ids[3];
    app_cred_id = ids[4];
    app_cred_secret = ids[5];
    public_network_id = ids[6];
    public_subnet_id = ids[7];
  }
  for (const auto& [id, s] : subnets) {
    uint32_t gw;
    if (s["gateway_ip"].is_string() && ParseIpv4(s["gateway_ip"].get<std::string>(), &gw)) used_ips[id].insert(gw);
  }
  for (const auto& [id, p] : ports) {
    for (const auto& f : p["fixed_ips"]) {
      uint32_t ip;
      if (ParseIpv4(f.value("ip_address", ""), &ip)) used_ips[f.value("subnet_id", "")].insert(ip);
    }
  }
}

}  // namespace cloudsim::openstack
