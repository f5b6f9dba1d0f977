// Helpers shared by the StateStore implementations: lock identity, holder
// messages and timestamps. Internal to state/.
#pragma once

#include <cstdint>
#include <string>

#include "state/state_store.h"

namespace orch::state {

// "2026-11-26T07:16:11Z" (UTC, second precision).
std::string FormatUtcMicros(int64_t micros);

// The kConflict message for a lock held by `holder`, naming who holds it and
// how to proceed.
std::string LockHeldMessage(const std::string& deployment, const LockInfo& holder);

// This machine's host name and "user@host" for LockInfo.
std::string CurrentHost();
std::string CurrentWho();

// 16 random hex digits (lock ids, lineages, temp file names).
std::string RandomHex();

}  // namespace orch::state
