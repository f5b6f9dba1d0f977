// Provider-neutral resources: what a spec expands into (model/expand.h) and
// what providers create. Addresses are immutable values.
//
// Address syntax:  [TIER.]KIND[.NAME][[INDEX]]
//   network.main            a top-level network named main
//   image.ubuntu            a top-level image
//   ssh_key.ops@do          ssh key "ops" as uploaded to provider instance
//                           "do": keys are per provider, so a key used by tiers
//                           on two providers is two resources (ops@do, ops@gcp)
//   api.instance[2]         the third instance of tier api
//   api.group               the instance group of tier api
//   api.lb                  the load balancer of tier api
//   api.firewall            the firewall of tier api
//   cassandra.volume.data[1]  volume "data" of cassandra.instance[1]
//   api.fip[0]              the floating IP of api.instance[0]
//
// Inside an address the kinds are spelled network, image, ssh_key (top
// level) and instance, group, lb, firewall, volume, fip (per tier); KindName
// gives the longer names used in state and by providers. Names, tiers and
// providers are [A-Za-z0-9_-]+; an index is a non-negative decimal without
// leading zeros. A tier must not be called network, image or ssh_key.
// Parse(ToString(a)) == a for every valid address.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace orch::model {

enum class Kind {
  kNetwork,
  kFirewall,
  kSshKey,
  kImage,
  kInstance,
  kInstanceGroup,
  kVolume,
  kFloatingIp,
  kLoadBalancer,
};

// "network", "firewall", "ssh_key", "image", "instance", "instance_group",
// "volume", "floating_ip", "load_balancer".
std::string_view KindName(Kind kind);
std::optional<Kind> KindFromName(std::string_view name);

struct Address {
  std::string tier;  // empty for top-level kinds
  Kind kind = Kind::kInstance;
  std::string name;  // top-level name, or volume name
  int index = -1;    // -1 when not indexed

  std::string ToString() const;
  static Result<Address> Parse(std::string_view text);

  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address& a, const Address& b) { return a.ToString() <=> b.ToString(); }
};

// Tag/label keys every created resource carries (providers encode them in
// the cloud's own tag/label syntax).
inline constexpr std::string_view kTagDeployment = "orchestrator-deployment";
inline constexpr std::string_view kTagAddress = "orchestrator-address";
inline constexpr std::string_view kTagTier = "orchestrator-tier";

// The attribute holding a tier's `timeouts` on each of its resources:
// {"create_ms": N, "delete_ms": N}, either key absent for the provider's
// default. Bookkeeping: changing it changes no cloud object.
inline constexpr std::string_view kTimeoutsAttribute = "timeouts";

// The deadline in milliseconds of `which` ("create", which bounds updates
// too, or "delete") for a resource with `attributes`: the tier's timeout
// when it sets one, else `default_ms`.
int64_t TimeoutMs(const nlohmann::json& attributes, std::string_view which, int64_t default_ms);

// A resource as the spec wants it.
struct Resource {
  Address address;
  std::string provider;    // provider instance name (spec providers: key)
  std::string cloud_name;  // deterministic name, e.g. "demo-api-2"
  std::map<std::string, std::string> tags;  // kTag* keys and values
  // Kind-specific neutral attributes (docs/architecture.md lists them).
  // String values may contain ${tiers.X.attr} / ${ref:ADDRESS.output}
  // references, resolved by the engine just before apply.
  nlohmann::json attributes = nlohmann::json::object();
  std::vector<Address> depends_on;
};

}  // namespace orch::model
