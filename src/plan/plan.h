// Plan: what deploy or teardown will do, change by change. Produced by the
// planner (planner.h), printed by the CLI, saved with `plan --out` and
// applied exactly by the engine. Immutable once built.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/resource.h"
#include "state/moves.h"
#include "state/state.h"
#include "util/status.h"

namespace orch::plan {

enum class Action {
  kNoop,     // exists and matches
  kCreate,
  kUpdate,   // in place
  kReplace,  // delete then create (create-before-delete where the kind allows)
  kDelete,
  kAdopt,    // exists in the cloud with our tags but not in state: record it
  kRead,     // a lookup (an image by source, an existing network): found, never made
};

std::string_view ActionName(Action a);  // "no-op","create","update","replace","delete","adopt","read"
std::optional<Action> ActionFromName(std::string_view name);

struct Change {
  std::string address;
  model::Kind kind = model::Kind::kInstance;
  Action action = Action::kNoop;
  std::string provider;        // provider instance name
  std::string reason;          // "not in state", "size changed", "orphan: carries the deployment tag", ...
  // For create/update/replace/adopt: the desired resource (references unresolved).
  model::Resource desired;
  // For update/replace/delete/adopt/noop: what state (or the cloud) holds.
  state::ResourceState prior;
  std::vector<std::string> changed_keys;  // attribute keys that differ
  std::vector<std::string> depends_on;    // addresses this change waits for (already in apply order)
  // Attributes the cloud reports differently from what state records,
  // changed outside orchestrator: key -> the live value (in the provider's
  // neutral form). Apply hands these to Provider::Update as the prior values.
  nlohmann::json drift = nlohmann::json::object();
  // True when the change exists because of something done outside
  // orchestrator: drift, a resource deleted outside, a recorded id gone, an
  // orphan. `plan --refresh-only` shows only these.
  bool outside = false;
  // For a no-op or update: why the resource is stale, i.e. which values it
  // took from other resources at creation (user_data vars) have changed
  // since ("cassandra.instance[0] private_ip changed"). It keeps them until
  // `deploy --replace` rebuilds it.
  std::string stale;
};

struct Plan {
  std::string deployment;
  bool teardown = false;
  std::string state_lineage;
  uint64_t state_serial = 0;  // the state this plan was computed against
  std::string spec_digest;    // sha256 of the spec's normalized content ("" for teardown)
  std::vector<Change> changes;  // every address, noop included, sorted by address
  // Recorded addresses renamed by the spec's `moved:` section, applied to
  // the state before planning (the changes use the new addresses) and
  // written to it first on apply.
  std::vector<state::MovedAddress> moved;

  struct Summary {
    int create = 0, update = 0, replace = 0, destroy = 0, adopt = 0, noop = 0, moved = 0;
    int read = 0;
    int stale = 0;  // no-ops and updates marked stale
  };
  Summary Summarize() const;
  bool HasChanges() const;  // any change but no-op, or any move
  // This plan with only the changes something done outside orchestrator
  // caused (Change::outside): what `plan --refresh-only` reports.
  Plan OutsideOnly() const;

  // The stable `plan --json` format (format_version 1), documented in
  // plan.cc and docs/plan-format.md. FromJson validates every field and
  // returns InvalidArgument naming the first bad one.
  nlohmann::json ToJson() const;
  static Result<Plan> FromJson(const nlohmann::json& j);
};

}  // namespace orch::plan
