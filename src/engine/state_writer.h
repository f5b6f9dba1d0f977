// StateWriter: the one path by which an apply persists State.
//
// Holds the run's current State in memory and writes all of it through a
// StateStore after every mutation, with compare-and-swap on the serial
// (StateStore::Write(state, expected_serial)). The executor persists after
// every resource change, so a run killed at any instant loses at most the
// change in flight, and that change's Intent is already on disk.
//
// Thread-safety: every method may be called from any thread. Update() calls
// are serialized by one mutex (mutation + write happen atomically with
// respect to each other and to Snapshot()).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include "env/clock.h"
#include "state/state.h"
#include "state/state_store.h"
#include "util/status.h"

namespace orch::engine {

class StateWriter {
 public:
  // `initial` must be what `store` currently holds: its serial is the
  // expected serial of the first write. `store` is not owned.
  StateWriter(state::StateStore* store, state::State initial);

  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  // Applies `mutate` to the in-memory State, then writes it with serial
  // serial()+1. On the first write an empty lineage is replaced by a fresh
  // random one. On failure the mutation stays in memory (it describes the
  // cloud) but the stored serial is unchanged; the first failure is kept
  // in failure() and later calls still try to write.
  Status Update(const std::function<void(state::State&)>& mutate);

  // A copy of the current in-memory State.
  state::State Snapshot() const;
  uint64_t serial() const;
  // Number of successful writes so far.
  int writes() const;
  // The first write failure, or OK.
  Status failure() const;

 private:
  state::StateStore* const store_;
  mutable std::mutex mu_;
  state::State state_;
  int writes_ = 0;
  Status failure_;
};

// A random 32-hex-digit id (state lineage).
std::string NewLineage();

}  // namespace orch::engine
