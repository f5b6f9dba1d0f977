// Observer: how the engine reports progress (refresh, each change of an
// apply) without printing anything itself. cli/ implements it with spdlog;
// tests use testing::RecordingObserver. Modelled on ninja's Status
// (BuildEdgeStarted/Finished) and tofu's Hook (PreApply/PostApply).
//
// Thread-safety: the executor and Refresh call an Observer from their worker
// threads, several at once. Implementations must be safe for concurrent
// calls and should return quickly (they run on the apply's critical path).
// The engine never holds one of its own locks while calling an Observer, so
// an implementation may call back into read-only engine accessors.
#pragma once

#include <cstdint>
#include <string>

#include "plan/plan.h"
#include "util/status.h"

namespace orch::engine {

class Observer {
 public:
  virtual ~Observer() = default;

  // Discover of one provider instance (by its spec name) begins / ends.
  // `found` is the number of resources it reported (0 on error).
  virtual void RefreshStarted(const std::string& provider) = 0;
  virtual void RefreshFinished(const std::string& provider, const Status& status, int found) = 0;

  // One mutating change (create/update/replace/delete/adopt) begins.
  virtual void ChangeStarted(const plan::Change& change) = 0;
  // A provider message while the change runs ("waiting for droplet 12...").
  virtual void ChangeProgress(const std::string& address, const std::string& message) = 0;
  // The change ended; `status` is OK on success. `duration_micros` is the
  // wall time spent in the change (monotonic clock).
  virtual void ChangeFinished(const plan::Change& change, const Status& status,
                              int64_t duration_micros) = 0;
  // The change was not started: a dependency failed, or the run was
  // cancelled or stopped. `reason` is a sentence for the user.
  virtual void ChangeSkipped(const std::string& address, const std::string& reason) = 0;
};

// Ignores everything (tofu's NilHook). Stateless, so safe everywhere.
class NullObserver final : public Observer {
 public:
  void RefreshStarted(const std::string&) override {}
  void RefreshFinished(const std::string&, const Status&, int) override {}
  void ChangeStarted(const plan::Change&) override {}
  void ChangeProgress(const std::string&, const std::string&) override {}
  void ChangeFinished(const plan::Change&, const Status&, int64_t) override {}
  void ChangeSkipped(const std::string&, const std::string&) override {}

  // A process-wide instance, used when no observer is given.
  static NullObserver* Get() {
    static NullObserver instance;
    return &instance;
  }
};

}  // namespace orch::engine
