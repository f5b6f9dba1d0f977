// What DigitalOcean reports back of the attributes orchestrator records, in
// the recorded form, for the planner's drift check (engine::ObservedResource
// attributes), and the canonical form both are compared in.
//
// Reported per kind:
//   instance       size, region, target_tag (the tier tag the firewall and
//                  load balancer select on; "" when it was taken off)
//   firewall       rules (inbound), target_tag
//   volume         instance_id (the droplet it is attached to, "" if none)
//   floating_ip    instance_id (the droplet it is assigned to, "" if none)
//   load_balancer  listeners (forwarding rules), health_check
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "providers/common/listeners.h"

namespace orch::providers::digitalocean {

// A firewall's inbound rules as spec rules {protocol, ports, sources,
// source_tags}, and its target tag.
nlohmann::json LiveFirewallAttributes(const nlohmann::json& firewall);

// A load balancer's forwarding rules as spec listeners {protocol, port,
// target_port, target_protocol} and its health check in the spec's form.
nlohmann::json LiveLoadBalancerAttributes(const nlohmann::json& lb);

// Listeners sorted, and a health check without the path a tcp check
// ignores: two that DigitalOcean treats alike compare equal.
using common::CanonicalListeners;
nlohmann::json CanonicalHealthCheck(const nlohmann::json& health_check);

// Rules in one canonical form: ports "all" for an empty/"0"/full range, no
// ports for icmp, sources and source tags sorted, the default sources
// (0.0.0.0/0 and ::/0) spelled out when a rule names none, rules sorted.
// Two rule lists DigitalOcean treats alike compare equal.
nlohmann::json CanonicalFirewallRules(const nlohmann::json& rules);

}  // namespace orch::providers::digitalocean
