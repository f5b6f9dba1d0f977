// Outputs: what users need after a deploy (addresses per tier, load
// balancer and floating IPs), computed from recorded state.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "state/state.h"

namespace orch::cli {

// {"deployment": "...",
//  "tiers": {"api": {"instances": [{"address","name","private_ip","public_ip","provider"
//                                   [,"floating_ip"]}],
//                    "load_balancer_ip": "...", "floating_ips": ["..."]}}}
// An instance's "floating_ip" is the ip of T.fip[i] for T.instance[i].
nlohmann::json ComputeOutputs(const state::State& state);

// Human text: one block per tier.
std::string FormatOutputs(const nlohmann::json& outputs);

// Ansible INI inventory from ComputeOutputs: one group per tier ('-' and
// other characters outside [A-Za-z0-9_] become '_'), each host named by its
// cloud name with ansible_host (floating, else public, else private IP),
// private_ip, public_ip, provider and address (the orchestrator address),
// and a "<deployment>:children" group holding every tier group. Hosts
// without any address yet are listed as comments.
std::string FormatAnsibleInventory(const nlohmann::json& outputs);

// OpenSSH client configuration: one "Host <cloud name>" block per instance
// with HostName set like ansible_host (no User: it depends on the image).
std::string FormatSshConfig(const nlohmann::json& outputs);

}  // namespace orch::cli
