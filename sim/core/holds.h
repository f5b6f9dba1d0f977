// Request holds for cloudsim: a test names requests (API, method, path
// prefix, which occurrence) and cloudsim keeps each match waiting, before it
// is handled or after it is handled but before it is answered, until the
// test releases it through the admin API. A test that must signal or kill a
// client while a given request is in flight waits for that event
// (`GET /_sim/holds/ID?wait_held=N`) instead of guessing a duration.
//
// Thread-safe: Gate runs on many server threads at once; the admin calls
// come from others. A held request waits on a condition variable; every
// hold also ends after its `max_s` (default 120 s) so a test that never
// releases cannot wedge the server, and ReleaseAll ends every wait (used at
// shutdown).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cloudsim {

enum class HoldStage { kBefore, kAfter };

struct HoldRule {
  std::string api;          // empty = every API
  std::string method;       // empty = every method; "mutating" = POST/PUT/PATCH/DELETE
  std::string path_prefix;  // empty = every path
  int skip = 0;             // matches let through before the first one held
  int count = 1;            // matches held after that (0 = every later match)
  HoldStage stage = HoldStage::kBefore;
  double max_s = 120;       // a held request goes on after this many seconds
};

// Parses a JSON hold request body. False + *error naming the bad field.
bool ParseHoldRule(const nlohmann::json& body, HoldRule* rule, std::string* error);

class HoldTable {
 public:
  // Adds a hold and returns its id ("h1", "h2", ...).
  std::string Add(const HoldRule& rule);
  // Releases what the hold keeps waiting and removes it. False when unknown.
  bool Remove(const std::string& id);
  // Releases and removes every hold.
  void ReleaseAll();

  // Called for every API request at `stage`: blocks while a hold keeps it.
  void Gate(HoldStage stage, const std::string& api, const std::string& method, const std::string& path);

  // {"holds":[{id, rule..., matched, held, released}]}
  nlohmann::json ToJson() const;
  // One hold as JSON, after waiting up to timeout_s for at least `held`
  // requests held at once or `matched` matches in all. False when unknown.
  bool Wait(const std::string& id, int held, int matched, double timeout_s, nlohmann::json* out);

 private:
  struct Hold {
    std::string id;
    HoldRule rule;
    int matched = 0;   // matching requests seen
    int held = 0;      // waiting now
    int total_held = 0;
    bool released = false;
  };
  bool Matches(const Hold& h, HoldStage stage, const std::string& api, const std::string& method,
               const std::string& path) const;
  nlohmann::json HoldJson(const Hold& h) const;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<Hold>> holds_;
  uint64_t next_id_ = 1;
};

}  // namespace cloudsim
