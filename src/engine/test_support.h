// Fixtures shared by the engine's unit tests (not part of orch_engine).
#pragma once

#include <algorithm>
#include <atomic>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/provider.h"
#include "model/references.h"
#include "model/resource.h"
#include "plan/plan.h"
#include "state/references.h"
#include "state/state.h"
#include "state/state_store.h"

namespace orch::engine::test {

inline constexpr char kDeployment[] = "demo";

// An in-process StateStore with the StateStore contract's serial
// compare-and-swap, that also keeps every State written (in order) and can
// be told to fail writes.
class RecordingStore : public state::StateStore {
 public:
  Result<state::LockInfo> Lock(const std::string& operation, int64_t timeout_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++lock_calls_;
    if (!lock_id_.empty()) return Status::Conflict("state is locked by " + lock_op_);
    state::LockInfo info;
    info.id = "lock-" + std::to_string(lock_calls_);
    info.operation = operation;
    lock_id_ = info.id;
    lock_op_ = operation;
    return info;
  }
  Status Unlock(const std::string& lock_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (lock_id != lock_id_) return Status::Conflict("not the lock holder");
    lock_id_.clear();
    ++unlock_calls_;
    return Status::OK();
  }
  Status ForceUnlock() override {
    std::lock_guard<std::mutex> lock(mu_);
    lock_id_.clear();
    return Status::OK();
  }
  Result<state::State> Read() override {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }
  Status Write(const state::State& s, uint64_t expected_serial) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_after_ >= 0 && static_cast<int>(writes_.size()) >= fail_after_) {
      return Status::Internal("disk full");
    }
    if (current_.serial != expected_serial) {
      return Status::Conflict("stored serial is " + std::to_string(current_.serial) + ", expected " +
                              std::to_string(expected_serial));
    }
    current_ = s;
    current_.serial = expected_serial + 1;
    writes_.push_back(current_);
    return Status::OK();
  }
  Status Delete() override {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = state::State();
    ++deletes_;
    return Status::OK();
  }

  // Writes number `n` and later fail (-1: never).
  void FailWritesFrom(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_after_ = n;
  }
  std::vector<state::State> writes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return writes_;
  }
  state::State current() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }
  bool locked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return !lock_id_.empty();
  }
  int lock_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lock_calls_;
  }
  int unlock_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return unlock_calls_;
  }
  int deletes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return deletes_;
  }
  // Simulates another process writing the state.
  void ExternalWrite(const state::State& s) {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = s;
    current_.serial += 1;
  }

 private:
  mutable std::mutex mu_;
  state::State current_;
  std::vector<state::State> writes_;
  int fail_after_ = -1;
  std::string lock_id_, lock_op_;
  int lock_calls_ = 0, unlock_calls_ = 0, deletes_ = 0;
};

inline model::Address Addr(const std::string& text) {
  Result<model::Address> a = model::Address::Parse(text);
  return a.ok() ? *a : model::Address{};
}

// A desired resource of provider `provider` with the standard tags.
inline model::Resource Res(const std::string& address, nlohmann::json attributes,
                           std::vector<std::string> depends_on = {}, const std::string& provider = "cloud") {
  model::Resource r;
  r.address = Addr(address);
  r.provider = provider;
  std::string name = std::string(kDeployment) + "-";
  for (char c : address) name += (std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  r.cloud_name = name;
  r.tags[std::string(model::kTagDeployment)] = kDeployment;
  r.tags[std::string(model::kTagAddress)] = address;
  if (!r.address.tier.empty()) r.tags[std::string(model::kTagTier)] = r.address.tier;
  r.attributes = std::move(attributes);
  for (const std::string& d : depends_on) r.depends_on.push_back(Addr(d));
  return r;
}

inline plan::Change CreateOf(const model::Resource& r) {
  plan::Change c;
  c.address = r.address.ToString();
  c.kind = r.address.kind;
  c.action = plan::Action::kCreate;
  c.provider = r.provider;
  c.reason = "not in state";
  c.desired = r;
  for (const model::Address& a : r.depends_on) c.depends_on.push_back(a.ToString());
  return c;
}

// A plan creating every resource (changes sorted by address, as planned).
inline plan::Plan CreatePlan(const std::vector<model::Resource>& resources, uint64_t serial = 0) {
  plan::Plan p;
  p.deployment = kDeployment;
  p.state_serial = serial;
  for (const model::Resource& r : resources) p.changes.push_back(CreateOf(r));
  std::sort(p.changes.begin(), p.changes.end(),
            [](const plan::Change& a, const plan::Change& b) { return a.address < b.address; });
  return p;
}

// A teardown plan for everything in `s`: each delete waits for the deletes
// of the resources that depend on it.
inline plan::Plan TeardownPlan(const state::State& s) {
  plan::Plan p;
  p.deployment = kDeployment;
  p.teardown = true;
  p.state_serial = s.serial;
  p.state_lineage = s.lineage;
  for (const auto& [address, rs] : s.resources) {
    plan::Change c;
    c.address = address;
    c.kind = Addr(address).kind;
    c.action = plan::Action::kDelete;
    c.provider = rs.provider;
    c.prior = rs;
    for (const auto& [other, ors] : s.resources) {
      for (const std::string& d : ors.depends_on) {
        if (d == address) c.depends_on.push_back(other);
      }
    }
    p.changes.push_back(c);
  }
  return p;
}

// A small stand-in for the planner, enough for engine tests: desired vs
// state vs observed (by address) -> create / adopt / replace / delete / noop.
inline plan::Plan SimplePlan(const std::vector<model::Resource>& desired, const state::State& s,
                             const std::map<std::string, ObservedResource>& observed) {
  plan::Plan p;
  p.deployment = kDeployment;
  p.state_serial = s.serial;
  p.state_lineage = s.lineage;
  std::set<std::string> wanted;
  for (const model::Resource& r : desired) {
    plan::Change c = CreateOf(r);
    wanted.insert(c.address);
    auto in_state = s.resources.find(c.address);
    auto seen = observed.find(c.address);
    if (in_state != s.resources.end() && seen != observed.end()) {
      c.prior = in_state->second;
      Result<nlohmann::json> resolved = state::ResolveReferences(r.attributes, s);
      c.action = resolved.ok() && *resolved == in_state->second.attributes ? plan::Action::kNoop
                                                                           : plan::Action::kReplace;
    } else if (seen != observed.end()) {
      c.action = plan::Action::kAdopt;
      c.prior.address = c.address;
      c.prior.id = seen->second.id;
      c.prior.cloud_name = seen->second.cloud_name;
      c.prior.tags = seen->second.tags;
      c.prior.attributes = seen->second.attributes;
      c.prior.outputs = seen->second.outputs;
    }
    p.changes.push_back(c);
  }
  for (const auto& [address, rs] : s.resources) {
    if (wanted.count(address)) continue;
    plan::Change c;
    c.address = address;
    c.kind = Addr(address).kind;
    c.action = plan::Action::kDelete;
    c.provider = rs.provider;
    c.prior = rs;
    p.changes.push_back(c);
  }
  std::sort(p.changes.begin(), p.changes.end(),
            [](const plan::Change& a, const plan::Change& b) { return a.address < b.address; });
  return p;
}

}  // namespace orch::engine::test
