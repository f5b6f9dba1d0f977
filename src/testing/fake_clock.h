// FakeClock: an env::Clock whose time moves only when told to.
//
// NowMicros() and MonotonicMicros() advance together, and only when
// SleepForMicros() is called (the sleep is recorded and returns at once) or
// Advance() is called. Tests use it to check backoff delays without waiting.
// Safe for concurrent use.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "env/clock.h"

namespace orch::testing {

class FakeClock final : public env::Clock {
 public:
  // 2026-11-26T07:00:00Z, an arbitrary fixed start.
  static constexpr int64_t kDefaultStartMicros = 1795676400LL * 1000000;

  explicit FakeClock(int64_t start_micros = kDefaultStartMicros);

  int64_t NowMicros() override;
  int64_t MonotonicMicros() override;
  // Records `micros` and advances time by it (negative counts as 0).
  void SleepForMicros(int64_t micros) override;

  void Advance(int64_t micros);
  void SetNowMicros(int64_t micros);  // wall clock only; monotonic keeps going

  // Every SleepForMicros() argument, in call order.
  std::vector<int64_t> Sleeps() const;
  int64_t TotalSleptMicros() const;
  void ClearSleeps();

 private:
  mutable std::mutex mu_;
  int64_t now_micros_;
  int64_t mono_micros_ = 1000000;
  std::vector<int64_t> sleeps_;
};

}  // namespace orch::testing
