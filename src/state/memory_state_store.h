// MemoryStateStore: a StateStore held in memory, for unit tests of other
// modules. Same contract as state_store.h (serial compare-and-swap, one lock
// holder, waiting Lock with kConflict naming the holder) within one process.
// Test hooks can make writes fail or pretend another process holds the lock.
// Safe for concurrent use.
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "env/clock.h"
#include "state/state_store.h"

namespace orch::state {

class MemoryStateStore final : public StateStore {
 public:
  // `clock` (not owned) times lock waits; null means the real clock.
  explicit MemoryStateStore(std::string deployment = "test", env::Clock* clock = nullptr);

  Result<LockInfo> Lock(const std::string& operation, int64_t timeout_ms) override;
  Status Unlock(const std::string& lock_id) override;
  Status ForceUnlock() override;
  Result<State> Read() override;
  Status Write(const State& state, uint64_t expected_serial) override;
  Status Delete() override;

  // The current holder, if locked.
  std::optional<LockInfo> Holder() const;
  // Number of successful writes so far.
  int WriteCount() const;
  // The next `count` writes fail with `status` and change nothing.
  void TEST_FailWrites(Status status, int count = 1);
  // Makes the store look locked by `holder` (e.g. another process).
  void TEST_SetHolder(LockInfo holder);

  static constexpr int64_t kLockPollMicros = 10 * 1000;

 private:
  const std::string deployment_;
  env::Clock* const clock_;

  mutable std::mutex mu_;
  bool exists_ = false;
  State state_;
  std::optional<LockInfo> holder_;
  int writes_ = 0;
  std::deque<Status> failures_;
};

}  // namespace orch::state
