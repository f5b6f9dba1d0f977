// SIGINT/SIGTERM handling for long-running commands: the first signal sets
// a cancellation flag the engine polls (no new work starts; in-flight work
// finishes and is recorded); a second one exits at once.
#pragma once

#include <atomic>

namespace orch::cli {

void InstallSignalHandlers();
const std::atomic<bool>* CancelFlag();
// The signal that requested cancellation (SIGINT, SIGTERM), or 0.
int CancelSignal();
// 130 for SIGINT, 143 for SIGTERM, 0 when no signal arrived.
int ExitCodeForSignal();

}  // namespace orch::cli
