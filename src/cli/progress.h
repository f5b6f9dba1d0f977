// ProgressObserver: the CLI's engine::Observer. On a terminal it keeps a
// compact status line ("[12/30] 3 running: api.instance[1] ...") above which
// finished changes scroll; otherwise (CI logs, pipes) it prints one line per
// event. Colour only on a terminal and only when NO_COLOR is unset.
// Thread-safe: every event takes one mutex.
#pragma once

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

#include "engine/observer.h"

namespace orch::cli {

class ProgressObserver final : public engine::Observer {
 public:
  ProgressObserver(std::FILE* out, bool interactive, bool color, int total_changes);

  void RefreshStarted(const std::string& provider) override;
  void RefreshFinished(const std::string& provider, const Status& status, int found) override;
  void ChangeStarted(const plan::Change& change) override;
  void ChangeProgress(const std::string& address, const std::string& message) override;
  void ChangeFinished(const plan::Change& change, const Status& status, int64_t duration_micros) override;
  void ChangeSkipped(const std::string& address, const std::string& reason) override;

  void SetTotal(int total);
  // Clears the status line (call before printing anything else).
  void Finish();

 private:
  void Line(const std::string& text);  // prints above the status line
  void DrawStatus();
  std::string Paint(const std::string& text, const char* code) const;

  std::FILE* out_;
  const bool interactive_;
  const bool color_;
  std::mutex mu_;
  int total_ = 0;
  int done_ = 0;
  std::map<std::string, std::string> running_;  // address -> latest message
  bool status_drawn_ = false;
};

// True when NO_COLOR is unset and `stream` is a terminal.
bool WantColor(std::FILE* stream, bool no_color_flag);

}  // namespace orch::cli
