// Logging setup for the orchestrator binary: spdlog to stderr (and
// optionally a file), text or JSON lines, every line passed through the
// secret redactor first.
#pragma once

#include <string>

namespace orch::cli {

struct LogOptions {
  int verbosity = 0;          // 0 = warnings and errors, 1 = info (-v), 2+ = debug (-vv)
  std::string file;           // --log-file: also write every line (at debug level) here
  bool json = false;          // --log-format json
};

// Replaces the default spdlog logger. Returns false with *error when the log
// file cannot be opened.
bool SetupLogging(const LogOptions& options, std::string* error);

}  // namespace orch::cli
