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

// The polling pace every provider takes from its settings: `poll_interval_ms`
// into *initial_ms and `poll_max_interval_ms` into *max_ms, each kept when
// unset. The maximum is raised to the initial interval when it is below it,
// so a spec that only sets a slow interval is not sped up by the default.
void ReadPollIntervals(const nlohmann::json& settings, int64_t* initial_ms, int64_t* max_ms);

}  // namespace orch::providers::common
