// Outputs: what users need after a deploy (addresses per tier, load
// balancer and floating IPs), computed from recorded state.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "state/state.h"

namespace orch::cli {

// {"tiers": {"api": {"instances": [{"address","name","private_ip","public_ip"}],
//                    "load_balancer_ip": "...", "floating_ips": ["..."]}}}
nlohmann::json ComputeOutputs(const state::State& state);

// Human text: one block per tier.
std::string FormatOutputs(const nlohmann::json& outputs);

}  // namespace orch::cli
