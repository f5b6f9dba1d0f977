#include "engine/state_writer.h"

#include <cstdio>
#include <random>

namespace orch::engine {

std::string NewLineage() {
  std::random_device rd;
  std::string out;
  char buf[9];
  for (int i = 0; i < 4; ++i) {
    std::snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(rd()));
    out += buf;
  }
  return out;
}

StateWriter::StateWriter(state::StateStore* store, state::State initial)
    : store_(store), state_(std::move(initial)) {}

Status StateWriter::Update(const std::function<void(state::State&)>& mutate) {
  std::unique_lock<std::mutex> lock(mu_);
  mutate(state_);
  if (state_.lineage.empty()) state_.lineage = NewLineage();
  const uint64_t mine = ++mutations_;
  for (;;) {
    if (durable_ >= mine) return Status::OK();  // a successful write included it
    if (settled_ >= mine) return last_status_;  // the writes that included it failed
    if (!writing_) break;
    cv_.wait(lock);
  }
  // This thread writes everything mutated so far.
  writing_ = true;
  const uint64_t covers = mutations_;
  const uint64_t expected = state_.serial;
  state::State to_write = state_;
  to_write.serial = expected + 1;
  lock.unlock();
  Status st = store_->Write(to_write, expected);
  lock.lock();
  if (st.ok()) {
    state_.serial = expected + 1;
    ++writes_;
    durable_ = covers;
  } else {
    st = st.WithPrefix("writing state (serial " + std::to_string(expected) + ")");
    if (failure_.ok()) failure_ = st;
  }
  settled_ = covers;
  last_status_ = st;
  writing_ = false;
  cv_.notify_all();
  return st;
}

void StateWriter::Read(const std::function<void(const state::State&)>& read) const {
  std::lock_guard<std::mutex> lock(mu_);
  read(state_);
}

state::State StateWriter::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

uint64_t StateWriter::serial() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_.serial;
}

int StateWriter::writes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return writes_;
}

Status StateWriter::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

}  // namespace orch::engine
