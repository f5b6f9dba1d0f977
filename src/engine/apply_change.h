// ApplyChange: carries out ONE plan::Change against its provider and records
// the result through the StateWriter. Internal to the engine; the Executor
// decides when each change runs.
//
// Per action:
//  create   resolve references from the current State, journal an Intent
//           ("create", attempt n) and persist, Provider::Create, then record
//           the ResourceState, drop the Intent and persist. On failure the
//           Intent stays: the next plan finds the resource by its tags (if it
//           was created after all) and adopts it.
//  update   resolve references, Provider::Update, record, persist.
//  replace  delete then create (never create-before-delete: cloud names are
//           deterministic, so the old and new resource would clash on
//           providers that require unique names). Between the two steps the
//           address is absent from State; if the create fails, the next plan
//           creates it.
//  delete   journal an Intent ("delete") and persist, Provider::Delete, then
//           erase the resource and its Intent, persist.
//  adopt    record the observed resource (Change::prior) in State, drop any
//           Intent for the address, persist. No API call.
// Thread-safe: many ApplyChange calls run at once (on different addresses).
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/observer.h"
#include "engine/provider.h"
#include "engine/state_writer.h"
#include "env/clock.h"
#include "plan/plan.h"
#include "state/state.h"
#include "util/status.h"

namespace orch::engine {

// Turns the (reference-resolved) attributes' "user_data" value into what the
// provider receives, e.g. renders {template, vars} into a string. Returns
// the attributes to hand to the provider.
using UserDataRenderer =
    std::function<Result<nlohmann::json>(const nlohmann::json& attributes, const state::State& state)>;

struct ChangeEnv {
  Provider* provider = nullptr;  // null only for adopt when the provider is not configured
  StateWriter* writer = nullptr;
  Observer* observer = nullptr;
  env::Clock* clock = nullptr;
  const std::atomic<bool>* cancelled = nullptr;
  UserDataRenderer render_user_data;  // empty = pass user_data as given
};

// OK when both the cloud and the stored State reflect the change. A write
// failure is also visible in env.writer->failure().
Status ApplyChange(const plan::Change& change, const ChangeEnv& env);

// "create", "update", ... (same words as plan::ActionName).
std::string_view ActionWord(plan::Action action);

}  // namespace orch::engine
