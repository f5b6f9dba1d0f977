// The droplet multi-create batcher and the shared droplet poller (api.h).
#include <algorithm>
#include <chrono>

#include "providers/digitalocean/api.h"

namespace orch::providers::digitalocean {

using nlohmann::json;

int DropletPoller::rounds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return round_;
}

Result<json> DropletPoller::WaitActive(int64_t id, engine::ApplyContext& ctx) {
  const int64_t deadline = clock_->MonotonicMicros() + tuning_.droplet_timeout_ms * 1000;
  std::unique_lock<std::mutex> lock(mu_);
  ++waiters_;
  struct Leave {
    DropletPoller* p;
    ~Leave() { --p->waiters_; }
  } leave{this};
  int seen_round = -1;  // ignore what was listed before this call
  for (;;) {
    if (seen_round >= 0) {
      auto it = seen_.find(id);
      if (it != seen_.end() && Str(it->second, "status") == "active") return it->second;
      if (!last_error_.ok()) return last_error_;
    }
    if (ctx.IsCancelled()) return Status::Cancelled("cancelled while waiting for droplet " + std::to_string(id));
    if (clock_->MonotonicMicros() > deadline)
      return Status::Timeout("timed out waiting for droplet " + std::to_string(id) + " to become active");
    if (!polling_) {
      // Lead one round: wait the interval, list by the deployment tag once
      // for every waiter, publish the result.
      polling_ = true;
      if (interval_ms_ == 0) interval_ms_ = tuning_.poll_initial_ms;
      int64_t wait = std::max<int64_t>(0, next_poll_micros_ - clock_->MonotonicMicros());
      if (seen_round < 0 && next_poll_micros_ == 0) wait = interval_ms_ * 1000;
      lock.unlock();
      if (ctx.progress) ctx.progress("waiting for droplet " + std::to_string(id) + " to become active");
      if (wait > 0) clock_->SleepForMicros(wait);
      Result<std::vector<json>> list = rest_->List(list_path_, "droplets");
      lock.lock();
      if (list.ok()) {
        seen_.clear();
        bool all_active = true;
        for (json& d : *list) {
          int64_t did = d.value("id", int64_t{0});
          if (Str(d, "status") != "active") all_active = false;
          seen_[did] = std::move(d);
        }
        last_error_ = Status::OK();
        interval_ms_ = all_active ? tuning_.poll_initial_ms : std::min<int64_t>(interval_ms_ * 3 / 2, tuning_.poll_max_ms);
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

Result<json> DropletBatcher::Join(const std::string& key, const BatchMember& member, const Send& send) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = open_.find(key);
  if (it != open_.end()) {
    std::shared_ptr<Batch> b = it->second;
    size_t index = b->members.size();
    b->members.push_back(member);
    if (b->members.size() >= kMaxBatch) {
      b->sealed = true;
      open_.erase(it);
    }
    cv_.notify_all();
    cv_.wait(lock, [&] { return b->done; });
    return b->results[index];
  }
  auto b = std::make_shared<Batch>();
  b->members.push_back(member);
  open_[key] = b;
  while (!b->sealed) {
    size_t n = b->members.size();
    if (!cv_.wait_for(lock, std::chrono::milliseconds(window_ms_), [&] { return b->sealed || b->members.size() != n; }))
      break;  // quiet for a whole window
  }
  if (!b->sealed) {
    b->sealed = true;
    open_.erase(key);
  }
  std::vector<BatchMember> members = b->members;
  ++sent_;
  lock.unlock();
  std::vector<Result<json>> results = send(members);
  lock.lock();
  results.resize(members.size(), Status::Internal("droplet batch returned too few results"));
  b->results = std::move(results);
  b->done = true;
  cv_.notify_all();
  return b->results[0];
}

int DropletBatcher::batches_sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

}  // namespace orch::providers::digitalocean
