// Clock: the only way core and provider code reads time or sleeps, so tests
// can substitute a FakeClock (src/testing/fake_clock.h). Implementations are
// safe for concurrent use.
#pragma once

#include <cstdint>

namespace orch::env {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch (wall clock).
  virtual int64_t NowMicros() = 0;
  // Monotonic microseconds, for deadlines and backoff.
  virtual int64_t MonotonicMicros() = 0;
  virtual void SleepForMicros(int64_t micros) = 0;

  // The process-wide real clock. Only cli/ and tests of real timing use it.
  static Clock* Real();
};

}  // namespace orch::env
