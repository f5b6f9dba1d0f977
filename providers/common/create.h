// What every provider does around a create that may have taken effect:
// retrying without ever making a second resource.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/provider.h"
#include "env/clock.h"
#include "http/http_client.h"
#include "util/status.h"

namespace orch::providers::common {

// True when a failed call may still have taken effect (a lost answer, a 5xx,
// a timeout, a rate limit hit after the request was read).
bool Uncertain(const Status& st);

// Sleeps `ms` on `clock` unless the run is cancelled (then Cancelled).
Status SleepUnlessCancelled(env::Clock* clock, int64_t ms, const engine::ApplyContext& ctx);

struct BusyRetry {
  int64_t initial_ms = 500;  // backoff doubles up to max_ms
  int64_t max_ms = 5000;
  int64_t timeout_ms = 10 * 60 * 1000;  // then the last answer stands
};

// Calls `op` until it succeeds or fails in a way `busy` does not accept:
// clouds refuse a delete or an attach while the resource is still in use
// (a 409 until a detach or a deletion elsewhere completes), and the refusal
// ends by itself. Reports "waiting for <what> to be free" before each wait.
Status RetryWhileBusy(const std::function<Status()>& op, const std::function<bool(const Status&)>& busy,
                      env::Clock* clock, const BusyRetry& retry, engine::ApplyContext& ctx, const std::string& what);

struct CreateRetry {
  int attempts = 5;
  int64_t initial_ms = 500;  // backoff doubles up to max_ms
  int64_t max_ms = 5000;
};

// Finds an already-created resource (nullopt when there is none).
using Lookup = std::function<Result<std::optional<nlohmann::json>>()>;
// Sends the create; fills the outcome so an uncertain failure is known.
using Post = std::function<Result<nlohmann::json>(http::SendOutcome*)>;

// Posts the create; after an uncertain failure (and first, when
// `lookup_first`, e.g. a resumed run) looks the resource up and adopts it
// instead of posting again. `what` names it in messages.
Result<nlohmann::json> CreateAdopting(const std::string& what, const Lookup& lookup, const Post& post,
                                      bool lookup_first, engine::ApplyContext& ctx, env::Clock* clock,
                                      const CreateRetry& retry);

}  // namespace orch::providers::common
