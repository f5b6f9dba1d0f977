// The fixed DigitalOcean catalog cloudsim serves: regions, droplet sizes and
// distribution images, under their real slugs with real prices and specs.
// Immutable after static initialisation; safe to read from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cloudsim::digitalocean {

struct RegionInfo {
  std::string slug;
  std::string name;
  std::string vpc_range;     // default VPC range, e.g. "10.108.0.0/20"
  std::string public_prefix; // public IPv4 pool, first two octets: "159.203"
};

struct SizeInfo {
  std::string slug;
  int memory_mb;
  int vcpus;
  int disk_gb;
  double transfer_tb;
  double price_monthly;
  double price_hourly;
  std::string description;
};

struct ImageInfo {
  int64_t id;
  std::string slug;
  std::string name;
  std::string distribution;
  std::string description;
  int min_disk_size;
  double size_gigabytes;
  std::string created_at;
};

const std::vector<RegionInfo>& Regions();
const std::vector<SizeInfo>& Sizes();
const std::vector<ImageInfo>& DistributionImages();

const RegionInfo* FindRegion(const std::string& slug);
const SizeInfo* FindSize(const std::string& slug);

// Region object as the API renders it (name, slug, features, available, sizes).
nlohmann::json RegionJson(const RegionInfo& region);
// Region object for a slug, or a minimal object if the slug is unknown.
nlohmann::json RegionJsonBySlug(const std::string& slug);
nlohmann::json SizeJson(const SizeInfo& size);
std::vector<std::string> RegionSlugs();
// RegionJsonBySlug / SizeJson serialised, computed once per slug (thread-safe).
const std::string& RegionText(const std::string& slug);
const std::string& SizeText(const std::string& slug);

}  // namespace cloudsim::digitalocean
