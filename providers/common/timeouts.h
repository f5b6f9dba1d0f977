// A tier's `timeouts` (model::kTimeoutsAttribute) as providers read them:
// the deadline of a create or a delete of one resource, else the kind's
// default (docs/providers/<cloud>.md). They change no cloud object, so they
// are left out of every diff.
#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/provider.h"
#include "model/resource.h"

namespace orch::providers::common {

// The deadline of a create or a delete (model::TimeoutMs).
using model::TimeoutMs;

// How long a wait of the change `ctx` applies may take: the tier's timeout
// for the change (ApplyContext::timeout_ms) when it sets one, else the
// kind's `default_ms`.
inline int64_t WaitMs(const engine::ApplyContext& ctx, int64_t default_ms) {
  return ctx.timeout_ms > 0 ? ctx.timeout_ms : default_ms;
}

// `attributes` without the timeouts.
nlohmann::json WithoutTimeouts(const nlohmann::json& attributes);

}  // namespace orch::providers::common
