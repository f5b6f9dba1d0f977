// Provider settings and environment variables, read the same way by every
// provider so that a setting written one way works for all of them.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace orch::providers::common {

// The environment variable `name`, "" when it is unset.
std::string EnvOr(const char* name);

// A duration in milliseconds from the provider settings: an integer, or a
// string holding one (a spec may quote it: `poll_interval_ms: "250"`).
// Missing, of another type or not a number: `fallback`.
int64_t SettingMs(const nlohmann::json& settings, const char* key, int64_t fallback);

}  // namespace orch::providers::common
