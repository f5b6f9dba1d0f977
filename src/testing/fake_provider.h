// FakeProvider: an in-memory cloud implementing engine::Provider, for tests
// of the engine and of anything above it. Never used by the real binary.
//
// Resources get ids ("fake-7"), keep the tags and attributes they were
// created with, and report outputs like a real cloud: "id" everywhere,
// "private_ip"/"public_ip"/"status" for instances, "ip" for load balancers
// and floating IPs, "fingerprint" for ssh keys, "instances" for groups.
// Discover returns every resource tagged with the deployment.
//
// Fault injection, per address: a create that fails cleanly, a create whose
// response is "lost" (the resource exists, the call returns kTransient), and
// failing updates/deletes/discovers. Optional latency per call (through the
// Clock given, the real clock by default, so concurrency is real).
// Counters: calls per kind, current and maximum in-flight mutating calls.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/provider.h"
#include "env/clock.h"

namespace orch::testing {

class FakeProvider : public engine::Provider {
 public:
  explicit FakeProvider(std::string type = "fake", env::Clock* clock = nullptr);

  // --- engine::Provider ---
  std::string Type() const override { return type_; }
  engine::Capabilities GetCapabilities() const override;
  Status Configure(const engine::ProviderConfig& config) override;
  Result<std::vector<engine::ObservedResource>> Discover(const std::string& deployment) override;
  plan::DiffDecision Diff(const model::Resource& desired,
                            const state::ResourceState& prior) const override;
  Result<engine::ObservedResource> Create(const model::Resource& resource,
                                          engine::ApplyContext& ctx) override;
  Result<engine::ObservedResource> Update(const model::Resource& resource,
                                          const state::ResourceState& prior,
                                          engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

  // --- configuration ---
  void SetCapabilities(engine::Capabilities caps);
  // Sleep this long inside every Create/Update/Delete (and Discover).
  void SetLatencyMicros(int64_t micros);
  // Attribute keys an Update can change in place; other changes replace.
  void SetUpdatableKeys(std::vector<std::string> keys);
  // When true (the default, as the Provider contract requires), Create of an
  // address that already exists returns the existing resource.
  void SetAdoptExistingOnCreate(bool adopt);
  // The next `times` Create calls of `address` fail with `status`, creating nothing.
  void FailCreate(const std::string& address, Status status, int times = 1);
  // The next `times` Create calls of `address` create the resource, then
  // return kTransient as if the response had been lost.
  void LoseCreateResponse(const std::string& address, int times = 1);
  void FailUpdate(const std::string& address, Status status, int times = 1);
  void FailDelete(const std::string& address, Status status, int times = 1);
  void FailDiscover(Status status, int times = 1);
  // Called at the start of every mutating call with ("create"|"update"|
  // "delete", address), outside the provider's lock.
  void SetCallHook(std::function<void(const std::string& op, const std::string& address)> hook);
  // The operation id passed to ApplyContext::record_operation by Create.
  void SetRecordOperations(bool record);

  // --- inspection ---
  int creates() const { return creates_.load(); }
  int updates() const { return updates_.load(); }
  int deletes() const { return deletes_.load(); }
  int discovers() const { return discovers_.load(); }
  int mutating_calls() const { return creates() + updates() + deletes(); }
  int max_in_flight() const { return max_in_flight_.load(); }
  void ResetCounters();
  // "create api.instance[0]", "delete network.main", ... in call order.
  std::vector<std::string> CallLog() const;
  // Every resource the fake cloud holds, by id order.
  std::vector<engine::ObservedResource> Resources() const;
  // How many resources carry this address tag.
  int CountAddress(const std::string& address) const;
  // The ApplyContext::resume_operation / attempt seen by the last Create of `address`.
  std::string LastResumeOperation(const std::string& address) const;
  int LastAttempt(const std::string& address) const;
  // The ApplyContext::timeout_ms of the last call `entry` ("create ADDR",
  // "update ADDR", "delete ADDR"), -1 when there was none.
  int64_t LastTimeoutMs(const std::string& entry) const;

  // --- changes made "outside the orchestrator" ---
  void TEST_Remove(const std::string& address);
  void TEST_SetOutput(const std::string& address, const std::string& key, nlohmann::json value);
  // Inserts a resource as is (e.g. an orphan with the deployment tag); returns its id.
  std::string TEST_Insert(engine::ObservedResource resource);

 private:
  struct Fault {
    Status status;
    int times = 0;
  };
  // Counts one mutating call in flight for its lifetime.
  class InFlight;

  bool TakeFault(std::map<std::string, Fault>* faults, const std::string& address, Status* out);
  void Sleep();
  engine::ObservedResource MakeResource(const model::Resource& resource);
  void Log(const std::string& entry);

  const std::string type_;
  env::Clock* const clock_;

  std::atomic<int> creates_{0}, updates_{0}, deletes_{0}, discovers_{0};
  std::atomic<int> in_flight_{0}, max_in_flight_{0};

  mutable std::mutex mu_;
  engine::Capabilities caps_;
  int64_t latency_micros_ = 0;
  std::vector<std::string> updatable_keys_;
  bool adopt_existing_ = true;
  bool record_operations_ = false;
  std::map<std::string, Fault> create_faults_, lost_creates_, update_faults_, delete_faults_;
  Fault discover_fault_;
  std::function<void(const std::string&, const std::string&)> hook_;
  std::map<int, engine::ObservedResource> resources_;  // by numeric id
  int next_id_ = 1;
  std::vector<std::string> log_;
  std::map<std::string, std::string> last_resume_;
  std::map<std::string, int> last_attempt_;
  std::map<std::string, int64_t> last_timeout_;
};

}  // namespace orch::testing
