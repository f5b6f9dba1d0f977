// A tier's `timeouts` (model::kTimeoutsAttribute) as providers read them:
// the deadline of a create or a delete of one resource, else the kind's
// default (docs/providers/<cloud>.md). They change no cloud object, so they
// are left out of every diff.
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

namespace orch::providers::common {

// The deadline in milliseconds of `which` ("create", which bounds updates
// too, or "delete") for a resource with `attributes`: the tier's timeout
// when it sets one, else `default_ms`.
int64_t TimeoutMs(const nlohmann::json& attributes, std::string_view which, int64_t default_ms);

// `attributes` without the timeouts.
nlohmann::json WithoutTimeouts(const nlohmann::json& attributes);

}  // namespace orch::providers::common
