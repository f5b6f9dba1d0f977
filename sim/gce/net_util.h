// Small helpers shared by the GCE model's instance and network code.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace cloudsim::gce {

// The fixed fingerprint the model reports for metadata/labels/tags.
inline constexpr char kFingerprint[] = "42WmSpB8rSM=";

inline bool StartsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// "10.128.0.0/20" -> base address and prefix length; false when malformed.
inline bool ParseCidr(const std::string& cidr, uint32_t* base, int* prefix) {
  unsigned a, b, c, d;
  int n;
  char extra;
  if (std::sscanf(cidr.c_str(), "%u.%u.%u.%u/%d%c", &a, &b, &c, &d, &n, &extra) != 5) return false;
  if (a > 255 || b > 255 || c > 255 || d > 255 || n < 0 || n > 32) return false;
  *base = (a << 24) | (b << 16) | (c << 8) | d;
  *prefix = n;
  return true;
}

inline std::string IpText(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." + std::to_string((ip >> 8) & 255) +
         "." + std::to_string(ip & 255);
}

}  // namespace cloudsim::gce
