#include "providers/common/operation_poller.h"

#include <algorithm>

namespace orch::providers::common {

Status Poll(env::Clock* clock, const PollOptions& o, const std::function<Result<bool>()>& check) {
  const int64_t start = clock->MonotonicMicros();
  double interval_ms = static_cast<double>(o.initial_interval_ms);
  for (;;) {
    if (o.cancelled && o.cancelled->load()) return Status::Cancelled("cancelled while waiting for " + o.what);
    Result<bool> done = check();
    if (!done.ok()) return done.status();
    if (*done) return Status::OK();
    int64_t elapsed_ms = (clock->MonotonicMicros() - start) / 1000;
    if (elapsed_ms >= o.timeout_ms)
      return Status::Timeout("timed out after " + std::to_string(elapsed_ms / 1000) + " s waiting for " + o.what);
    int64_t sleep_ms = std::min<int64_t>(static_cast<int64_t>(interval_ms), o.timeout_ms - elapsed_ms);
    clock->SleepForMicros(std::max<int64_t>(sleep_ms, 1) * 1000);
    interval_ms = std::min(interval_ms * o.multiplier, static_cast<double>(o.max_interval_ms));
  }
}

}  // namespace orch::providers::common
