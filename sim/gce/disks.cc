// GceApi: standalone zonal persistent disks (disks.insert/get/list/delete)
// and instances.attachDisk / instances.detachDisk, as the compute v1
// discovery document describes them (Disk, AttachedDisk).
#include <algorithm>

#include "gce/gce_api.h"

namespace cloudsim::gce {

namespace {

const std::set<std::string> kDiskFields = {
    "architecture", "description", "guestOsFeatures", "labels", "licenses", "name", "options", "physicalBlockSizeBytes",
    "provisionedIops", "provisionedThroughput", "replicaZones", "resourcePolicies", "sizeGb", "sourceDisk",
    "sourceImage", "sourceSnapshot", "type", "zone", "params", "locationHint", "diskEncryptionKey"};

int DiskGb(const json& v) {
  if (v.is_number_integer()) return v.get<int>();
  if (v.is_string()) {
    char* end = nullptr;
    long n = std::strtol(v.get_ref<const std::string&>().c_str(), &end, 10);
    if (!v.get_ref<const std::string&>().empty() && *end == 0) return static_cast<int>(n);
  }
  Fail(400, "invalid", "Invalid value at 'resource.size_gb' (TYPE_INT64), " + v.dump());
}

}  // namespace

Resource GceApi::PrepareDisk(Call& c) {
  const json& in = c.body;
  for (auto& [k, v] : in.items()) {
    if (!kDiskFields.count(k)) {
      Fail(400, "invalid", "Invalid JSON payload received. Unknown name \"" + k + "\" at 'resource': Cannot find field.");
    }
  }
  if (in.contains("labels")) ValidateLabels(in["labels"], "resource.labels");
  std::string type = "pd-standard";
  if (in.contains("type")) {
    type = LastSegment(in["type"].get<std::string>());
    if (type != "pd-standard" && type != "pd-balanced" && type != "pd-ssd") {
      FailInvalid("resource.type", in["type"].get<std::string>(), "The referenced diskType resource cannot be found.");
    }
  }
  int gb = in.contains("sizeGb") ? DiskGb(in["sizeGb"]) : (in.contains("sourceImage") ? 10 : 500);
  if (gb < 1 || gb > 65536) FailInvalid("resource.sizeGb", std::to_string(gb), "Disk size must be between 1 and 65536 GB.");
  Resource r;
  json& b = r.body;
  b = {{"sizeGb", std::to_string(gb)},
       {"type", Url(c.scope + "/diskTypes/" + type)},
       {"labelFingerprint", ctx_->RandomHex(8)},
       {"physicalBlockSizeBytes", "4096"},
       {"architecture", "X86_64"}};
  if (in.contains("labels")) b["labels"] = in["labels"];
  if (in.contains("description")) b["description"] = in["description"];
  if (in.contains("sourceImage")) b["sourceImage"] = in["sourceImage"];
  return r;
}

json GceApi::DiskUsers(const std::string& self_link) const {
  json users = json::array();
  for (auto& [key, coll] : colls_) {
    if (key.size() < 10 || key.compare(key.size() - 10, 10, "/instances") != 0) continue;
    for (auto& [n, inst] : coll) {
      if (inst.delete_at >= 0 && ctx_->Now() >= inst.delete_at) continue;
      for (const json& d : inst.body.value("disks", json::array())) {
        if (d.value("source", "") == self_link) users.push_back(inst.body["selfLink"]);
      }
    }
  }
  return users;
}

json GceApi::RenderDisk(const Resource& r) const {
  json j = r.body;
  double now = ctx_->Now();
  j["status"] = r.delete_at >= 0 ? "DELETING" : now < r.ready_at ? "CREATING" : "READY";
  json users = DiskUsers(r.body["selfLink"]);
  if (!users.empty()) j["users"] = users;
  return j;
}

// An attached disk entry for an existing disk named by `source` in `zone`.
json GceApi::AttachExisting(const json& d, const std::string& zone, const std::string& field, int index) {
  std::string src = d["source"].get<std::string>();
  std::string rel = Resolve(src, "disks", "zones/" + zone);
  if (rel.empty()) FailNotFound("projects/" + options_.project + "/zones/" + zone + "/disks/" + LastSegment(src));
  Resource* disk = Find("zones/" + zone, "disks", LastSegment(rel));
  std::string mode = d.value("mode", "READ_WRITE");
  json users = DiskUsers(disk->body["selfLink"]);
  if (!users.empty() && mode == "READ_WRITE") {
    Fail(400, "resourceInUseByAnotherResource",
         "The disk resource 'projects/" + options_.project + "/" + rel + "' is already being used by '" +
             users[0].get<std::string>().substr(Base().size() + 1) + "'");
  }
  if (ctx_->Now() < disk->ready_at) {
    Fail(400, "resourceNotReady", "The resource 'projects/" + options_.project + "/" + rel + "' is not ready");
  }
  return {{"kind", "compute#attachedDisk"},
          {"type", "PERSISTENT"},
          {"mode", mode},
          {"source", disk->body["selfLink"]},
          {"deviceName", d.value("deviceName", LastSegment(rel))},
          {"index", index},
          {"boot", d.value("boot", false)},
          {"autoDelete", d.value("autoDelete", false)},
          {"interface", d.value("interface", "SCSI")},
          {"diskSizeGb", disk->body["sizeGb"]},
          {"architecture", "X86_64"}};
}

HttpResponse GceApi::AttachDisk(Call& c) {
  Resource& inst = Get(c.scope, "instances", c.params.at("instance"));
  if (!c.body.contains("source") || !c.body["source"].is_string()) FailRequired("resource.source");
  json& disks = inst.body["disks"];
  json entry = AttachExisting(c.body, c.zone, "resource", static_cast<int>(disks.size()));
  for (const json& d : disks) {
    if (d["deviceName"] == entry["deviceName"]) {
      FailInvalid("resource.deviceName", entry["deviceName"], "Device name is already in use by another disk.");
    }
  }
  disks.push_back(entry);
  std::string op = NewOp(c.scope, "attachDisk", inst.body["selfLink"], inst.body["id"], ctx_->Latency(3));
  return OpResponse(c, op);
}

HttpResponse GceApi::DetachDisk(Call& c) {
  Resource& inst = Get(c.scope, "instances", c.params.at("instance"));
  if (!c.req.HasQuery("deviceName")) FailRequired("deviceName");
  std::string device = c.req.Query("deviceName");
  json& disks = inst.body["disks"];
  auto it = std::find_if(disks.begin(), disks.end(), [&](const json& d) { return d["deviceName"] == device; });
  if (it == disks.end()) {
    FailInvalid("deviceName", device, "No attached disk found with device name '" + device + "'");
  }
  if (it->value("boot", false)) FailInvalid("deviceName", device, "The boot disk cannot be detached.");
  disks.erase(it);
  std::string op = NewOp(c.scope, "detachDisk", inst.body["selfLink"], inst.body["id"], ctx_->Latency(3));
  return OpResponse(c, op);
}

}  // namespace cloudsim::gce
