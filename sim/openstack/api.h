// cloudsim's emulation of an OpenStack cloud: Keystone v3, Nova v2.1,
// Neutron v2.0, Glance v2, Cinder v3 and Octavia v2, all served by the one
// cloudsim server under distinct path prefixes (/identity, /compute,
// /network, /image, /volume, /load-balancer). See docs/cloudsim.md.
#pragma once

#include <memory>

#include "core/api.h"

// Builds the OpenStack Api. `ctx` must outlive it. Thread-safe once built.
std::unique_ptr<cloudsim::Api> MakeOpenStackApi(cloudsim::SimContext* ctx);
