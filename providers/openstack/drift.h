// What OpenStack reports back of the attributes orchestrator records, in the
// recorded form (engine::ObservedResource::attributes, for the planner's
// drift check), and the canonical form desired, recorded and live values
// are compared in by Diff.
//
// Reported per kind:
//   firewall       rules (the security group's ingress rules, in the spec's
//                  form: remote groups by name)
//   load_balancer  listeners (listener + default pool + members' port),
//                  health_check (the pools' health monitor, null when a pool
//                  has none), targets.private_ips (the pools' members)
//   volume         instance_id (the server it is attached to, "" if none)
//   floating_ip    instance_id (the server its port belongs to, "" if none)
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/common/listeners.h"

namespace orch::providers::openstack {

// Neutron ingress rules of one group as spec rules {protocol, ports,
// sources, source_tags}, one per Neutron rule; `group_names` maps a remote
// group id to its name (the tier's cloud tag).
nlohmann::json LiveRules(const std::vector<nlohmann::json>& neutron_rules,
                         const std::map<std::string, std::string>& group_names);

// An Octavia health monitor in the spec's form (no port: Octavia probes the
// member's port); null for none.
nlohmann::json LiveHealthCheck(const nlohmann::json* monitor);

// One listener in the spec's form: its protocol and port, the default
// pool's protocol and the members' port (null when the pool has none).
nlohmann::json LiveListener(const nlohmann::json& listener, const nlohmann::json* pool,
                            const std::vector<nlohmann::json>& members);

// Rules as a sorted list of what Neutron holds: one "protocol|min|max|source"
// per (rule, source); ports 1-65535 when a non-icmp rule names none, a bare
// IPv4 source as /32, 0.0.0.0/0 when a rule names no source. Two rule lists
// Neutron treats alike compare equal.
nlohmann::json CanonicalRules(const nlohmann::json& rules);

// A health check with the defaults the provider creates it with (tcp, 10 s,
// 5 s, 3, 3, path "/" for http and https only) and without the port; null
// stays null.
nlohmann::json CanonicalHealthCheck(const nlohmann::json& health_check);

// Listeners sorted, target protocol and port spelled out (a listener whose
// target port is unknown, null, takes its port).
using common::CanonicalListeners;

// Member addresses (a list or a comma-separated string) sorted and unique.
nlohmann::json CanonicalIps(const nlohmann::json& ips);

// The attributes of `kind` ("load_balancer", "firewall"; others as they
// are) in the form Diff compares them in: a load balancer's members become
// the key "targets.private_ips", apart from the rest of "targets".
nlohmann::json CanonicalAttributes(const std::string& kind, const nlohmann::json& attributes);

// A load balancer's attributes as read back (or recorded), with what Octavia
// does not report taken from `desired`: the target port of a listener whose
// pool has no members (null), the tier and tag of the targets.
nlohmann::json FillUnreported(const nlohmann::json& attributes, const nlohmann::json& desired);

}  // namespace orch::providers::openstack
