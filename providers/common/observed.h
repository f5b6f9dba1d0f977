// Building the ObservedResource a provider returns from a cloud object.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/provider.h"

namespace orch::providers::common {

// A resource known by its cloud id and name, with `outputs`; address, kind,
// tags and attributes are left for the caller (or the engine) to fill.
engine::ObservedResource Observed(const std::string& id, const std::string& name,
                                  nlohmann::json outputs = nlohmann::json::object());

}  // namespace orch::providers::common
