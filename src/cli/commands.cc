#include "cli/commands.h"

#include <unistd.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/outputs.h"
#include "cli/progress.h"
#include "cli/signals.h"
#include "cli/user_data.h"
#include "engine/deployer.h"
#include "image/images.h"
#include "plan/plan_file.h"
#include "plan/render.h"
#include "plan/protect.h"
#include "plan/targets.h"
#include "state/file_state_store.h"
#include "state/moves.h"
#include "util/strings.h"

namespace orch::cli {
namespace {

void Fail(const std::string& message) { std::fprintf(stderr, "error: %s\n", message.c_str()); }

// Everything one command needs about a deployment.
struct Session {
  std::string deployment;
  std::string spec_path;
  std::string spec_dir;  // the spec's directory (relative template paths)
  SensitiveValues sensitive;  // user_data values kept out of plans and state
  std::map<std::string, engine::ProviderConfig> configs;
  std::unique_ptr<Runtime> rt;
  std::unique_ptr<state::FileStateStore> store;
  std::vector<model::Resource> desired;
  std::string digest;
  std::map<std::string, std::string> protected_tiers;  // tier -> where `protect: true` is
  std::vector<state::Move> moves;  // the spec's `moved:` entries
};

// Loads the spec, wires and configures its providers, expands it.
std::optional<Session> OpenFromSpec(const GlobalOptions& g, const std::string& path,
                                    const std::vector<std::string>& vars, bool expand) {
  auto spec = LoadSpecOrPrint(path, vars);
  if (!spec) return std::nullopt;
  Session s;
  s.deployment = spec->deployment;
  s.spec_path = path;
  s.spec_dir = spec->dir;
  s.sensitive = spec->sensitive;
  s.configs = ProviderConfigs(*spec);
  for (const spec::TierSpec& t : spec->tiers)
    if (t.protect)
      s.protected_tiers[t.name] = FormatPosition(t.where);
  std::map<std::string, SourceRange> where;
  for (const auto& [name, p] : spec->providers) where[name] = p.where;
  Diagnostics diags;
  s.rt = MakeRuntime(g, s.configs, where, /*configure=*/true, &diags);
  if (expand && !diags.HasErrors()) {
    std::vector<std::string> notes;  // images with `packer:` use their recorded build
    image::UseBuiltImages(&*spec, StateDir(g), &diags, &notes);
    for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
    s.desired = ExpandAndValidate(*spec, *s.rt, &diags);
    if (!diags.HasErrors()) CheckUserData(*spec, s.desired, &diags);
    s.digest = DesiredDigest(s.desired);
    s.moves = MovesOf(*spec);
  }
  PrintDiagnostics(diags, stderr);
  if (diags.HasErrors()) {
    std::fprintf(stderr, "nothing was sent to any cloud.\n");
    return std::nullopt;
  }
  s.store = OpenStateStore(g, s.deployment);
  return s;
}

// For commands that accept either a spec or --deployment: the deployment
// name (loading the spec when given), or the only deployment in the state dir.
std::optional<std::string> ResolveDeployment(const GlobalOptions& g, const std::string& spec,
                                             const std::string& deployment, const std::vector<std::string>& vars) {
  if (!deployment.empty()) return deployment;
  if (!spec.empty()) {
    auto loaded = LoadSpecOrPrint(spec, vars);
    if (!loaded) return std::nullopt;
    return loaded->deployment;
  }
  auto list = state::ListDeployments(StateDir(g));
  if (!list.ok() || list->empty()) {
    Fail("no deployment named: pass a SPEC or --deployment NAME (no state found in '" + StateDir(g) + "')");
    return std::nullopt;
  }
  if (list->size() > 1) {
    Fail("several deployments have state in '" + StateDir(g) + "' (" + Join(*list, ", ") +
         "): pass --deployment NAME");
    return std::nullopt;
  }
  return list->front();
}

// Keeps the non-secret provider settings in state (for teardown by
// --deployment); the deployer writes only when they changed.
bool RecordProviderSettings(engine::Deployer* d, const Session& s) {
  Status st = d->RecordProviderSettings(ProviderConfigsToJson(s.configs));
  if (!st.ok()) {
    Fail(st.message());
    return false;
  }
  return true;
}

engine::DeployerOptions MakeDeployerOptions(const std::string& deployment, int parallelism, int64_t lock_timeout_ms,
                                            engine::Observer* observer, const std::string& spec_dir = "",
                                            const SensitiveValues& sensitive = {}) {
  engine::DeployerOptions o;
  o.spec_dir = spec_dir;
  o.sensitive = sensitive;
  o.deployment = deployment;
  o.parallelism = parallelism;
  o.observer = observer;
  o.clock = env::Clock::Real();
  o.cancelled = CancelFlag();
  o.lock_timeout_ms = lock_timeout_ms;
  return o;
}

// False (with the reason printed) when the plan would destroy what a
// protected tier holds and --allow-destroy does not name it.
bool Unprotected(const Session& s, const plan::Plan& p, const std::vector<std::string>& allow) {
  Status st = plan::CheckProtected(p, s.protected_tiers, allow);
  if (!st.ok()) Fail(st.message());
  return st.ok();
}

// `--replace` arguments as addresses (a tier: its instances and groups).
bool SetReplace(const std::vector<model::Resource>& desired, const std::vector<std::string>& args,
                engine::DeployerOptions* options) {
  auto addresses = plan::ReplaceAddresses(desired, args);
  if (!addresses.ok()) {
    Fail(addresses.status().message());
    return false;
  }
  options->replace = std::move(*addresses);
  return true;
}

std::optional<int64_t> LockTimeout(const std::string& text) {
  auto ms = ParseDurationMs(text);
  if (!ms) Fail("--lock-timeout '" + text + "': expected a duration such as 30s, 5m or 0");
  return ms;
}

void PrintPlan(const plan::Plan& p, bool color) {
  plan::RenderOptions o;
  o.color = color;
  std::fputs(plan::RenderPlan(p, o).c_str(), stdout);
}

void PrintOutputs(state::StateStore* store) {
  auto st = store->Read();
  if (!st.ok() || st->resources.empty()) return;
  std::string text = FormatOutputs(ComputeOutputs(*st));
  if (!text.empty()) std::printf("\nOutputs:\n%s", text.c_str());
}

// `state rm` / `state mv`: under the lock of `operation`, reads the state,
// lets `edit` change it and writes it back (serial bumped). `edit` returns
// what to print, or an error (then nothing is written).
int EditState(state::FileStateStore& store, const std::string& operation,
              const std::function<Result<std::string>(state::State&)>& edit) {
  auto lock = store.Lock(operation, 0);
  if (!lock.ok()) {
    Fail(lock.status().message());
    return kExitError;
  }
  auto st = store.Read();
  Result<std::string> done = st.ok() ? edit(*st) : Result<std::string>(st.status());
  Status written = done.ok() ? store.Write(*st, st->serial) : done.status();
  (void)store.Unlock(lock->id);
  if (!written.ok()) {
    Fail(written.message());
    return kExitError;
  }
  std::fputs(done->c_str(), stdout);
  return kExitOk;
}

int FinishApply(const engine::ApplyResult& r, ProgressObserver* progress, const char* verb) {
  progress->Finish();
  PrintDiagnostics(r.diags, stderr);
  std::printf("\n%s: %d succeeded, %d failed, %d skipped.\n", verb, r.succeeded, r.failed, r.skipped);
  if (r.cancelled) {
    std::fprintf(stderr, "interrupted: state is saved; run the same command again to finish.\n");
    int code = ExitCodeForSignal();
    return code ? code : kExitError;
  }
  return r.ok() ? kExitOk : kExitError;
}

}  // namespace

std::optional<ValidSpec> LoadAndExpand(const GlobalOptions& g, const std::string& path,
                                       const std::vector<std::string>& vars, bool check_user_data) {
  auto spec = LoadSpecOrPrint(path, vars, /*offline=*/true);
  if (!spec) return std::nullopt;
  std::map<std::string, SourceRange> where;
  for (const auto& [name, p] : spec->providers) where[name] = p.where;
  Diagnostics diags;
  auto rt = MakeRuntime(g, ProviderConfigs(*spec), where, /*configure=*/false, &diags);
  std::vector<model::Resource> desired;
  if (!diags.HasErrors()) desired = ExpandAndValidate(*spec, *rt, &diags);
  if (check_user_data && !diags.HasErrors()) CheckUserData(*spec, desired, &diags);
  PrintDiagnostics(diags, stderr);
  if (diags.HasErrors()) return std::nullopt;
  return ValidSpec{std::move(*spec), std::move(desired)};
}

int RunValidate(const GlobalOptions& g, const ValidateArgs& a) {
  auto v = LoadAndExpand(g, a.spec, a.vars);
  if (!v) return kExitError;
  std::printf("%s is valid: deployment '%s', %zu tier(s), %zu resource(s).\n", a.spec.c_str(),
              v->spec.deployment.c_str(), v->spec.tiers.size(), v->desired.size());
  return kExitOk;
}

int RunRender(const GlobalOptions& g, const RenderArgs& a) {
  auto v = LoadAndExpand(g, a.spec, a.vars, /*check_user_data=*/false);
  if (!v) return kExitError;
  const model::Resource* found = nullptr;
  std::vector<std::string> valid;
  for (const model::Resource& r : v->desired) {
    if (!r.attributes.is_object() || !r.attributes.contains("user_data")) continue;
    if (!r.attributes["user_data"].is_object() || !r.attributes["user_data"].contains("template")) continue;
    valid.push_back(r.address.ToString());
    if (valid.back() == a.address) found = &r;
  }
  if (!found) {
    Fail("no resource '" + a.address + "' with user data in " + a.spec +
         (valid.empty() ? std::string("; none of its tiers has user_data") : "; these have: " + Join(valid, ", ")));
    return kExitError;
  }
  auto store = OpenStateStore(g, v->spec.deployment);
  auto st = store->Read();
  if (!st.ok()) {
    Fail("cannot read the state of deployment '" + v->spec.deployment + "': " + st.status().message());
    return kExitError;
  }
  const state::State* state = st->resources.empty() ? nullptr : &*st;
  Diagnostics diags;
  auto rendered = RenderAndCheckUserData(v->spec, *found, state, &diags);
  if (rendered) std::fputs(rendered->rendered.text.c_str(), stdout);
  if (rendered && HasSensitive(found->attributes["user_data"].value("vars", nlohmann::json::object()))) {
    std::fprintf(stderr, "note: values from ${env:} or ${file:} are shown as %s\n", kSensitiveShown);
  }
  if (rendered && !rendered->placeholders.empty()) {
    std::fprintf(stderr, "note: %s: rendered as placeholders: %s (%s)\n",
                 state ? "not in the recorded state yet" : "no recorded state for this deployment",
                 Join({rendered->placeholders.begin(), rendered->placeholders.end()}, ", ").c_str(),
                 PlaceholderLegend().c_str());
  }
  PrintDiagnostics(diags, stderr);
  return diags.HasErrors() ? kExitError : kExitOk;
}

int RunPlan(const GlobalOptions& g, const PlanArgs& a) {
  if (a.refresh_only && !a.out.empty()) {
    Fail("--refresh-only reports drift and saves no plan; drop --out, or plan without --refresh-only to save one");
    return kExitError;
  }
  auto timeout = LockTimeout(a.lock_timeout);
  if (!timeout) return kExitError;
  auto s = OpenFromSpec(g, a.spec, a.vars, /*expand=*/true);
  if (!s) return kExitError;
  bool color = WantColor(stderr, g.no_color);
  ProgressObserver progress(stderr, false, color, 0);
  engine::DeployerOptions options = MakeDeployerOptions(s->deployment, 10, *timeout, &progress, s->spec_dir, s->sensitive);
  if (!SetReplace(s->desired, a.replace, &options)) return kExitError;
  options.moves = s->moves;
  engine::Deployer d(std::move(options), s->store.get(), s->rt->providers);
  auto p = d.PlanDeploy(s->desired, s->digest);
  if (!p.ok()) {
    Fail(p.status().message());
    return kExitError;
  }
  plan::FilterTargets(&*p, a.targets);
  if (a.refresh_only) {
    plan::Plan drift = p->OutsideOnly();
    if (a.json) {
      std::printf("%s\n", drift.ToJson().dump(2).c_str());
    } else {
      plan::RenderOptions o;
      o.color = WantColor(stdout, g.no_color);
      o.refresh_only = true;
      std::fputs(plan::RenderPlan(drift, o).c_str(), stdout);
    }
    return a.detailed_exitcode && drift.HasChanges() ? kExitChanges : kExitOk;
  }
  if (a.json) {
    std::printf("%s\n", p->ToJson().dump(2).c_str());
  } else {
    PrintPlan(*p, WantColor(stdout, g.no_color));
  }
  if (!Unprotected(*s, *p, a.allow_destroy)) return kExitError;
  if (!a.out.empty()) {
    Status written = plan::WritePlanFile(a.out, a.spec, a.targets, *p);
    if (!written.ok()) {
      Fail(written.message());
      return kExitError;
    }
    std::fprintf(stderr, "Saved the plan to %s; apply exactly it with: orchestrator deploy %s\n", a.out.c_str(),
                 a.out.c_str());
  }
  if (a.detailed_exitcode && p->HasChanges()) return kExitChanges;
  return kExitOk;
}

int RunDeploy(const GlobalOptions& g, const DeployArgs& a) {
  auto timeout = LockTimeout(a.lock_timeout);
  if (!timeout) return kExitError;
  InstallSignalHandlers();
  auto plan_file = plan::ReadPlanFile(a.spec_or_plan);
  std::string spec_path = plan_file ? plan_file->spec : a.spec_or_plan;
  auto s = OpenFromSpec(g, spec_path, a.vars, /*expand=*/true);
  if (!s) return kExitError;
  bool interactive = isatty(STDOUT_FILENO);
  ProgressObserver progress(stdout, interactive, WantColor(stdout, g.no_color), 0);
  engine::DeployerOptions options =
      MakeDeployerOptions(s->deployment, a.parallelism, *timeout, &progress, s->spec_dir, s->sensitive);
  if (!SetReplace(s->desired, a.replace, &options)) return kExitError;
  if (plan_file && !a.replace.empty()) {
    Fail("--replace applies to planning; give it to 'orchestrator plan --out' instead of a saved plan");
    return kExitError;
  }
  options.moves = s->moves;
  engine::Deployer d(std::move(options), s->store.get(), s->rt->providers);
  plan::Plan p;
  if (plan_file) {
    auto parsed = plan::Plan::FromJson(plan_file->plan);
    if (!parsed.ok()) {
      Fail("plan file '" + a.spec_or_plan + "' is not valid: " + parsed.status().message());
      return kExitError;
    }
    p = std::move(parsed).value();
    if (p.spec_digest != s->digest) {
      Fail("the spec '" + spec_path + "' (or a value it reads) changed since the plan '" + a.spec_or_plan +
           "' was made; run 'orchestrator plan --out' again");
      return kExitError;
    }
    if (!Unprotected(*s, p, a.allow_destroy)) return kExitError;
  } else {
    if (!RecordProviderSettings(&d, *s)) return kExitError;
    auto made = d.PlanDeploy(s->desired, s->digest);
    if (!made.ok()) {
      Fail(made.status().message());
      return kExitError;
    }
    p = std::move(made).value();
    plan::FilterTargets(&p, a.targets);
    if (!p.HasChanges()) {
      if (p.Summarize().stale > 0) PrintPlan(p, WantColor(stdout, g.no_color));
      std::printf("No changes. The deployment '%s' matches the spec.\n", s->deployment.c_str());
      PrintOutputs(s->store.get());
      return kExitOk;
    }
    PrintPlan(p, WantColor(stdout, g.no_color));
    if (!Unprotected(*s, p, a.allow_destroy)) return kExitError;
    if (!Confirm("Do you want to apply these changes to deployment '" + s->deployment + "'?", a.auto_approve)) {
      return kExitError;
    }
  }
  auto sum = p.Summarize();
  progress.SetTotal(sum.create + sum.update + sum.replace + sum.destroy + sum.adopt);
  engine::ApplyResult r = d.Apply(p);
  int code = FinishApply(r, &progress, "Deploy");
  if (plan_file && !RecordProviderSettings(&d, *s)) code = kExitError;
  PrintOutputs(s->store.get());
  return code;
}

int RunTeardown(const GlobalOptions& g, const TeardownArgs& a) {
  auto timeout = LockTimeout(a.lock_timeout);
  if (!timeout) return kExitError;
  InstallSignalHandlers();
  std::optional<Session> s;
  if (!a.spec.empty()) {
    s = OpenFromSpec(g, a.spec, a.vars, /*expand=*/false);
    if (!s) return kExitError;
  } else {
    auto dep = ResolveDeployment(g, "", a.deployment, a.vars);
    if (!dep) return kExitError;
    s.emplace();
    s->deployment = *dep;
    s->store = OpenStateStore(g, *dep);
    auto st = s->store->Read();
    if (!st.ok()) {
      Fail("cannot read the state of deployment '" + *dep + "': " + st.status().message());
      return kExitError;
    }
    s->configs = ProviderConfigsFromJson(st->providers);
    if (s->configs.empty()) {
      Fail("the state of deployment '" + *dep +
           "' records no provider settings; run teardown with the spec instead: orchestrator teardown SPEC");
      return kExitError;
    }
    for (auto& [name, c] : s->configs) c.deployment = *dep;
    Diagnostics diags;
    s->rt = MakeRuntime(g, s->configs, {}, /*configure=*/true, &diags);
    PrintDiagnostics(diags, stderr);
    if (diags.HasErrors()) return kExitError;
  }
  bool interactive = isatty(STDOUT_FILENO);
  ProgressObserver progress(stdout, interactive, WantColor(stdout, g.no_color), 0);
  engine::Deployer d(MakeDeployerOptions(s->deployment, a.parallelism, *timeout, &progress, s->spec_dir), s->store.get(),
                     s->rt->providers);
  auto p = d.PlanTeardown();
  if (!p.ok()) {
    Fail(p.status().message());
    return kExitError;
  }
  PrintPlan(*p, WantColor(stdout, g.no_color));
  if (!a.dry_run && !Unprotected(*s, *p, a.allow_destroy)) return kExitError;
  if (a.dry_run) return kExitOk;
  if (!p->HasChanges()) {
    std::printf("Nothing to tear down: deployment '%s' has no resources.\n", s->deployment.c_str());
    return kExitOk;
  }
  if (!Confirm("Do you really want to destroy every resource of deployment '" + s->deployment + "'?",
               a.auto_approve)) {
    return kExitError;
  }
  auto sum = p->Summarize();
  progress.SetTotal(sum.destroy);
  engine::ApplyResult r = d.Apply(*p);
  return FinishApply(r, &progress, "Teardown");
}

int RunState(const GlobalOptions& g, const StateArgs& a) {
  auto dep = ResolveDeployment(g, a.spec, a.deployment, a.vars);
  if (!dep) return kExitError;
  auto owned = OpenStateStore(g, *dep);
  state::FileStateStore& store = *owned;
  if (a.action == "unlock") {
    Status st = store.ForceUnlock();
    if (!st.ok()) {
      Fail(st.message());
      return kExitError;
    }
    std::printf("Removed the lock of deployment '%s'.\n", dep->c_str());
    return kExitOk;
  }
  if (a.action == "mv") {
    return EditState(store, "state mv", [&](state::State& st) -> Result<std::string> {
      auto moved = state::ApplyMoves({{a.address, a.to, {}}}, &st, /*require_from=*/true);
      if (!moved.ok()) return moved.status();
      std::string out;
      for (const state::MovedAddress& m : *moved) out += "Moved " + m.from + " to " + m.to + "\n";
      return out + "The cloud resources are untouched and keep their names; the next plan finds them at the new " +
             (moved->size() == 1 ? "address.\n" : "addresses.\n");
    });
  }
  if (a.action == "rm") {
    return EditState(store, "state rm", [&](state::State& st) -> Result<std::string> {
      if (!st.resources.erase(a.address) && !st.intents.erase(a.address))
        return Status::NotFound("no resource '" + a.address + "' in the state of deployment '" + *dep +
                                "'; see 'orchestrator state list'");
      return "Removed " + a.address +
             " from the state (the cloud resource itself is untouched; the next plan will offer to adopt or delete "
             "it).\n";
    });
  }
  auto st = store.Read();
  if (!st.ok()) {
    Fail(st.status().message());
    return kExitError;
  }
  if (a.action == "list") {
    for (const auto& [addr, r] : st->resources) {
      std::printf("%-36s %-14s %-12s %s\n", addr.c_str(), r.kind.c_str(), r.provider.c_str(), r.id.c_str());
    }
    for (const auto& [addr, in] : st->intents) {
      std::printf("%-36s (unfinished %s, will be resolved by the next deploy or teardown)\n", addr.c_str(),
                  in.action.c_str());
    }
    return kExitOk;
  }
  if (a.action == "show") {
    auto it = st->resources.find(a.address);
    if (it == st->resources.end()) {
      Fail("no resource '" + a.address + "' in the state of deployment '" + *dep + "'; see 'orchestrator state list'");
      return kExitError;
    }
    state::State one;
    one.resources[it->first] = it->second;
    std::printf("%s\n", one.ToJson()["resources"][it->first].dump(2).c_str());
    return kExitOk;
  }
  Fail("unknown state action '" + a.action + "'");
  return kExitError;
}

int RunOutput(const GlobalOptions& g, const OutputArgs& a) {
  auto dep = ResolveDeployment(g, a.spec, a.deployment, {});
  if (!dep) return kExitError;
  auto owned = OpenStateStore(g, *dep);
  state::FileStateStore& store = *owned;
  auto st = store.Read();
  if (!st.ok()) {
    Fail(st.status().message());
    return kExitError;
  }
  auto outputs = ComputeOutputs(*st);
  if (a.json) {
    std::printf("%s\n", outputs.dump(2).c_str());
  } else if (a.ansible_inventory) {
    std::fputs(FormatAnsibleInventory(outputs).c_str(), stdout);
  } else if (a.ssh_config) {
    std::fputs(FormatSshConfig(outputs).c_str(), stdout);
  } else {
    std::fputs(FormatOutputs(outputs).c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace orch::cli
