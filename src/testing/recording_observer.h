// RecordingObserver: an engine::Observer that records every event, for
// tests. Thread-safe (the engine calls it from worker threads). Optional
// callbacks let a test act at a precise moment (e.g. cancel the run after
// the first change finishes); they run on the engine's thread, outside the
// recorder's lock.
#pragma once

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "engine/observer.h"

namespace orch::testing {

class RecordingObserver : public engine::Observer {
 public:
  struct Event {
    std::string type;     // refresh_started, refresh_finished, started, progress, finished, skipped
    std::string subject;  // provider name or resource address
    std::string detail;   // status text, progress message or skip reason ("OK" on success)
    std::string action;   // plan action word for started/finished
  };

  void RefreshStarted(const std::string& provider) override { Add({"refresh_started", provider, "", ""}); }
  void RefreshFinished(const std::string& provider, const Status& status, int found) override {
    Add({"refresh_finished", provider, status.ToString(), std::to_string(found)});
  }
  void ChangeStarted(const plan::Change& change) override {
    Add({"started", change.address, "", ActionText(change.action)});
    std::function<void(const plan::Change&)> cb;
    {
      std::lock_guard<std::mutex> lock(mu_);
      cb = on_started_;
    }
    if (cb) cb(change);
  }
  void ChangeProgress(const std::string& address, const std::string& message) override {
    Add({"progress", address, message, ""});
  }
  void ChangeFinished(const plan::Change& change, const Status& status, int64_t duration_micros) override {
    Add({"finished", change.address, status.ToString(), ActionText(change.action)});
    std::function<void(const plan::Change&, const Status&)> cb;
    {
      std::lock_guard<std::mutex> lock(mu_);
      cb = on_finished_;
    }
    if (cb) cb(change, status);
  }
  void ChangeSkipped(const std::string& address, const std::string& reason) override {
    Add({"skipped", address, reason, ""});
  }

  void OnStarted(std::function<void(const plan::Change&)> cb) {
    std::lock_guard<std::mutex> lock(mu_);
    on_started_ = std::move(cb);
  }
  void OnFinished(std::function<void(const plan::Change&, const Status&)> cb) {
    std::lock_guard<std::mutex> lock(mu_);
    on_finished_ = std::move(cb);
  }

  std::vector<Event> Events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  // Subjects of the events of one type, in order.
  std::vector<std::string> Subjects(const std::string& type) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const Event& e : events_) {
      if (e.type == type) out.push_back(e.subject);
    }
    return out;
  }
  // Position of the first event of `type` about `subject`, or -1.
  int IndexOf(const std::string& type, const std::string& subject) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < events_.size(); ++i) {
      if (events_[i].type == type && events_[i].subject == subject) return static_cast<int>(i);
    }
    return -1;
  }

 private:
  static std::string ActionText(plan::Action a) {
    switch (a) {
      case plan::Action::kNoop: return "no-op";
      case plan::Action::kCreate: return "create";
      case plan::Action::kUpdate: return "update";
      case plan::Action::kReplace: return "replace";
      case plan::Action::kDelete: return "delete";
      case plan::Action::kAdopt: return "adopt";
    }
    return "";
  }
  void Add(Event e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(e));
  }

  mutable std::mutex mu_;
  std::vector<Event> events_;
  std::function<void(const plan::Change&)> on_started_;
  std::function<void(const plan::Change&, const Status&)> on_finished_;
};

}  // namespace orch::testing
