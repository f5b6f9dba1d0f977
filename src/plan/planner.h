// Planner: desired resources (model::Expand) + recorded State + what the
// clouds report (Provider::Discover, run by the caller) -> Plan.
//
// Deploy rules, per address:
//   desired, in state, observed      resolve references against the state, lay
//                                    the attributes the cloud reports over the
//                                    recorded ones (drift: those `diff` tells
//                                    apart) and ask `diff`: no-op, update or
//                                    replace, with changed_keys and drift
//   desired, in state, not observed  create ("deleted outside orchestrator")
//   desired, not in state, observed  adopt (e.g. an intent left by a killed run)
//   desired only                     create ("not in state")
//   in state, not desired            delete ("not in the spec")
//   observed with our tags, neither desired nor in state, or a second
//   resource claiming a recorded address   delete ("orphan: ...")
// Creation inputs: a user_data var that takes its value from other resources
// (seeds, contact points, targets) is what the instance booted with. When
// only such values differ, the instance is a no-op marked stale (the recorded
// values are kept); a change of the template, its digest or a literal var
// still replaces. PlanInput::replace forces a replace. A ${seeds:...} var
// (self.seeds:N) is kept as recorded without being stale.
// Known after apply: a reference to a resource that this plan creates or
// replaces (or to a tier whose members change) cannot be resolved yet; the
// value is "(known after apply)", so the dependent differs from its prior
// and `diff` decides update or replace. A reference missing from state whose
// target is not changing is treated as unchanged (the prior value is kept).
//
// Change::depends_on: for create/update/replace/adopt/no-op, the desired
// resource's dependencies; for a delete, the other deletes that must happen
// first (those that depended on it in state; for observed-only resources,
// by kind: floating IPs, then load balancers and firewalls, volumes,
// instances and groups, ssh keys and images, networks last).
//
// Teardown: every resource in state and every one observed is deleted, in
// that reverse order.
//
// Stateless and thread-safe; `diff` is called from the calling thread only.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/resource.h"
#include "plan/diff_decision.h"
#include "plan/plan.h"
#include "state/state.h"
#include "util/status.h"

namespace orch::plan {

// The text a reference becomes when its value is only known after apply.
inline constexpr std::string_view kKnownAfterApply = "(known after apply)";

// Decides how `prior` becomes `desired` (whose references are resolved).
using DiffFunction = std::function<DiffDecision(const model::Resource& desired, const state::ResourceState& prior)>;

struct PlanInput {
  std::string deployment;
  std::vector<model::Resource> desired;  // from model::Expand; ignored by MakeTeardownPlan
  state::State state;                    // as stored (outputs may already be refreshed)
  // What Discover returned, by provider instance name. ResourceState is used
  // as the neutral form of an observed resource: address (from the address
  // tag, may be empty), kind, id, cloud_name, tags, attributes, outputs.
  std::map<std::string, std::vector<state::ResourceState>> observed;
  // False when no provider was asked (offline plan): the state is trusted,
  // nothing is "deleted outside orchestrator" and no orphan is found.
  bool refreshed = true;
  // Whether Discover on `provider` reports resources of `kind` at all (some
  // clouds cannot tag, e.g. ssh keys); when false, the state is trusted for
  // them. Empty: every kind is reported. Image lookups (attribute
  // lookup: true) are never owned, so never expected in Discover's answer.
  std::function<bool(const std::string& provider, model::Kind kind)> observable;
  DiffFunction diff;  // empty: equal attributes -> no-op, else replace
  // Addresses to replace even when nothing changed (`deploy --replace`).
  std::set<std::string> replace;
  // Desired resources not in state that the cloud already holds and a create
  // would reuse (engine Provider::FindReusable): address -> what was found.
  // Planned as reads, like lookups.
  std::map<std::string, std::string> reusable;
  std::string spec_digest;
};

// InvalidArgument for duplicate desired addresses, dependencies on unknown
// addresses, dependency cycles ("dependency cycle: a -> b -> a") and bad
// references.
Result<Plan> MakePlan(const PlanInput& input);
Result<Plan> MakeTeardownPlan(const PlanInput& input);

}  // namespace orch::plan
