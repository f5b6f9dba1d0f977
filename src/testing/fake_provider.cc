#include "testing/fake_provider.h"

#include <algorithm>
#include <utility>

#include "model/resource.h"

namespace orch::testing {

class FakeProvider::InFlight {
 public:
  explicit InFlight(FakeProvider* p) : p_(p) {
    int now = ++p_->in_flight_;
    int max = p_->max_in_flight_.load();
    while (now > max && !p_->max_in_flight_.compare_exchange_weak(max, now)) {
    }
  }
  ~InFlight() { --p_->in_flight_; }

 private:
  FakeProvider* p_;
};

FakeProvider::FakeProvider(std::string type, env::Clock* clock)
    : type_(std::move(type)), clock_(clock ? clock : env::Clock::Real()) {
  for (model::Kind k : {model::Kind::kNetwork, model::Kind::kFirewall, model::Kind::kSshKey,
                        model::Kind::kImage, model::Kind::kInstance, model::Kind::kInstanceGroup,
                        model::Kind::kVolume, model::Kind::kFloatingIp, model::Kind::kLoadBalancer}) {
    caps_.kinds.insert(k);
  }
}

engine::Capabilities FakeProvider::GetCapabilities() const {
  std::lock_guard<std::mutex> lock(mu_);
  return caps_;
}

Status FakeProvider::Configure(const engine::ProviderConfig&) { return Status::OK(); }

void FakeProvider::SetCapabilities(engine::Capabilities caps) {
  std::lock_guard<std::mutex> lock(mu_);
  caps_ = std::move(caps);
}
void FakeProvider::SetLatencyMicros(int64_t micros) {
  std::lock_guard<std::mutex> lock(mu_);
  latency_micros_ = micros;
}
void FakeProvider::SetUpdatableKeys(std::vector<std::string> keys) {
  std::lock_guard<std::mutex> lock(mu_);
  updatable_keys_ = std::move(keys);
}
void FakeProvider::SetAdoptExistingOnCreate(bool adopt) {
  std::lock_guard<std::mutex> lock(mu_);
  adopt_existing_ = adopt;
}
void FakeProvider::FailCreate(const std::string& address, Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  create_faults_[address] = Fault{std::move(status), times};
}
void FakeProvider::LoseCreateResponse(const std::string& address, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  lost_creates_[address] = Fault{Status::Transient("connection reset before the response arrived"), times};
}
void FakeProvider::FailUpdate(const std::string& address, Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  update_faults_[address] = Fault{std::move(status), times};
}
void FakeProvider::FailDelete(const std::string& address, Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  delete_faults_[address] = Fault{std::move(status), times};
}
void FakeProvider::FailDiscover(Status status, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  discover_fault_ = Fault{std::move(status), times};
}
void FakeProvider::SetCallHook(std::function<void(const std::string&, const std::string&)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}
void FakeProvider::SetRecordOperations(bool record) {
  std::lock_guard<std::mutex> lock(mu_);
  record_operations_ = record;
}

void FakeProvider::ResetCounters() {
  creates_ = updates_ = deletes_ = discovers_ = 0;
  max_in_flight_ = 0;
  std::lock_guard<std::mutex> lock(mu_);
  log_.clear();
}

std::vector<std::string> FakeProvider::CallLog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::vector<engine::ObservedResource> FakeProvider::Resources() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<engine::ObservedResource> out;
  for (const auto& [id, r] : resources_) out.push_back(r);
  return out;
}

int FakeProvider::CountAddress(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const auto& [id, r] : resources_) n += r.address == address ? 1 : 0;
  return n;
}

std::string FakeProvider::LastResumeOperation(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_resume_.find(address);
  return it == last_resume_.end() ? "" : it->second;
}

int64_t FakeProvider::LastTimeoutMs(const std::string& entry) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_timeout_.find(entry);
  return it == last_timeout_.end() ? -1 : it->second;
}

int FakeProvider::LastAttempt(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_attempt_.find(address);
  return it == last_attempt_.end() ? 0 : it->second;
}

void FakeProvider::TEST_Remove(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = resources_.begin(); it != resources_.end();) {
    it = it->second.address == address ? resources_.erase(it) : std::next(it);
  }
}

void FakeProvider::TEST_SetOutput(const std::string& address, const std::string& key, nlohmann::json value) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, r] : resources_) {
    if (r.address == address) r.outputs[key] = value;
  }
}

std::string FakeProvider::TEST_Insert(engine::ObservedResource resource) {
  std::lock_guard<std::mutex> lock(mu_);
  int n = next_id_++;
  if (resource.id.empty()) resource.id = "fake-" + std::to_string(n);
  resource.outputs["id"] = resource.id;
  resources_[n] = resource;
  return resource.id;
}

bool FakeProvider::TakeFault(std::map<std::string, Fault>* faults, const std::string& address, Status* out) {
  auto it = faults->find(address);
  if (it == faults->end() || it->second.times <= 0) return false;
  *out = it->second.status;
  if (--it->second.times == 0) faults->erase(it);
  return true;
}

void FakeProvider::Sleep() {
  int64_t micros;
  {
    std::lock_guard<std::mutex> lock(mu_);
    micros = latency_micros_;
  }
  if (micros > 0) clock_->SleepForMicros(micros);
}

void FakeProvider::Log(const std::string& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.push_back(entry);
}

// With mu_ held.
engine::ObservedResource FakeProvider::MakeResource(const model::Resource& resource) {
  const int n = next_id_++;
  engine::ObservedResource r;
  r.address = resource.address.ToString();
  r.kind = std::string(model::KindName(resource.address.kind));
  r.id = "fake-" + std::to_string(n);
  r.cloud_name = resource.cloud_name;
  r.tags = resource.tags;
  r.attributes = resource.attributes;
  r.outputs = nlohmann::json::object();
  r.outputs["id"] = r.id;
  const std::string private_ip = "10.0." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1);
  const std::string public_ip = "198.51." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1);
  switch (resource.address.kind) {
    case model::Kind::kInstance:
      r.outputs["private_ip"] = private_ip;
      r.outputs["public_ip"] = public_ip;
      r.outputs["status"] = "active";
      break;
    case model::Kind::kInstanceGroup: {
      int count = 1;
      if (resource.attributes.is_object() && resource.attributes.contains("min") &&
          resource.attributes["min"].is_number_integer()) {
        count = resource.attributes["min"].get<int>();
      }
      nlohmann::json instances = nlohmann::json::array();
      for (int i = 0; i < count; ++i) {
        instances.push_back({{"name", resource.cloud_name + "-" + std::to_string(i)},
                             {"private_ip", "10.1." + std::to_string(n % 250) + "." + std::to_string(i + 1)},
                             {"public_ip", "198.52." + std::to_string(n % 250) + "." + std::to_string(i + 1)}});
      }
      r.outputs["instances"] = instances;
      break;
    }
    case model::Kind::kLoadBalancer:
    case model::Kind::kFloatingIp:
      r.outputs["ip"] = public_ip;
      break;
    case model::Kind::kSshKey:
      r.outputs["fingerprint"] = "fp:" + r.id;
      break;
    default:
      break;
  }
  resources_[n] = r;
  return r;
}

namespace {
// What a cloud reports back: user_data is write-only on every real cloud.
engine::ObservedResource Reported(engine::ObservedResource r) {
  if (r.attributes.is_object()) r.attributes.erase("user_data");
  return r;
}
}  // namespace

Result<std::vector<engine::ObservedResource>> FakeProvider::Discover(const std::string& deployment) {
  ++discovers_;
  Sleep();
  std::lock_guard<std::mutex> lock(mu_);
  if (discover_fault_.times > 0) {
    --discover_fault_.times;
    return discover_fault_.status;
  }
  std::vector<engine::ObservedResource> out;
  const std::string key(model::kTagDeployment);
  for (const auto& [id, r] : resources_) {
    auto t = r.tags.find(key);
    if (t != r.tags.end() && t->second == deployment) out.push_back(Reported(r));
  }
  return out;
}

plan::DiffDecision FakeProvider::Diff(const model::Resource& desired,
                                        const state::ResourceState& prior) const {
  if (desired.attributes == prior.attributes) return plan::DiffDecision::kNoop;
  std::lock_guard<std::mutex> lock(mu_);
  if (!desired.attributes.is_object() || !prior.attributes.is_object()) return plan::DiffDecision::kReplace;
  std::vector<std::string> keys;
  for (auto it = desired.attributes.begin(); it != desired.attributes.end(); ++it) keys.push_back(it.key());
  for (auto it = prior.attributes.begin(); it != prior.attributes.end(); ++it) keys.push_back(it.key());
  for (const std::string& k : keys) {
    const bool same = desired.attributes.contains(k) && prior.attributes.contains(k) &&
                      desired.attributes[k] == prior.attributes[k];
    if (same) continue;
    if (std::find(updatable_keys_.begin(), updatable_keys_.end(), k) == updatable_keys_.end()) {
      return plan::DiffDecision::kReplace;
    }
  }
  return plan::DiffDecision::kUpdate;
}

Result<engine::ObservedResource> FakeProvider::Create(const model::Resource& resource,
                                                      engine::ApplyContext& ctx) {
  const std::string address = resource.address.ToString();
  std::function<void(const std::string&, const std::string&)> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = hook_;
  }
  if (hook) hook("create", address);
  InFlight in_flight(this);
  ++creates_;
  Log("create " + address);
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_timeout_["create " + address] = ctx.timeout_ms;
  }
  bool record;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_resume_[address] = ctx.resume_operation;
    last_attempt_[address] = ctx.attempt;
    record = record_operations_;
  }
  if (record && ctx.record_operation) ctx.record_operation("op-" + address);
  if (ctx.progress) ctx.progress("creating " + resource.cloud_name);
  Sleep();
  std::lock_guard<std::mutex> lock(mu_);
  Status fault;
  if (TakeFault(&create_faults_, address, &fault)) return fault;
  // The Provider contract: a create retried after an interrupted or lost
  // attempt (attempt > 1) adopts a resource already carrying its tags.
  if (adopt_existing_ || ctx.attempt > 1) {
    for (const auto& [id, r] : resources_) {
      if (r.address == address && r.tags == resource.tags) return Reported(r);
    }
  }
  engine::ObservedResource created = MakeResource(resource);
  if (TakeFault(&lost_creates_, address, &fault)) return fault;
  return Reported(created);
}

Result<engine::ObservedResource> FakeProvider::Update(const model::Resource& resource,
                                                      const state::ResourceState& prior,
                                                      engine::ApplyContext& ctx) {
  const std::string address = resource.address.ToString();
  std::function<void(const std::string&, const std::string&)> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = hook_;
  }
  if (hook) hook("update", address);
  InFlight in_flight(this);
  ++updates_;
  Log("update " + address);
  Sleep();
  std::lock_guard<std::mutex> lock(mu_);
  last_timeout_["update " + address] = ctx.timeout_ms;
  Status fault;
  if (TakeFault(&update_faults_, address, &fault)) return fault;
  for (auto& [id, r] : resources_) {
    if (r.id == prior.id) {
      r.attributes = resource.attributes;
      return Reported(r);
    }
  }
  return Status::NotFound("fake resource " + prior.id + " (" + address + ") does not exist");
}

Status FakeProvider::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  std::function<void(const std::string&, const std::string&)> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = hook_;
  }
  if (hook) hook("delete", prior.address);
  InFlight in_flight(this);
  ++deletes_;
  Log("delete " + prior.address);
  Sleep();
  std::lock_guard<std::mutex> lock(mu_);
  last_timeout_["delete " + prior.address] = ctx.timeout_ms;
  Status fault;
  if (TakeFault(&delete_faults_, prior.address, &fault)) return fault;
  for (auto it = resources_.begin(); it != resources_.end(); ++it) {
    if (it->second.id == prior.id) {
      resources_.erase(it);
      break;
    }
  }
  return Status::OK();  // already gone counts as success
}

}  // namespace orch::testing
