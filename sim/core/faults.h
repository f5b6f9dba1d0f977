// Fault injection for cloudsim: a parsed SPEC and a seeded decision per
// request, so that the same seed and the same request sequence give the same
// faults.
//
// SPEC grammar (see docs/cloudsim.md):
//   spec   := group (';' group)*
//   group  := item (',' item)*
//   item   := 'rate=' P | KIND '=' P | 'api=' NAME | 'route=' PREFIX
//   KIND   := '429' | '5xx' | 'reset' | 'slow' | 'lost' | 'quota'
// Thread-safe: Decide and SetSpec may be called concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cloudsim {

enum class FaultKind { kNone, kRateLimit, kServerError, kReset, kSlow, kLost, kQuota };

const char* FaultKindName(FaultKind kind);

struct FaultGroup {
  std::string api;           // empty = every API
  std::string route_prefix;  // empty = every path
  double rate = 0;           // mixed: split over the kinds that apply
  double p429 = 0, p5xx = 0, reset = 0, slow = 0, lost = 0, quota = 0;

  nlohmann::json ToJson() const;
};

// Parses SPEC. False + *error (naming the bad item) on a syntax error or a
// probability outside [0,1] (or a group whose probabilities sum above 1).
bool ParseFaultSpec(const std::string& spec, std::vector<FaultGroup>* groups, std::string* error);

struct FaultDecision {
  FaultKind kind = FaultKind::kNone;
  int status = 0;    // for kServerError: 500, 502 or 503
  int delay_ms = 0;  // for kSlow
};

// What the injector needs to know about one request.
struct FaultRequest {
  std::string api;      // the matched route's API
  std::string method;   // "POST"
  std::string path;     // decoded path
  std::string pattern;  // matched route pattern
};

class FaultInjector {
 public:
  FaultInjector(uint64_t seed, double time_scale);

  // Replaces the active faults. False + *error (active faults unchanged).
  bool SetSpec(const std::string& spec, std::string* error);
  std::string spec() const;
  nlohmann::json ToJson() const;

  // Draws the fault for one request (kNone most of the time).
  FaultDecision Decide(const FaultRequest& req);

  // Request classification used for eligibility.
  static bool IsMutating(const std::string& method);
  static bool IsCreateLike(const std::string& method, const std::string& pattern);
  static bool IsAuthPath(const std::string& path);

 private:
  const FaultGroup* Select(const FaultRequest& req) const;

  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  double time_scale_;
  std::string spec_;
  std::vector<FaultGroup> groups_;
};

}  // namespace cloudsim
