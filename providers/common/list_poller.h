// ListPoller: waits for many objects with one list call per poll round,
// shared by every waiting thread (droplets by the deployment tag, Nova
// servers/detail by tag). The thread that finds no round in flight leads
// one: it waits out the interval, lists, and publishes the items by key;
// the others wait for that round and read their own item. The interval
// starts at initial_ms, grows by half per round in which some item was not
// settled, up to max_ms, and drops back once every item is. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/provider.h"
#include "env/clock.h"
#include "util/status.h"

namespace orch::providers::common {

struct ListPollerOptions {
  int64_t initial_ms = 500;
  int64_t max_ms = 5000;
  int64_t timeout_ms = 15 * 60 * 1000;  // per Wait
};

class ListPoller {
 public:
  using List = std::function<Result<std::vector<nlohmann::json>>()>;
  // An item's key; "" leaves it out of the round (and counts as not settled).
  using Key = std::function<std::string(const nlohmann::json&)>;
  // Whether an item has reached a state it will stay in.
  using Settled = std::function<bool(const nlohmann::json&)>;
  // What a waiter wants of its item (nullptr: the round did not list it):
  // a result ends the wait, nullopt waits for the next round.
  using Done = std::function<std::optional<Result<nlohmann::json>>(const nlohmann::json* item)>;

  ListPoller(env::Clock* clock, ListPollerOptions options, List list, Key key, Settled settled)
      : clock_(clock), o_(options), list_(std::move(list)), key_(std::move(key)), settled_(std::move(settled)) {}

  // Waits until `done` answers for item `key`, up to `timeout_ms` (0: the
  // options' timeout_ms). `what` ("droplet 12 to become active") words the
  // progress, timeout and cancellation messages.
  Result<nlohmann::json> Wait(const std::string& key, const Done& done, const std::string& what,
                              engine::ApplyContext& ctx, int64_t timeout_ms = 0);
  // Rounds (list calls) so far.
  int rounds() const;

 private:
  env::Clock* clock_;
  const ListPollerOptions o_;
  List list_;
  Key key_;
  Settled settled_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool polling_ = false;
  int round_ = 0;
  int64_t interval_ms_ = 0;
  int64_t next_poll_micros_ = 0;
  Status last_error_;
  std::map<std::string, nlohmann::json> seen_;  // key -> item of the latest round
};

}  // namespace orch::providers::common
