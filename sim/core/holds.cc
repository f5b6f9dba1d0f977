#include "core/holds.h"

#include <algorithm>
#include <chrono>

#include "core/faults.h"

namespace cloudsim {

bool ParseHoldRule(const nlohmann::json& body, HoldRule* rule, std::string* error) {
  if (!body.is_object()) {
    *error = "body must be a JSON object";
    return false;
  }
  HoldRule r;
  for (const auto& [key, value] : body.items()) {
    if (key == "api" || key == "method" || key == "path_prefix") {
      if (!value.is_string()) {
        *error = "'" + key + "' must be a string";
        return false;
      }
      std::string v = value.get<std::string>();
      if (key == "api") r.api = v;
      if (key == "method") r.method = v;
      if (key == "path_prefix") r.path_prefix = v;
    } else if (key == "skip" || key == "count") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 1000000) {
        *error = "'" + key + "' must be an integer from 0 to 1000000";
        return false;
      }
      (key == "skip" ? r.skip : r.count) = value.get<int>();
    } else if (key == "stage") {
      if (value != "before" && value != "after") {
        *error = "'stage' must be \"before\" (the request is not handled yet) or \"after\" (handled, not answered)";
        return false;
      }
      r.stage = value == "before" ? HoldStage::kBefore : HoldStage::kAfter;
    } else if (key == "max_s") {
      if (!value.is_number() || !(value.get<double>() > 0) || value.get<double>() > 3600) {
        *error = "'max_s' must be a number of seconds above 0 and at most 3600";
        return false;
      }
      r.max_s = value.get<double>();
    } else {
      *error = "unknown field '" + key + "' (api, method, path_prefix, skip, count, stage, max_s)";
      return false;
    }
  }
  if (!r.method.empty() && r.method != "mutating" &&
      !std::all_of(r.method.begin(), r.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    *error = "'method' must be an upper-case HTTP method or \"mutating\"";
    return false;
  }
  *rule = r;
  return true;
}

std::string HoldTable::Add(const HoldRule& rule) {
  std::lock_guard<std::mutex> lock(mu_);
  auto h = std::make_shared<Hold>();
  h->id = "h" + std::to_string(next_id_++);
  h->rule = rule;
  holds_.push_back(h);
  return h->id;
}

bool HoldTable::Remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(holds_.begin(), holds_.end(), [&](const auto& h) { return h->id == id; });
  if (it == holds_.end()) return false;
  (*it)->released = true;
  holds_.erase(it);
  changed_.notify_all();
  return true;
}

void HoldTable::ReleaseAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& h : holds_) h->released = true;
  holds_.clear();
  changed_.notify_all();
}

bool HoldTable::Matches(const Hold& h, HoldStage stage, const std::string& api, const std::string& method,
                        const std::string& path) const {
  const HoldRule& r = h.rule;
  if (r.stage != stage) return false;
  if (!r.api.empty() && r.api != api) return false;
  if (r.method == "mutating" ? !FaultInjector::IsMutating(method) : (!r.method.empty() && r.method != method)) return false;
  return path.compare(0, r.path_prefix.size(), r.path_prefix) == 0;
}

void HoldTable::Gate(HoldStage stage, const std::string& api, const std::string& method, const std::string& path) {
  std::unique_lock<std::mutex> lock(mu_);
  if (holds_.empty()) return;
  std::shared_ptr<Hold> keep;
  for (auto& h : holds_) {
    if (!Matches(*h, stage, api, method, path)) continue;
    int n = ++h->matched;
    bool holds_it = n > h->rule.skip && (h->rule.count == 0 || n <= h->rule.skip + h->rule.count);
    if (holds_it && !keep) keep = h;
  }
  if (keep) {
    keep->held++;
    keep->total_held++;
  }
  changed_.notify_all();  // Wait() callers see the new counts once this thread waits or returns
  if (!keep) return;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(keep->rule.max_s);
  changed_.wait_until(lock, deadline, [&] { return keep->released; });
  keep->held--;
  changed_.notify_all();
}

nlohmann::json HoldTable::HoldJson(const Hold& h) const {
  const HoldRule& r = h.rule;
  nlohmann::json j = {{"id", h.id},
                      {"api", r.api},
                      {"method", r.method},
                      {"path_prefix", r.path_prefix},
                      {"skip", r.skip},
                      {"count", r.count},
                      {"stage", r.stage == HoldStage::kBefore ? "before" : "after"},
                      {"max_s", r.max_s},
                      {"matched", h.matched},
                      {"held", h.held},
                      {"total_held", h.total_held}};
  return j;
}

nlohmann::json HoldTable::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& h : holds_) list.push_back(HoldJson(*h));
  return {{"holds", list}};
}

bool HoldTable::Wait(const std::string& id, int held, int matched, double timeout_s, nlohmann::json* out) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = std::find_if(holds_.begin(), holds_.end(), [&](const auto& h) { return h->id == id; });
  if (it == holds_.end()) return false;
  std::shared_ptr<Hold> h = *it;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  bool met = changed_.wait_until(lock, deadline, [&] {
    return h->released || (h->held >= held && h->matched >= matched);
  });
  *out = HoldJson(*h);
  (*out)["met"] = met && !h->released;
  return true;
}

}  // namespace cloudsim
