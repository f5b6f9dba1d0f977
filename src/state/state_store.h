// StateStore: where State lives, with an exclusive lock per deployment.
//
// Guarantees (every backend, the local file one and a future PostgreSQL one):
//  * Read() returns the last successfully written State (serial 0 and no
//    resources when nothing was ever written).
//  * Write(state, expected_serial) stores `state` with serial
//    expected_serial + 1 only if the stored serial is still expected_serial,
//    else returns kConflict and changes nothing. A write is atomic: after a
//    crash at any instant, Read() yields either the old or the new State.
//  * Lock() grants at most one holder per deployment across processes and
//    machines sharing the backend. When held elsewhere it waits up to
//    `timeout_ms` (0 = fail at once) and then fails with kConflict whose
//    message names the holder (who, pid, host, since, operation). A lock whose
//    holder process is gone (same host, dead pid) is reported as stale with the
//    command that clears it; it is never broken silently.
//  * Unlock(id) releases a lock this store granted; ForceUnlock removes any.
// Implementations are safe for use from several threads of one process.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "state/state.h"
#include "util/status.h"

namespace orch::state {

struct LockInfo {
  std::string id;          // random, returned by Lock
  std::string operation;   // "deploy" | "teardown" | ...
  std::string who;         // user@host
  std::string host;
  int64_t pid = 0;
  int64_t created_micros = 0;

  nlohmann::json ToJson() const;
  static LockInfo FromJson(const nlohmann::json& j);
  // "pid 4242 on ci-runner-3 (root@ci-runner-3), deploy since 2026-11-26T07:16:11Z"
  std::string Describe() const;
};

class StateStore {
 public:
  virtual ~StateStore() = default;
  virtual Result<LockInfo> Lock(const std::string& operation, int64_t timeout_ms) = 0;
  virtual Status Unlock(const std::string& lock_id) = 0;
  virtual Status ForceUnlock() = 0;
  virtual Result<State> Read() = 0;
  virtual Status Write(const State& state, uint64_t expected_serial) = 0;
  // Removes the stored state entirely (after a complete teardown).
  virtual Status Delete() = 0;
};

}  // namespace orch::state
