#include "core/stats.h"

namespace cloudsim {

void Stats::Record(const std::string& api, const std::string& method, const std::string& route,
                   const std::string& status_key) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[std::make_tuple(api, method, route)];
  ++e.count;
  ++e.by_status[status_key];
}

void Stats::CountFault() {
  std::lock_guard<std::mutex> lock(mu_);
  ++faults_injected_;
}

void Stats::CountRateLimited() {
  std::lock_guard<std::mutex> lock(mu_);
  ++rate_limited_;
}

void Stats::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
  faults_injected_ = 0;
  rate_limited_ = 0;
}

nlohmann::json Stats::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json requests = nlohmann::json::array();
  for (const auto& [key, e] : entries_) {
    nlohmann::json by_status = nlohmann::json::object();
    for (const auto& [status, n] : e.by_status) by_status[status] = n;
    requests.push_back({{"api", std::get<0>(key)},
                        {"method", std::get<1>(key)},
                        {"route", std::get<2>(key)},
                        {"count", e.count},
                        {"by_status", by_status}});
  }
  return {{"requests", requests}, {"faults_injected", faults_injected_}, {"rate_limited", rate_limited_}};
}

}  // namespace cloudsim
