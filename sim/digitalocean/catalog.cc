#include "digitalocean/catalog.h"

#include <map>

namespace cloudsim::digitalocean {

const std::vector<RegionInfo>& Regions() {
  static const std::vector<RegionInfo> kRegions = {
      {"nyc1", "New York 1", "10.116.0.0/20", "104.236"},
      {"nyc3", "New York 3", "10.108.0.0/20", "159.203"},
      {"sfo3", "San Francisco 3", "10.124.0.0/20", "137.184"},
      {"ams3", "Amsterdam 3", "10.110.0.0/20", "188.166"},
      {"fra1", "Frankfurt 1", "10.114.0.0/20", "164.90"},
      {"lon1", "London 1", "10.106.0.0/20", "178.62"},
      {"sgp1", "Singapore 1", "10.104.0.0/20", "128.199"},
      {"tor1", "Toronto 1", "10.118.0.0/20", "159.89"},
      {"blr1", "Bangalore 1", "10.122.0.0/20", "139.59"},
      {"syd1", "Sydney 1", "10.126.0.0/20", "170.64"},
  };
  return kRegions;
}

const std::vector<SizeInfo>& Sizes() {
  static const std::vector<SizeInfo> kSizes = {
      {"s-1vcpu-512mb-10gb", 512, 1, 10, 0.5, 4.0, 0.00595, "Basic"},
      {"s-1vcpu-1gb", 1024, 1, 25, 1.0, 6.0, 0.00893, "Basic"},
      {"s-1vcpu-2gb", 2048, 1, 50, 2.0, 12.0, 0.01786, "Basic"},
      {"s-2vcpu-2gb", 2048, 2, 60, 3.0, 18.0, 0.02679, "Basic"},
      {"s-2vcpu-4gb", 4096, 2, 80, 4.0, 24.0, 0.03571, "Basic"},
      {"s-4vcpu-8gb", 8192, 4, 160, 5.0, 48.0, 0.07143, "Basic"},
      {"s-8vcpu-16gb", 16384, 8, 320, 6.0, 96.0, 0.14286, "Basic"},
      {"g-2vcpu-8gb", 8192, 2, 25, 4.0, 63.0, 0.09375, "General Purpose"},
      {"c-2", 4096, 2, 25, 4.0, 42.0, 0.0625, "CPU-Optimized"},
      {"m-2vcpu-16gb", 16384, 2, 50, 4.0, 84.0, 0.125, "Memory-Optimized"},
  };
  return kSizes;
}

const std::vector<ImageInfo>& DistributionImages() {
  static const std::vector<ImageInfo> kImages = {
      {129211873, "ubuntu-22-04-x64", "22.04 (LTS) x64", "Ubuntu", "Ubuntu 22.04 (LTS) x64", 7, 2.37,
       "2023-03-23T19:27:52Z"},
      {155133621, "ubuntu-24-04-x64", "24.04 (LTS) x64", "Ubuntu", "Ubuntu 24.04 (LTS) x64", 7, 2.42,
       "2024-04-25T12:20:33Z"},
      {158046488, "ubuntu-24-10-x64", "24.10 x64", "Ubuntu", "Ubuntu 24.10 x64", 7, 2.61, "2024-10-10T15:42:17Z"},
      {133282743, "debian-12-x64", "12 x64", "Debian", "Debian 12 x64", 7, 0.84, "2023-06-12T15:19:05Z"},
      {129212111, "debian-11-x64", "11 x64", "Debian", "Debian 11 x64", 7, 0.71, "2023-03-23T19:30:02Z"},
      {139523271, "rockylinux-9-x64", "9 x64", "Rocky Linux", "Rocky Linux 9 x64", 10, 1.02, "2023-09-07T16:07:55Z"},
      {154367402, "fedora-40-x64", "40 x64", "Fedora", "Fedora 40 x64", 7, 0.85, "2024-04-24T11:02:03Z"},
  };
  return kImages;
}

const RegionInfo* FindRegion(const std::string& slug) {
  for (const RegionInfo& r : Regions()) {
    if (r.slug == slug) return &r;
  }
  return nullptr;
}

const SizeInfo* FindSize(const std::string& slug) {
  for (const SizeInfo& s : Sizes()) {
    if (s.slug == slug) return &s;
  }
  return nullptr;
}

std::vector<std::string> RegionSlugs() {
  std::vector<std::string> out;
  for (const RegionInfo& r : Regions()) out.push_back(r.slug);
  return out;
}

nlohmann::json RegionJson(const RegionInfo& region) {
  nlohmann::json sizes = nlohmann::json::array();
  for (const SizeInfo& s : Sizes()) sizes.push_back(s.slug);
  return {{"name", region.name},
          {"slug", region.slug},
          {"features", {"backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"}},
          {"available", true},
          {"sizes", sizes}};
}

nlohmann::json RegionJsonBySlug(const std::string& slug) {
  const RegionInfo* r = FindRegion(slug);
  if (r) return RegionJson(*r);
  return {{"name", slug}, {"slug", slug}, {"features", nlohmann::json::array()}, {"available", false},
          {"sizes", nlohmann::json::array()}};
}

nlohmann::json SizeJson(const SizeInfo& size) {
  return {{"slug", size.slug},
          {"memory", size.memory_mb},
          {"vcpus", size.vcpus},
          {"disk", size.disk_gb},
          {"transfer", size.transfer_tb},
          {"price_monthly", size.price_monthly},
          {"price_hourly", size.price_hourly},
          {"regions", RegionSlugs()},
          {"available", true},
          {"description", size.description},
          {"disk_info", {{{"type", "local"}, {"size", {{"amount", size.disk_gb}, {"unit", "gib"}}}}}}};
}

const std::string& RegionText(const std::string& slug) {
  static const std::map<std::string, std::string> kTexts = [] {
    std::map<std::string, std::string> m;
    for (const RegionInfo& r : Regions()) m[r.slug] = RegionJson(r).dump();
    return m;
  }();
  static const std::string kUnknown = RegionJsonBySlug("").dump();
  auto it = kTexts.find(slug);
  return it == kTexts.end() ? kUnknown : it->second;
}

const std::string& SizeText(const std::string& slug) {
  static const std::map<std::string, std::string> kTexts = [] {
    std::map<std::string, std::string> m;
    for (const SizeInfo& s : Sizes()) m[s.slug] = SizeJson(s).dump();
    return m;
  }();
  static const std::string kUnknown = "{}";
  auto it = kTexts.find(slug);
  return it == kTexts.end() ? kUnknown : it->second;
}

}  // namespace cloudsim::digitalocean
