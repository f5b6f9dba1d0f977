#include <chrono>

#include "core/api.h"

namespace cloudsim {

double SimClock::NowSeconds() const {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

SimContext::SimContext(double time_scale, uint64_t seed, SimClock* clock)
    : time_scale_(time_scale), clock_(clock), rng_(seed) {}

double SimContext::Latency(double real_seconds) {
  double jitter = 0.8 + 0.4 * Uniform();
  return real_seconds * time_scale_ * jitter;
}

double SimContext::Uniform() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

std::string SimContext::RandomHex(int length) {
  static const char* kHex = "0123456789abcdef";
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (int i = 0; i < length; ++i) out += kHex[rng_() % 16];
  return out;
}

uint64_t SimContext::RandomInt(uint64_t lo, uint64_t hi) {
  std::lock_guard<std::mutex> lock(mu_);
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
}

}  // namespace cloudsim
