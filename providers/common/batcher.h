// CreateBatcher: joins concurrent creates whose requests are identical but
// for each member's name into one multi-create request (DigitalOcean
// `names`, Nova `min_count`/`max_count`). The first caller for a request
// key leads: it waits for siblings (see Window), closes the batch, sends it
// through `send` and hands each member its own result; the others block
// until then. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "env/clock.h"
#include "util/status.h"

namespace orch::providers::common {

struct BatchOptions {
  enum class Window {
    // The leader sleeps window_ms on `clock`, then sends whoever joined.
    kFixed,
    // The leader waits until nobody joined for window_ms of wall-clock
    // time (it waits for other threads of this process, not for the
    // cloud), or the batch is full.
    kQuiet,
  };
  Window window = Window::kFixed;
  int64_t window_ms = 250;
  size_t max_members = 0;          // 0: unlimited; a full batch is sent at once
  env::Clock* clock = nullptr;     // for kFixed
};

template <typename M>
class CreateBatcher {
 public:
  using Member = M;
  using Send = std::function<std::vector<Result<nlohmann::json>>(const std::vector<Member>&)>;

  explicit CreateBatcher(BatchOptions options) : o_(options) {}

  // This member's result, as `send` returned it for its slot.
  Result<nlohmann::json> Join(const std::string& key, const Member& member, const Send& send) {
    std::unique_lock<std::mutex> lock(mu_);
    auto it = open_.find(key);
    if (it != open_.end()) {
      std::shared_ptr<Batch> b = it->second;
      size_t slot = b->members.size();
      b->members.push_back(member);
      if (o_.max_members > 0 && b->members.size() >= o_.max_members) {
        b->sealed = true;
        open_.erase(it);
      }
      cv_.notify_all();
      cv_.wait(lock, [&] { return b->done; });
      return b->results[slot];
    }
    auto b = std::make_shared<Batch>();
    b->members.push_back(member);
    open_[key] = b;
    if (o_.window == BatchOptions::Window::kFixed) {
      lock.unlock();
      o_.clock->SleepForMicros(o_.window_ms * 1000);  // siblings join meanwhile
      lock.lock();
    } else {
      while (!b->sealed) {
        size_t n = b->members.size();
        if (!cv_.wait_for(lock, std::chrono::milliseconds(o_.window_ms),
                          [&] { return b->sealed || b->members.size() != n; }))
          break;  // quiet for a whole window
      }
    }
    if (!b->sealed) {
      b->sealed = true;
      open_.erase(key);
    }
    std::vector<Member> members = b->members;
    ++sent_;
    lock.unlock();
    std::vector<Result<nlohmann::json>> results = send(members);
    results.resize(members.size(), Status::Internal("the multi-create returned no result for this member"));
    lock.lock();
    b->results = std::move(results);
    b->done = true;
    cv_.notify_all();
    return b->results[0];
  }

  // Requests sent so far.
  int batches_sent() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }

 private:
  struct Batch {
    std::vector<Member> members;
    bool sealed = false;
    bool done = false;
    std::vector<Result<nlohmann::json>> results;
  };
  const BatchOptions o_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Batch>> open_;
  int sent_ = 0;
};

}  // namespace orch::providers::common
