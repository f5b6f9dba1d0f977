// Refresh: what the cloud holds for one deployment, read without mutating it.
//
// Calls Provider::Discover(deployment) on every provider of the set at once
// (one thread per provider), then sorts what came back:
//  * by_address: resources whose address tag parses as a model::Address;
//  * unknown:    resources carrying the deployment tag but no address tag, or
//                one that does not parse (left over from another version, or
//                tampered with); never adopted automatically;
//  * duplicates: a second (third...) resource claiming an address already
//                seen (e.g. a create retried by hand); by_address keeps the
//                one whose id the State records, else the first reported.
// When `state` is given, a resource whose id the state records under another
// address than its address tag names (it was moved, state/moves.h) is
// reported under the recorded address. Recorded resources that were observed get their
// outputs (IPs, status...) and id updated in place from the cloud, so
// references resolve to current values; the caller decides whether to
// persist. Recorded resources not observed are listed in `missing`.
//
// Any Discover failure fails the whole refresh (planning on a partial view
// could delete or duplicate resources): the Status names the provider.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/observer.h"
#include "engine/provider.h"
#include "engine/provider_set.h"
#include "state/state.h"
#include "util/status.h"

namespace orch::engine {

struct RefreshResult {
  std::map<std::string, ObservedResource> by_address;
  // Every resource by provider instance name, as Discover returned them.
  std::map<std::string, std::vector<ObservedResource>> by_provider;
  std::vector<ObservedResource> unknown;
  std::vector<ObservedResource> duplicates;
  std::vector<std::string> missing;  // in state, not observed
  int outputs_updated = 0;           // recorded resources whose outputs/id changed
};

// `observer` may be null. `state` may be null (nothing is updated then).
Result<RefreshResult> Refresh(const ProviderSet& providers, const std::string& deployment,
                              state::State* state, Observer* observer);

}  // namespace orch::engine
