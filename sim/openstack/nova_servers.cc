// Nova v2.1 servers: create (ports from Neutron, quotas), BUILD -> ACTIVE,
// show/list with filters, update, actions, delete, os-interface,
// os-volume_attachments and server tags.
#include <algorithm>
#include <cstdio>
#include <regex>

#include "openstack/model.h"

namespace cloudsim::openstack {
namespace {

constexpr double kBuildSeconds = 15;   // BUILD -> ACTIVE
constexpr double kDeleteSeconds = 3;   // delete -> 404
constexpr double kAttachSeconds = 3;   // volume attaching -> in-use
constexpr double kSnapshotSeconds = 10;  // createImage -> image active, task_state cleared
constexpr int kQuotaInstances = 10, kQuotaCores = 20, kQuotaRam = 51200;

std::string LastSegment(const std::string& ref) {
  size_t slash = ref.find_last_of('/');
  return slash == std::string::npos ? ref : ref.substr(slash + 1);
}

bool IsBase64(const std::string& s) {
  if (s.size() % 4 != 0) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || (c == '=' && i >= s.size() - 2);
    if (!ok) return false;
  }
  return true;
}

// Python's repr() of a string.
std::string PyQuote(const std::string& v) {
  char q = v.find('\'') != std::string::npos && v.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, q);
  for (char ch : v) {
    if (ch == '\\') out += "\\\\";
    else if (ch == '\n') out += "\\n";
    else if (ch == '\t') out += "\\t";
    else if (ch == '\r') out += "\\r";
    else if (ch == q) out += std::string("\\") + q;
    else out += ch;
  }
  return out + q;
}

// A JSON value as Python's str() shows it once parsed (Nova quotes the offending part of a
// request this way in its schema errors); objects keep the order they are given in.
template <class J>
std::string PyStr(const J& v, bool top = true) {
  if (v.is_string()) return top ? v.template get<std::string>() : PyQuote(v.template get<std::string>());
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.template get<bool>() ? "True" : "False";
  std::string out;
  if (v.is_array()) {
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + PyStr(x, false);
    return "[" + out + "]";
  }
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      out += (out.empty() ? "" : ", ") + PyQuote(it.key()) + ": " + PyStr(it.value(), false);
    return "{" + out + "}";
  }
  return v.dump();
}

std::string BadField(const std::string& field, const json& value, const std::string& why) {
  return "Invalid input for field/attribute " + field + ". Value: " + PyStr(value) + ". " + why;
}

// BadField for the request's "server" object, quoted in the order it was sent.
std::string BadServer(const HttpRequest& req, const std::string& why) {
  nlohmann::ordered_json body = nlohmann::ordered_json::parse(req.body, nullptr, false);
  nlohmann::ordered_json server = body.is_object() && body.contains("server") ? body["server"] : nullptr;
  return "Invalid input for field/attribute server. Value: " + PyStr(server) + ". " + why;
}

enum class Phase { kBuild, kActive, kShutoff, kError };

Phase PhaseOf(Model* m, const json& s) {
  if (m->Now() < s.value("_active_at", 0.0)) return Phase::kBuild;
  if (s.contains("_fault")) return Phase::kError;
  return s.value("_power", "on") == "off" ? Phase::kShutoff : Phase::kActive;
}

std::string StatusOf(Model* m, const json& s) {
  switch (PhaseOf(m, s)) {
    case Phase::kBuild: return "BUILD";
    case Phase::kError: return "ERROR";
    case Phase::kShutoff: return "SHUTOFF";
    case Phase::kActive: break;
  }
  return "ACTIVE";
}

json Links(Model* m, const std::string& kind, const std::string& id) {
  return {{{"rel", "self"}, {"href", m->Base(kComputePrefix) + "/v2.1/" + kind + "/" + id}},
          {{"rel", "bookmark"}, {"href", m->Base(kComputePrefix) + "/" + kind + "/" + id}}};
}

json Addresses(Model* m, const json& s) {
  json out = json::object();
  for (const auto& pid : s["_ports"]) {
    auto pit = m->ports.find(pid.get<std::string>());
    if (pit == m->ports.end()) continue;
    const json& p = pit->second;
    std::string net = m->networks.count(p["network_id"].get<std::string>())
                          ? m->networks[p["network_id"].get<std::string>()]["name"].get<std::string>()
                          : p["network_id"].get<std::string>();
    if (!out.contains(net)) out[net] = json::array();
    for (const auto& f : p["fixed_ips"]) {
      out[net].push_back({{"version", 4}, {"addr", f["ip_address"]}, {"OS-EXT-IPS:type", "fixed"},
                          {"OS-EXT-IPS-MAC:mac_addr", p["mac_address"]}});
      for (const auto& [fid, fip] : m->floatingips)
        if (fip["port_id"] == pid && fip["fixed_ip_address"] == f["ip_address"])
          out[net].push_back({{"version", 4}, {"addr", fip["floating_ip_address"]}, {"OS-EXT-IPS:type", "floating"},
                              {"OS-EXT-IPS-MAC:mac_addr", p["mac_address"]}});
    }
  }
  return out;
}

// Task state while a createImage snapshot runs ("" when none does).
std::string SnapshotTask(Model* m, const json& s) {
  if (!s.contains("_snapshot_at")) return "";
  double start = s["_snapshot_at"].get<double>(), end = s["_snapshot_until"].get<double>(), now = m->Now();
  if (now >= end) return "";
  double f = (now - start) / std::max(end - start, 1e-9);
  return f < 0.2 ? "image_snapshot" : f < 0.4 ? "image_pending_upload" : "image_uploading";
}

// Task state while the server builds: Nova schedules, maps block devices, then spawns.
std::string BuildTask(Model* m, const json& s) {
  double start = s["_created"].get<double>(), end = s.value("_active_at", start), now = m->Now();
  double f = (now - start) / std::max(end - start, 1e-9);
  return f < 0.25 ? "scheduling" : f < 0.35 ? "block_device_mapping" : "spawning";
}

// True in the last third of a delete: Nova has marked the instance DELETED and not yet
// removed it, so a GET still finds it (status DELETED, no task) before the 404.
bool DeletedShown(Model* m, const json& s) {
  if (!s.contains("_delete_at")) return false;
  double end = s["_delete_at"].get<double>(), start = s.value("_delete_from", end);
  return m->Now() >= start + (end - start) * 2 / 3;
}

// `c` decides the admin-only fields (OS-EXT-SRV-ATTR:*, host_status); `in_list` drops what only
// the single-server answers carry (server_groups).
json ServerView(Model* m, const json& s, int mv, const Caller& c, bool in_list) {
  Phase ph = PhaseOf(m, s);
  bool built = ph != Phase::kBuild;
  std::string id = s["id"];
  const json& fl = m->flavors.count(s["flavor_id"].get<std::string>()) ? m->flavors[s["flavor_id"].get<std::string>()]
                                                                        : s["_flavor"];
  json flavor;
  if (mv >= 47) {
    flavor = {{"vcpus", fl["vcpus"]}, {"ram", fl["ram"]}, {"disk", fl["disk"]}, {"ephemeral", 0}, {"swap", 0},
              {"original_name", fl["name"]}, {"extra_specs", json::object()}};
  } else {
    flavor = {{"id", s["flavor_id"]},
              {"links", {{{"rel", "bookmark"}, {"href", m->Base(kComputePrefix) + "/flavors/" + s["flavor_id"].get<std::string>()}}}}};
  }
  bool deleted = DeletedShown(m, s);
  std::string task = deleted                    ? ""
                     : s.contains("_delete_at") ? "deleting"
                     : ph == Phase::kBuild      ? BuildTask(m, s)
                                                : SnapshotTask(m, s);
  std::string vm_state = deleted ? "deleted" : ph == Phase::kBuild ? "building" : ph == Phase::kError ? "error"
                         : ph == Phase::kShutoff ? "stopped" : "active";
  std::string status = deleted ? "DELETED" : StatusOf(m, s);
  json vols = json::array();
  for (const auto& v : s["_volumes"]) {
    json e = {{"id", v["volume_id"]}};
    if (mv >= 3) e["delete_on_termination"] = v.value("delete_on_termination", false);
    vols.push_back(e);
  }
  double updated = std::max(s.value("_updated", 0.0), built ? s.value("_active_at", 0.0) : 0.0);
  json out = {{"id", id}, {"name", s["name"]}, {"status", status}, {"tenant_id", s["_project"]},
              {"user_id", s["_user"]}, {"metadata", s["metadata"]}, {"hostId", built ? s["_host_id"] : json("")},
              {"image", s["image_id"].get<std::string>().empty()
                            ? json("")
                            : json{{"id", s["image_id"]},
                                   {"links", {{{"rel", "bookmark"}, {"href", m->Base(kComputePrefix) + "/images/" + s["image_id"].get<std::string>()}}}}}},
              {"flavor", flavor}, {"created", IsoZ(s["_created"].get<double>())}, {"updated", IsoZ(updated)},
              {"addresses", built ? Addresses(m, s) : json::object()}, {"accessIPv4", s.value("accessIPv4", "")},
              {"accessIPv6", s.value("accessIPv6", "")}, {"links", Links(m, "servers", id)},
              {"OS-DCF:diskConfig", "MANUAL"},
              {"OS-EXT-AZ:availability_zone", built ? "nova" : ""}, {"config_drive", ""},
              {"key_name", s["key_name"]},
              {"OS-SRV-USG:launched_at", built && ph != Phase::kError ? json(IsoMicro(s["_active_at"].get<double>())) : json()},
              {"OS-SRV-USG:terminated_at", nullptr},
              {"OS-EXT-STS:task_state", task.empty() ? json() : json(task)}, {"OS-EXT-STS:vm_state", vm_state},
              {"OS-EXT-STS:power_state", ph == Phase::kActive ? 1 : ph == Phase::kShutoff ? 4 : 0},
              {"os-extended-volumes:volumes_attached", vols}};
  if (built) {
    json sgs = json::array();
    for (const auto& n : s["security_groups"]) sgs.push_back({{"name", n}});
    out["security_groups"] = sgs;
  }
  if (ph == Phase::kError) out["fault"] = s["_fault"];
  // Nova reports progress only in these states.
  if (status == "ACTIVE" || status == "BUILD") out["progress"] = 0;
  bool admin = c.IsAdmin();
  if (admin) {
    out["OS-EXT-SRV-ATTR:host"] = built ? json("cloudsim-compute") : json();
    out["OS-EXT-SRV-ATTR:instance_name"] = s["_instance_name"];
    out["OS-EXT-SRV-ATTR:hypervisor_hostname"] = built ? json("cloudsim-compute") : json();
  }
  if (admin && mv >= 3) {
    out["OS-EXT-SRV-ATTR:reservation_id"] = s["_reservation_id"];
    out["OS-EXT-SRV-ATTR:launch_index"] = s["_launch_index"];
    out["OS-EXT-SRV-ATTR:hostname"] = s["_hostname"];
    out["OS-EXT-SRV-ATTR:kernel_id"] = "";
    out["OS-EXT-SRV-ATTR:ramdisk_id"] = "";
    out["OS-EXT-SRV-ATTR:root_device_name"] = built ? json("/dev/vda") : json();
    out["OS-EXT-SRV-ATTR:user_data"] = s["user_data"];
  }
  if (mv >= 9) out["locked"] = false;
  if (admin && mv >= 16) out["host_status"] = built ? "UP" : "";
  if (mv >= 19) out["description"] = s.value("description", json());
  if (mv >= 26) out["tags"] = s["tags"];
  if (mv >= 63) out["trusted_image_certificates"] = nullptr;
  if (mv >= 71 && !in_list) out["server_groups"] = s["_groups"];
  if (mv >= 73) out["locked_reason"] = nullptr;
  return out;
}

const json* FindServer(Model* m, const std::string& id, const Caller& c) {
  auto it = m->servers.find(id);
  if (it == m->servers.end() || it->second["_project"] != c.project_id) return nullptr;
  return &it->second;
}

HttpResponse NotFound(const std::string& id) { return NovaError(404, "Instance " + id + " could not be found."); }

// Quota usage of the project: instances, cores, ram.
void Usage(Model* m, const std::string& project, int* n, int* cores, int* ram) {
  *n = *cores = *ram = 0;
  for (const auto& [id, s] : m->servers) {
    if (s["_project"] != project) continue;
    ++*n;
    *cores += s["_flavor"]["vcpus"].get<int>();
    *ram += s["_flavor"]["ram"].get<int>();
  }
}

HttpResponse CreateServer(Model* m, const HttpRequest& req, const Caller& c, int mv) {
  json body;
  if (!ParseBody(req, &body) || !body.contains("server") || !body["server"].is_object())
    return NovaError(400, BadField("server", nullptr, "'server' is a required property"));
  const json& in = body["server"];
  std::set<std::string> allowed = {"name", "imageRef", "flavorRef", "adminPass", "metadata", "networks",
                                   "security_groups", "key_name", "user_data", "availability_zone", "config_drive",
                                   "min_count", "max_count", "return_reservation_id", "accessIPv4", "accessIPv6",
                                   "OS-DCF:diskConfig", "block_device_mapping_v2"};
  if (mv < 57) allowed.insert("personality");
  if (mv >= 19) allowed.insert("description");
  if (mv >= 52) allowed.insert("tags");
  if (mv >= 63) allowed.insert("trusted_image_certificates");
  if (mv >= 90) allowed.insert("hostname");
  for (auto it = in.begin(); it != in.end(); ++it)
    if (!allowed.count(it.key()))
      return NovaError(400, BadServer(req, "Additional properties are not allowed ('" + it.key() + "' was unexpected)"));
  for (const char* req_key : {"name", "flavorRef"})
    if (!in.contains(req_key))
      return NovaError(400, BadServer(req, std::string("'") + req_key + "' is a required property"));
  if (mv >= 37 && !in.contains("networks"))
    return NovaError(400, BadServer(req, "'networks' is a required property"));
  if (!in["name"].is_string() || in["name"].get<std::string>().empty() || in["name"].get<std::string>().size() > 255)
    return NovaError(400, BadField("name", in["name"], "'" + in["name"].dump() + "' is not a valid name"));
  std::string name = in["name"];
  // Flavor and image.
  std::string flavor_id = LastSegment(in["flavorRef"].is_string() ? in["flavorRef"].get<std::string>() : in["flavorRef"].dump());
  auto fit = m->flavors.find(flavor_id);
  if (fit == m->flavors.end()) return NovaError(400, "Flavor " + flavor_id + " could not be found.");
  std::string image_id = LastSegment(in.value("imageRef", ""));
  auto iit = m->images.find(image_id);
  if (iit == m->images.end()) return NovaError(400, "Can not find requested image");
  if (iit->second["status"] != "active") return NovaError(400, "Image " + image_id + " is not active.");
  // Key, metadata, user data, tags.
  json key_name = in.value("key_name", json());
  if (key_name.is_string() && !m->keypairs.count(c.user_id + "/" + key_name.get<std::string>()))
    return NovaError(400, "Invalid key_name provided.");
  json metadata = in.value("metadata", json::object());
  if (!metadata.is_object()) return NovaError(400, BadField("metadata", metadata, "'" + metadata.dump() + "' is not of type 'object'"));
  for (auto it = metadata.begin(); it != metadata.end(); ++it)
    if (!it.value().is_string()) return NovaError(400, BadField("metadata", metadata, it.value().dump() + " is not of type 'string'"));
  json user_data = in.value("user_data", json());
  if (!user_data.is_null() && (!user_data.is_string() || !IsBase64(user_data.get<std::string>())))
    return NovaError(400, BadField("user_data", user_data, user_data.dump() + " is not a 'base64'"));
  if (user_data.is_string() && user_data.get<std::string>().size() > 65535)
    return NovaError(400, BadField("user_data", "...", "is too long"));
  json tags = in.value("tags", json::array());
  if (!tags.is_array() || tags.size() > 50) return NovaError(400, BadField("tags", tags, "is not a valid tag list"));
  // Security groups (names or ids in the project).
  json sg_names = json::array(), sg_ids = json::array();
  for (const auto& sg : in.value("security_groups", json::array({json{{"name", "default"}}}))) {
    std::string want = sg.value("name", "");
    std::string found;
    if (want == "default") found = m->DefaultSecurityGroup(c.project_id);
    for (const auto& [id, g] : m->security_groups)
      if (found.empty() && g["project_id"] == c.project_id && (g["name"] == want || id == want)) found = id;
    if (found.empty()) return NovaError(400, "Security group " + want + " not found for project " + c.project_id + ".");
    sg_names.push_back(m->security_groups[found]["name"]);
    sg_ids.push_back(found);
  }
  // Networks.
  struct NetReq {
    std::string network, port, fixed_ip;
  };
  std::vector<NetReq> nets;
  json networks = in.value("networks", json());
  auto tenant_networks = [&]() {
    std::vector<std::string> out;
    for (const auto& [id, n] : m->networks)
      if (!n.value("router:external", false) && (n["project_id"] == c.project_id || n.value("shared", false)))
        out.push_back(id);
    return out;
  };
  if (networks.is_string()) {
    std::string v = networks;
    if (mv < 37 || (v != "auto" && v != "none"))
      return NovaError(400, BadField("networks", networks, "'" + v + "' is not of type 'array'"));
    if (v == "auto") {
      auto avail = tenant_networks();
      if (avail.empty()) return NovaError(400, "Unable to automatically allocate a network for project " + c.project_id);
      nets.push_back({avail[0], "", ""});
    }
  } else if (networks.is_array()) {
    for (const auto& n : networks) {
      if (!n.is_object()) return NovaError(400, BadField("networks", networks, "is not valid"));
      NetReq r{n.value("uuid", ""), n.value("port", ""), n.value("fixed_ip", "")};
      if (!r.port.empty()) {
        auto pit = m->ports.find(r.port);
        if (pit == m->ports.end()) return NovaError(400, "Port " + r.port + " could not be found.");
        if (!pit->second["device_id"].get<std::string>().empty())
          return NovaError(409, "Port " + r.port + " is still in use.");
        r.network = pit->second["network_id"];
      } else if (r.network.empty() || !m->networks.count(r.network)) {
        return NovaError(400, "Network " + r.network + " could not be found.");
      }
      nets.push_back(r);
    }
  } else if (!networks.is_null()) {
    return NovaError(400, BadField("networks", networks, "is not valid"));
  } else {
    auto avail = tenant_networks();
    if (avail.size() > 1) return NovaError(409, "Multiple possible networks found, use a Network ID to be more specific.");
    if (avail.size() == 1) nets.push_back({avail[0], "", ""});
  }
  // Count and quota.
  int min_count = in.value("min_count", 1), max_count = in.value("max_count", min_count);
  if (min_count < 1 || max_count < min_count)
    return NovaError(400, "min_count must be <= max_count");
  if (max_count > 1) {
    for (const auto& n : nets)
      if (!n.port.empty()) return NovaError(400, "Multiple instances cannot be created with a port.");
  }
  int used, cores, ram;
  Usage(m, c.project_id, &used, &cores, &ram);
  int vcpus = fit->second["vcpus"], fram = fit->second["ram"];
  int room = std::min({kQuotaInstances - used, (kQuotaCores - cores) / vcpus, (kQuotaRam - ram) / fram});
  if (room < min_count) {
    std::string res = kQuotaInstances - used < min_count ? "instances"
                      : (kQuotaCores - cores) / vcpus < min_count ? "cores" : "ram";
    int req_n = res == "instances" ? min_count : res == "cores" ? vcpus * min_count : fram * min_count;
    int use = res == "instances" ? used : res == "cores" ? cores : ram;
    int quota = res == "instances" ? kQuotaInstances : res == "cores" ? kQuotaCores : kQuotaRam;
    return NovaError(403, "Quota exceeded for " + res + ": Requested " + std::to_string(req_n) + ", but already used " +
                              std::to_string(use) + " of " + std::to_string(quota) + " " + res);
  }
  int count = std::min(max_count, room);
  // Scheduler hints: server group membership.
  json hints = body.value("os:scheduler_hints", body.value("OS-SCH-HNT:scheduler_hints", json::object()));
  std::string group = hints.is_object() ? hints.value("group", "") : "";
  if (!group.empty() && !m->server_groups.count(group))
    return NovaError(400, "Invalid input for field/attribute group. Value: " + group + ".");
  std::string reservation = "r-" + m->ctx->RandomHex(8);
  std::string admin_pass = in.value("adminPass", m->ctx->RandomHex(12));
  std::string first;
  double now = m->Now();
  for (int i = 0; i < count; ++i) {
    std::string id = m->Uuid();
    if (first.empty()) first = id;
    std::string sname = count > 1 ? name + "-" + std::to_string(i + 1) : name;
    char iname[32];
    snprintf(iname, sizeof(iname), "instance-%08llx", static_cast<unsigned long long>(++m->instance_seq));
    json s = {{"id", id}, {"name", sname}, {"_project", c.project_id}, {"_user", c.user_id},
              {"metadata", metadata}, {"image_id", image_id}, {"flavor_id", flavor_id}, {"_flavor", fit->second},
              {"key_name", key_name}, {"user_data", user_data}, {"tags", tags}, {"security_groups", sg_names},
              {"_created", now}, {"_active_at", now + m->ctx->Latency(kBuildSeconds)}, {"_updated", now},
              {"_ports", json::array()}, {"_own_ports", json::array()}, {"_volumes", json::array()},
              {"_groups", group.empty() ? json::array() : json::array({group})},
              {"_reservation_id", reservation}, {"_launch_index", i}, {"_hostname", sname},
              {"_instance_name", iname}, {"_host_id", m->ctx->RandomHex(56)},
              {"description", in.value("description", json())}, {"accessIPv4", in.value("accessIPv4", "")},
              {"accessIPv6", in.value("accessIPv6", "")}};
    for (const auto& n : nets) {
      if (!n.port.empty()) {
        json& p = m->ports[n.port];
        p["device_id"] = id;
        p["device_owner"] = "compute:nova";
        p["status"] = "ACTIVE";
        p["binding:host_id"] = "cloudsim-compute";
        p["binding:vif_type"] = "ovs";
        s["_ports"].push_back(n.port);
        continue;
      }
      int status = 0;
      json err;
      std::string pid = m->CreatePort(n.network, "", c.project_id, id, "compute:nova", "", sg_ids, &status, &err);
      if (pid.empty()) {
        s["_fault"] = {{"code", 500}, {"created", IsoZ(now)},
                       {"message", "Build of instance " + id + " aborted: " + err.value("message", "")}};
        break;
      }
      s["_ports"].push_back(pid);
      s["_own_ports"].push_back(pid);
    }
    if (!group.empty()) m->server_groups[group]["members"].push_back(id);
    m->servers[id] = s;
  }
  if (in.value("return_reservation_id", false)) return HttpResponse::Json(202, {{"reservation_id", reservation}});
  json sgs = json::array();
  for (const auto& n : sg_names) sgs.push_back({{"name", n}});
  HttpResponse r = HttpResponse::Json(202, {{"server", {{"id", first}, {"links", Links(m, "servers", first)},
                                                        {"OS-DCF:diskConfig", "MANUAL"}, {"security_groups", sgs},
                                                        {"adminPass", admin_pass}}}});
  r.SetHeader("Location", m->Base(kComputePrefix) + "/v2.1/servers/" + first);
  return r;
}

HttpResponse ListServers(Model* m, const HttpRequest& req, const Caller& c, int mv, bool detail) {
  std::vector<const json*> rows;
  std::unique_ptr<std::regex> name_re;
  if (req.HasQuery("name")) {
    try {
      name_re = std::make_unique<std::regex>(req.Query("name"));
    } catch (const std::regex_error&) {
      return NovaError(400, "Invalid regular expression in name filter");
    }
  }
  std::string status = req.Query("status");
  std::transform(status.begin(), status.end(), status.begin(), ::toupper);
  for (const auto& [id, s] : m->servers) {
    if (s["_project"] != c.project_id) continue;
    if (name_re && !std::regex_search(s["name"].get<std::string>(), *name_re)) continue;
    if (!status.empty() && StatusOf(m, s) != status) continue;
    if (req.HasQuery("image") && s["image_id"] != LastSegment(req.Query("image"))) continue;
    if (req.HasQuery("flavor") && s["flavor_id"] != LastSegment(req.Query("flavor"))) continue;
    if (!MatchTags(req, s["tags"])) continue;
    rows.push_back(&s);
  }
  std::sort(rows.begin(), rows.end(), [](const json* a, const json* b) {
    double ta = (*a)["_created"], tb = (*b)["_created"];
    return ta != tb ? ta > tb : (*a)["id"] < (*b)["id"];
  });
  size_t start = 0;
  if (req.HasQuery("marker")) {
    std::string marker = req.Query("marker");
    bool found = false;
    for (size_t i = 0; i < rows.size() && !found; ++i)
      if ((*rows[i])["id"] == marker) start = i + 1, found = true;
    if (!found) return NovaError(400, "marker [" + marker + "] not found");
  }
  size_t limit = rows.size();
  if (req.HasQuery("limit")) {
    std::string l = req.Query("limit");
    if (l.empty() || l.find_first_not_of("0123456789") != std::string::npos)
      return NovaError(400, BadField("limit", l, "'" + l + "' does not match '^[0-9]*$'"));
    limit = std::min<size_t>(std::stoul(l), 1000);
  }
  json out = json::array();
  size_t end = std::min(rows.size(), start + limit);
  for (size_t i = start; i < end; ++i) {
    if (detail) out.push_back(ServerView(m, *rows[i], mv, c, true));
    else out.push_back({{"id", (*rows[i])["id"]}, {"name", (*rows[i])["name"]}, {"links", Links(m, "servers", (*rows[i])["id"])}});
  }
  json body = {{"servers", out}};
  if (end < rows.size() && req.HasQuery("limit")) {
    body["servers_links"] = {{{"rel", "next"},
                              {"href", m->Base(kComputePrefix) + "/v2.1/servers" + (detail ? "/detail" : "") +
                                           "?limit=" + std::to_string(limit) + "&marker=" + (*rows[end - 1])["id"].get<std::string>()}}};
  }
  return HttpResponse::Json(200, body);
}

HttpResponse VmStateConflict(Model* m, const json& s, const std::string& action) {
  std::string state = PhaseOf(m, s) == Phase::kBuild ? "building" : PhaseOf(m, s) == Phase::kError ? "error"
                      : PhaseOf(m, s) == Phase::kShutoff ? "stopped" : "active";
  return NovaError(409, "Cannot '" + action + "' instance " + s["id"].get<std::string>() + " while it is in vm_state " + state);
}

// Nova changes tags only of servers in vm_state active or stopped (of the states modelled here).
bool TagsChangeable(Model* m, const json& s) {
  Phase ph = PhaseOf(m, s);
  return ph == Phase::kActive || ph == Phase::kShutoff;
}

// POST /servers/{id}/action {"createImage": {"name", "metadata"}}: the
// snapshot goes to Glance (queued -> saving -> active) while the server shows
// the image_* task states. Before 2.45 the answer is an empty 202 whose
// Location names the image in Glance; from 2.45 a body {"image_id"}.
HttpResponse CreateImageAction(Model* m, json& s, const json& in, int mv) {
  auto bad = [&](const std::string& why) { return NovaError(400, BadField("createImage", in, why)); };
  if (!in.is_object()) return bad(in.dump() + " is not of type 'object'");
  for (auto it = in.begin(); it != in.end(); ++it)
    if (it.key() != "name" && it.key() != "metadata")
      return bad("Additional properties are not allowed ('" + it.key() + "' was unexpected)");
  if (!in.contains("name")) return bad("'name' is a required property");
  const json& name = in["name"];
  if (!name.is_string()) return NovaError(400, BadField("name", name, name.dump() + " is not of type 'string'"));
  const std::string& n = name.get_ref<const std::string&>();
  if (n.empty()) return NovaError(400, BadField("name", name, "'' is too short"));
  if (n.size() > 255) return NovaError(400, BadField("name", name, name.dump() + " is too long"));
  if (isspace(static_cast<unsigned char>(n.front())) || isspace(static_cast<unsigned char>(n.back())))
    return NovaError(400, BadField("name", name, "leading or trailing whitespace is not allowed"));
  json metadata = in.value("metadata", json::object());
  if (!metadata.is_object()) return NovaError(400, BadField("metadata", metadata, metadata.dump() + " is not of type 'object'"));
  for (auto it = metadata.begin(); it != metadata.end(); ++it) {
    if (it.key().empty() || it.key().size() > 255)
      return NovaError(400, BadField("metadata", metadata, "'" + it.key() + "' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'"));
    if (!it.value().is_string() || it.value().get_ref<const std::string&>().size() > 255)
      return NovaError(400, BadField("metadata", metadata, it.value().dump() + " is not of type 'string'"));
  }
  Phase ph = PhaseOf(m, s);
  if (ph != Phase::kActive && ph != Phase::kShutoff) return VmStateConflict(m, s, "createImage");
  double now = m->Now();
  double ready = now + m->ctx->Latency(kSnapshotSeconds);
  std::string image_id = CreateSnapshotImage(m, s, n, metadata, ready);
  s["_snapshot_at"] = now;
  s["_snapshot_until"] = ready;
  s["_updated"] = now;
  if (mv >= 45) return HttpResponse::Json(202, {{"image_id", image_id}});
  HttpResponse r = HttpResponse::Empty(202);
  r.SetHeader("Location", m->Base(kImagePrefix) + "/images/" + image_id);
  return r;
}

json AttachmentView(const json& s, const json& v, int mv) {
  json out = {{"id", v["volume_id"]}, {"serverId", s["id"]}, {"volumeId", v["volume_id"]}, {"device", v["device"]}};
  if (mv >= 70) out["tag"] = v.value("tag", json());
  if (mv >= 79) out["delete_on_termination"] = v.value("delete_on_termination", false);
  return out;
}

}  // namespace

void Model::FinishServerDelete(const std::string& id) {
  auto it = servers.find(id);
  if (it == servers.end() || !it->second.contains("_delete_at") || it->second["_delete_at"].get<double>() > Now()) return;
  const json& s = it->second;
  std::set<std::string> own;
  for (const auto& p : s["_own_ports"]) own.insert(p.get<std::string>());
  for (const auto& p : s["_ports"]) {
    std::string pid = p;
    if (own.count(pid)) {
      DeletePort(pid);
    } else if (ports.count(pid)) {
      ports[pid]["device_id"] = "";
      ports[pid]["device_owner"] = "";
      ports[pid]["status"] = "DOWN";
      ports[pid]["binding:host_id"] = "";
      ports[pid]["binding:vif_type"] = "unbound";
    }
  }
  for (const auto& v : s["_volumes"]) {
    auto vit = volumes.find(v["volume_id"].get<std::string>());
    if (vit != volumes.end()) {
      vit->second.erase("_attachment");
      vit->second.erase("_detach_at");
    }
  }
  for (const auto& g : s["_groups"]) {
    auto git = server_groups.find(g.get<std::string>());
    if (git == server_groups.end()) continue;
    json members = json::array();
    for (const auto& mem : git->second["members"])
      if (mem != id) members.push_back(mem);
    git->second["members"] = members;
  }
  servers.erase(it);
}

void RegisterNovaServers(Router& router, Model* m) {
  NovaRoute(router, m, "POST", "/servers", [m](const HttpRequest& req, const PathParams&, const Caller& c, int mv) {
    return CreateServer(m, req, c, mv);
  });
  NovaRoute(router, m, "GET", "/servers", [m](const HttpRequest& req, const PathParams&, const Caller& c, int mv) {
    return ListServers(m, req, c, mv, false);
  });
  NovaRoute(router, m, "GET", "/servers/detail", [m](const HttpRequest& req, const PathParams&, const Caller& c, int mv) {
    return ListServers(m, req, c, mv, true);
  });
  NovaRoute(router, m, "GET", "/servers/{id}", [m](const HttpRequest&, const PathParams& p, const Caller& c, int mv) {
    const json* s = FindServer(m, p.at("id"), c);
    return s ? HttpResponse::Json(200, {{"server", ServerView(m, *s, mv, c, false)}}) : NotFound(p.at("id"));
  });
  NovaRoute(router, m, "PUT", "/servers/{id}", [m](const HttpRequest& req, const PathParams& p, const Caller& c, int mv) {
    if (!FindServer(m, p.at("id"), c)) return NotFound(p.at("id"));
    json& s = m->servers[p.at("id")];
    json body;
    if (!ParseBody(req, &body) || !body.contains("server") || !body["server"].is_object())
      return NovaError(400, BadField("server", nullptr, "'server' is a required property"));
    for (auto it = body["server"].begin(); it != body["server"].end(); ++it) {
      const std::string& k = it.key();
      if (k != "name" && k != "accessIPv4" && k != "accessIPv6" && !(k == "description" && mv >= 19) &&
          !(k == "hostname" && mv >= 90))
        return NovaError(400, BadField("server", body["server"], "Additional properties are not allowed ('" + k + "' was unexpected)"));
      s[k == "hostname" ? "_hostname" : k] = it.value();
    }
    s["_updated"] = m->Now();
    return HttpResponse::Json(200, {{"server", ServerView(m, s, mv, c, false)}});
  });
  NovaRoute(router, m, "DELETE", "/servers/{id}", [m](const HttpRequest&, const PathParams& p, const Caller& c, int) {
    if (!FindServer(m, p.at("id"), c)) return NotFound(p.at("id"));
    json& s = m->servers[p.at("id")];
    if (!s.contains("_delete_at")) {
      double at = m->Now() + m->ctx->Latency(kDeleteSeconds);
      s["_delete_at"] = at;
      s["_delete_from"] = m->Now();
      s["_updated"] = m->Now();
      m->Due(at, "server", p.at("id"));
    }
    return HttpResponse::Empty(204);
  });
  NovaRoute(router, m, "POST", "/servers/{id}/action", [m](const HttpRequest& req, const PathParams& p, const Caller& c, int mv) {
    if (!FindServer(m, p.at("id"), c)) return NotFound(p.at("id"));
    json& s = m->servers[p.at("id")];
    json body;
    if (!ParseBody(req, &body) || body.size() != 1) return NovaError(400, "There is no such action: None");
    std::string action = body.begin().key();
    Phase ph = PhaseOf(m, s);
    std::string task = SnapshotTask(m, s);
    if (!task.empty() && (action == "os-stop" || action == "os-start" || action == "reboot" || action == "createImage"))
      return NovaError(409, "Cannot '" + std::string(action == "os-stop" ? "stop" : action == "os-start" ? "start" : action) +
                                "' instance " + s["id"].get<std::string>() + " while it is in task_state " + task);
    if (action == "os-stop") {
      if (ph != Phase::kActive && ph != Phase::kError) return VmStateConflict(m, s, "stop");
      s["_power"] = "off";
    } else if (action == "os-start") {
      if (ph != Phase::kShutoff) return VmStateConflict(m, s, "start");
      s["_power"] = "on";
    } else if (action == "reboot") {
      if (ph == Phase::kBuild) return VmStateConflict(m, s, "reboot");
      s["_power"] = "on";
    } else if (action == "createImage") {
      return CreateImageAction(m, s, body["createImage"], mv);
    } else {
      return NovaError(400, "There is no such action: " + action);
    }
    s["_updated"] = m->Now();
    return HttpResponse::Empty(202);
  });
  NovaRoute(router, m, "GET", "/servers/{id}/os-interface", [m](const HttpRequest&, const PathParams& p, const Caller& c, int) {
    const json* s = FindServer(m, p.at("id"), c);
    if (!s) return NotFound(p.at("id"));
    json out = json::array();
    for (const auto& pid : (*s)["_ports"]) {
      auto pit = m->ports.find(pid.get<std::string>());
      if (pit == m->ports.end()) continue;
      json fixed = json::array();
      for (const auto& f : pit->second["fixed_ips"]) fixed.push_back({{"subnet_id", f["subnet_id"]}, {"ip_address", f["ip_address"]}});
      out.push_back({{"net_id", pit->second["network_id"]}, {"port_id", pid}, {"mac_addr", pit->second["mac_address"]},
                     {"port_state", pit->second["status"]}, {"fixed_ips", fixed}, {"tag", nullptr}});
    }
    return HttpResponse::Json(200, {{"interfaceAttachments", out}});
  });
  // Volume attachments.
  NovaRoute(router, m, "GET", "/servers/{id}/os-volume_attachments",
            [m](const HttpRequest&, const PathParams& p, const Caller& c, int mv) {
              const json* s = FindServer(m, p.at("id"), c);
              if (!s) return NotFound(p.at("id"));
              json out = json::array();
              for (const auto& v : (*s)["_volumes"]) out.push_back(AttachmentView(*s, v, mv));
              return HttpResponse::Json(200, {{"volumeAttachments", out}});
            });
  NovaRoute(router, m, "GET", "/servers/{id}/os-volume_attachments/{vol}",
            [m](const HttpRequest&, const PathParams& p, const Caller& c, int mv) {
              const json* s = FindServer(m, p.at("id"), c);
              if (!s) return NotFound(p.at("id"));
              for (const auto& v : (*s)["_volumes"])
                if (v["volume_id"] == p.at("vol")) return HttpResponse::Json(200, {{"volumeAttachment", AttachmentView(*s, v, mv)}});
              return NovaError(404, "Volume " + p.at("vol") + " is not attached to instance " + p.at("id") + ".");
            });
  NovaRoute(router, m, "POST", "/servers/{id}/os-volume_attachments",
            [m](const HttpRequest& req, const PathParams& p, const Caller& c, int mv) {
              if (!FindServer(m, p.at("id"), c)) return NotFound(p.at("id"));
              json& s = m->servers[p.at("id")];
              json body;
              if (!ParseBody(req, &body) || !body.contains("volumeAttachment") ||
                  !body["volumeAttachment"].is_object() || !body["volumeAttachment"].contains("volumeId"))
                return NovaError(400, BadField("volumeAttachment", body.value("volumeAttachment", json()),
                                               "'volumeId' is a required property"));
              const json& in = body["volumeAttachment"];
              Phase ph = PhaseOf(m, s);
              if ((ph != Phase::kActive && ph != Phase::kShutoff) || s.contains("_delete_at"))
                return VmStateConflict(m, s, "attach_volume");
              std::string vid = in["volumeId"];
              auto vit = m->volumes.find(vid);
              if (vit == m->volumes.end()) return NovaError(404, "Volume " + vid + " could not be found.");
              std::string vst = VolumeStatus(m, vit->second);
              if (vst != "available")
                return NovaError(400, "Invalid volume: Volume " + vid +
                                          " status must be available or downloading to reserve, but the current status is " +
                                          vst + ".");
              std::string device = "/dev/vd" + std::string(1, static_cast<char>('b' + s["_volumes"].size()));
              double now = m->Now();
              json att = {{"volume_id", vid}, {"device", device}, {"tag", in.value("tag", json())},
                          {"delete_on_termination", in.value("delete_on_termination", false)}};
              s["_volumes"].push_back(att);
              vit->second["_attachment"] = {{"server_id", s["id"]}, {"device", device},
                                            {"attachment_id", m->Uuid()}, {"attached_at", IsoMicro(now)},
                                            {"ready_at", now + m->ctx->Latency(kAttachSeconds)}};
              vit->second["_updated"] = now;
              return HttpResponse::Json(200, {{"volumeAttachment", AttachmentView(s, att, mv)}});
            });
  NovaRoute(router, m, "DELETE", "/servers/{id}/os-volume_attachments/{vol}",
            [m](const HttpRequest&, const PathParams& p, const Caller& c, int) {
              if (!FindServer(m, p.at("id"), c)) return NotFound(p.at("id"));
              json& s = m->servers[p.at("id")];
              json remaining = json::array();
              bool found = false;
              for (const auto& v : s["_volumes"]) {
                if (v["volume_id"] == p.at("vol")) found = true;
                else remaining.push_back(v);
              }
              if (!found) return NovaError(404, "Volume " + p.at("vol") + " is not attached to instance " + p.at("id") + ".");
              s["_volumes"] = remaining;
              auto vit = m->volumes.find(p.at("vol"));
              if (vit != m->volumes.end()) {
                double at = m->Now() + m->ctx->Latency(kAttachSeconds);
                vit->second["_detach_at"] = at;
                m->Due(at, "volume-detach", p.at("vol"));
              }
              return HttpResponse::Empty(202);
            });
  // Server tags (2.26+).
  NovaRoute(router, m, "GET", "/servers/{id}/tags", [m](const HttpRequest&, const PathParams& p, const Caller& c, int mv) {
    if (mv < 26) return NovaError(404, "The resource could not be found.");
    const json* s = FindServer(m, p.at("id"), c);
    return s ? HttpResponse::Json(200, {{"tags", (*s)["tags"]}}) : NotFound(p.at("id"));
  });
  NovaRoute(router, m, "PUT", "/servers/{id}/tags/{tag}", [m](const HttpRequest&, const PathParams& p, const Caller& c, int mv) {
    if (mv < 26) return NovaError(404, "The resource could not be found.");
    if (!FindServer(m, p.at("id"), c)) return NotFound(p.at("id"));
    if (!TagsChangeable(m, m->servers[p.at("id")])) return VmStateConflict(m, m->servers[p.at("id")], "update tag");
    json& tags = m->servers[p.at("id")]["tags"];
    if (std::find(tags.begin(), tags.end(), json(p.at("tag"))) != tags.end()) return HttpResponse::Empty(204);
    if (tags.size() >= 50) return NovaError(400, "The number of tags exceeded the per-server limit 50");
    tags.push_back(p.at("tag"));
    HttpResponse r = HttpResponse::Empty(201);
    r.SetHeader("Location", m->Base(kComputePrefix) + "/v2.1/servers/" + p.at("id") + "/tags/" + p.at("tag"));
    return r;
  });
  NovaRoute(router, m, "DELETE", "/servers/{id}/tags/{tag}", [m](const HttpRequest&, const PathParams& p, const Caller& c, int mv) {
    if (mv < 26) return NovaError(404, "The resource could not be found.");
    if (!FindServer(m, p.at("id"), c)) return NotFound(p.at("id"));
    if (!TagsChangeable(m, m->servers[p.at("id")])) return VmStateConflict(m, m->servers[p.at("id")], "delete tag");
    json& tags = m->servers[p.at("id")]["tags"];
    auto t = std::find(tags.begin(), tags.end(), json(p.at("tag")));
    if (t == tags.end()) return NovaError(404, "Instance " + p.at("id") + " has no tag '" + p.at("tag") + "'");
    tags.erase(t);
    return HttpResponse::Empty(204);
  });
}

void ListNova(Model* m, std::vector<SimResource>* out) {
  for (const auto& [id, s] : m->servers) {
    SimResource r;
    r.api = "openstack";
    r.kind = "server";
    r.id = id;
    r.name = s["name"];
    for (const auto& t : s["tags"]) r.tags.push_back(t);
    for (auto it = s["metadata"].begin(); it != s["metadata"].end(); ++it) r.labels[it.key()] = it.value();
    r.status = StatusOf(m, s);
    out->push_back(r);
  }
  for (const auto& [k, kp] : m->keypairs) out->push_back({"openstack", "keypair", kp["name"], kp["name"], {}, {}, ""});
  for (const auto& [id, g] : m->server_groups) out->push_back({"openstack", "server_group", id, g["name"], {}, {}, ""});
}

}  // namespace cloudsim::openstack
