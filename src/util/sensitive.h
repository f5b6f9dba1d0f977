// Sensitive user_data values. A user_data var whose value comes from
// ${env:} or ${file:} (a read-only API token, a password) is a secret: the
// expanded spec, and so plans and state, hold only a marker
//   {"sensitive": "sha256:<hex of the value>"}
// and the value itself stays in memory (spec::Spec::sensitive) until user
// data is rendered for the cloud. A changed value changes the marker, so it
// is still a change of the instance's creation inputs.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace orch {

// Marker digest ("sha256:<hex>") -> value.
using SensitiveValues = std::map<std::string, std::string>;

// The marker for `value`; records the value in *values.
nlohmann::json SensitiveMarker(const std::string& value, SensitiveValues* values);
bool IsSensitiveMarker(const nlohmann::json& v);
// Whether `v` holds a marker at any depth.
bool HasSensitive(const nlohmann::json& v);

// `v` with every marker (at any depth) replaced by its value. A marker whose
// value is not in `values` (the spec no longer gives it) is an error naming
// no value.
Result<nlohmann::json> RevealSensitive(const nlohmann::json& v, const SensitiveValues& values);
// `v` with every marker replaced by the string `mask`, for output a person reads.
nlohmann::json MaskSensitive(const nlohmann::json& v, std::string_view mask);

}  // namespace orch
