#include "providers/common/json_read.h"

#include <algorithm>

namespace orch::providers::common {

using nlohmann::json;

std::string Str(const json& j, const std::string& key, const std::string& fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return fallback;
}

std::string StringField(const json& j, const std::string& key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

nlohmann::json StringItems(const nlohmann::json& list) {
  nlohmann::json out = nlohmann::json::array();
  if (!list.is_array()) return out;
  for (const nlohmann::json& v : list)
    if (v.is_string()) out.push_back(v);
  return out;
}

nlohmann::json SortedStrings(const nlohmann::json& list) {
  nlohmann::json out = StringItems(list);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace orch::providers::common
