// StateWriter: the one path by which an apply persists State.
//
// Holds the run's current State in memory and writes all of it through a
// StateStore after every mutation, with compare-and-swap on the serial
// (StateStore::Write(state, expected_serial)). The executor persists after
// every resource change, so a run killed at any instant loses at most the
// changes in flight, and their Intents are already on disk.
//
// Group commit: Update() returns only once a write that includes its
// mutation has succeeded (or failed). Mutations made while a write is in
// progress are persisted together by the next write, so concurrent changes
// share one (fsync-bound) write instead of queueing one write each. A
// sequence of Update() calls from one thread is written one by one.
//
// Thread-safety: every method may be called from any thread. Mutations are
// applied under one mutex, in call order.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

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

  // Applies `mutate` to the in-memory State, then waits until a write that
  // includes it is done. On the first write an empty lineage is replaced by
  // a fresh random one. On failure the mutation stays in memory (it
  // describes the cloud) but the stored serial is unchanged; the first
  // failure is kept in failure() and later calls still try to write.
  Status Update(const std::function<void(state::State&)>& mutate);

  // Calls `read` with the current in-memory State, under the writer's mutex
  // (keep it short; no copy is made).
  void Read(const std::function<void(const state::State&)>& read) const;
  // A copy of the current in-memory State.
  state::State Snapshot() const;
  // Serial of the last successful write (or of `initial`).
  uint64_t serial() const;
  // Number of successful writes so far.
  int writes() const;
  // The first write failure, or OK.
  Status failure() const;

 private:
  state::StateStore* const store_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  state::State state_;      // in memory, newest; state_.serial = last stored serial
  uint64_t mutations_ = 0;  // mutations applied so far
  uint64_t settled_ = 0;    // mutations included in a finished write (ok or not)
  uint64_t durable_ = 0;    // mutations included in a successful write
  Status last_status_;      // result of the last finished write
  bool writing_ = false;
  int writes_ = 0;
  Status failure_;
};

// A random 32-hex-digit id (state lineage).
std::string NewLineage();

}  // namespace orch::engine
