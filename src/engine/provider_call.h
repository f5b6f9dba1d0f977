// The engine's guard around every call into a provider: a provider that
// throws (a cloud answer of an unexpected shape reaching a JSON accessor,
// say) fails that one change or refresh with a clear Status instead of
// terminating the process. Intents are recorded before a create is sent, so a
// resource created by a call that then threw is adopted by the next run.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "util/status.h"

namespace orch::engine {

template <typename F>
auto CallProvider(const std::string& what, F&& call) -> decltype(call()) {
  try {
    return std::forward<F>(call)();
  } catch (const std::exception& e) {
    return Status::Internal(what + ": the cloud's answer could not be read (" + e.what() +
                            "); nothing was recorded for it, run plan again to see where it stands");
  }
}

}  // namespace orch::engine
