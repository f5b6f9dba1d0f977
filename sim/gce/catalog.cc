// GceApi catalog: zones, regions, machine types, public images, and the
// project's starting state (the "default" auto-mode network).
#include "gce/gce_api.h"

namespace cloudsim::gce {

namespace {

struct MachineSpec {
  const char* name;
  int cpus;
  int memory_mb;
  bool shared;
  const char* description;
};

const MachineSpec kMachines[] = {
    {"e2-micro", 2, 1024, true, "Efficient Instance, 2 vCPU (1/8 shared physical core) and 1 GB RAM"},
    {"e2-small", 2, 2048, true, "Efficient Instance, 2 vCPU (1/4 shared physical core) and 2 GB RAM"},
    {"e2-medium", 2, 4096, true, "Efficient Instance, 2 vCPU (1/2 shared physical core) and 4 GB RAM"},
    {"e2-standard-2", 2, 8192, false, "Efficient Instance, 2 vCPUs, 8 GB RAM"},
    {"n2-standard-2", 2, 8192, false, "2 vCPUs 8 GB RAM"},
    {"n2-standard-4", 4, 16384, false, "4 vCPUs 16 GB RAM"},
};

struct ImageSpec {
  const char* project;
  const char* name;
  const char* family;
  const char* description;
  const char* created;
  bool deprecated;
  const char* replacement;
};

const ImageSpec kImages[] = {
    {"debian-cloud", "debian-12-bookworm-v20231010", "debian-12", "Debian, Debian GNU/Linux, 12 (bookworm), amd64 built on 20231010",
     "2023-10-10T12:00:00.000-07:00", true, "debian-12-bookworm-v20231115"},
    {"debian-cloud", "debian-12-bookworm-v20231115", "debian-12", "Debian, Debian GNU/Linux, 12 (bookworm), amd64 built on 20231115",
     "2023-11-15T12:00:00.000-08:00", false, ""},
    {"debian-cloud", "debian-11-bullseye-v20231115", "debian-11", "Debian, Debian GNU/Linux, 11 (bullseye), amd64 built on 20231115",
     "2023-11-15T12:00:00.000-08:00", false, ""},
    {"ubuntu-os-cloud", "ubuntu-2204-jammy-v20231030", "ubuntu-2204-lts",
     "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image built on 2023-10-30", "2023-10-30T12:00:00.000-07:00", false, ""},
};

}  // namespace

void GceApi::BuildCatalog() {
  catalog_zones_ = json::object();
  catalog_regions_ = json::object();
  const std::pair<const char*, std::vector<const char*>> regions[] = {
      {"us-central1", {"us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"}},
      {"europe-west1", {"europe-west1-b", "europe-west1-c", "europe-west1-d"}},
  };
  for (const auto& [region, zones] : regions) {
    catalog_regions_[region] = {{"kind", "compute#region"},
                                {"id", NewId()},
                                {"creationTimestamp", "1969-12-31T16:00:00.000-08:00"},
                                {"name", region},
                                {"description", region},
                                {"status", "UP"},
                                {"supportsPzs", false}};
    for (const char* zone : zones) {
      catalog_zones_[zone] = {{"kind", "compute#zone"},
                              {"id", NewId()},
                              {"creationTimestamp", "1969-12-31T16:00:00.000-08:00"},
                              {"name", zone},
                              {"description", zone},
                              {"status", "UP"},
                              {"availableCpuPlatforms",
                               json::array({"Intel Cascade Lake", "Intel Ice Lake", "AMD Milan", "AMD Rome"})},
                              {"supportsPzs", false},
                              {"_region", region}};
    }
  }
  for (const MachineSpec& m : kMachines) {
    machine_specs_[m.name] = {{"cpus", m.cpus},
                              {"memory", m.memory_mb},
                              {"shared", m.shared},
                              {"description", m.description},
                              {"id", NewId()}};
  }
  for (const ImageSpec& i : kImages) {
    Resource r;
    std::string self = ctx_->base_url + "/compute/v1/projects/" + i.project + "/global/images/" + i.name;
    r.body = {{"kind", "compute#image"},
              {"id", NewId()},
              {"creationTimestamp", i.created},
              {"name", i.name},
              {"description", i.description},
              {"sourceType", "RAW"},
              {"status", "READY"},
              {"archiveSizeBytes", "1234567890"},
              {"diskSizeGb", "10"},
              {"family", i.family},
              {"architecture", "X86_64"},
              {"labelFingerprint", "42WmSpB8rSM="},
              {"storageLocations", json::array({"us", "eu"})},
              {"licenses", json::array({ctx_->base_url + "/compute/v1/projects/" + i.project + "/global/licenses/" +
                                        i.family})},
              {"guestOsFeatures", json::array({{{"type", "UEFI_COMPATIBLE"}}, {{"type", "VIRTIO_SCSI_MULTIQUEUE"}},
                                               {{"type", "GVNIC"}}})},
              {"selfLink", self}};
    r.aux = {{"project", i.project}};
    if (i.deprecated) {
      r.body["deprecated"] = {{"state", "DEPRECATED"},
                              {"replacement", ctx_->base_url + "/compute/v1/projects/" + i.project +
                                                  "/global/images/" + i.replacement}};
    }
    images_[i.project][i.name] = std::move(r);
  }
}

HttpResponse GceApi::GetFromFamily(Call& c) {
  const std::string& project = c.params.at("project");
  const std::string& family = c.params.at("family");
  const Resource* best = nullptr;
  auto it = images_.find(project);
  if (it != images_.end()) {
    for (auto& [name, r] : it->second) {
      if (r.body.value("family", "") != family || r.body.contains("deprecated")) continue;
      if (!best || r.body["creationTimestamp"] > best->body["creationTimestamp"]) best = &r;
    }
  }
  if (!best) FailNotFound("projects/" + project + "/global/images/family/" + family);
  return HttpResponse::Json(200, best->body);
}

void GceApi::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  colls_.clear();
  ops_.clear();
  ops_by_scope_.clear();
  request_ids_.clear();
  deletions_.clear();
  next_ip_.clear();
  // Every new project starts with the auto-mode "default" network.
  double now = ctx_->Now();
  Resource net;
  net.body = {{"kind", "compute#network"},
              {"id", NewId()},
              {"creationTimestamp", FormatTime(now)},
              {"name", "default"},
              {"description", "Default network for the project"},
              {"selfLink", Url("global/networks/default")},
              {"autoCreateSubnetworks", true},
              {"routingConfig", {{"routingMode", "REGIONAL"}}},
              {"mtu", 1460},
              {"networkFirewallPolicyEnforcementOrder", "AFTER_CLASSIC_FIREWALL"}};
  net.body["selfLinkWithId"] = Url("global/networks/" + net.body["id"].get<std::string>());
  net.created = now;
  Coll("global", "networks").emplace("default", std::move(net));
  const std::pair<const char*, const char*> subnets[] = {{"us-central1", "10.128.0.0/20"},
                                                        {"europe-west1", "10.132.0.0/20"}};
  for (const auto& [region, cidr] : subnets) {
    std::string scope = std::string("regions/") + region;
    std::string gw = cidr;
    gw = gw.substr(0, gw.find('/'));
    gw = gw.substr(0, gw.rfind('.')) + ".1";
    Resource s;
    s.body = {{"kind", "compute#subnetwork"},
              {"id", NewId()},
              {"creationTimestamp", FormatTime(now)},
              {"name", "default"},
              {"network", Url("global/networks/default")},
              {"ipCidrRange", cidr},
              {"gatewayAddress", gw},
              {"region", Url(scope)},
              {"selfLink", Url(scope + "/subnetworks/default")},
              {"privateIpGoogleAccess", false},
              {"fingerprint", "ExeV6Vy6d8w="},
              {"purpose", "PRIVATE"},
              {"stackType", "IPV4_ONLY"}};
    s.aux = {{"auto_of", Url("global/networks/default")}};
    s.created = now;
    Coll(scope, "subnetworks").emplace("default", std::move(s));
  }
}

}  // namespace cloudsim::gce
