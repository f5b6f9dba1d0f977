// Deployer: the use cases the CLI calls (plan a deploy, plan a teardown,
// apply a plan), wiring the StateStore lock, Refresh, the planner and the
// Executor together.
//
//  PlanDeploy / PlanTeardown: lock the state ("plan"), read it, Refresh from
//    every provider (outputs updated in memory only; nothing is written),
//    ask the planner, unlock. The plan records the state's serial and lineage.
//    PlanDeploy first checks every desired resource names a configured
//    provider whose Capabilities include its kind (InvalidArgument listing
//    every offender otherwise).
//    A deploy plan first applies DeployerOptions::moves to the state read
//    (state/moves.h; Refresh then finds the moved cloud objects by id) and
//    records the addresses moved in Plan::moved. Moved resources keep their
//    recorded cloud names (state::KeepRecordedNames).
//  Apply: lock ("deploy" or "teardown", waiting up to lock_timeout_ms), read
//    the state and refuse unless its serial and lineage are the plan's
//    ("state changed since this plan was made (serial X, now Y); run plan
//    again"). The plan's moves are written to the state first (one write,
//    serial bumped). When the plan has changes, Refresh again and persist updated
//    outputs (so references resolve to current IPs) and drop Intents whose
//    address is neither observed nor changed by the plan (a create that
//    failed cleanly and is no longer wanted), then run the Executor.
//    After a teardown that left no resource and no intent, the stored state
//    is deleted (StateStore::Delete) when delete_state_after_teardown is set.
//    The lock is released on every path.
//  RecordProviderSettings: keeps the non-secret provider settings in the
//    state (a teardown by --deployment reaches the clouds without the spec).
//    When the stored settings differ, locks ("deploy"), reads and writes
//    them through a StateWriter, the apply's one state-writing path.
//
// Thread-safety: one call at a time per Deployer. Providers and the store
// are not owned and must outlive it.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/observer.h"
#include "engine/provider_set.h"
#include "engine/refresh.h"
#include "env/clock.h"
#include "model/resource.h"
#include "plan/plan.h"
#include "state/moves.h"
#include "state/state.h"
#include "state/state_store.h"
#include "util/sensitive.h"
#include "util/status.h"

namespace orch::engine {

// Everything a planner needs, gathered by the Deployer.
struct PlanRequest {
  std::string deployment;
  bool teardown = false;
  std::vector<model::Resource> desired;  // empty for teardown
  state::State state;                    // as stored, outputs refreshed
  RefreshResult observed;
  bool refreshed = true;  // false: no provider was asked (offline plan)
  std::string spec_digest;
  std::set<std::string> replace;           // DeployerOptions::replace
  const ProviderSet* providers = nullptr;  // for Provider::Diff
  // Provider::FindReusable's answer for the desired resources nothing knows yet.
  std::map<std::string, std::string> reusable;
};

using Planner = std::function<Result<plan::Plan>(const PlanRequest&)>;

struct DeployerOptions {
  std::string deployment;
  int parallelism = kDefaultParallelism;
  std::map<std::string, int> provider_limits;  // see ApplyOptions
  Observer* observer = nullptr;                 // null = NullObserver
  env::Clock* clock = nullptr;                  // null = env::Clock::Real()
  const std::atomic<bool>* cancelled = nullptr;
  int64_t lock_timeout_ms = 0;                  // 0 = fail at once when locked
  UserDataRenderer render_user_data;            // empty = DefaultUserDataRenderer(spec_dir)
  // The spec's directory: relative user_data template paths are read below it.
  std::string spec_dir;
  // The values behind the sensitive markers in user_data vars (util/sensitive.h).
  SensitiveValues sensitive;
  Planner planner;                              // empty = DefaultPlanner() (plan::MakePlan)
  bool delete_state_after_teardown = true;
  // false: plan from the stored state alone, without asking the providers
  // (nothing is found deleted outside, no orphan, no adoption).
  bool refresh = true;
  // Addresses a deploy replaces even when nothing changed (`--replace`).
  std::set<std::string> replace;
  // The spec's `moved:` entries, applied to the state before planning.
  std::vector<state::Move> moves;
};

class Deployer {
 public:
  Deployer(DeployerOptions options, state::StateStore* store, ProviderSet providers);

  Result<plan::Plan> PlanDeploy(const std::vector<model::Resource>& desired, const std::string& spec_digest);
  Result<plan::Plan> PlanTeardown();
  ApplyResult Apply(const plan::Plan& plan);
  Status RecordProviderSettings(const nlohmann::json& providers);

 private:
  Result<plan::Plan> MakePlan(bool teardown, const std::vector<model::Resource>& desired,
                              const std::string& spec_digest);

  DeployerOptions options_;
  state::StateStore* const store_;
  ProviderSet providers_;
};

// The planner used when DeployerOptions::planner is empty.
Planner DefaultPlanner();

// Renders user_data {template, vars} with the template module (a relative
// template path is read below `spec_dir`); used when
// DeployerOptions::render_user_data is empty.
UserDataRenderer DefaultUserDataRenderer(std::string spec_dir = "", SensitiveValues sensitive = {});

}  // namespace orch::engine
