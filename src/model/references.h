// References between resources inside attribute strings. Their values come
// from a caller-supplied resolver (ResolveReferencesWith); resolution against
// recorded state is state/references.h, so this module knows no state.
//
//   ${tiers.cassandra.private_ips}   comma-separated private IPs of tier cassandra
//   ${tiers.cassandra.public_ips}    likewise public IPs ("ips" = private, else public)
//   ${tiers.cassandra.names}         cloud names
//   ${tiers.cassandra.count}         number of instances
//   ${tiers.monitoring.private_ip}   the first instance's private IP (public_ip likewise)
//   ${tiers.api.lb_ip}               the tier's load balancer address
//   ${ref:ADDRESS.OUTPUT}            one output of one resource, e.g. ${ref:network.main.id}
//
// Resolution rules (ResolveReferencesWith; what each reference resolves to
// is the resolver's, e.g. state/references.h):
//   - a string that is exactly one reference whose value is not a string
//     (e.g. an array output) is replaced by that JSON value; elsewhere values
//     are converted to text (arrays joined with ",");
//   - "$${" is an escape and becomes a literal "${"; other ${...} forms
//     (not tiers./ref:) are left untouched.
//
// Output keys providers report (ObservedResource::outputs, kept in state):
//   every kind: "id"; instance: "private_ip", "public_ip", "status";
//   instance_group: "instances": [{"name","private_ip","public_ip"}];
//   load_balancer: "ip"; floating_ip: "ip"; network: "id"; image: "id"; ssh_key: "id", "fingerprint".
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/resource.h"
#include "util/status.h"

namespace orch::model {

// Addresses an attribute tree depends on through references (tiers expand to
// the tier's instance/group addresses present in `known`).
std::vector<std::string> ReferencedAddresses(const nlohmann::json& attributes,
                                             const std::vector<Address>& known);

// The reference forms, as they start inside ${ }. ${seeds:T.instance[I]:N}
// (what ${self.seeds:N} expands to) is a creation input only: the private
// IPs of up to N other members of tier T, by index, as state holds them
// when instance I is made; its dependency edges are those of
// ${self.prior_private_ips:N}.
inline constexpr std::string_view kTiersPrefix = "tiers.";
inline constexpr std::string_view kRefPrefix = "ref:";
inline constexpr std::string_view kSeedsPrefix = "seeds:";

// True for an expression (without ${ }) of one of the forms above.
bool IsReferenceExpression(std::string_view expression);

// A parsed ${seeds:...} expression.
struct SeedsReference {
  Address member;  // the instance being made
  int count = 0;   // N
};
Result<SeedsReference> ParseSeedsReference(std::string_view expression);

// Resolves references with a caller-supplied function (given the expression
// without ${ }); the first error returned by `resolve` is returned. The
// engine resolves against state (state::Resolver); the planner marks values
// that are only known after apply.
using ReferenceResolver = std::function<Result<nlohmann::json>(std::string_view expression)>;
Result<nlohmann::json> ResolveReferencesWith(const nlohmann::json& attributes, const ReferenceResolver& resolve);

// A resolved value as text inside a longer string: strings as is, arrays
// joined with ",", null as "", anything else as JSON.
std::string ValueText(const nlohmann::json& v);

// True when the text contains at least one ${tiers.} or ${ref:} reference.
bool HasReferences(std::string_view text);

// The reference expressions (without ${ }) in every string inside `value`,
// in order ("$${" escapes are not references).
std::vector<std::string> ReferenceExpressions(const nlohmann::json& value);

// Per-instance values ("self"), substituted into one instance's (or native
// group's) attributes when the spec is expanded, so that instances of one
// tier can differ and reference each other without a tier-level cycle:
//   ${self.index}     the instance index ("0", "1", ...)
//   ${self.name}      its cloud name          ${self.tier}   the tier name
//   ${self.provider}  the provider's spec key ${self.region} ${self.zone}
//   ${self.prior_private_ips:N}
//                     the private IPs of the instances of the same tier with
//                     index < min(self.index, N), written as
//                     ${ref:T.instance[j].private_ip} references joined with
//                     "," (empty for instance 0). Being ref: references they
//                     become dependency edges: instance 1 waits for 0, and
//                     instances >= N wait for 0..N-1.
//   ${self.seeds:N}   seeds for a node joining a ring: the same edges, but
//                     the value is up to N private IPs of the tier's *other*
//                     members in state when it is made (at the first deploy
//                     the prior ones; for a node made again, the surviving
//                     ones). Kept as recorded afterwards, never stale.
//                     Cassandra seeds use N=2.
// A native group (index -1) has no index: ${self.index} and
// ${self.prior_private_ips:N} are InvalidArgument there. "$${" is kept as
// is (ResolveReferencesWith turns it into "${" later).
// When the attributes hold user_data {template, vars} and vars has no
// "self" key, vars["self"] is set to {index (instances only), name, tier,
// provider, region, zone} as strings, so a template can write ${self.index}
// (template/render.h) without the spec passing it. These values reference
// nothing, so they add no dependency.
struct SelfValues {
  std::string tier;
  int index = -1;  // -1: a native instance group
  std::string name, provider, region, zone;
  // ${self.deployment}: substituted in spec vars only; not part of the `self`
  // object templates see (which state records for every instance).
  std::string deployment;
};
Result<nlohmann::json> ExpandSelfReferences(const nlohmann::json& attributes, const SelfValues& self);

// The attribute names ${self.NAME} accepts (prior_private_ips takes ":N").
const std::vector<std::string>& SelfAttributes();

}  // namespace orch::model
