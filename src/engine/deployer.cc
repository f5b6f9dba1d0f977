#include "engine/deployer.h"

#include <filesystem>
#include <map>
#include <set>
#include <vector>
#include <utility>

#include "engine/provider_call.h"
#include "engine/state_writer.h"
#include "model/resource.h"
#include "state/moves.h"

namespace orch::engine {
namespace {

// Holds a state lock for one scope; Unlock happens on every path.
class ScopedLock {
 public:
  ScopedLock(state::StateStore* store, const std::string& operation, int64_t timeout_ms)
      : store_(store), info_(store->Lock(operation, timeout_ms)) {}
  ~ScopedLock() { (void)Release(); }
  ScopedLock(const ScopedLock&) = delete;
  ScopedLock& operator=(const ScopedLock&) = delete;

  const Status& status() const { return info_.status(); }
  Status Release() {
    if (!info_.ok() || released_) return Status::OK();
    released_ = true;
    return store_->Unlock(info_->id);
  }

 private:
  state::StateStore* const store_;
  Result<state::LockInfo> info_;
  bool released_ = false;
};

bool HasMutatingChanges(const plan::Plan& plan) {
  for (const plan::Change& c : plan.changes) {
    if (c.action != plan::Action::kNoop) return true;
  }
  return false;
}

Diagnostic Error(std::string message) {
  Diagnostic d;
  d.message = std::move(message);
  return d;
}

}  // namespace

Deployer::Deployer(DeployerOptions options, state::StateStore* store, ProviderSet providers)
    : options_(std::move(options)), store_(store), providers_(std::move(providers)) {
  if (!options_.clock) options_.clock = env::Clock::Real();
  if (!options_.observer) options_.observer = NullObserver::Get();
  if (!options_.planner) options_.planner = DefaultPlanner();
  if (!options_.render_user_data) options_.render_user_data = DefaultUserDataRenderer(options_.spec_dir, options_.sensitive);
}

// Every desired resource has a configured provider able to create its kind.
static Status CheckProviders(const ProviderSet& providers, const std::vector<model::Resource>& desired) {
  std::map<std::string, Capabilities> caps;
  std::string problems;
  int count = 0;
  for (const model::Resource& r : desired) {
    auto p = providers.find(r.provider);
    std::string problem;
    if (p == providers.end() || p->second == nullptr) {
      problem = r.address.ToString() + ": provider '" + r.provider + "' is not configured";
    } else {
      auto c = caps.find(r.provider);
      if (c == caps.end()) c = caps.emplace(r.provider, p->second->GetCapabilities()).first;
      if (!c->second.kinds.count(r.address.kind)) {
        problem = r.address.ToString() + ": provider '" + r.provider + "' (" + p->second->Type() +
                  ") cannot create " + std::string(model::KindName(r.address.kind)) + " resources";
      }
    }
    if (problem.empty()) continue;
    if (++count <= 10) problems += (problems.empty() ? "" : "; ") + problem;
  }
  if (count == 0) return Status::OK();
  if (count > 10) problems += "; and " + std::to_string(count - 10) + " more";
  return Status::InvalidArgument(problems);
}

namespace {

// State written before templates were recorded spec-relative holds the
// template's absolute path and no digest: the same template, reached from
// this checkout, is the same record (and is no replacement). Applied to the
// state read for planning; the record is rewritten when the resource next
// changes.
void UpgradeRecordedUserData(const std::vector<model::Resource>& desired, const std::string& spec_dir,
                             state::State* state) {
  if (spec_dir.empty()) return;
  for (const model::Resource& r : desired) {
    const nlohmann::json& ud = r.attributes.is_object() ? r.attributes.value("user_data", nlohmann::json()) : nlohmann::json();
    if (!ud.is_object() || !ud.value("template", nlohmann::json()).is_string() || !ud.contains("digest")) continue;
    auto it = state->resources.find(r.address.ToString());
    if (it == state->resources.end() || !it->second.attributes.is_object()) continue;
    nlohmann::json& was = it->second.attributes["user_data"];
    if (!was.is_object() || was.contains("digest") || !was.value("template", nlohmann::json()).is_string()) continue;
    std::filesystem::path old_path(was["template"].get<std::string>());
    std::filesystem::path now(ud["template"].get<std::string>());
    if (now.is_relative()) now = std::filesystem::path(spec_dir) / now;
    if (!old_path.is_absolute() || old_path.lexically_normal() != now.lexically_normal()) continue;
    was["template"] = ud["template"];
    was["digest"] = ud["digest"];
  }
}

// Asks each provider which of its desired resources that neither state nor
// the refresh knows a create would reuse (Provider::FindReusable).
Result<std::map<std::string, std::string>> FindReusable(const PlanRequest& req) {
  std::map<std::string, std::vector<model::Resource>> wanted;
  for (const model::Resource& r : req.desired) {
    std::string addr = r.address.ToString();
    if (req.state.resources.count(addr) || req.observed.by_address.count(addr)) continue;
    wanted[r.provider].push_back(r);
  }
  std::map<std::string, std::string> out;
  for (const auto& [name, list] : wanted) {
    if (!req.providers) break;
    auto p = req.providers->find(name);
    if (p == req.providers->end() || !p->second) continue;
    Provider* provider = p->second;
    Result<std::map<std::string, std::string>> found =
        CallProvider("looking up what " + name + " already holds", [&] { return provider->FindReusable(list); });
    if (!found.ok()) return found.status().WithPrefix("refreshing " + name);
    out.insert(found->begin(), found->end());
  }
  return out;
}

}  // namespace

Result<plan::Plan> Deployer::MakePlan(bool teardown, const std::vector<model::Resource>& desired,
                                      const std::string& spec_digest) {
  if (!teardown) ORCH_RETURN_IF_ERROR(CheckProviders(providers_, desired));
  ScopedLock lock(store_, "plan", options_.lock_timeout_ms);
  if (!lock.status().ok()) return lock.status();
  Result<state::State> stored = store_->Read();
  if (!stored.ok()) return stored.status().WithPrefix("reading state");

  PlanRequest req;
  req.deployment = options_.deployment;
  req.teardown = teardown;
  req.desired = desired;
  req.state = std::move(*stored);
  std::vector<state::MovedAddress> moved;
  if (!teardown && !options_.moves.empty()) {
    Result<std::vector<state::MovedAddress>> applied = state::ApplyMoves(options_.moves, &req.state);
    if (!applied.ok()) return applied.status();
    moved = std::move(*applied);
  }
  if (!teardown) state::KeepRecordedNames(req.state, &req.desired);
  UpgradeRecordedUserData(desired, options_.spec_dir, &req.state);
  req.spec_digest = spec_digest;
  req.replace = options_.replace;
  req.providers = &providers_;
  req.refreshed = options_.refresh;
  if (options_.refresh) {
    Result<RefreshResult> observed = Refresh(providers_, options_.deployment, &req.state, options_.observer);
    if (!observed.ok()) return observed.status();
    req.observed = std::move(*observed);
    if (!teardown) {
      Result<std::map<std::string, std::string>> reusable = FindReusable(req);
      if (!reusable.ok()) return reusable.status();
      req.reusable = std::move(*reusable);
    }
  }

  Result<plan::Plan> plan = options_.planner(req);
  if (!plan.ok()) return plan.status();
  plan->deployment = options_.deployment;
  plan->teardown = teardown;
  plan->moved = std::move(moved);
  plan->state_serial = req.state.serial;
  plan->state_lineage = req.state.lineage;
  if (!teardown) plan->spec_digest = spec_digest;
  ORCH_RETURN_IF_ERROR(lock.Release().WithPrefix("unlocking state"));
  return plan;
}

Result<plan::Plan> Deployer::PlanDeploy(const std::vector<model::Resource>& desired,
                                        const std::string& spec_digest) {
  return MakePlan(false, desired, spec_digest);
}

Result<plan::Plan> Deployer::PlanTeardown() { return MakePlan(true, {}, ""); }

Status Deployer::RecordProviderSettings(const nlohmann::json& providers) {
  // Read first without the lock: most runs have nothing to record and must
  // not wait for (or contend on) the lock to find that out.
  Result<state::State> current = store_->Read();
  if (current.ok() && current->providers == providers) return Status::OK();
  ScopedLock lock(store_, "deploy", options_.lock_timeout_ms);
  if (!lock.status().ok()) return lock.status();
  Result<state::State> stored = store_->Read();
  if (!stored.ok()) return stored.status().WithPrefix("cannot record provider settings in state");
  if (stored->providers == providers) return Status::OK();
  StateWriter writer(store_, std::move(*stored));
  Status st = writer.Update([&](state::State& s) {
    s.deployment = options_.deployment;
    s.providers = providers;
  });
  if (!st.ok()) return st.WithPrefix("cannot record provider settings in state");
  return Status::OK();
}

ApplyResult Deployer::Apply(const plan::Plan& plan) {
  ApplyResult result;
  if (plan.deployment != options_.deployment) {
    result.diags.Append(Error("this plan is for deployment '" + plan.deployment + "', not '" +
                              options_.deployment + "'"));
    return result;
  }
  ScopedLock lock(store_, plan.teardown ? "teardown" : "deploy", options_.lock_timeout_ms);
  if (!lock.status().ok()) {
    result.diags.Append(Error(lock.status().message()));
    return result;
  }
  Result<state::State> stored = store_->Read();
  if (!stored.ok()) {
    result.diags.Append(Error("reading state: " + stored.status().ToString()));
    return result;
  }
  // Lineage is fixed at the first write; a never-written state has none.
  const bool lineage_differs = stored->serial > 0 && plan.state_lineage != stored->lineage;
  if (stored->serial != plan.state_serial || lineage_differs) {
    std::string msg = "state changed since this plan was made (serial " + std::to_string(plan.state_serial) +
                      ", now " + std::to_string(stored->serial);
    if (lineage_differs) msg += ", and it is a different state: lineage " + stored->lineage;
    msg += "); run plan again";
    result.diags.Append(Error(std::move(msg)));
    return result;
  }

  if (!plan.moved.empty()) {  // recorded first: the changes use the new addresses
    state::State next = *stored;
    Status st = state::MoveAddresses(plan.moved, &next);
    if (st.ok()) st = store_->Write(next, stored->serial);
    if (!st.ok()) {
      result.diags.Append(Error("recording the plan's moves in state: " + st.ToString()));
      return result;
    }
    stored = store_->Read();
    if (!stored.ok()) {
      result.diags.Append(Error("reading state: " + stored.status().ToString()));
      return result;
    }
  }
  StateWriter writer(store_, std::move(*stored));
  if (options_.refresh && HasMutatingChanges(plan)) {
    state::State refreshed = writer.Snapshot();
    Result<RefreshResult> observed = Refresh(providers_, options_.deployment, &refreshed, options_.observer);
    if (!observed.ok()) {
      result.diags.Append(Error(observed.status().ToString()));
      return result;
    }
    // Intents of creates that never happened and are no longer planned
    // (not observed, no change for the address) are dropped.
    std::set<std::string> planned;
    for (const plan::Change& c : plan.changes) {
      if (c.action != plan::Action::kNoop) planned.insert(c.address);
    }
    std::vector<std::string> stale;
    for (const auto& [address, intent] : refreshed.intents) {
      if (!planned.count(address) && !observed->by_address.count(address)) stale.push_back(address);
    }
    if (observed->outputs_updated > 0 || !stale.empty()) {
      Status st = writer.Update([&](state::State& s) {
        for (auto& [address, rs] : s.resources) {
          auto it = refreshed.resources.find(address);
          if (it == refreshed.resources.end()) continue;
          rs.id = it->second.id;
          rs.outputs = it->second.outputs;
        }
        for (const std::string& address : stale) s.intents.erase(address);
      });
      if (!st.ok()) {
        result.diags.Append(Error("saving refreshed outputs: " + st.ToString()));
        return result;
      }
    }
  }

  Executor executor(providers_, &writer);
  ApplyOptions apply;
  apply.parallelism = options_.parallelism;
  apply.provider_limits = options_.provider_limits;
  apply.observer = options_.observer;
  apply.clock = options_.clock;
  apply.cancelled = options_.cancelled;
  apply.render_user_data = options_.render_user_data;
  result = executor.Apply(plan, apply);

  if (plan.teardown && options_.delete_state_after_teardown && result.ok()) {
    state::State final_state = writer.Snapshot();
    // Recorded Packer images outlive the machines: keep the state that holds them.
    if (final_state.resources.empty() && final_state.intents.empty() && final_state.images.empty()) {
      Status st = store_->Delete();
      if (!st.ok()) result.diags.Append(Error("deleting the empty state: " + st.ToString()));
    }
  }
  Status unlocked = lock.Release();
  if (!unlocked.ok()) {
    Diagnostic d;
    d.severity = Severity::kWarning;
    d.message = "unlocking state: " + unlocked.ToString();
    result.diags.Append(std::move(d));
  }
  return result;
}

}  // namespace orch::engine
