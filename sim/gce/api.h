// cloudsim's model of the Google Compute Engine v1 API, its OAuth2 token
// endpoint and the instance metadata server. See docs/cloudsim.md, "## GCE".
#pragma once

#include <memory>

#include "core/api.h"

namespace cloudsim {

// Builds the GCE API on `ctx` (which must outlive it). Reads optional
// settings from the environment: CLOUDSIM_GCE_PROJECT, CLOUDSIM_GCE_CPUS_QUOTA,
// CLOUDSIM_GCE_REQUESTS_PER_MINUTE, CLOUDSIM_GCE_EXHAUSTED_ZONES.
std::unique_ptr<cloudsim::Api> MakeGceApi(cloudsim::SimContext* ctx);

}  // namespace cloudsim
