// The DigitalOcean kinds, one handler each, in a file named after it:
//   vpc.cc            network -> VPC (created, or an existing one looked up)
//   ssh_key.cc        ssh_key -> account key (reused by fingerprint)
//   image.cc          image   -> slug, id or snapshot name (looked up)
//   droplet.cc        instance -> droplet (multi-create, shared polling)
//   volume.cc         volume  -> block storage volume (attached, grows)
//   reserved_ip.cc    floating_ip -> reserved IP (assigned)
//   firewall.cc       firewall -> cloud firewall (rules, target tag)
//   load_balancer.cc  load_balancer (forwarding rules, health check, tag)
// Each also holds what Discover needs to report its kind's live attributes
// (drift.h).
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/provider.h"
#include "providers/common/resource_handler.h"
#include "providers/digitalocean/api.h"

namespace orch::providers::digitalocean {

std::unique_ptr<common::ResourceHandler> NewVpcHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewSshKeyHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewImageHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewDropletHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewVolumeHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewReservedIpHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewFirewallHandler(Api* api);
std::unique_ptr<common::ResourceHandler> NewLoadBalancerHandler(Api* api);

// A listed droplet as the engine sees it, for `deployment` (droplet.cc).
engine::ObservedResource ObserveDroplet(const nlohmann::json& droplet, const std::string& deployment);

// The address of a droplet created by a multi-create (which carries no
// address tag): "T.instance[i]" when it carries `deployment`'s tag and tier
// tag T and is named exactly CloudName(deployment, T, i); else "".
std::string BatchedDropletAddress(const std::string& name, const std::string& deployment,
                                  const std::map<std::string, std::string>& tags);

}  // namespace orch::providers::digitalocean
