#include "state/memory_state_store.h"

#include <unistd.h>

#include <algorithm>

#include "state/lock_message.h"

namespace orch::state {

MemoryStateStore::MemoryStateStore(std::string deployment, env::Clock* clock)
    : deployment_(std::move(deployment)), clock_(clock ? clock : env::Clock::Real()) {
  state_.deployment = deployment_;
}

Result<LockInfo> MemoryStateStore::Lock(const std::string& operation, int64_t timeout_ms) {
  const int64_t deadline = clock_->MonotonicMicros() + std::max<int64_t>(0, timeout_ms) * 1000;
  for (;;) {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!holder_) {
        LockInfo info;
        info.id = RandomHex() + RandomHex();
        info.operation = operation;
        info.host = CurrentHost();
        info.who = CurrentWho();
        info.pid = getpid();
        info.created_micros = clock_->NowMicros();
        holder_ = info;
        return info;
      }
      int64_t now = clock_->MonotonicMicros();
      if (now >= deadline) return Status::Conflict(LockHeldMessage(deployment_, *holder_));
    }
    int64_t left = deadline - clock_->MonotonicMicros();
    clock_->SleepForMicros(std::max<int64_t>(0, std::min(kLockPollMicros, left)));
  }
}

Status MemoryStateStore::Unlock(const std::string& lock_id) {
  std::lock_guard<std::mutex> l(mu_);
  if (!holder_ || holder_->id != lock_id) {
    return Status::NotFound("lock '" + lock_id + "' on deployment '" + deployment_ +
                            "' is not held");
  }
  holder_.reset();
  return Status::OK();
}

Status MemoryStateStore::ForceUnlock() {
  std::lock_guard<std::mutex> l(mu_);
  holder_.reset();
  return Status::OK();
}

Result<State> MemoryStateStore::Read() {
  std::lock_guard<std::mutex> l(mu_);
  if (!exists_) {
    State empty;
    empty.deployment = deployment_;
    return empty;
  }
  return state_;
}

Status MemoryStateStore::Write(const State& state, uint64_t expected_serial) {
  std::lock_guard<std::mutex> l(mu_);
  if (!failures_.empty()) {
    Status st = failures_.front();
    failures_.pop_front();
    return st;
  }
  uint64_t stored = exists_ ? state_.serial : 0;
  if (stored != expected_serial) {
    return Status::Conflict("state for deployment '" + deployment_ +
                            "' changed underneath: expected serial " +
                            std::to_string(expected_serial) + ", found " + std::to_string(stored) +
                            " (another run wrote it); re-read the state and retry");
  }
  if (exists_ && !state_.lineage.empty() && !state.lineage.empty() &&
      state_.lineage != state.lineage) {
    return Status::Conflict("state for deployment '" + deployment_ + "' has lineage " +
                            state_.lineage + " but the write carries lineage " + state.lineage);
  }
  std::string lineage = exists_ ? state_.lineage : std::string();
  state_ = state;
  state_.deployment = deployment_;
  state_.serial = expected_serial + 1;
  if (state_.lineage.empty()) state_.lineage = lineage.empty() ? RandomHex() + RandomHex() : lineage;
  exists_ = true;
  ++writes_;
  return Status::OK();
}

Status MemoryStateStore::Delete() {
  std::lock_guard<std::mutex> l(mu_);
  exists_ = false;
  state_ = State();
  state_.deployment = deployment_;
  return Status::OK();
}

std::optional<LockInfo> MemoryStateStore::Holder() const {
  std::lock_guard<std::mutex> l(mu_);
  return holder_;
}

int MemoryStateStore::WriteCount() const {
  std::lock_guard<std::mutex> l(mu_);
  return writes_;
}

void MemoryStateStore::TEST_FailWrites(Status status, int count) {
  std::lock_guard<std::mutex> l(mu_);
  for (int i = 0; i < count; ++i) failures_.push_back(status);
}

void MemoryStateStore::TEST_SetHolder(LockInfo holder) {
  std::lock_guard<std::mutex> l(mu_);
  holder_ = std::move(holder);
}

}  // namespace orch::state
