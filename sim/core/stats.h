// Request counters for GET /_sim/stats: per (api, method, route pattern),
// with a breakdown by status, plus fault and rate-limit totals.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

namespace cloudsim {

class Stats {
 public:
  // status_key is the decimal status ("200") or "dropped" when the
  // connection was closed without an answer.
  void Record(const std::string& api, const std::string& method, const std::string& route,
              const std::string& status_key);
  void CountFault();
  void CountRateLimited();
  void Clear();
  // {"requests":[{"api","method","route","count","by_status":{..}}],
  //  "faults_injected":N,"rate_limited":N}
  nlohmann::json ToJson() const;

 private:
  struct Entry {
    uint64_t count = 0;
    std::map<std::string, uint64_t> by_status;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string>, Entry> entries_;
  uint64_t faults_injected_ = 0;
  uint64_t rate_limited_ = 0;
};

}  // namespace cloudsim
