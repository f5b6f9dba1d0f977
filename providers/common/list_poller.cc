#include "providers/common/list_poller.h"

#include <algorithm>

namespace orch::providers::common {

using nlohmann::json;

int ListPoller::rounds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return round_;
}

Result<json> ListPoller::Wait(const std::string& key, const Done& done, const std::string& what,
                              engine::ApplyContext& ctx, int64_t timeout_ms) {
  if (timeout_ms <= 0) timeout_ms = o_.timeout_ms;
  const int64_t deadline = clock_->MonotonicMicros() + timeout_ms * 1000;
  std::unique_lock<std::mutex> lock(mu_);
  int seen_round = -1;  // ignore what was listed before this call
  for (;;) {
    if (seen_round >= 0) {
      auto it = seen_.find(key);
      std::optional<Result<json>> answer = done(it == seen_.end() ? nullptr : &it->second);
      if (answer) return *answer;
      if (!last_error_.ok()) return last_error_;
    }
    if (ctx.IsCancelled()) return Status::Cancelled("cancelled while waiting for " + what);
    if (clock_->MonotonicMicros() > deadline) return Status::Timeout("timed out waiting for " + what);
    if (!polling_) {
      polling_ = true;
      if (interval_ms_ == 0) interval_ms_ = o_.initial_ms;
      int64_t wait = std::max<int64_t>(0, next_poll_micros_ - clock_->MonotonicMicros());
      if (seen_round < 0 && next_poll_micros_ == 0) wait = interval_ms_ * 1000;
      lock.unlock();
      if (ctx.progress) ctx.progress("waiting for " + what);
      if (wait > 0) clock_->SleepForMicros(wait);
      Result<std::vector<json>> list = list_();
      lock.lock();
      if (list.ok()) {
        seen_.clear();
        bool settled = true;
        for (json& item : *list) {
          std::string k = key_(item);
          if (k.empty() || !settled_(item)) settled = false;
          if (!k.empty()) seen_[k] = std::move(item);
        }
        last_error_ = Status::OK();
        interval_ms_ = settled ? o_.initial_ms : std::min<int64_t>(interval_ms_ * 3 / 2, o_.max_ms);
      } else {
        last_error_ = list.status();
      }
      next_poll_micros_ = clock_->MonotonicMicros() + interval_ms_ * 1000;
      ++round_;
      polling_ = false;
      seen_round = round_;
      cv_.notify_all();
    } else {
      int r = round_;
      cv_.wait(lock, [&] { return round_ != r; });
      seen_round = round_;
    }
  }
}

}  // namespace orch::providers::common
