// cloudsim's model of the DigitalOcean v2 API. See docs/cloudsim.md,
// "## DigitalOcean", for routes, behaviours, latencies and what is not modelled.
#pragma once

#include <memory>

#include "core/api.h"

namespace cloudsim {

// Limits of the simulated account. Defaults are DigitalOcean's published
// ones (5,000 requests/hour, 250/minute) and a 25-droplet account limit.
struct DigitalOceanOptions {
  int requests_per_hour = 5000;
  int requests_per_minute = 250;
  int droplet_limit = 25;
  int reserved_ip_limit = 10;
};

// Builds the DigitalOcean API on `ctx` (which must outlive it). Reads
// optional overrides from the environment: CLOUDSIM_DO_REQUESTS_PER_HOUR,
// CLOUDSIM_DO_REQUESTS_PER_MINUTE, CLOUDSIM_DO_DROPLET_LIMIT,
// CLOUDSIM_DO_RESERVED_IP_LIMIT.
std::unique_ptr<cloudsim::Api> MakeDigitalOceanApi(cloudsim::SimContext* ctx);
// Same, with explicit limits (the environment is not read).
std::unique_ptr<cloudsim::Api> MakeDigitalOceanApi(cloudsim::SimContext* ctx, const DigitalOceanOptions& options);

}  // namespace cloudsim
