#include "cli/signals.h"

#include <csignal>
#include <unistd.h>

namespace orch::cli {
namespace {

std::atomic<bool> g_cancelled{false};
std::atomic<int> g_signal{0};

void OnSignal(int sig) {
  if (g_cancelled.exchange(true)) {
    // Second signal: the user insists.
    _exit(128 + sig);
  }
  g_signal.store(sig);
  static const char kMsg[] =
      "\ninterrupt received: finishing in-flight operations and saving state (send again to exit at once)\n";
  ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof kMsg - 1);
  (void)ignored;
}

}  // namespace

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

const std::atomic<bool>* CancelFlag() { return &g_cancelled; }
int CancelSignal() { return g_signal.load(); }
int ExitCodeForSignal() {
  int s = g_signal.load();
  return s ? 128 + s : 0;
}

}  // namespace orch::cli
