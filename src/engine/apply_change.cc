#include "engine/apply_change.h"

#include <algorithm>
#include <utility>

#include "engine/provider_call.h"
#include "model/references.h"
#include "model/resource.h"
#include "state/references.h"

namespace orch::engine {
namespace {

// The desired resource with references resolved against `snapshot`, plus the
// attributes to record in State (resolved, user_data NOT rendered, so the
// planner can compare them with its own resolution of the desired set).
struct Prepared {
  model::Resource call;       // what the provider receives
  nlohmann::json recorded;    // what State keeps as `attributes`
};

Result<Prepared> Prepare(const model::Resource& desired, const state::State& snapshot,
                         const ChangeEnv& env) {
  Result<nlohmann::json> resolved = state::ResolveReferences(desired.attributes, snapshot);
  if (!resolved.ok()) return resolved.status().WithPrefix("resolving references");
  Prepared p;
  p.call = desired;
  p.recorded = *resolved;
  p.call.attributes = *resolved;
  if (env.render_user_data && p.recorded.is_object() && p.recorded.contains("user_data")) {
    Result<nlohmann::json> rendered = env.render_user_data(p.recorded, snapshot);
    if (!rendered.ok()) return rendered.status().WithPrefix("rendering user_data");
    p.call.attributes = std::move(*rendered);
  }
  return p;
}

std::vector<std::string> DependsOn(const plan::Change& change) {
  std::vector<std::string> out;
  for (const model::Address& a : change.desired.depends_on) out.push_back(a.ToString());
  if (out.empty()) out = change.depends_on;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

state::ResourceState Record(const plan::Change& change, const ChangeEnv& env,
                            const ObservedResource& obs, nlohmann::json attributes,
                            const state::ResourceState* prior) {
  state::ResourceState rs;
  rs.address = change.address;
  rs.kind = std::string(model::KindName(change.kind));
  rs.provider = change.provider;
  rs.provider_type = env.provider ? env.provider->Type() : (prior ? prior->provider_type : "");
  rs.id = !obs.id.empty() ? obs.id : (prior ? prior->id : "");
  rs.cloud_name = !obs.cloud_name.empty() ? obs.cloud_name : change.desired.cloud_name;
  rs.tags = !obs.tags.empty() ? obs.tags : change.desired.tags;
  rs.attributes = std::move(attributes);
  rs.outputs = obs.outputs.is_object() ? obs.outputs : nlohmann::json::object();
  if (!rs.id.empty() && !rs.outputs.contains("id")) rs.outputs["id"] = rs.id;
  rs.depends_on = DependsOn(change);
  return rs;
}

// `attributes` are the resource's: the desired ones for a create or an
// update, the recorded ones for a delete (its timeout as last applied).
ApplyContext MakeContext(const plan::Change& change, const ChangeEnv& env, const std::string& resume,
                         int attempt, const nlohmann::json& attributes, std::string_view which) {
  ApplyContext ctx;
  ctx.timeout_ms = model::TimeoutMs(attributes, which, 0);
  ctx.cancelled = env.cancelled;
  ctx.attempt = attempt;
  ctx.resume_operation = resume;
  const std::string address = change.address;
  Observer* observer = env.observer;
  ctx.progress = [observer, address](const std::string& message) {
    if (observer) observer->ChangeProgress(address, message);
  };
  StateWriter* writer = env.writer;
  ctx.record_operation = [writer, address](const std::string& operation) {
    // A failed write is kept in writer->failure(); the executor stops the run.
    (void)writer->Update([&](state::State& s) {
      auto it = s.intents.find(address);
      if (it != s.intents.end()) it->second.operation = operation;
    });
  };
  return ctx;
}

Status DoCreate(const plan::Change& change, const ChangeEnv& env, int min_attempt = 1) {
  Result<Prepared> prepared = Status::Internal("not prepared");
  int attempt = 1;
  std::string resume;
  env.writer->Read([&](const state::State& snapshot) {
    prepared = Prepare(change.desired, snapshot, env);
    if (auto it = snapshot.intents.find(change.address); it != snapshot.intents.end()) {
      attempt = it->second.attempt + 1;
      if (it->second.action == "create") resume = it->second.operation;
    }
  });
  if (!prepared.ok()) return prepared.status();
  attempt = std::max(attempt, min_attempt);

  state::Intent intent;
  intent.address = change.address;
  intent.action = "create";
  intent.provider = change.provider;
  intent.cloud_name = change.desired.cloud_name;
  intent.tags = change.desired.tags;
  intent.attempt = attempt;
  intent.started_micros = env.clock->NowMicros();
  ORCH_RETURN_IF_ERROR(env.writer->Update([&](state::State& s) { s.intents[change.address] = intent; }));

  ApplyContext ctx = MakeContext(change, env, resume, attempt, prepared->call.attributes, "create");
  Result<ObservedResource> created = CallProvider(change.address, [&] { return env.provider->Create(prepared->call, ctx); });
  if (!created.ok()) return created.status();

  state::ResourceState rs = Record(change, env, *created, prepared->recorded, nullptr);
  return env.writer->Update([&](state::State& s) {
    s.resources[change.address] = rs;
    s.intents.erase(change.address);
  });
}

Status DoUpdate(const plan::Change& change, const ChangeEnv& env) {
  Result<Prepared> prepared = Status::Internal("not prepared");
  state::ResourceState prior = change.prior;
  env.writer->Read([&](const state::State& snapshot) {
    prepared = Prepare(change.desired, snapshot, env);
    auto it = snapshot.resources.find(change.address);
    if (it != snapshot.resources.end()) prior = it->second;
  });
  if (!prepared.ok()) return prepared.status();
  // What drifted is changed from its live value, not from the recorded one.
  if (prior.attributes.is_object() && change.drift.is_object())
    for (auto it = change.drift.begin(); it != change.drift.end(); ++it) prior.attributes[it.key()] = it.value();

  ApplyContext ctx = MakeContext(change, env, "", 1, prepared->call.attributes, "create");
  Result<ObservedResource> updated = CallProvider(change.address, [&] { return env.provider->Update(prepared->call, prior, ctx); });
  if (!updated.ok()) return updated.status();

  state::ResourceState rs = Record(change, env, *updated, prepared->recorded, &prior);
  return env.writer->Update([&](state::State& s) { s.resources[change.address] = rs; });
}

Status DoDelete(const plan::Change& change, const ChangeEnv& env) {
  state::ResourceState prior = change.prior;
  int attempt = 1;
  env.writer->Read([&](const state::State& snapshot) {
    auto it = snapshot.resources.find(change.address);
    if (it != snapshot.resources.end()) prior = it->second;
    if (auto in = snapshot.intents.find(change.address); in != snapshot.intents.end()) {
      attempt = in->second.attempt + 1;
    }
  });
  state::Intent intent;
  intent.address = change.address;
  intent.action = "delete";
  intent.provider = change.provider;
  intent.cloud_name = prior.cloud_name;
  intent.tags = prior.tags;
  intent.attempt = attempt;
  intent.started_micros = env.clock->NowMicros();
  ORCH_RETURN_IF_ERROR(env.writer->Update([&](state::State& s) { s.intents[change.address] = intent; }));

  ApplyContext ctx = MakeContext(change, env, "", attempt, prior.attributes, "delete");
  Status st = CallProvider(change.address, [&] { return env.provider->Delete(prior, ctx); });
  if (!st.ok()) return st;

  return env.writer->Update([&](state::State& s) {
    s.resources.erase(change.address);
    s.intents.erase(change.address);
  });
}

Status DoAdopt(const plan::Change& change, const ChangeEnv& env) {
  state::ResourceState rs = change.prior;
  rs.address = change.address;
  rs.kind = std::string(model::KindName(change.kind));
  if (rs.provider.empty()) rs.provider = change.provider;
  if (rs.provider_type.empty() && env.provider) rs.provider_type = env.provider->Type();
  if (rs.cloud_name.empty()) rs.cloud_name = change.desired.cloud_name;
  if (rs.tags.empty()) rs.tags = change.desired.tags;
  if (rs.depends_on.empty()) rs.depends_on = DependsOn(change);
  if (!rs.outputs.is_object()) rs.outputs = nlohmann::json::object();
  if (!rs.id.empty() && !rs.outputs.contains("id")) rs.outputs["id"] = rs.id;
  // Recorded attributes: the desired ones (resolved against the current
  // State) overlaid with every attribute the cloud reported, so drift in a
  // reported attribute shows in the next plan while write-only ones
  // (user_data) do not cause a spurious replace. When references cannot be
  // resolved yet, only the observed attributes are kept.
  Result<nlohmann::json> resolved = Status::Internal("not resolved");
  env.writer->Read([&](const state::State& snapshot) {
    resolved = state::ResolveReferences(change.desired.attributes, snapshot);
  });
  if (resolved.ok() && resolved->is_object()) {
    nlohmann::json merged = *resolved;
    if (rs.attributes.is_object()) {
      for (auto it = rs.attributes.begin(); it != rs.attributes.end(); ++it) merged[it.key()] = it.value();
    }
    rs.attributes = std::move(merged);
  } else if (!rs.attributes.is_object()) {
    rs.attributes = nlohmann::json::object();
  }
  return env.writer->Update([&](state::State& s) {
    s.resources[change.address] = rs;
    s.intents.erase(change.address);
  });
}

}  // namespace

std::string_view ActionWord(plan::Action action) {
  switch (action) {
    case plan::Action::kNoop: return "no-op";
    case plan::Action::kCreate: return "create";
    case plan::Action::kUpdate: return "update";
    case plan::Action::kReplace: return "replace";
    case plan::Action::kDelete: return "delete";
    case plan::Action::kAdopt: return "adopt";
    case plan::Action::kRead: return "read";
  }
  return "unknown";
}

Status ApplyChange(const plan::Change& change, const ChangeEnv& env) {
  if (change.action == plan::Action::kNoop) return Status::OK();
  if (change.action == plan::Action::kAdopt) {
    // A resource an interrupted run was creating (its create intent is still
    // journaled) may not be ready yet (a droplet still booting has no IP).
    // Finish the create instead: with attempt > 1 the provider looks the
    // resource up by its tags and waits for it rather than creating another.
    bool unfinished = false;
    if (env.provider != nullptr) {
      env.writer->Read([&](const state::State& snapshot) {
        auto it = snapshot.intents.find(change.address);
        unfinished = it != snapshot.intents.end() && it->second.action == "create";
      });
    }
    if (unfinished) return DoCreate(change, env, /*min_attempt=*/2);
    return DoAdopt(change, env);
  }
  if (env.provider == nullptr) {
    return Status::InvalidArgument("provider '" + change.provider + "' is not configured");
  }
  switch (change.action) {
    case plan::Action::kCreate:
    case plan::Action::kRead:  // the provider's Create looks it up
      return DoCreate(change, env);
    case plan::Action::kUpdate:
      return DoUpdate(change, env);
    case plan::Action::kDelete:
      return DoDelete(change, env);
    case plan::Action::kReplace: {
      Status st = DoDelete(change, env);
      if (!st.ok()) return st.WithPrefix("deleting the old resource");
      st = DoCreate(change, env);
      if (!st.ok()) return st.WithPrefix("creating the replacement (the old one is deleted)");
      return st;
    }
    default:
      return Status::OK();
  }
}

}  // namespace orch::engine
