#include "cli/progress.h"

#include <unistd.h>

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "http/redact.h"

namespace orch::cli {

bool WantColor(std::FILE* stream, bool no_color_flag) {
  if (no_color_flag) return false;
  const char* nc = std::getenv("NO_COLOR");
  if (nc && *nc) return false;
  return isatty(fileno(stream));
}

ProgressObserver::ProgressObserver(std::FILE* out, bool interactive, bool color, int total_changes)
    : out_(out), interactive_(interactive), color_(color), total_(total_changes) {}

std::string ProgressObserver::Paint(const std::string& text, const char* code) const {
  if (!color_) return text;
  return std::string("\x1b[") + code + "m" + text + "\x1b[0m";
}

void ProgressObserver::SetTotal(int total) {
  std::lock_guard<std::mutex> lock(mu_);
  total_ = total;
}

void ProgressObserver::Line(const std::string& text) {
  if (interactive_ && status_drawn_) std::fputs("\r\x1b[2K", out_);
  std::fputs(http::Redact(text).c_str(), out_);
  std::fputc('\n', out_);
  status_drawn_ = false;
  if (interactive_) DrawStatus();
  std::fflush(out_);
}

void ProgressObserver::DrawStatus() {
  if (!interactive_ || running_.empty()) return;
  std::string s = "[" + std::to_string(done_) + "/" + std::to_string(total_) + "] " +
                  std::to_string(running_.size()) + " running: ";
  const auto& [addr, msg] = *running_.begin();
  s += addr;
  if (!msg.empty()) s += " (" + msg + ")";
  if (running_.size() > 1) s += " +" + std::to_string(running_.size() - 1) + " more";
  if (s.size() > 150) s = s.substr(0, 147) + "...";
  std::fputs("\r\x1b[2K", out_);
  std::fputs(http::Redact(s).c_str(), out_);
  status_drawn_ = true;
  std::fflush(out_);
}

void ProgressObserver::RefreshStarted(const std::string& provider) {
  spdlog::info("refresh {}: started", provider);
  std::lock_guard<std::mutex> lock(mu_);
  Line("refreshing " + provider + "...");
}

void ProgressObserver::RefreshFinished(const std::string& provider, const Status& status, int found) {
  if (status.ok()) {
    spdlog::info("refresh {}: {} resource(s) found", provider, found);
  } else {
    spdlog::error("refresh {}: {}", provider, status.ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (status.ok()) {
    Line("refreshed " + provider + ": " + std::to_string(found) + " resource(s) of this deployment found");
  } else {
    Line(Paint("refresh of " + provider + " failed: " + status.message(), "31"));
  }
}

void ProgressObserver::ChangeStarted(const plan::Change& change) {
  spdlog::info("{}: {} started ({})", change.address, plan::ActionName(change.action), change.reason);
  std::lock_guard<std::mutex> lock(mu_);
  running_[change.address] = "";
  if (interactive_) {
    DrawStatus();
  } else {
    Line(change.address + ": " + std::string(plan::ActionName(change.action)) + " started");
  }
}

void ProgressObserver::ChangeProgress(const std::string& address, const std::string& message) {
  spdlog::debug("{}: {}", address, message);
  std::lock_guard<std::mutex> lock(mu_);
  running_[address] = message;
  if (interactive_) {
    DrawStatus();
  } else {
    Line(address + ": " + message);
  }
}

void ProgressObserver::ChangeFinished(const plan::Change& change, const Status& status, int64_t duration_micros) {
  if (status.ok()) {
    spdlog::info("{}: {} complete in {:.3f}s", change.address, plan::ActionName(change.action), duration_micros / 1e6);
  } else {
    spdlog::error("{}: {} failed: {}", change.address, plan::ActionName(change.action), status.ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  running_.erase(change.address);
  ++done_;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1fs", duration_micros / 1e6);
  std::string action(plan::ActionName(change.action));
  if (status.ok()) {
    Line(Paint(change.address + ": " + action + " complete after " + secs, "32"));
  } else {
    Line(Paint(change.address + ": " + action + " failed after " + secs + ": " + status.message(), "31"));
  }
}

void ProgressObserver::ChangeSkipped(const std::string& address, const std::string& reason) {
  spdlog::warn("{}: skipped: {}", address, reason);
  std::lock_guard<std::mutex> lock(mu_);
  ++done_;
  Line(Paint(address + ": skipped: " + reason, "33"));
}

void ProgressObserver::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (interactive_ && status_drawn_) std::fputs("\r\x1b[2K", out_);
  status_drawn_ = false;
  std::fflush(out_);
}

}  // namespace orch::cli
