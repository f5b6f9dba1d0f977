// The last step of every provider's Create and Delete: turning what one
// kind's code returned into the answer the engine expects, the same for
// every cloud.
#pragma once

#include <string>

#include "engine/provider.h"
#include "model/resource.h"
#include "util/status.h"

namespace orch::providers::common {

// A created resource as the engine records it: `created` (an error is
// prefixed with the address) completed from `desired` with its address and
// kind, its tags and cloud name where the kind's code left them empty, and
// outputs["id"], which references to the resource read.
Result<engine::ObservedResource> FinishCreate(Result<engine::ObservedResource> created,
                                              const model::Resource& desired);

// The answer of Delete for `address`: a resource already gone (NotFound)
// counts as deleted; any other error is prefixed with the address.
Status FinishDelete(const Status& deleted, const std::string& address);

}  // namespace orch::providers::common
