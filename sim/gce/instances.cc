// GceApi: instances, instance templates, managed instance groups (zonal and
// regional) and autoscalers.
#include <algorithm>
#include <regex>

#include "gce/gce_api.h"
#include "gce/net_util.h"

namespace cloudsim::gce {

namespace {

int AsInt(const json& v, const std::string& field) {
  if (v.is_number_integer()) return v.get<int>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    char* end = nullptr;
    long n = std::strtol(s.c_str(), &end, 10);
    if (!s.empty() && *end == 0) return static_cast<int>(n);
  }
  Fail(400, "invalid", "Invalid value at '" + field + "' (TYPE_INT32), " + v.dump());
}

// An instance's (or template's) serviceAccounts as GCE keeps them: at most
// one; its email is the Compute Engine default account when "default", and
// must be one of `known` otherwise; each scope an OAuth scope URL.
json ServiceAccountsOf(const json& in, const std::string& field, const std::string& default_email,
                       const std::vector<std::string>& known) {
  if (!in.is_array()) FailInvalid(field, in.dump(), "Must be an array.");
  if (in.size() > 1) FailInvalid(field, "", "At most one service account can be specified.");
  json out = json::array();
  for (const json& sa : in) {
    const std::string f = field + "[0]";
    if (!sa.is_object()) FailInvalid(f, sa.dump(), "Must be an object.");
    std::string email = sa.value("email", "");
    if (email.empty() || email == "default") email = default_email;
    if (std::find(known.begin(), known.end(), email) == known.end() && email != default_email) {
      FailInvalid(f + ".email", email, "The user does not have access to service account '" + email +
                                           "'. Ask a project owner to grant you the iam.serviceAccountUser role on the service account.");
    }
    json scopes = json::array();
    const json& in_scopes = sa.contains("scopes") ? sa["scopes"] : json::array();
    if (!in_scopes.is_array()) FailInvalid(f + ".scopes", in_scopes.dump(), "Must be an array.");
    for (size_t i = 0; i < in_scopes.size(); ++i) {
      const json& sc = in_scopes[i];
      if (!sc.is_string() || sc.get<std::string>().rfind("https://www.googleapis.com/auth/", 0) != 0) {
        FailInvalid(f + ".scopes[" + std::to_string(i) + "]", sc.is_string() ? sc.get<std::string>() : sc.dump(),
                    "Invalid OAuth scope or ID token audience provided.");
      }
      scopes.push_back(sc);
    }
    out.push_back({{"email", email}, {"scopes", scopes}});
  }
  return out;
}

}  // namespace

std::string GceApi::DefaultServiceAccountEmail() const {
  return account_->KeyFile("")["client_id"].get<std::string>().substr(0, 12) + "-compute@developer.gserviceaccount.com";
}

void GceApi::CheckFields(const std::string& coll, const json& body) const {
  static const std::map<std::string, std::set<std::string>> kFields = {
#include "gce/schema_fields.inc"
  };
  auto it = kFields.find(coll);
  if (it == kFields.end()) return;
  for (auto& [k, v] : body.items()) {
    if (!it->second.count(k)) {
      Fail(400, "invalid", "Invalid JSON payload received. Unknown name \"" + k + "\" at 'resource': Cannot find field.");
    }
  }
}

void GceApi::ValidateLabels(const json& labels, const std::string& field) const {
  if (labels.is_null()) return;
  if (!labels.is_object()) FailInvalid(field, labels.dump(), "Labels must be a map of strings.");
  static const std::regex kKey("[a-z][a-z0-9_-]{0,62}");
  static const std::regex kValue("[a-z0-9_-]{0,63}");
  if (labels.size() > 64) FailInvalid(field, "", "At most 64 labels are allowed.");
  for (auto& [k, v] : labels.items()) {
    if (!std::regex_match(k, kKey)) {
      FailInvalid(field, "",
                  "Label key '" + k +
                      "' violates format constraints. The key must start with a lowercase character, can only "
                      "contain lowercase letters, numeric characters, underscores and dashes. The key can be at most "
                      "63 characters long. International characters are allowed.");
    }
    if (!v.is_string() || !std::regex_match(v.get<std::string>(), kValue)) {
      FailInvalid(field, "",
                  "Label value '" + (v.is_string() ? v.get<std::string>() : v.dump()) +
                      "' violates format constraints. The value can only contain lowercase letters, numeric "
                      "characters, underscores and dashes. The value can be at most 63 characters long. "
                      "International characters are allowed.");
    }
  }
}

int GceApi::MachineCpus(const std::string& machine_type) const {
  auto it = machine_specs_.find(LastSegment(machine_type));
  return it == machine_specs_.end() ? 0 : it->second["cpus"].get<int>();
}

int GceApi::RegionCpus(const std::string& region) const {
  int total = 0;
  for (auto& [zname, z] : catalog_zones_.items()) {
    if (z["_region"] != region) continue;
    auto it = colls_.find("zones/" + zname + "/instances");
    if (it == colls_.end()) continue;
    for (auto& [name, r] : it->second) {
      if (r.delete_at < 0) total += MachineCpus(r.body.value("machineType", ""));
    }
  }
  return total;
}

json GceApi::Disks(const json& in, const std::string& zone, const std::string& name, const std::string& field) {
  if (!in.is_array() || in.empty()) FailInvalid(field, "", "Boot disk must be specified.");
  json out = json::array();
  bool boot_seen = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const json& d = in[i];
    std::string f = field + "[" + std::to_string(i) + "]";
    if (!d.is_object()) FailInvalid(f, d.dump(), "Disk must be an object.");
    bool boot = d.value("boot", false);
    if (boot && i != 0) FailInvalid(f + ".boot", "true", "Boot disk must be the first disk attached to the instance.");
    boot_seen = boot_seen || boot;
    if (d.contains("source")) {
      out.push_back(AttachExisting(d, zone, f, static_cast<int>(i)));
      continue;
    }
    const json params = d.value("initializeParams", json::object());
    if (!params.contains("sourceImage")) FailRequired(f + ".initializeParams.sourceImage");
    std::string image = params["sourceImage"].get<std::string>();
    // Resolve projects/P/global/images/(family/)?N, full URLs, global/images/N.
    std::string rel = image;
    size_t pp = rel.find("/projects/");
    if (pp != std::string::npos) rel = rel.substr(pp + 1);
    std::string project = options_.project;
    if (StartsWith(rel, "projects/")) {
      size_t q = rel.find('/', 9);
      project = q == std::string::npos ? "" : rel.substr(9, q - 9);
      rel = q == std::string::npos ? "" : rel.substr(q + 1);
    }
    const Resource* img = nullptr;
    auto pit = images_.find(project);
    if (pit != images_.end() && StartsWith(rel, "global/images/")) {
      std::string rest = rel.substr(14);
      if (StartsWith(rest, "family/")) {
        std::string family = rest.substr(7);
        for (auto& [iname, r] : pit->second) {
          if (r.body.value("family", "") == family && !r.body.contains("deprecated") &&
              (!img || r.body["creationTimestamp"] > img->body["creationTimestamp"])) {
            img = &r;
          }
        }
      } else if (pit->second.count(rest)) {
        img = &pit->second.at(rest);
      }
    }
    if (!img) FailInvalid(f + ".initializeParams.sourceImage", image, "The referenced image resource cannot be found.");
    std::string size = "10";
    if (params.contains("diskSizeGb")) {
      int gb = AsInt(params["diskSizeGb"], f + ".initializeParams.diskSizeGb");
      if (gb < 10) {
        FailInvalid(f + ".initializeParams.diskSizeGb", std::to_string(gb),
                    "Requested disk size cannot be smaller than the image size (10 GB)");
      }
      size = std::to_string(gb);
    }
    if (params.contains("diskType")) {
      std::string type = LastSegment(params["diskType"].get<std::string>());
      if (type != "pd-standard" && type != "pd-balanced" && type != "pd-ssd") {
        FailInvalid(f + ".initializeParams.diskType", params["diskType"].get<std::string>(),
                    "The referenced diskType resource cannot be found.");
      }
    }
    std::string disk_name = params.value("diskName", i == 0 ? name : name + "-" + std::to_string(i));
    json disk = {{"kind", "compute#attachedDisk"},
                 {"type", "PERSISTENT"},
                 {"mode", d.value("mode", "READ_WRITE")},
                 {"source", Url("zones/" + zone + "/disks/" + disk_name)},
                 {"deviceName", d.value("deviceName", "persistent-disk-" + std::to_string(i))},
                 {"index", static_cast<int>(i)},
                 {"boot", boot},
                 {"autoDelete", d.value("autoDelete", false)},
                 {"interface", d.value("interface", "SCSI")},
                 {"diskSizeGb", size},
                 {"architecture", "X86_64"}};
    if (img->body.contains("licenses")) disk["licenses"] = img->body["licenses"];
    if (img->body.contains("guestOsFeatures")) disk["guestOsFeatures"] = img->body["guestOsFeatures"];
    out.push_back(disk);
  }
  if (!boot_seen) FailInvalid(field, "", "Boot disk must be specified.");
  return out;
}

json GceApi::NetworkInterfaces(const json& in, const std::string& region, const std::string& field) {
  if (!in.is_array() || in.empty()) {
    FailInvalid(field, "", "An instance must have at least one network interface.");
  }
  json out = json::array();
  for (size_t i = 0; i < in.size(); ++i) {
    const json& ni = in[i];
    std::string f = field + "[" + std::to_string(i) + "]";
    if (!ni.is_object()) FailInvalid(f, ni.dump(), "Network interface must be an object.");
    std::string net_rel, sub_rel;
    if (ni.contains("network")) {
      std::string ref = ni["network"].get<std::string>();
      net_rel = Resolve(ref, "networks", "global");
      if (net_rel.empty()) FailNotFound("projects/" + options_.project + "/global/networks/" + LastSegment(ref));
    }
    if (ni.contains("subnetwork")) {
      std::string ref = ni["subnetwork"].get<std::string>();
      sub_rel = Resolve(ref, "subnetworks", "");
      if (sub_rel.empty()) {
        FailNotFound("projects/" + options_.project + "/regions/" + region + "/subnetworks/" + LastSegment(ref));
      }
      if (!StartsWith(sub_rel, "regions/" + region + "/")) {
        FailInvalid(f + ".subnetwork", ref, "Subnetwork must be in the same region as the instance.");
      }
      const Resource* sub = const_cast<GceApi*>(this)->Find("regions/" + region, "subnetworks", LastSegment(sub_rel));
      std::string sub_net = sub->body["network"].get<std::string>();
      if (net_rel.empty()) {
        net_rel = Resolve(sub_net, "networks", "global");
      } else if (Url(net_rel) != sub_net) {
        FailInvalid(f + ".subnetwork", ref, "Subnetwork does not belong to the specified network.");
      }
    }
    if (net_rel.empty() && sub_rel.empty()) {
      net_rel = Resolve("global/networks/default", "networks", "global");
      if (net_rel.empty()) FailNotFound("projects/" + options_.project + "/global/networks/default");
    }
    if (sub_rel.empty()) {
      std::string net_url = Url(net_rel);
      auto it = colls_.find("regions/" + region + "/subnetworks");
      if (it != colls_.end()) {
        for (auto& [sname, s] : it->second) {
          if (s.delete_at < 0 && s.body["network"] == net_url) {
            sub_rel = "regions/" + region + "/subnetworks/" + sname;
            break;
          }
        }
      }
      if (sub_rel.empty()) {
        FailInvalid(f, ni.dump(), "Subnetwork should be specified for custom subnetmode network");
      }
    }
    Resource* sub = Find("regions/" + region, "subnetworks", LastSegment(sub_rel));
    uint32_t base = 0;
    int prefix = 0;
    ParseCidr(sub->body["ipCidrRange"].get<std::string>(), &base, &prefix);
    std::string ip;
    if (ni.contains("networkIP")) {
      ip = ni["networkIP"].get<std::string>();
      uint32_t addr = 0;
      int bits = 0;
      uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
      if (!ParseCidr(ip + "/32", &addr, &bits) || (addr & mask) != base) {
        FailInvalid(f + ".networkIP", ip, "Requested internal IP is outside the subnetwork CIDR range.");
      }
    } else {
      uint32_t& next = next_ip_[sub_rel];
      if (next < 2) next = 2;
      uint32_t size = prefix >= 32 ? 1 : (1u << (32 - prefix));
      if (next >= size - 2) next = 2;
      ip = IpText(base + next++);
    }
    json o = {{"kind", "compute#networkInterface"},
              {"name", "nic" + std::to_string(i)},
              {"network", Url(net_rel)},
              {"subnetwork", Url(sub_rel)},
              {"networkIP", ip},
              {"fingerprint", ctx_->RandomHex(8)},
              {"stackType", "IPV4_ONLY"}};
    if (ni.contains("accessConfigs")) {
      json acs = json::array();
      for (size_t k = 0; k < ni["accessConfigs"].size(); ++k) {
        const json& ac = ni["accessConfigs"][k];
        std::string af = f + ".accessConfigs[" + std::to_string(k) + "]";
        std::string type = ac.value("type", "ONE_TO_ONE_NAT");
        if (type != "ONE_TO_ONE_NAT") FailInvalid(af + ".type", type, "Only ONE_TO_ONE_NAT is supported.");
        std::string nat;
        if (ac.contains("natIP")) {
          nat = ac["natIP"].get<std::string>();
          bool reserved = false;
          auto it = colls_.find("regions/" + region + "/addresses");
          if (it != colls_.end()) {
            for (auto& [aname, a] : it->second) {
              if (a.delete_at < 0 && a.body.value("address", "") == nat &&
                  a.body.value("addressType", "EXTERNAL") == "EXTERNAL") {
                reserved = true;
                if (!a.body["users"].empty()) {
                  FailInvalid(af + ".natIP", nat, "The IP address is already in use by another resource.");
                }
              }
            }
          }
          if (!reserved) FailInvalid(af + ".natIP", nat, "The specified external IP address was not found in region '" + region + "'.");
        } else {
          uint32_t& next = next_ip_["external"];
          nat = IpText((34u << 24) + (16u << 16) + 10 + next++);
        }
        acs.push_back({{"kind", "compute#accessConfig"},
                       {"type", "ONE_TO_ONE_NAT"},
                       {"name", ac.value("name", "External NAT")},
                       {"natIP", nat},
                       {"networkTier", ac.value("networkTier", "PREMIUM")}});
      }
      o["accessConfigs"] = acs;
    }
    out.push_back(o);
  }
  return out;
}

json GceApi::MetadataOf(const json& in, const std::string& field) {
  json md = {{"kind", "compute#metadata"}, {"fingerprint", ctx_->RandomHex(8)}};
  if (!in.is_object() || !in.contains("items")) return md;
  const json& items = in["items"];
  if (!items.is_array()) FailInvalid(field + ".items", items.dump(), "Must be an array.");
  std::set<std::string> keys;
  size_t total = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string f = field + ".items[" + std::to_string(i) + "]";
    if (!items[i].is_object() || !items[i].contains("key")) FailRequired(f + ".key");
    if (!items[i]["key"].is_string()) FailInvalid(f + ".key", items[i]["key"].dump(), "Must be a string.");
    std::string key = items[i]["key"].get<std::string>();
    static const std::regex kKey("[a-zA-Z0-9-_]{1,128}");
    if (!std::regex_match(key, kKey)) FailInvalid(f + ".key", key, "Metadata keys must match [a-zA-Z0-9-_]{1,128}.");
    if (!keys.insert(key).second) FailInvalid(field, "", "Duplicate metadata key '" + key + "'.");
    if (items[i].contains("value") && !items[i]["value"].is_string()) {
      FailInvalid(f + ".value", items[i]["value"].dump(), "Must be a string.");
    }
    size_t len = items[i].contains("value") ? items[i]["value"].get_ref<const std::string&>().size() : 0;
    if (len > 256 * 1024) FailInvalid(f + ".value", "", "Metadata values must be at most 256 KiB.");
    total += key.size() + len;
  }
  if (total > 512 * 1024) FailInvalid(field, "", "The total size of metadata keys and values must be at most 512 KB.");
  if (!items.empty()) md["items"] = items;
  return md;
}

void GceApi::CheckFingerprint(const json& body, const json& current, const std::string& what) const {
  // Optimistic locking: the request must carry the current fingerprint.
  if (!body.contains("fingerprint") || !body["fingerprint"].is_string() ||
      body["fingerprint"] != current.value("fingerprint", "")) {
    Fail(412, "conditionNotMet", "Supplied fingerprint does not match current " + what + " fingerprint.");
  }
}

HttpResponse GceApi::SetMetadata(Call& c) {
  Resource& inst = Get(c.scope, "instances", c.params.at("instance"));
  json& md = inst.body["metadata"];
  CheckFingerprint(c.body, md, "metadata");
  md = MetadataOf(c.body, "resource");
  std::string op = NewOp(c.scope, "setMetadata", inst.body["selfLink"], inst.body["id"], ctx_->Latency(2));
  return OpResponse(c, op);
}

Resource GceApi::PrepareInstance(const json& in, const std::string& zone, json* async_error, int* async_status) {
  CheckFields("instances", in);
  std::string name = in.value("name", "");
  std::string region = catalog_zones_[zone]["_region"];
  Resource r;
  json& b = r.body;
  for (const char* k : {"description", "hostname", "minCpuPlatform"}) {
    if (in.contains(k)) b[k] = in[k];
  }
  if (in.contains("serviceAccounts"))
    b["serviceAccounts"] = ServiceAccountsOf(in["serviceAccounts"], "resource.serviceAccounts",
                                             DefaultServiceAccountEmail(), {account_->email()});
  if (!in.contains("machineType")) FailRequired("resource.machineType");
  std::string mt = in["machineType"].get<std::string>();
  static const std::regex kMachine("(?:.*/)?zones/([^/]+)/machineTypes/([^/]+)");
  std::smatch m;
  if (!std::regex_match(mt, m, kMachine)) FailInvalid("resource.machineType", mt, "The URL is malformed.");
  if (m[1] != zone) FailInvalid("resource.machineType", mt, "Cross-zone references are not allowed.");
  if (!machine_specs_.count(m[2])) {
    FailInvalid("resource.machineType", mt,
                "Machine type with name '" + m[2].str() + "' does not exist in zone '" + zone + "'.");
  }
  b["machineType"] = Url("zones/" + zone + "/machineTypes/" + m[2].str());
  if (in.contains("labels")) {
    ValidateLabels(in["labels"], "resource.labels");
    b["labels"] = in["labels"];
  }
  b["labelFingerprint"] = kFingerprint;
  b["disks"] = Disks(in.value("disks", json()), zone, name, "resource.disks");
  b["networkInterfaces"] = NetworkInterfaces(in.value("networkInterfaces", json()), region, "resource.networkInterfaces");
  b["metadata"] = MetadataOf(in.value("metadata", json::object()), "resource.metadata");
  json tags = {{"fingerprint", kFingerprint}};
  if (in.contains("tags") && in["tags"].contains("items")) tags["items"] = in["tags"]["items"];
  b["tags"] = tags;
  json sched = {{"onHostMaintenance", "MIGRATE"}, {"automaticRestart", true}, {"preemptible", false},
                {"provisioningModel", "STANDARD"}};
  if (in.contains("scheduling")) sched.update(in["scheduling"]);
  b["scheduling"] = sched;
  b["canIpForward"] = in.value("canIpForward", false);
  b["deletionProtection"] = in.value("deletionProtection", false);
  b["cpuPlatform"] = "Intel Cascade Lake";
  b["startRestricted"] = false;
  b["fingerprint"] = ctx_->RandomHex(8);
  b["shieldedInstanceConfig"] = {{"enableSecureBoot", false}, {"enableVtpm", true}, {"enableIntegrityMonitoring", true}};
  b["keyRevocationActionType"] = "NONE";
  double now = ctx_->Now();
  r.staging_at = now + ctx_->Latency(5);
  r.ready_at = r.staging_at + ctx_->Latency(10);
  int need = MachineCpus(mt);
  if (options_.exhausted_zones.count(zone)) {
    *async_error = {{"errors", json::array({{{"code", "ZONE_RESOURCE_POOL_EXHAUSTED"},
                                             {"message", "The zone 'projects/" + options_.project + "/zones/" + zone +
                                                             "' does not have enough resources available to fulfill "
                                                             "the request.  Try a different zone, or try again later."}}})}};
    *async_status = 503;
  } else if (RegionCpus(region) + need > options_.cpus_quota) {
    std::string msg = "Quota 'CPUS' exceeded.  Limit: " + std::to_string(options_.cpus_quota) + ".0 in region " + region + ".";
    *async_error = {
        {"errors", json::array({{{"code", "QUOTA_EXCEEDED"},
                                 {"message", msg},
                                 {"errorDetails", json::array({{{"quotaInfo",
                                                                 {{"metricName", "compute.googleapis.com/cpus"},
                                                                  {"limitName", "CPUS-per-project-region"},
                                                                  {"dimensions", {{"region", region}}},
                                                                  {"limit", double(options_.cpus_quota)}}}}})}}})}};
    *async_status = 403;
  }
  return r;
}

Resource GceApi::PrepareTemplate(Call& c) {
  CheckFields("instanceTemplates", c.body);
  if (!c.body.contains("properties")) FailRequired("resource.properties");
  const json& p = c.body["properties"];
  if (!p.is_object()) FailInvalid("resource.properties", p.dump(), "Must be an object.");
  if (!p.contains("machineType")) FailRequired("resource.properties.machineType");
  std::string mt = p["machineType"].get<std::string>();
  if (!machine_specs_.count(mt)) {
    FailInvalid("resource.properties.machineType", mt, "Machine type with name '" + mt + "' does not exist.");
  }
  // Validate disks and interfaces as an instance in the first zone would be.
  std::string zone = catalog_zones_.begin().key();
  std::string region = catalog_zones_[zone]["_region"];
  (void)Disks(p.value("disks", json()), zone, c.body["name"], "resource.properties.disks");
  json props = p;
  if (p.contains("labels")) ValidateLabels(p["labels"], "resource.properties.labels");
  json nis = json::array();
  if (!p.contains("networkInterfaces") || !p["networkInterfaces"].is_array() || p["networkInterfaces"].empty()) {
    FailInvalid("resource.properties.networkInterfaces", "", "An instance must have at least one network interface.");
  }
  for (size_t i = 0; i < p["networkInterfaces"].size(); ++i) {
    json ni = p["networkInterfaces"][i];
    std::string ref = ni.value("network", ni.contains("subnetwork") ? "" : "global/networks/default");
    if (!ref.empty()) {
      std::string rel = Resolve(ref, "networks", "global");
      if (rel.empty()) FailNotFound("projects/" + options_.project + "/global/networks/" + LastSegment(ref));
      ni["network"] = Url(rel);
    }
    if (ni.contains("subnetwork")) {
      std::string sref = ni["subnetwork"].get<std::string>();
      std::string rel = Resolve(sref, "subnetworks", "");
      if (rel.empty()) FailNotFound("projects/" + options_.project + "/regions/" + region + "/subnetworks/" + LastSegment(sref));
      ni["subnetwork"] = Url(rel);
    }
    ni["kind"] = "compute#networkInterface";
    if (ni.contains("accessConfigs")) {
      for (json& ac : ni["accessConfigs"]) {
        ac["kind"] = "compute#accessConfig";
        if (!ac.contains("type")) ac["type"] = "ONE_TO_ONE_NAT";
        if (!ac.contains("name")) ac["name"] = "External NAT";
        if (!ac.contains("networkTier")) ac["networkTier"] = "PREMIUM";
      }
    }
    nis.push_back(ni);
  }
  props["networkInterfaces"] = nis;
  for (size_t i = 0; i < props["disks"].size(); ++i) {
    json& d = props["disks"][i];
    d["kind"] = "compute#attachedDisk";
    if (!d.contains("type")) d["type"] = "PERSISTENT";
    if (!d.contains("mode")) d["mode"] = "READ_WRITE";
    d["index"] = static_cast<int>(i);
    if (!d.contains("autoDelete")) d["autoDelete"] = false;
    if (!d.contains("boot")) d["boot"] = false;
  }
  props["metadata"] = MetadataOf(p.value("metadata", json::object()), "resource.properties.metadata");
  if (!props.contains("scheduling")) {
    props["scheduling"] = {{"onHostMaintenance", "MIGRATE"}, {"automaticRestart", true}, {"preemptible", false},
                           {"provisioningModel", "STANDARD"}};
  }
  if (!props.contains("canIpForward")) props["canIpForward"] = false;
  if (p.contains("serviceAccounts"))
    props["serviceAccounts"] = ServiceAccountsOf(p["serviceAccounts"], "resource.properties.serviceAccounts",
                                                 DefaultServiceAccountEmail(), {account_->email()});
  Resource r;
  r.body = {{"properties", props}};
  if (c.body.contains("description")) r.body["description"] = c.body["description"];
  return r;
}

Resource GceApi::PrepareIgm(Call& c) {
  CheckFields("instanceGroupManagers", c.body);
  const json& in = c.body;
  if (!in.contains("baseInstanceName")) FailRequired("resource.baseInstanceName");
  std::string base = in["baseInstanceName"].get<std::string>();
  if (!ValidName(base) || base.size() > 58) {
    FailInvalid("resource.baseInstanceName", base,
                "Must be a match of regex '[a-z](([-a-z0-9]{0,57})|([-a-z0-9]{0,51}-#{1,10}(\\[[0-9]{1,10}\\])?))'");
  }
  std::string tmpl = in.value("instanceTemplate", "");
  if (tmpl.empty() && in.contains("versions") && in["versions"].is_array() && !in["versions"].empty()) {
    tmpl = in["versions"][0].value("instanceTemplate", "");
  }
  if (tmpl.empty()) FailRequired("resource.instanceTemplate");
  std::string tmpl_rel = Resolve(tmpl, "instanceTemplates", "global");
  if (tmpl_rel.empty()) {
    FailInvalid("resource.instanceTemplate", tmpl, "The referenced instance template resource cannot be found.");
  }
  if (!in.contains("targetSize")) FailRequired("resource.targetSize");
  int size = AsInt(in["targetSize"], "resource.target_size");
  if (size < 0) FailInvalid("resource.targetSize", std::to_string(size), "Must be greater than or equal to 0.");
  Resource r;
  json& b = r.body;
  if (in.contains("description")) b["description"] = in["description"];
  b["baseInstanceName"] = base;
  b["instanceTemplate"] = Url(tmpl_rel);
  b["versions"] = json::array({{{"instanceTemplate", Url(tmpl_rel)}, {"targetSize", {{"calculated", size}}}}});
  b["targetSize"] = size;
  b["fingerprint"] = ctx_->RandomHex(8);
  b["instanceGroup"] = Url(c.scope + "/instanceGroups/" + in["name"].get<std::string>());
  b["listManagedInstancesResults"] = "PAGELESS";
  b["updatePolicy"] = {{"type", "OPPORTUNISTIC"},
                       {"minimalAction", "REPLACE"},
                       {"maxSurge", {{"fixed", c.zone.empty() ? 3 : 1}, {"calculated", c.zone.empty() ? 3 : 1}}},
                       {"maxUnavailable", {{"fixed", c.zone.empty() ? 3 : 1}, {"calculated", c.zone.empty() ? 3 : 1}}},
                       {"replacementMethod", "SUBSTITUTE"}};
  if (in.contains("namedPorts")) b["namedPorts"] = in["namedPorts"];
  if (in.contains("targetPools")) {
    json pools = json::array();
    for (const json& tp : in["targetPools"]) {
      std::string rel = Resolve(tp.get<std::string>(), "targetPools", "regions/" + c.region);
      if (rel.empty()) {
        FailNotFound("projects/" + options_.project + "/regions/" + c.region + "/targetPools/" +
                     LastSegment(tp.get<std::string>()));
      }
      pools.push_back(Url(rel));
    }
    b["targetPools"] = pools;
  }
  json zones = json::array();
  if (c.zone.empty()) {
    std::vector<std::string> wanted;
    if (in.contains("distributionPolicy") && in["distributionPolicy"].contains("zones")) {
      for (const json& z : in["distributionPolicy"]["zones"]) {
        std::string zn = LastSegment(z.value("zone", ""));
        if (!catalog_zones_.contains(zn) || catalog_zones_[zn]["_region"] != c.region) {
          FailInvalid("resource.distributionPolicy.zones", z.dump(), "Zone must belong to region '" + c.region + "'.");
        }
        wanted.push_back(zn);
      }
    } else {
      for (auto& [zn, z] : catalog_zones_.items()) {
        if (z["_region"] == c.region) wanted.push_back(zn);
      }
    }
    for (const std::string& zn : wanted) zones.push_back({{"zone", Url("zones/" + zn)}});
    b["distributionPolicy"] = {{"zones", zones}, {"targetShape", "EVEN"}};
  }
  r.aux = {{"members", json::array()}, {"failed", json::array()}};
  r.ready_at = ctx_->Now() + ctx_->Latency(3);
  return r;
}

Resource& GceApi::Store(const std::string& scope, const std::string& coll, const std::string& kind,
                        const std::string& name, Resource r) {
  double now = ctx_->Now();
  std::string rel = Rel(scope, coll, name);
  r.body["kind"] = kind;
  r.body["id"] = NewId();
  r.body["name"] = name;
  r.body["creationTimestamp"] = FormatTime(now);
  r.body["selfLink"] = Url(rel);
  if (StartsWith(scope, "zones/")) r.body["zone"] = Url(scope);
  if (StartsWith(scope, "regions/")) r.body["region"] = Url(scope);
  r.created = now;
  auto& m = Coll(scope, coll);
  return m.insert_or_assign(name, std::move(r)).first->second;
}

std::string GceApi::CreateManaged(const std::string& igm_scope, Resource& igm, const std::string& zone) {
  const std::string base = igm.body["baseInstanceName"];
  std::string name;
  for (int tries = 0; tries < 20; ++tries) {
    std::string suffix;
    const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < 4; ++i) suffix += kChars[ctx_->RandomInt(0, 35)];
    name = base + "-" + suffix;
    if (!Find("zones/" + zone, "instances", name)) break;
  }
  std::string tmpl_rel = Resolve(igm.body["instanceTemplate"], "instanceTemplates", "global");
  json error;
  if (tmpl_rel.empty()) {
    error = {{"errors", json::array({{{"code", "RESOURCE_NOT_FOUND"},
                                      {"message", "The resource '" + igm.body["instanceTemplate"].get<std::string>() +
                                                      "' was not found"}}})}};
  } else {
    Resource* t = Find("global", "instanceTemplates", LastSegment(tmpl_rel));
    json in = t->body["properties"];
    in["name"] = name;
    in["machineType"] = "zones/" + zone + "/machineTypes/" + in["machineType"].get<std::string>();
    json items = in.contains("metadata") ? in["metadata"].value("items", json::array()) : json::array();
    items.push_back({{"key", "instance-template"}, {"value", igm.body["instanceTemplate"]}});
    items.push_back({{"key", "created-by"}, {"value", igm.body["selfLink"]}});
    in["metadata"] = {{"items", items}};
    try {
      json async_error;
      int status = 0;
      Resource r = PrepareInstance(in, zone, &async_error, &status);
      if (async_error.is_null()) {
        r.aux = {{"igm", igm.body["selfLink"]}, {"igm_scope", igm_scope}};
        Resource& stored = Store("zones/" + zone, "instances", "compute#instance", name, std::move(r));
        AfterInsert("instances", "zones/" + zone, stored);
        igm.aux["members"].push_back({{"zone", zone}, {"name", name}});
        PoolMembership(igm.body.value("targetPools", json::array()), stored.body["selfLink"], true);
        return name;
      }
      error = async_error;
    } catch (const GceError& e) {
      error = {{"errors", json::array({{{"code", e.reason}, {"message", e.message}}})}};
    }
  }
  igm.aux["failed"].push_back({{"zone", zone}, {"name", name}, {"error", error}});
  return "";
}

void GceApi::ReconcileIgm(const std::string& igm_scope, Resource& igm, double at) {
  (void)at;
  json alive = json::array();
  for (const json& m : igm.aux["members"]) {
    Resource* inst = Find("zones/" + m["zone"].get<std::string>(), "instances", m["name"].get<std::string>());
    if (inst && inst->delete_at < 0) alive.push_back(m);
  }
  igm.aux["members"] = alive;
  igm.aux["failed"] = json::array();
  int target = igm.body["targetSize"];
  std::vector<std::string> zones;
  if (StartsWith(igm_scope, "zones/")) {
    zones.push_back(igm_scope.substr(6));
  } else {
    for (const json& z : igm.body["distributionPolicy"]["zones"]) zones.push_back(LastSegment(z["zone"]));
  }
  size_t next_zone = alive.size();
  while (static_cast<int>(igm.aux["members"].size() + igm.aux["failed"].size()) < target) {
    CreateManaged(igm_scope, igm, zones[next_zone++ % zones.size()]);
  }
  while (static_cast<int>(igm.aux["members"].size()) > target) {
    json m = igm.aux["members"].back();
    igm.aux["members"].erase(igm.aux["members"].size() - 1);
    std::string scope = "zones/" + m["zone"].get<std::string>();
    Resource* inst = Find(scope, "instances", m["name"]);
    if (inst) {
      BeforeDelete("instances", scope, *inst);
      ScheduleDelete(scope, "instances", m["name"], ctx_->Now() + ctx_->Latency(20));
    }
  }
}

Resource GceApi::PrepareAutoscaler(Call& c) {
  CheckFields("autoscalers", c.body);
  if (!c.body.contains("target")) FailRequired("resource.target");
  std::string target = c.body["target"].get<std::string>();
  std::string rel = Resolve(target, "instanceGroupManagers", c.scope);
  if (rel.empty()) {
    FailInvalid("resource.target", target, "The referenced instance group manager resource cannot be found.");
  }
  auto it = colls_.find(c.scope + "/autoscalers");
  if (it != colls_.end()) {
    for (auto& [n, a] : it->second) {
      if (a.delete_at < 0 && a.body["target"] == Url(rel)) {
        FailInvalid("resource.target", target, "The instance group manager already has an autoscaler '" + n + "'.");
      }
    }
  }
  json policy = c.body.value("autoscalingPolicy", json::object());
  if (!policy.contains("maxNumReplicas")) FailRequired("resource.autoscalingPolicy.maxNumReplicas");
  int max = AsInt(policy["maxNumReplicas"], "resource.autoscaling_policy.max_num_replicas");
  int min = policy.contains("minNumReplicas") ? AsInt(policy["minNumReplicas"], "resource.autoscaling_policy.min_num_replicas") : 1;
  if (min < 0) FailInvalid("resource.autoscalingPolicy.minNumReplicas", std::to_string(min), "Must be non-negative.");
  if (max < min || max > 1000) {
    FailInvalid("resource.autoscalingPolicy.maxNumReplicas", std::to_string(max),
                "Max num replicas must be greater than or equal to min num replicas and at most 1000.");
  }
  policy["minNumReplicas"] = min;
  policy["maxNumReplicas"] = max;
  if (!policy.contains("coolDownPeriodSec")) policy["coolDownPeriodSec"] = 60;
  if (!policy.contains("cpuUtilization")) policy["cpuUtilization"] = {{"utilizationTarget", 0.6}, {"predictiveMethod", "NONE"}};
  if (!policy.contains("mode")) policy["mode"] = "ON";
  Resource r;
  r.body = {{"target", Url(rel)}, {"autoscalingPolicy", policy}, {"status", "ACTIVE"}};
  if (c.body.contains("description")) r.body["description"] = c.body["description"];
  return r;
}

void GceApi::ApplyAutoscaler(const Resource& a) {
  std::string rel = Resolve(a.body["target"], "instanceGroupManagers", "");
  if (rel.empty()) return;
  std::string scope = rel.substr(0, rel.find("/instanceGroupManagers/"));
  Resource* igm = Find(scope, "instanceGroupManagers", LastSegment(rel));
  const json& p = a.body["autoscalingPolicy"];
  if (p.value("mode", "ON") == "OFF") return;
  int size = igm->body["targetSize"];
  int clamped = std::clamp(size, p["minNumReplicas"].get<int>(), p["maxNumReplicas"].get<int>());
  if (clamped != size) {
    igm->body["targetSize"] = clamped;
    igm->body["versions"][0]["targetSize"]["calculated"] = clamped;
  }
  ReconcileIgm(scope, *igm, ctx_->Now());
}

HttpResponse GceApi::UpdateAutoscaler(Call& c, bool patch) {
  std::string name = c.req.Query("autoscaler", c.body.value("name", ""));
  if (name.empty()) FailRequired("autoscaler");
  Resource& a = Get(c.scope, "autoscalers", name);
  CheckFields("autoscalers", c.body);
  json policy = patch ? a.body["autoscalingPolicy"] : json::object();
  if (c.body.contains("autoscalingPolicy")) {
    if (!c.body["autoscalingPolicy"].is_object()) {
      FailInvalid("resource.autoscalingPolicy", c.body["autoscalingPolicy"].dump(), "Must be an object.");
    }
    policy.update(c.body["autoscalingPolicy"]);
  }
  if (!policy.contains("maxNumReplicas")) FailRequired("resource.autoscalingPolicy.maxNumReplicas");
  int max = AsInt(policy["maxNumReplicas"], "resource.autoscaling_policy.max_num_replicas");
  int min = policy.contains("minNumReplicas") ? AsInt(policy["minNumReplicas"], "resource.autoscaling_policy.min_num_replicas") : 1;
  if (min < 0 || max < min || max > 1000) {
    FailInvalid("resource.autoscalingPolicy.maxNumReplicas", std::to_string(max),
                "Max num replicas must be greater than or equal to min num replicas and at most 1000.");
  }
  policy["minNumReplicas"] = min;
  policy["maxNumReplicas"] = max;
  if (!policy.contains("coolDownPeriodSec")) policy["coolDownPeriodSec"] = 60;
  if (!policy.contains("mode")) policy["mode"] = "ON";
  if (c.body.contains("target") && Resolve(c.body["target"].get<std::string>(), "instanceGroupManagers", c.scope) !=
                                       Resolve(a.body["target"].get<std::string>(), "instanceGroupManagers", c.scope)) {
    FailInvalid("resource.target", c.body["target"].get<std::string>(), "The target of an autoscaler cannot be changed.");
  }
  a.body["autoscalingPolicy"] = policy;
  if (c.body.contains("description")) a.body["description"] = c.body["description"];
  ApplyAutoscaler(a);
  std::string op = NewOp(c.scope, patch ? "compute.autoscalers.patch" : "compute.autoscalers.update", a.body["selfLink"],
                         a.body["id"], ctx_->Latency(3));
  return OpResponse(c, op);
}

HttpResponse GceApi::Resize(Call& c) {
  const std::string& name = c.params.at("instanceGroupManager");
  Resource& igm = Get(c.scope, "instanceGroupManagers", name);
  if (!c.req.HasQuery("size")) FailRequired("size");
  int size = AsInt(json(c.req.Query("size")), "size");
  if (size < 0) FailInvalid("size", c.req.Query("size"), "Must be greater than or equal to 0.");
  igm.body["targetSize"] = size;
  igm.body["versions"][0]["targetSize"]["calculated"] = size;
  ReconcileIgm(c.scope, igm, ctx_->Now());
  // An autoscaler on the group keeps the size within its bounds.
  std::string self = igm.body["selfLink"];
  auto it = colls_.find(c.scope + "/autoscalers");
  if (it != colls_.end()) {
    for (auto& [n, a] : it->second) {
      if (a.delete_at < 0 && a.body["target"] == self) ApplyAutoscaler(a);
    }
  }
  std::string op = NewOp(c.scope, "compute.instanceGroupManagers.resize", self, igm.body["id"], ctx_->Latency(2));
  return OpResponse(c, op);
}

// "zones/z/instances/x" of a full or partial instance URL.
static std::string RelTail(const std::string& ref) {
  size_t p = ref.find("zones/");
  return p == std::string::npos ? ref : ref.substr(p);
}

// The template a member was created from (its "instance-template" metadata).
static json MemberTemplate(const Resource& inst, const Resource& igm) {
  if (inst.body.contains("metadata") && inst.body["metadata"].contains("items")) {
    for (const json& item : inst.body["metadata"]["items"]) {
      if (item.value("key", "") == "instance-template") return item["value"];
    }
  }
  return igm.body["instanceTemplate"];
}

HttpResponse GceApi::SetInstanceTemplate(Call& c) {
  Resource& igm = Get(c.scope, "instanceGroupManagers", c.params.at("instanceGroupManager"));
  if (!c.body.contains("instanceTemplate") || !c.body["instanceTemplate"].is_string()) {
    FailRequired("resource.instanceTemplate");
  }
  std::string tmpl = c.body["instanceTemplate"];
  std::string rel = Resolve(tmpl, "instanceTemplates", "global");
  if (rel.empty()) FailInvalid("resource.instanceTemplate", tmpl, "The referenced instance template resource cannot be found.");
  // New members use it; existing ones keep theirs until recreated (updatePolicy OPPORTUNISTIC).
  igm.body["instanceTemplate"] = Url(rel);
  igm.body["versions"][0]["instanceTemplate"] = Url(rel);
  std::string op = NewOp(c.scope, "compute.instanceGroupManagers.setInstanceTemplate", igm.body["selfLink"],
                         igm.body["id"], ctx_->Latency(2));
  return OpResponse(c, op);
}

HttpResponse GceApi::SetTargetPools(Call& c) {
  Resource& igm = Get(c.scope, "instanceGroupManagers", c.params.at("instanceGroupManager"));
  json pools = json::array();
  std::string region = c.region;
  if (region.empty() && catalog_zones_.contains(c.zone)) region = catalog_zones_[c.zone]["_region"];
  for (const json& tp : c.body.value("targetPools", json::array())) {
    std::string ref = tp.is_string() ? tp.get<std::string>() : "";
    std::string rel = Resolve(ref, "targetPools", "regions/" + region);
    if (rel.empty()) FailNotFound("projects/" + options_.project + "/regions/" + region + "/targetPools/" + LastSegment(ref));
    pools.push_back(Url(rel));
  }
  // The group's members leave the pools it no longer names and join the new ones.
  const json before = igm.body.value("targetPools", json::array());
  for (const json& m : igm.aux.value("members", json::array())) {
    Resource* inst = Find("zones/" + m["zone"].get<std::string>(), "instances", m["name"].get<std::string>());
    if (!inst || inst->delete_at >= 0) continue;
    PoolMembership(before, inst->body["selfLink"], false);
    PoolMembership(pools, inst->body["selfLink"], true);
  }
  igm.body["targetPools"] = pools;
  igm.body["fingerprint"] = ctx_->RandomHex(8);
  std::string op = NewOp(c.scope, "compute.instanceGroupManagers.setTargetPools", igm.body["selfLink"], igm.body["id"],
                         ctx_->Latency(2));
  return OpResponse(c, op);
}

HttpResponse GceApi::RecreateInstances(Call& c) {
  Resource& igm = Get(c.scope, "instanceGroupManagers", c.params.at("instanceGroupManager"));
  if (!c.body.contains("instances") || !c.body["instances"].is_array()) FailRequired("resource.instances");
  // Each named member is deleted and a new one made from the current template.
  json keep = json::array();
  std::vector<json> gone;
  for (const json& m : igm.aux["members"]) {
    std::string url = Url("zones/" + m["zone"].get<std::string>() + "/instances/" + m["name"].get<std::string>());
    bool named = false;
    for (const json& ref : c.body["instances"]) {
      if (ref.is_string() && (ref == url || RelTail(ref.get<std::string>()) == RelTail(url))) named = true;
    }
    (named ? gone.push_back(m) : keep.push_back(m));
  }
  if (gone.size() != c.body["instances"].size()) {
    FailInvalid("resource.instances", c.body["instances"].dump(), "Instance is not a member of the group.");
  }
  double at = ctx_->Now() + ctx_->Latency(20);
  for (const json& m : gone) {
    std::string scope = "zones/" + m["zone"].get<std::string>();
    if (Resource* inst = Find(scope, "instances", m["name"])) {
      BeforeDelete("instances", scope, *inst);
      ScheduleDelete(scope, "instances", m["name"], at);
    }
  }
  igm.aux["members"] = keep;
  ReconcileIgm(c.scope, igm, at);
  std::string op = NewOp(c.scope, "compute.instanceGroupManagers.recreateInstances", igm.body["selfLink"],
                         igm.body["id"], ctx_->Latency(2));
  return OpResponse(c, op);
}

HttpResponse GceApi::ListManaged(Call& c) {
  Resource& igm = Get(c.scope, "instanceGroupManagers", c.params.at("instanceGroupManager"));
  json list = json::array();
  json render = Render("instanceGroupManagers", igm);
  for (const json& m : igm.aux["members"]) {
    Resource* inst = Find("zones/" + m["zone"].get<std::string>(), "instances", m["name"]);
    if (!inst) continue;
    json ri = Render("instances", *inst);
    std::string status = ri["status"];
    std::string action = status == "RUNNING" ? "NONE" : status == "STOPPING" ? "DELETING" : "CREATING";
    list.push_back({{"instance", ri["selfLink"]},
                    {"id", ri["id"]},
                    {"instanceStatus", status},
                    {"currentAction", action},
                    {"version", {{"instanceTemplate", MemberTemplate(*inst, igm)}}}});
  }
  for (const json& f : igm.aux["failed"]) {
    list.push_back({{"instance", Url("zones/" + f["zone"].get<std::string>() + "/instances/" + f["name"].get<std::string>())},
                    {"currentAction", "CREATING"},
                    {"lastAttempt", {{"errors", f["error"]}}}});
  }
  return HttpResponse::Json(200, {{"managedInstances", list}});
}

}  // namespace cloudsim::gce
