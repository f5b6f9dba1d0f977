#include "state/lock_message.h"

#include <pwd.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>

namespace orch::state {

std::string FormatUtcMicros(int64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1000000);
  if (micros < 0 && micros % 1000000 != 0) --secs;
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string LockHeldMessage(const std::string& deployment, const LockInfo& h) {
  std::string who = h.who.empty() ? "" : " (" + h.who + ")";
  std::string op = h.operation.empty() ? "an operation" : h.operation;
  return "state for deployment '" + deployment + "' is locked by pid " + std::to_string(h.pid) +
         " on host " + (h.host.empty() ? "unknown" : h.host) + who + " running " + op +
         " since " + FormatUtcMicros(h.created_micros) +
         "; wait for it to finish, rerun with --lock-timeout 5m to wait, or run "
         "'orchestrator state unlock --deployment " +
         deployment + "' if that process is gone";
}

std::string CurrentHost() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string CurrentWho() {
  std::string user;
  struct passwd pw {};
  struct passwd* out = nullptr;
  char buf[1024];
  if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &out) == 0 && out != nullptr) {
    user = out->pw_name;
  } else if (const char* u = getenv("USER")) {
    user = u;
  } else {
    user = "uid" + std::to_string(getuid());
  }
  return user + "@" + CurrentHost();
}

std::string RandomHex() {
  static std::mutex mu;
  static std::mt19937_64 rng([] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(getpid());
  }());
  uint64_t v;
  {
    std::lock_guard<std::mutex> l(mu);
    v = rng();
  }
  // A forked child inherits the generator's state; mixing in the pid keeps
  // parent and child from producing the same ids.
  v ^= static_cast<uint64_t>(getpid()) * 0x9E3779B97F4A7C15ULL;
  char buf[17];
  snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace orch::state
