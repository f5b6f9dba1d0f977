#include "providers/common/settings.h"

#include <algorithm>
#include <cstdlib>

namespace orch::providers::common {

using nlohmann::json;

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

int64_t SettingMs(const json& settings, const char* key, int64_t fallback) {
  if (!settings.is_object()) return fallback;
  auto it = settings.find(key);
  if (it == settings.end()) return fallback;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (!it->is_string()) return fallback;
  try {
    return std::stoll(it->get<std::string>());
  } catch (...) {
    // Not a number ("fast", "") or out of range: the default stands.
    return fallback;
  }
}

void ReadPollIntervals(const json& settings, int64_t* initial_ms, int64_t* max_ms) {
  *initial_ms = SettingMs(settings, "poll_interval_ms", *initial_ms);
  *max_ms = std::max(*initial_ms, SettingMs(settings, "poll_max_interval_ms", *max_ms));
}

}  // namespace orch::providers::common
