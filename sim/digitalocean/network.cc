// VPCs, firewalls, reserved IPs (and the legacy floating_ips path) and load balancers.
#include <algorithm>
#include <cstdio>
#include <regex>

#include "digitalocean/catalog.h"
#include "digitalocean/do_api.h"

namespace cloudsim::digitalocean {
namespace {

template <typename T>
void EraseValue(std::vector<T>* v, const T& x) {
  v->erase(std::remove(v->begin(), v->end(), x), v->end());
}

template <typename T>
void AddUnique(std::vector<T>* v, const T& x) {
  if (std::find(v->begin(), v->end(), x) == v->end()) v->push_back(x);
}

bool ParseCidr(const std::string& s, uint32_t* base, int* bits) {
  unsigned a, b, c, d;
  int n;
  char tail;
  if (std::sscanf(s.c_str(), "%u.%u.%u.%u/%d%c", &a, &b, &c, &d, &n, &tail) != 5) return false;
  if (a > 255 || b > 255 || c > 255 || d > 255 || n < 0 || n > 32) return false;
  *base = (a << 24) | (b << 16) | (c << 8) | d;
  *bits = n;
  return true;
}

bool IsPrivate(uint32_t ip) {
  return (ip >> 24) == 10 || (ip >> 20) == ((172u << 4) | 1) || (ip >> 16) == ((192u << 8) | 168);
}

// "22", "8000-9000", "0" or "all"; normalised into *out.
bool ValidPorts(const std::string& ports, std::string* out) {
  if (ports == "all" || ports == "0") {
    *out = "0";
    return true;
  }
  static const std::regex kPattern("^([0-9]{1,5})(-([0-9]{1,5}))?$");
  std::smatch m;
  if (!std::regex_match(ports, m, kPattern)) return false;
  int lo = std::stoi(m[1]);
  int hi = m[3].matched ? std::stoi(m[3]) : lo;
  if (lo < 1 || hi > 65535 || lo > hi) return false;
  *out = ports;
  return true;
}

uint32_t IpToInt(const std::string& ip) {
  unsigned a = 0, b = 0, c = 0, d = 0;
  std::sscanf(ip.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
  return (a << 24) | (b << 16) | (c << 8) | d;
}

}  // namespace

std::string DigitalOceanApi::IpFamily(const HttpRequest& req) {
  return req.path.rfind("/v2/floating_ips", 0) == 0 ? "floating_ip" : "reserved_ip";
}

// ---------------------------------------------------------------------------
// VPCs

json DigitalOceanApi::VpcJson(const Vpc& v) const {
  return {{"name", v.name},
          {"description", v.description},
          {"region", v.region},
          {"ip_range", v.ip_range},
          {"default", v.is_default},
          {"id", v.id},
          {"urn", "do:vpc:" + v.id},
          {"created_at", Iso(v.created)}};
}

HttpResponse DigitalOceanApi::ListVpcs(const HttpRequest& req, const PathParams&) {
  std::vector<const Vpc*> sel;
  for (const auto& [id, v] : vpcs_) sel.push_back(&v);
  return PagedList(req, sel, "vpcs", [&](const auto* x) { return VpcJson(*x); });
}

HttpResponse DigitalOceanApi::CreateVpc(const HttpRequest& req, const PathParams&) {
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  Vpc v;
  static const std::regex kName("^[a-zA-Z0-9\\-\\.]+$");
  if (!OptString(body, "name", &v.name) || v.name.empty()) return Unprocessable("name is required.");
  if (!std::regex_match(v.name, kName) || v.name.size() > 255) {
    return Unprocessable("name may only contain alphanumeric characters, dashes, and periods.");
  }
  if (!OptString(body, "region", &v.region) || v.region.empty()) return Unprocessable("region is required.");
  if (!FindRegion(v.region)) return Unprocessable("region " + v.region + " is not a valid region.");
  if (!OptString(body, "description", &v.description) || v.description.size() > 255) {
    return Unprocessable("description must be a string of at most 255 characters.");
  }
  if (!OptString(body, "ip_range", &v.ip_range)) return Unprocessable("ip_range must be a string.");
  for (const auto& [id, other] : vpcs_) {
    if (other.name == v.name) return Unprocessable("A VPC with this name already exists.");
  }
  if (v.ip_range.empty()) {
    // A /20 in 10.200.0.0/13 not used by another VPC.
    for (uint32_t k = 0; k < 128 && v.ip_range.empty(); ++k) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "10.%u.%u.0/20", 200 + k / 16, (k % 16) * 16);
      bool used = false;
      for (const auto& [id, other] : vpcs_) used = used || other.ip_range == buf;
      if (!used) v.ip_range = buf;
    }
  } else {
    uint32_t base;
    int bits;
    if (!ParseCidr(v.ip_range, &base, &bits) || !IsPrivate(base) || bits < 16 || bits > 28) {
      return Unprocessable("ip_range must be a private IPv4 CIDR block with a prefix between /16 and /28.");
    }
    uint32_t mask = 0xffffffffu << (32 - bits);
    if ((base & mask) != base) return Unprocessable("ip_range is not a network address.");
    for (const auto& [id, other] : vpcs_) {
      uint32_t ob;
      int obits;
      if (!ParseCidr(other.ip_range, &ob, &obits)) continue;
      uint32_t m = 0xffffffffu << (32 - std::min(bits, obits));
      if ((ob & m) == (base & m)) return Unprocessable("ip_range overlaps with VPC " + other.name + ".");
    }
  }
  v.id = Uuid();
  v.created = ctx_->Now();
  vpcs_[v.id] = v;
  return HttpResponse::Json(201, {{"vpc", VpcJson(v)}});
}

HttpResponse DigitalOceanApi::GetVpc(const HttpRequest&, const PathParams& p) {
  auto it = vpcs_.find(p.at("vpc_id"));
  if (it == vpcs_.end()) return NotFound();
  return HttpResponse::Json(200, {{"vpc", VpcJson(it->second)}});
}

HttpResponse DigitalOceanApi::UpdateVpc(const HttpRequest& req, const PathParams& p) {
  auto it = vpcs_.find(p.at("vpc_id"));
  if (it == vpcs_.end()) return NotFound();
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  std::string name = it->second.name, description = it->second.description;
  if (!OptString(body, "name", &name) || !OptString(body, "description", &description)) {
    return Unprocessable("name and description must be strings.");
  }
  if (req.method == "PUT" && !body.contains("name")) return Unprocessable("name is required.");
  static const std::regex kName("^[a-zA-Z0-9\\-\\.]+$");
  if (!std::regex_match(name, kName)) {
    return Unprocessable("name may only contain alphanumeric characters, dashes, and periods.");
  }
  it->second.name = name;
  it->second.description = description;
  return HttpResponse::Json(200, {{"vpc", VpcJson(it->second)}});
}

HttpResponse DigitalOceanApi::DeleteVpc(const HttpRequest&, const PathParams& p) {
  auto it = vpcs_.find(p.at("vpc_id"));
  if (it == vpcs_.end()) return NotFound();
  if (it->second.is_default) return Error(403, "forbidden", "Cannot delete the default VPC for a region.");
  for (const auto& [id, d] : droplets_) {
    if (d.vpc_uuid == it->first) return Error(409, "conflict", "VPC has members and cannot be deleted.");
  }
  for (const auto& [id, lb] : load_balancers_) {
    if (lb.vpc_uuid == it->first) return Error(409, "conflict", "VPC has members and cannot be deleted.");
  }
  vpcs_.erase(it);
  return HttpResponse::Empty(204);
}

// ---------------------------------------------------------------------------
// Firewalls

json DigitalOceanApi::FirewallJson(const Firewall& f, double now) const {
  bool ready = now >= f.ready_at;
  json pending = json::array();
  if (!ready) {
    for (int64_t id : f.droplet_ids) pending.push_back({{"droplet_id", id}, {"removing", false}, {"status", "waiting"}});
  }
  return {{"id", f.id},
          {"name", f.name},
          {"status", ready ? "succeeded" : "waiting"},
          {"inbound_rules", f.inbound_rules},
          {"outbound_rules", f.outbound_rules},
          {"created_at", Iso(f.created)},
          {"droplet_ids", f.droplet_ids},
          {"tags", f.tags},
          {"pending_changes", pending}};
}

HttpResponse DigitalOceanApi::ApplyFirewallBody(const json& body, Firewall* f) {
  static const std::regex kName("^[a-zA-Z0-9][a-zA-Z0-9\\.\\-]*$");
  std::string name;
  if (!OptString(body, "name", &name) || name.empty()) return Unprocessable("name is required.");
  if (!std::regex_match(name, kName) || name.size() > 255) {
    return Unprocessable("name may only contain alphanumeric characters, dashes, and periods.");
  }
  json rules[2] = {json::array(), json::array()};
  const char* keys[2] = {"inbound_rules", "outbound_rules"};
  const char* target_keys[2] = {"sources", "destinations"};
  size_t count = 0;
  for (int k = 0; k < 2; ++k) {
    if (!body.contains(keys[k]) || body[keys[k]].is_null()) continue;
    if (!body[keys[k]].is_array()) return Unprocessable(std::string(keys[k]) + " must be an array.");
    for (const json& r : body[keys[k]]) {
      std::string protocol, ports;
      if (!r.is_object() || !OptString(r, "protocol", &protocol)) return Unprocessable("invalid rule.");
      if (protocol != "tcp" && protocol != "udp" && protocol != "icmp") {
        return Unprocessable("protocol must be one of tcp, udp, icmp.");
      }
      if (!OptString(r, "ports", &ports)) return Unprocessable("ports must be a string.");
      std::string norm = "0";
      if (protocol != "icmp") {
        if (ports.empty()) return Unprocessable("ports is required for tcp and udp rules.");
        if (!ValidPorts(ports, &norm)) return Unprocessable("ports " + ports + " is not a valid port or range.");
      }
      if (!r.contains(target_keys[k]) || !r[target_keys[k]].is_object()) {
        return Unprocessable(std::string(target_keys[k]) + " is required for each rule.");
      }
      const json& t = r[target_keys[k]];
      json target = json::object();
      std::vector<std::string> addresses, lbs, k8s, tags;
      std::vector<int64_t> droplet_ids;
      if (!OptStringArray(t, "addresses", &addresses) || !OptStringArray(t, "load_balancer_uids", &lbs) ||
          !OptStringArray(t, "kubernetes_ids", &k8s) || !OptStringArray(t, "tags", &tags) ||
          !OptIntArray(t, "droplet_ids", &droplet_ids)) {
        return Unprocessable(std::string(target_keys[k]) + " has a field of the wrong type.");
      }
      if (addresses.empty() && lbs.empty() && k8s.empty() && tags.empty() && droplet_ids.empty()) {
        return Unprocessable("each rule needs at least one of addresses, droplet_ids, load_balancer_uids, "
                             "kubernetes_ids or tags.");
      }
      for (const std::string& a : addresses) {
        uint32_t base;
        int bits;
        bool v4 = ParseCidr(a.find('/') == std::string::npos ? a + "/32" : a, &base, &bits);
        if (!v4 && a.find(':') == std::string::npos) return Unprocessable("address " + a + " is not valid.");
      }
      for (int64_t id : droplet_ids) {
        if (!droplets_.count(id)) return Unprocessable("droplet " + std::to_string(id) + " does not exist.");
      }
      for (const std::string& id : lbs) {
        if (!load_balancers_.count(id)) return Unprocessable("load balancer " + id + " does not exist.");
      }
      for (const std::string& tg : tags) {
        if (!ValidTagName(tg)) return Unprocessable("invalid tag name: " + tg);
      }
      if (!addresses.empty()) target["addresses"] = addresses;
      if (!droplet_ids.empty()) target["droplet_ids"] = droplet_ids;
      if (!lbs.empty()) target["load_balancer_uids"] = lbs;
      if (!k8s.empty()) target["kubernetes_ids"] = k8s;
      if (!tags.empty()) target["tags"] = tags;
      rules[k].push_back({{"protocol", protocol}, {"ports", norm}, {target_keys[k], target}});
      ++count;
    }
  }
  if (count == 0) return Unprocessable("You must specify at least one inbound or outbound rule.");
  std::vector<int64_t> droplet_ids;
  std::vector<std::string> tags;
  if (!OptIntArray(body, "droplet_ids", &droplet_ids)) return Unprocessable("droplet_ids must be integers.");
  if (!OptStringArray(body, "tags", &tags)) return Unprocessable("tags must be strings.");
  for (int64_t id : droplet_ids) {
    if (!droplets_.count(id)) return Unprocessable("droplet " + std::to_string(id) + " does not exist.");
  }
  for (const std::string& tg : tags) {
    if (!ValidTagName(tg)) return Unprocessable("invalid tag name: " + tg);
  }
  for (const std::string& tg : tags) EnsureTag(tg);
  f->name = name;
  f->inbound_rules = rules[0];
  f->outbound_rules = rules[1];
  f->droplet_ids = droplet_ids;
  f->tags = tags;
  f->ready_at = ctx_->Now() + ctx_->Latency(kFirewallSeconds);
  HttpResponse ok;
  ok.status = 0;
  return ok;
}

HttpResponse DigitalOceanApi::ListFirewalls(const HttpRequest& req, const PathParams&) {
  double now = ctx_->Now();
  std::vector<const Firewall*> sel;
  for (const auto& [id, f] : firewalls_) sel.push_back(&f);
  return PagedList(req, sel, "firewalls", [&](const auto* x) { return FirewallJson(*x, now); });
}

HttpResponse DigitalOceanApi::CreateFirewall(const HttpRequest& req, const PathParams&) {
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  Firewall f;
  HttpResponse r = ApplyFirewallBody(body, &f);
  if (r.status != 0) return r;
  f.id = Uuid();
  f.created = ctx_->Now();
  firewalls_[f.id] = f;
  return HttpResponse::Json(202, {{"firewall", FirewallJson(f, ctx_->Now())}});
}

HttpResponse DigitalOceanApi::GetFirewall(const HttpRequest&, const PathParams& p) {
  auto it = firewalls_.find(p.at("firewall_id"));
  if (it == firewalls_.end()) return NotFound();
  return HttpResponse::Json(200, {{"firewall", FirewallJson(it->second, ctx_->Now())}});
}

HttpResponse DigitalOceanApi::UpdateFirewall(const HttpRequest& req, const PathParams& p) {
  auto it = firewalls_.find(p.at("firewall_id"));
  if (it == firewalls_.end()) return NotFound();
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  Firewall f = it->second;
  HttpResponse r = ApplyFirewallBody(body, &f);
  if (r.status != 0) return r;
  it->second = f;
  return HttpResponse::Json(200, {{"firewall", FirewallJson(f, ctx_->Now())}});
}

HttpResponse DigitalOceanApi::DeleteFirewall(const HttpRequest&, const PathParams& p) {
  if (!firewalls_.erase(p.at("firewall_id"))) return NotFound();
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::FirewallMembers(const HttpRequest& req, const PathParams& p, bool droplets, bool add) {
  auto it = firewalls_.find(p.at("firewall_id"));
  if (it == firewalls_.end()) return NotFound();
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  Firewall& f = it->second;
  if (droplets) {
    std::vector<int64_t> ids;
    if (!OptIntArray(body, "droplet_ids", &ids) || ids.empty()) {
      return Unprocessable("droplet_ids must be a non-empty array of integers.");
    }
    for (int64_t id : ids) {
      if (!droplets_.count(id)) return Unprocessable("droplet " + std::to_string(id) + " does not exist.");
    }
    for (int64_t id : ids) add ? AddUnique(&f.droplet_ids, id) : EraseValue(&f.droplet_ids, id);
  } else {
    std::vector<std::string> tags;
    if (!OptStringArray(body, "tags", &tags) || tags.empty()) {
      return Unprocessable("tags must be a non-empty array of strings.");
    }
    for (const std::string& t : tags) {
      if (!ValidTagName(t)) return Unprocessable("invalid tag name: " + t);
    }
    for (const std::string& t : tags) {
      if (add) {
        EnsureTag(t);
        AddUnique(&f.tags, t);
      } else {
        EraseValue(&f.tags, t);
      }
    }
  }
  f.ready_at = ctx_->Now() + ctx_->Latency(kFirewallSeconds);
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::AddFirewallDroplets(const HttpRequest& r, const PathParams& p) {
  return FirewallMembers(r, p, true, true);
}
HttpResponse DigitalOceanApi::RemoveFirewallDroplets(const HttpRequest& r, const PathParams& p) {
  return FirewallMembers(r, p, true, false);
}
HttpResponse DigitalOceanApi::AddFirewallTags(const HttpRequest& r, const PathParams& p) {
  return FirewallMembers(r, p, false, true);
}
HttpResponse DigitalOceanApi::RemoveFirewallTags(const HttpRequest& r, const PathParams& p) {
  return FirewallMembers(r, p, false, false);
}

// ---------------------------------------------------------------------------
// Reserved IPs

json DigitalOceanApi::ReservedIpJson(ReservedIp& r, double now) {
  json droplet = nullptr;
  if (r.droplet_id) {
    auto d = droplets_.find(r.droplet_id);
    if (d != droplets_.end()) droplet = DropletJson(d->second, now);
  }
  return {{"ip", r.ip},
          {"region", RegionJsonBySlug(r.region)},
          {"droplet", droplet},
          {"locked", now < r.locked_until},
          {"project_id", account_uuid_}};
}

HttpResponse DigitalOceanApi::ListReservedIps(const HttpRequest& req, const PathParams&) {
  double now = ctx_->Now();
  std::vector<ReservedIp*> sel;
  for (auto& [ip, r] : reserved_ips_) sel.push_back(&r);
  return PagedList(req, sel, IpFamily(req) + "s", [&](auto* r) { return ReservedIpJson(*r, now); });
}

HttpResponse DigitalOceanApi::CreateReservedIp(const HttpRequest& req, const PathParams&) {
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  int64_t droplet_id = 0;
  std::string region;
  if (!OptInt(body, "droplet_id", &droplet_id)) return Unprocessable("droplet_id must be an integer.");
  if (!OptString(body, "region", &region)) return Unprocessable("region must be a string.");
  if (droplet_id == 0 && region.empty()) return Unprocessable("You must specify either a droplet_id or a region.");
  Droplet* d = nullptr;
  if (droplet_id) {
    auto it = droplets_.find(droplet_id);
    if (it == droplets_.end()) return Unprocessable("Droplet " + std::to_string(droplet_id) + " was not found.");
    d = &it->second;
    region = d->region;
  } else if (!FindRegion(region)) {
    return Unprocessable("region " + region + " is not a valid region.");
  }
  if (reserved_ips_.size() >= static_cast<size_t>(options_.reserved_ip_limit)) {
    return Unprocessable("You have reached the limit of " + std::to_string(options_.reserved_ip_limit) +
                         " reserved IPs on your account.");
  }
  ReservedIp r;
  do {
    r.ip = NextPublicIp(region);
  } while (reserved_ips_.count(r.ip));
  r.region = region;
  r.created = ctx_->Now();
  json links = {{"droplets", json::array()}, {"actions", json::array()}};
  const std::string family = IpFamily(req);
  if (d) {
    r.droplet_id = d->id;
    Action& a = AddAction("assign_ip", family, IpToInt(r.ip), region, kReservedIpActionSeconds);
    a.owner = r.ip;
    r.locked_until = a.done;
    links["droplets"].push_back(
        {{"id", d->id}, {"rel", "droplet"}, {"href", ctx_->base_url + "/v2/droplets/" + std::to_string(d->id)}});
    links["actions"].push_back(ActionLink(a, "assign_ip"));
  }
  ReservedIp& stored = reserved_ips_[r.ip] = r;
  return HttpResponse::Json(202, {{family, ReservedIpJson(stored, ctx_->Now())}, {"links", links}});
}

HttpResponse DigitalOceanApi::GetReservedIp(const HttpRequest& req, const PathParams& p) {
  auto it = reserved_ips_.find(p.at("ip"));
  if (it == reserved_ips_.end()) return NotFound();
  return HttpResponse::Json(200, {{IpFamily(req), ReservedIpJson(it->second, ctx_->Now())}});
}

HttpResponse DigitalOceanApi::DeleteReservedIp(const HttpRequest&, const PathParams& p) {
  if (!reserved_ips_.erase(p.at("ip"))) return NotFound();
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::PostReservedIpAction(const HttpRequest& req, const PathParams& p) {
  auto it = reserved_ips_.find(p.at("ip"));
  if (it == reserved_ips_.end()) return NotFound();
  ReservedIp& r = it->second;
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  std::string type;
  int64_t droplet_id = 0;
  if (!OptString(body, "type", &type) || (type != "assign" && type != "unassign")) {
    return Unprocessable("type must be assign or unassign.");
  }
  if (!OptInt(body, "droplet_id", &droplet_id)) return Unprocessable("droplet_id must be an integer.");
  double now = ctx_->Now();
  if (now < r.locked_until) return Unprocessable("The reserved IP already has a pending event.");
  if (type == "assign") {
    if (droplet_id == 0) return Unprocessable("droplet_id is required.");
    auto d = droplets_.find(droplet_id);
    if (d == droplets_.end()) return Unprocessable("Droplet " + std::to_string(droplet_id) + " was not found.");
    if (d->second.region != r.region) {
      return Unprocessable("The reserved IP and the Droplet must be in the same region.");
    }
    r.droplet_id = droplet_id;
  } else {
    if (r.droplet_id == 0) return Unprocessable("The reserved IP is not assigned to a Droplet.");
    r.droplet_id = 0;
  }
  Action& a = AddAction(type + "_ip", IpFamily(req), IpToInt(r.ip), r.region, kReservedIpActionSeconds);
  a.owner = r.ip;
  r.locked_until = a.done;
  return HttpResponse::Json(201, {{"action", ActionJson(a)}});
}

HttpResponse DigitalOceanApi::ListReservedIpActions(const HttpRequest& req, const PathParams& p) {
  auto rit = reserved_ips_.find(p.at("ip"));
  if (rit == reserved_ips_.end()) return NotFound();
  std::vector<const Action*> sel;
  for (auto it = actions_.rbegin(); it != actions_.rend(); ++it) {
    if (it->second.owner == rit->first) sel.push_back(&it->second);
  }
  return PagedList(req, sel, "actions", [&](const auto* x) { return ActionJson(*x); });
}

HttpResponse DigitalOceanApi::GetReservedIpAction(const HttpRequest&, const PathParams& p) {
  auto it = actions_.find(std::strtoll(p.at("action_id").c_str(), nullptr, 10));
  if (it == actions_.end() || it->second.owner != p.at("ip")) return NotFound();
  return HttpResponse::Json(200, {{"action", ActionJson(it->second)}});
}

// ---------------------------------------------------------------------------
// Load balancers

json DigitalOceanApi::LoadBalancerJson(const LoadBalancer& lb, double now) {
  bool active = now >= lb.active_at;
  std::vector<int64_t> droplet_ids = lb.droplet_ids;
  if (!lb.tag.empty()) droplet_ids = DropletIdsForTag(lb.tag);
  return {{"id", lb.id},
          {"name", lb.name},
          {"project_id", account_uuid_},
          {"ip", active ? lb.ip : ""},
          {"ipv6", ""},
          {"size_unit", lb.size_unit},
          {"size", lb.size},
          {"algorithm", lb.algorithm},
          {"status", active ? "active" : "new"},
          {"created_at", Iso(lb.created)},
          {"forwarding_rules", lb.forwarding_rules},
          {"health_check", lb.health_check},
          {"sticky_sessions", lb.sticky_sessions},
          {"redirect_http_to_https", lb.redirect_http_to_https},
          {"enable_proxy_protocol", lb.enable_proxy_protocol},
          {"enable_backend_keepalive", lb.enable_backend_keepalive},
          {"http_idle_timeout_seconds", lb.http_idle_timeout_seconds},
          {"vpc_uuid", lb.vpc_uuid},
          {"disable_lets_encrypt_dns_records", false},
          {"firewall", {{"deny", json::array()}, {"allow", json::array()}}},
          {"network", "EXTERNAL"},
          {"network_stack", "IPV4"},
          {"type", "REGIONAL"},
          {"region", RegionJsonBySlug(lb.region)},
          {"droplet_ids", droplet_ids},
          {"tag", lb.tag}};
}

HttpResponse DigitalOceanApi::ApplyLoadBalancerBody(const json& body, bool create, LoadBalancer* lb) {
  LoadBalancer n = *lb;
  if (!OptString(body, "name", &n.name)) return Unprocessable("name must be a string.");
  static const std::regex kName("^[a-zA-Z0-9][a-zA-Z0-9\\.\\-]*$");
  if (!n.name.empty() && (!std::regex_match(n.name, kName) || n.name.size() > 255)) {
    return Unprocessable("name may only contain alphanumeric characters, dashes, and periods.");
  }
  std::string region = n.region;
  if (!OptString(body, "region", &region)) return Unprocessable("region must be a string.");
  if (region.empty()) return Unprocessable("region is required.");
  if (!FindRegion(region)) return Unprocessable("region " + region + " is not a valid region.");
  if (!create && region != lb->region) return Unprocessable("the region of a load balancer cannot be changed.");
  n.region = region;
  if (!body.contains("forwarding_rules") || !body["forwarding_rules"].is_array() ||
      body["forwarding_rules"].empty()) {
    return Unprocessable("forwarding_rules is required and must contain at least one rule.");
  }
  static const std::set<std::string> kEntry = {"http", "https", "http2", "http3", "tcp", "udp"};
  static const std::set<std::string> kTarget = {"http", "https", "http2", "tcp", "udp"};
  n.forwarding_rules = json::array();
  for (const json& r : body["forwarding_rules"]) {
    std::string ep, tp, cert;
    int64_t eport = 0, tport = 0;
    bool passthrough = false;
    if (!r.is_object() || !OptString(r, "entry_protocol", &ep) || !OptString(r, "target_protocol", &tp) ||
        !OptInt(r, "entry_port", &eport) || !OptInt(r, "target_port", &tport) ||
        !OptString(r, "certificate_id", &cert) || !OptBool(r, "tls_passthrough", &passthrough)) {
      return Unprocessable("forwarding rule has a field of the wrong type.");
    }
    if (!kEntry.count(ep)) return Unprocessable("entry_protocol " + ep + " is not valid.");
    if (!kTarget.count(tp)) return Unprocessable("target_protocol " + tp + " is not valid.");
    if (eport < 1 || eport > 65535 || tport < 1 || tport > 65535) {
      return Unprocessable("entry_port and target_port must be between 1 and 65535.");
    }
    if ((ep == "udp") != (tp == "udp")) return Unprocessable("udp must be used for both entry and target protocol.");
    if ((ep == "https" || ep == "http2" || ep == "http3") && cert.empty() && !passthrough) {
      return Unprocessable("a certificate_id or tls_passthrough is required for " + ep + " forwarding rules.");
    }
    json rule = {{"entry_protocol", ep},    {"entry_port", eport},       {"target_protocol", tp},
                 {"target_port", tport},    {"certificate_id", cert},    {"tls_passthrough", passthrough}};
    n.forwarding_rules.push_back(rule);
  }
  json hc = {{"protocol", "http"},          {"port", 80},
             {"path", "/"},                 {"check_interval_seconds", 10},
             {"response_timeout_seconds", 5}, {"healthy_threshold", 3},
             {"unhealthy_threshold", 5}};
  if (body.contains("health_check") && !body["health_check"].is_null()) {
    const json& h = body["health_check"];
    if (!h.is_object()) return Unprocessable("health_check must be an object.");
    for (const auto& [k, v] : h.items()) {
      if (!hc.contains(k)) continue;
      if (hc[k].is_string() != v.is_string() || hc[k].is_number() != v.is_number_integer()) {
        return Unprocessable("health_check." + k + " has the wrong type.");
      }
      hc[k] = v;
    }
    std::string proto = hc["protocol"];
    if (proto != "http" && proto != "https" && proto != "tcp") {
      return Unprocessable("health_check.protocol must be http, https or tcp.");
    }
  }
  n.health_check = hc;
  json sticky = {{"type", "none"}};
  if (body.contains("sticky_sessions") && body["sticky_sessions"].is_object()) {
    std::string type = body["sticky_sessions"].value("type", "none");
    if (type != "none" && type != "cookies") return Unprocessable("sticky_sessions.type must be none or cookies.");
    sticky = body["sticky_sessions"];
  }
  n.sticky_sessions = sticky;
  if (!OptBool(body, "redirect_http_to_https", &n.redirect_http_to_https) ||
      !OptBool(body, "enable_proxy_protocol", &n.enable_proxy_protocol) ||
      !OptBool(body, "enable_backend_keepalive", &n.enable_backend_keepalive)) {
    return Unprocessable("boolean field has the wrong type.");
  }
  int64_t idle = n.http_idle_timeout_seconds, size_unit = n.size_unit;
  if (!OptInt(body, "http_idle_timeout_seconds", &idle) || idle < 30 || idle > 600) {
    return Unprocessable("http_idle_timeout_seconds must be between 30 and 600.");
  }
  n.http_idle_timeout_seconds = static_cast<int>(idle);
  if (!OptInt(body, "size_unit", &size_unit) || size_unit < 1 || size_unit > 100) {
    return Unprocessable("size_unit must be between 1 and 100.");
  }
  n.size_unit = static_cast<int>(size_unit);
  if (!OptString(body, "size", &n.size)) return Unprocessable("size must be a string.");
  if (n.size.empty()) n.size = "lb-small";
  if (n.size != "lb-small" && n.size != "lb-medium" && n.size != "lb-large") {
    return Unprocessable("size must be lb-small, lb-medium or lb-large.");
  }
  if (!OptString(body, "algorithm", &n.algorithm)) return Unprocessable("algorithm must be a string.");
  if (n.algorithm.empty()) n.algorithm = "round_robin";
  if (n.algorithm != "round_robin" && n.algorithm != "least_connections") {
    return Unprocessable("algorithm must be round_robin or least_connections.");
  }
  std::vector<int64_t> droplet_ids;
  std::string tag;
  if (!OptIntArray(body, "droplet_ids", &droplet_ids)) return Unprocessable("droplet_ids must be integers.");
  if (!OptString(body, "tag", &tag)) return Unprocessable("tag must be a string.");
  if (!tag.empty() && !droplet_ids.empty()) {
    return Unprocessable("droplet_ids and tag are mutually exclusive; specify only one.");
  }
  for (int64_t id : droplet_ids) {
    auto d = droplets_.find(id);
    if (d == droplets_.end()) return Unprocessable("droplet " + std::to_string(id) + " does not exist.");
    if (d->second.region != region) {
      return Unprocessable("droplet " + std::to_string(id) + " is not in region " + region + ".");
    }
  }
  if (!tag.empty() && !ValidTagName(tag)) return Unprocessable("invalid tag name: " + tag);
  n.droplet_ids = droplet_ids;
  n.tag = tag;
  std::string vpc = n.vpc_uuid;
  if (!OptString(body, "vpc_uuid", &vpc)) return Unprocessable("vpc_uuid must be a string.");
  if (vpc.empty()) {
    Vpc* dv = DefaultVpc(region);
    vpc = dv ? dv->id : "";
  } else {
    auto v = vpcs_.find(vpc);
    if (v == vpcs_.end() || v->second.region != region) return Unprocessable("vpc_uuid is not a VPC in " + region);
  }
  if (!create && vpc != lb->vpc_uuid) return Unprocessable("the VPC of a load balancer cannot be changed.");
  n.vpc_uuid = vpc;
  if (!tag.empty()) EnsureTag(tag);
  *lb = n;
  HttpResponse ok;
  ok.status = 0;
  return ok;
}

HttpResponse DigitalOceanApi::ListLoadBalancers(const HttpRequest& req, const PathParams&) {
  double now = ctx_->Now();
  std::vector<const LoadBalancer*> sel;
  for (const auto& [id, lb] : load_balancers_) sel.push_back(&lb);
  return PagedList(req, sel, "load_balancers", [&](const auto* x) { return LoadBalancerJson(*x, now); });
}

HttpResponse DigitalOceanApi::CreateLoadBalancer(const HttpRequest& req, const PathParams&) {
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  LoadBalancer lb;
  HttpResponse r = ApplyLoadBalancerBody(body, true, &lb);
  if (r.status != 0) return r;
  lb.id = Uuid();
  if (lb.name.empty()) lb.name = lb.region + "-load-balancer-" + lb.id.substr(0, 8);
  lb.created = ctx_->Now();
  lb.active_at = lb.created + ctx_->Latency(kLoadBalancerSeconds);
  lb.ip = NextPublicIp(lb.region);
  load_balancers_[lb.id] = lb;
  return HttpResponse::Json(202, {{"load_balancer", LoadBalancerJson(lb, lb.created)}});
}

HttpResponse DigitalOceanApi::GetLoadBalancer(const HttpRequest&, const PathParams& p) {
  auto it = load_balancers_.find(p.at("lb_id"));
  if (it == load_balancers_.end()) return NotFound();
  return HttpResponse::Json(200, {{"load_balancer", LoadBalancerJson(it->second, ctx_->Now())}});
}

HttpResponse DigitalOceanApi::UpdateLoadBalancer(const HttpRequest& req, const PathParams& p) {
  auto it = load_balancers_.find(p.at("lb_id"));
  if (it == load_balancers_.end()) return NotFound();
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  LoadBalancer lb = it->second;
  HttpResponse r = ApplyLoadBalancerBody(body, false, &lb);
  if (r.status != 0) return r;
  if (lb.name.empty()) lb.name = it->second.name;
  it->second = lb;
  return HttpResponse::Json(200, {{"load_balancer", LoadBalancerJson(lb, ctx_->Now())}});
}

HttpResponse DigitalOceanApi::DeleteLoadBalancer(const HttpRequest&, const PathParams& p) {
  if (!load_balancers_.erase(p.at("lb_id"))) return NotFound();
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::AddLoadBalancerDroplets(const HttpRequest& req, const PathParams& p) {
  auto it = load_balancers_.find(p.at("lb_id"));
  if (it == load_balancers_.end()) return NotFound();
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  std::vector<int64_t> ids;
  if (!OptIntArray(body, "droplet_ids", &ids) || ids.empty()) {
    return Unprocessable("droplet_ids must be a non-empty array of integers.");
  }
  if (!it->second.tag.empty()) return Unprocessable("droplets cannot be added to a load balancer that uses a tag.");
  for (int64_t id : ids) {
    auto d = droplets_.find(id);
    if (d == droplets_.end()) return Unprocessable("droplet " + std::to_string(id) + " does not exist.");
    if (d->second.region != it->second.region) {
      return Unprocessable("droplet " + std::to_string(id) + " is not in region " + it->second.region + ".");
    }
  }
  for (int64_t id : ids) AddUnique(&it->second.droplet_ids, id);
  return HttpResponse::Empty(204);
}

HttpResponse DigitalOceanApi::RemoveLoadBalancerDroplets(const HttpRequest& req, const PathParams& p) {
  auto it = load_balancers_.find(p.at("lb_id"));
  if (it == load_balancers_.end()) return NotFound();
  json body;
  HttpResponse err;
  if (!ParseBody(req, &body, &err)) return err;
  std::vector<int64_t> ids;
  if (!OptIntArray(body, "droplet_ids", &ids) || ids.empty()) {
    return Unprocessable("droplet_ids must be a non-empty array of integers.");
  }
  for (int64_t id : ids) EraseValue(&it->second.droplet_ids, id);
  return HttpResponse::Empty(204);
}

}  // namespace cloudsim::digitalocean
