#include "testing/fake_clock.h"

namespace orch::testing {

FakeClock::FakeClock(int64_t start_micros) : now_micros_(start_micros) {}

int64_t FakeClock::NowMicros() {
  std::lock_guard<std::mutex> l(mu_);
  return now_micros_;
}

int64_t FakeClock::MonotonicMicros() {
  std::lock_guard<std::mutex> l(mu_);
  return mono_micros_;
}

void FakeClock::SleepForMicros(int64_t micros) {
  if (micros < 0) micros = 0;
  std::lock_guard<std::mutex> l(mu_);
  sleeps_.push_back(micros);
  now_micros_ += micros;
  mono_micros_ += micros;
}

void FakeClock::Advance(int64_t micros) {
  if (micros < 0) micros = 0;
  std::lock_guard<std::mutex> l(mu_);
  now_micros_ += micros;
  mono_micros_ += micros;
}

void FakeClock::SetNowMicros(int64_t micros) {
  std::lock_guard<std::mutex> l(mu_);
  now_micros_ = micros;
}

std::vector<int64_t> FakeClock::Sleeps() const {
  std::lock_guard<std::mutex> l(mu_);
  return sleeps_;
}

int64_t FakeClock::TotalSleptMicros() const {
  std::lock_guard<std::mutex> l(mu_);
  int64_t total = 0;
  for (int64_t s : sleeps_) total += s;
  return total;
}

void FakeClock::ClearSleeps() {
  std::lock_guard<std::mutex> l(mu_);
  sleeps_.clear();
}

}  // namespace orch::testing
