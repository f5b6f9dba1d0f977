#include "providers/common/observed.h"

#include <utility>

namespace orch::providers::common {

engine::ObservedResource Observed(const std::string& id, const std::string& name, nlohmann::json outputs) {
  engine::ObservedResource o;
  o.id = id;
  o.cloud_name = name;
  o.outputs = std::move(outputs);
  return o;
}

}  // namespace orch::providers::common
