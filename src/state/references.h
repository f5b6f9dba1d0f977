// Resolution of ${tiers.X.attr} and ${ref:ADDRESS.OUTPUT} references
// (model/references.h) against recorded state: the values the engine
// substitutes into attributes and user-data templates at apply time.
//
// Rules (the syntax and the "$${" escape are model/references.h's):
//   - tier lists come from the tier's instances in state (X.instance[i] in
//     index order) or, when there are none, from the X.group "instances"
//     output; lists are joined with ","; "ips" takes each instance's
//     private_ip, falling back to its public_ip;
//   - ${ref:A.id} falls back to the state's id, ${ref:A.name} to cloud_name;
//   - NotFound (naming the reference) when a referenced resource or output
//     is not in state yet ("known after apply" at plan time).
// Stateless and thread-safe; `state` is only read.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "model/references.h"
#include "state/state.h"
#include "util/status.h"

namespace orch::state {

// One expression without its ${ }: "tiers.db.private_ips" or
// "ref:network.main.id". InvalidArgument when it is neither form.
Result<nlohmann::json> ResolveReference(std::string_view expression, const State& state);

// Replaces every reference in string values with its value from `state`
// (model::ResolveReferencesWith with ResolveReference).
Result<nlohmann::json> ResolveReferences(const nlohmann::json& attributes, const State& state);

// ResolveReference bound to `state`, for code that takes a
// model::ReferenceResolver (template rendering). `state` must outlive it.
model::ReferenceResolver Resolver(const State& state);

}  // namespace orch::state
