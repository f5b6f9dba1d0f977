// Expansion of a Spec into provider-neutral resources with stable addresses,
// deterministic cloud names, tags and dependencies.
//
// What each spec element becomes (attributes in braces; refs are ${ref:...}
// strings resolved just before apply, see references.h):
//   networks.N        network.N      {cidr, region}, or {existing, lookup: true, region}
//                                    for `existing: NAME`: a lookup of a network the cloud
//                                    already has (like an image lookup: never created, tagged
//                                    or deleted; providers only find it and forget it)
//   images.I          image.I        {source, lookup: true}, or
//                                    {source, packer, lookup: false} for a Packer artifact;
//                                    a lookup finds an existing image, so "deleting" one
//                                    only forgets it (providers must not delete the image)
//   ssh_keys.K        ssh_key.K@P    {public_key}, one per provider P whose tiers use K
//   tier T, client-side (no group, or a group on a provider without native
//   groups; then count = group.min):
//                     T.instance[i]  {size, image, region, zone, network, ssh_keys,
//                                     user_data: {template, vars}, group: "T" (group only),
//                                     target_tag}
//   tier T with a group on a provider with native groups:
//                     T.group        {min, max, cpu_target, + the instance attributes above
//                                     except group}
//   volumes V         T.volume.V[i]  {size_gb, type, region, zone, instance: "T.instance[i]",
//                                     instance_id: ${ref:T.instance[i].id}}
//   floating_ip       T.fip[i]       {region, instance, instance_id}
//   load_balancer     T.lb           {region, listeners: [{protocol, port, target_port,
//                                     target_protocol}], health_check: {...},
//                                     targets: {tier, tag, private_ips (client-side only)}}
//   firewall rules    T.firewall     {rules: [{protocol, ports, sources: [CIDR...],
//                                     source_tags: [tag...]}], target_tag, network}
//
//   timeouts          every resource of the tier: {..., timeouts: {create_ms, delete_ms}}
//                                    (kTimeoutsAttribute; the keys the spec sets, none
//                                    without `timeouts`)
//
// image is ${ref:image.I.id} when the tier names a key of images:, else the
// literal; network is ${ref:network.N.id}; ssh_keys are ${ref:ssh_key.K@P.id}.
// zone round-robins over the provider's zones (instance i gets zones[i % n];
// omitted when the provider lists none). target_tag "<deployment>-<tier>" is
// the cloud tag providers put on a tier's instances; firewalls and load
// balancers select instances by it (tier:X firewall sources become X's tag).
//
// Cloud names: <dep>-<net>, <dep>-<image>, <dep>-<key>, <dep>-<T>-<i>,
// <dep>-<T> (group), <dep>-<T>-lb, <dep>-<T>-fw, <dep>-<T>-<vol>-<i>,
// <dep>-<T>-fip-<i>; lowercased, other characters than [a-z0-9-] become '-',
// and names over 63 characters are cut and suffixed with a hash.
//
// ${self.*} in user_data vars is substituted per instance (or group) with
// ExpandSelfReferences (references.h), before dependencies are collected.
//
// Tags: kTagDeployment and kTagAddress on everything; kTagTier on tier
// resources. depends_on: the network, image and ssh keys used; every
// instance/group of the tiers named in depends_on or referenced by the tier;
// and every address the attributes reference (ReferencedAddresses).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/resource.h"
#include "spec/spec.h"
#include "util/diagnostic.h"

namespace orch::model {

// What expansion needs to know about a provider type (engine::Capabilities
// stays in the engine; the caller maps it).
struct ProviderTraits {
  bool native_instance_groups = false;
};

struct Expansion {
  std::vector<Resource> resources;            // sorted by address
  std::map<std::string, SourceRange> where;   // address -> spec location
};

// Reports problems the loader cannot see (features a provider lacks, cloud
// name clashes) as errors in *diags; the resources it could build are still
// returned.
Expansion Expand(const spec::Spec& spec,
                 const std::function<ProviderTraits(const std::string& provider_type)>& traits,
                 Diagnostics* diags);

// "<parts joined by '-'>" made into a valid cloud name (see above).
std::string CloudName(const std::vector<std::string>& parts);

}  // namespace orch::model
