// OperationPoller: waits for a cloud operation (DO action, GCE zone
// operation, OpenStack status) by calling `check` until it reports done,
// sleeping on env::Clock with exponential backoff between calls.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "env/clock.h"
#include "util/status.h"

namespace orch::providers::common {

struct PollOptions {
  int64_t initial_interval_ms = 500;
  int64_t max_interval_ms = 5000;
  double multiplier = 1.5;
  int64_t timeout_ms = 600000;
  const std::atomic<bool>* cancelled = nullptr;
  std::string what;  // "droplet 42 to become active", used in errors
};

// `check` returns true when done, false to keep waiting, or an error which
// ends the wait. kTimeout after timeout_ms, kCancelled when cancelled.
Status Poll(env::Clock* clock, const PollOptions& options, const std::function<Result<bool>()>& check);

}  // namespace orch::providers::common
