// Moves: renaming recorded resources without destroying them, for the
// spec's `moved:` section and `orchestrator state mv` (docs/spec.md#moved).
//
// A move's `from` and `to` are both tier names ("web" -> "front": every
// recorded address of tier web moves to the same address in tier front) or
// both resource addresses of one kind ("cassandra.instance[2]" ->
// "cassandra.instance[5]": that resource alone; its volumes and floating IP
// have addresses of their own). Moving renames the record, its intent, and
// every recorded depends_on entry and string value (attributes, outputs)
// equal to a moved address; a moved record's attributes naming its tier
// (a "tier" or "group" key: a load balancer's targets.tier, a group
// member's group) name the new tier. The cloud object keeps its name and its tags:
// Refresh maps it to the new address by its recorded id (engine/refresh.h).
//
// Plain functions over values; thread-compatible.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "model/resource.h"
#include "state/state.h"
#include "util/diagnostic.h"
#include "util/status.h"

namespace orch::state {

struct Move {
  std::string from;   // tier name or resource address
  std::string to;
  SourceRange where;  // the spec entry; unknown for `state mv`
};

// One recorded address renamed.
struct MovedAddress {
  std::string from;
  std::string to;
  friend bool operator==(const MovedAddress&, const MovedAddress&) = default;
};

// Checks moves against the resources the spec declares (every desired
// address): each `from`/`to` is a valid tier name or address, both sides are
// of one sort (tier or address) and, for addresses, of one kind; `to` is
// declared (a tier with resources, or that address) and `from` no longer is.
// One error per problem, at the move's `where`.
Diagnostics CheckMoves(const std::vector<Move>& moves, const std::set<std::string>& declared);

// Applies `moves` to `state`, in order. A move whose `from` is not in state
// is skipped (it was applied before, or there is nothing to move), unless
// `require_from` is set (then NotFound). InvalidArgument, prefixed with the
// move's location when known, when `from` and `to` are equal, are not of one
// sort or kind, or when a moved address is already recorded (another
// resource sits there). On error `state` is unchanged. Returns the recorded
// addresses moved, in the order applied.
Result<std::vector<MovedAddress>> ApplyMoves(const std::vector<Move>& moves, State* state,
                                             bool require_from = false);

// Renames exactly these recorded addresses (a saved plan's moves), with the
// same conflict checks; NotFound when a `from` is not recorded. On error
// `state` is unchanged.
Status MoveAddresses(const std::vector<MovedAddress>& moved, State* state);

// A moved resource keeps its cloud identity: renaming the cloud object
// would replace it, and re-tagging would hide it from discovery (clouds find
// firewalls and load balancers by name and tier tag). A record whose
// address tag (as recorded: the one the cloud object was created with) names
// another address was moved; for each such desired resource whose cloud name
// differs from the recorded one, the recorded cloud name is kept (in `cloud_name` and wherever an attribute string equals the
// new name), and so are the instance facts its user data was rendered with
// (user_data.vars.self, which the machine booted with). The tier's cloud tag
// stays too: where a moved resource records another `target_tag` (or load
// balancer `targets.tag`) than desired, that recorded tag replaces the new
// one in every desired resource (firewall sources of other tiers, members
// added to the tier later).
void KeepRecordedNames(const State& state, std::vector<model::Resource>* desired);

}  // namespace orch::state
