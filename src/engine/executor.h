// Executor: applies a plan::Plan, change by change, in dependency order.
//
// A change runs once every change it depends on (Change::depends_on, among
// the plan's mutating changes) finished OK; no-op changes and addresses not
// in the plan count as done. Independent changes run in parallel on a pool
// of at most `parallelism` worker threads (tofu's Walker + parallelSem), and
// at most `provider_limits[p]` of them at once for provider instance p
// (ninja's Pool), for API rate limits. Ready changes start in plan order
// (by address).
//
// Every resource change is persisted at once through the StateWriter (see
// apply_change.h for what each action journals and records). A failed
// persist is fatal: no new change starts, in-flight ones finish, the error is
// reported. A failed change becomes an error Diagnostic keyed by its address;
// every change depending on it (transitively) is skipped and reported with
// a warning "skipped because X failed"; independent branches go on.
// Cancellation (`cancelled` set, e.g. on SIGINT) stops new changes from
// starting; in-flight ones finish (their Intents are already journaled) and
// the unstarted ones are reported skipped.
//
// Thread-safety: one Apply at a time per Executor. Apply blocks until every
// worker has finished.
#pragma once

#include <atomic>
#include <map>
#include <string>

#include "engine/apply_change.h"
#include "engine/observer.h"
#include "engine/provider_set.h"
#include "engine/state_writer.h"
#include "env/clock.h"
#include "plan/plan.h"
#include "util/diagnostic.h"

namespace orch::engine {

inline constexpr int kDefaultParallelism = 10;

struct ApplyOptions {
  int parallelism = kDefaultParallelism;  // values < 1 count as 1
  // Max concurrent changes per provider instance name; absent or <= 0 means
  // only `parallelism` applies.
  std::map<std::string, int> provider_limits;
  Observer* observer = nullptr;                 // null = NullObserver
  env::Clock* clock = nullptr;                  // null = env::Clock::Real()
  const std::atomic<bool>* cancelled = nullptr;  // null = never cancelled
  UserDataRenderer render_user_data;            // empty = user_data as given
};

struct ApplyResult {
  Diagnostics diags;
  int succeeded = 0;  // mutating changes applied and persisted
  int failed = 0;
  int skipped = 0;    // not started: a dependency failed, or cancelled/stopped
  bool cancelled = false;

  bool ok() const { return failed == 0 && skipped == 0 && !cancelled && !diags.HasErrors(); }
};

class Executor {
 public:
  // Neither argument is owned; both must outlive Apply().
  Executor(const ProviderSet& providers, StateWriter* writer);

  ApplyResult Apply(const plan::Plan& plan, const ApplyOptions& options);

 private:
  const ProviderSet& providers_;
  StateWriter* const writer_;
};

}  // namespace orch::engine
