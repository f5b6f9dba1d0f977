#include "providers/common/timeouts.h"

#include <string>

#include "model/resource.h"

namespace orch::providers::common {

using nlohmann::json;

json WithoutTimeouts(const json& attributes) {
  if (!attributes.is_object() || !attributes.contains(model::kTimeoutsAttribute)) return attributes;
  json out = attributes;
  out.erase(std::string(model::kTimeoutsAttribute));
  return out;
}

}  // namespace orch::providers::common
