// A load balancer's `listeners` in the spec's neutral form, as every cloud's
// handler compares them: lower-case protocols, the defaults filled in
// (protocol http, port 80, target protocol and port those of the listener),
// in a stable order.
#pragma once

#include <nlohmann/json.hpp>

namespace orch::providers::common {

nlohmann::json CanonicalListeners(const nlohmann::json& listeners);

}  // namespace orch::providers::common
