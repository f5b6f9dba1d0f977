#include "providers/common/timeouts.h"

#include <string>

#include "model/resource.h"

namespace orch::providers::common {

using nlohmann::json;

int64_t TimeoutMs(const json& attributes, std::string_view which, int64_t default_ms) {
  if (!attributes.is_object()) return default_ms;
  auto t = attributes.find(model::kTimeoutsAttribute);
  if (t == attributes.end() || !t->is_object()) return default_ms;
  auto v = t->find(std::string(which) + "_ms");
  if (v == t->end() || !v->is_number_integer() || v->get<int64_t>() <= 0) return default_ms;
  return v->get<int64_t>();
}

json WithoutTimeouts(const json& attributes) {
  if (!attributes.is_object() || !attributes.contains(model::kTimeoutsAttribute)) return attributes;
  json out = attributes;
  out.erase(std::string(model::kTimeoutsAttribute));
  return out;
}

}  // namespace orch::providers::common
