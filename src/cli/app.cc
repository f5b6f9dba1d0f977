#include "cli/app.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "http/curl_transport.h"
#include "http/redact.h"
#include "model/expand.h"
#include "providers/builtin.h"
#include "spec/loader.h"
#include "state/moves.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace orch::cli {

std::string StateDir(const GlobalOptions& g) {
  if (!g.state_dir.empty()) return g.state_dir;
  if (const char* e = std::getenv("ORCHESTRATOR_STATE_DIR"); e && *e) return e;
  return ".orchestrator";
}

std::unique_ptr<state::FileStateStore> OpenStateStore(const GlobalOptions& g, const std::string& deployment) {
  auto store = std::make_unique<state::FileStateStore>(StateDir(g), deployment, env::Clock::Real());
  store->SetWarningHandler([](const std::string& w) { std::fprintf(stderr, "warning: %s\n", w.c_str()); });
  return store;
}

std::optional<int64_t> ParseDurationMs(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (...) {
    return std::nullopt;
  }
  if (value < 0) return std::nullopt;
  std::string unit = text.substr(pos);
  double ms;
  if (unit.empty() || unit == "s") ms = value * 1000;
  else if (unit == "ms") ms = value;
  else if (unit == "m") ms = value * 60000;
  else if (unit == "h") ms = value * 3600000;
  else return std::nullopt;
  return static_cast<int64_t>(ms);
}

void PrintDiagnostics(const Diagnostics& diags, std::FILE* out) {
  std::map<std::string, std::string> sources;
  for (const Diagnostic& d : diags.items()) {
    const std::string* src = nullptr;
    if (!d.range.filename.empty()) {
      auto it = sources.find(d.range.filename);
      if (it == sources.end()) {
        std::ifstream in(d.range.filename, std::ios::binary);
        std::stringstream ss;
        if (in) ss << in.rdbuf();
        it = sources.emplace(d.range.filename, ss.str()).first;
      }
      if (!it->second.empty()) src = &it->second;
    }
    std::fprintf(out, "%s\n", FormatDiagnostic(d, src).c_str());
  }
}

std::optional<spec::Spec> LoadSpecOrPrint(const std::string& path, const std::vector<std::string>& vars,
                                          bool offline) {
  spec::LoadOptions opts;
  opts.offline = offline;
  Diagnostics diags;
  for (const std::string& kv : vars) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      diags.Error({}, "--var '" + kv.substr(0, kv.find('=')) + "': expected NAME=VALUE");
      continue;
    }
    opts.vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::optional<spec::Spec> spec;
  if (!diags.HasErrors()) spec = spec::Load(path, opts, &diags);
  if (spec) {
    for (const auto& [digest, value] : spec->sensitive) http::RegisterSecret(value);  // scrubbed from every log
  }
  PrintDiagnostics(diags, stderr);
  if (diags.HasErrors()) {
    int errors = 0;
    for (const auto& d : diags.items()) errors += d.severity == Severity::kError;
    std::fprintf(stderr, "%d error(s) in %s; nothing was sent to any cloud.\n", errors, path.c_str());
    return std::nullopt;
  }
  return spec;
}

std::map<std::string, engine::ProviderConfig> ProviderConfigs(const spec::Spec& spec) {
  std::map<std::string, engine::ProviderConfig> out;
  for (const auto& [name, p] : spec.providers) {
    engine::ProviderConfig c;
    c.name = name;
    c.type = p.type;
    c.deployment = spec.deployment;
    c.region = p.region;
    c.zones = p.zones;
    c.endpoint = p.endpoint;
    c.spec_dir = spec.dir;
    c.settings = p.settings;
    out.emplace(name, std::move(c));
  }
  return out;
}

namespace {

// Provider settings that are safe to keep in state (never credentials).
bool IsPublicSetting(const std::string& key) {
  static const char* kPublic[] = {"project",          "project_id",          "project_name", "cloud",
                                  "auth_url",         "user_domain_name",    "project_domain_name",
                                  "interface",        "credentials",         "username",     "cacert"};
  for (const char* k : kPublic) {
    if (key == k) return true;
  }
  return false;
}

}  // namespace

nlohmann::json ProviderConfigsToJson(const std::map<std::string, engine::ProviderConfig>& configs) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, c] : configs) {
    nlohmann::json settings = nlohmann::json::object();
    for (const auto& [k, v] : c.settings.items()) {
      if (IsPublicSetting(k) && v.is_string()) settings[k] = v;
    }
    out[name] = {{"type", c.type},         {"region", c.region},     {"zones", c.zones},
                 {"endpoint", c.endpoint}, {"spec_dir", c.spec_dir}, {"settings", settings}};
  }
  return out;
}

std::map<std::string, engine::ProviderConfig> ProviderConfigsFromJson(const nlohmann::json& j) {
  std::map<std::string, engine::ProviderConfig> out;
  if (!j.is_object()) return out;
  for (const auto& [name, v] : j.items()) {
    engine::ProviderConfig c;
    c.name = name;
    c.type = v.value("type", "");
    c.region = v.value("region", "");
    c.zones = v.value("zones", std::vector<std::string>{});
    c.endpoint = v.value("endpoint", "");
    c.spec_dir = v.value("spec_dir", "");
    c.settings = v.value("settings", nlohmann::json::object());
    out.emplace(name, std::move(c));
  }
  return out;
}

std::unique_ptr<Runtime> MakeRuntime(const GlobalOptions& g,
                                     const std::map<std::string, engine::ProviderConfig>& configs,
                                     const std::map<std::string, SourceRange>& where, bool configure,
                                     Diagnostics* diags) {
  auto rt = std::make_unique<Runtime>();
  http::CurlTransport::Options topts;
  topts.cacert = g.cacert;
  rt->transport = std::make_unique<http::CurlTransport>(topts);
  providers::RegisterBuiltinProviders(&rt->registry);
  engine::ProviderEnv penv;
  penv.clock = env::Clock::Real();
  penv.transport = rt->transport.get();
  penv.cacert = g.cacert;
  for (const auto& [name, config] : configs) {
    auto w = where.find(name);
    SourceRange at = w == where.end() ? SourceRange{} : w->second;
    auto made = rt->registry.Create(config.type, penv);
    if (!made.ok()) {
      std::string built = Join(rt->registry.Types(), ", ");
      diags->Append({Severity::kError, at,
                     "provider '" + name + "': type '" + config.type + "' is not built into this orchestrator" +
                         (built.empty() ? std::string(" (none are built in yet)") : " (built in: " + built + ")"),
                     "provider." + name});
      continue;
    }
    std::unique_ptr<engine::Provider> p = std::move(made).value();
    if (configure) {
      Status st = p->Configure(config);
      if (!st.ok()) {
        diags->Append({Severity::kError, at, "provider '" + name + "': " + st.message(), "provider." + name});
        continue;
      }
    }
    rt->providers[name] = p.get();
    rt->owned[name] = std::move(p);
  }
  return rt;
}

std::vector<model::Resource> ExpandAndValidate(const spec::Spec& spec, const Runtime& rt, Diagnostics* diags) {
  auto traits = [&](const std::string& type) {
    model::ProviderTraits t;
    for (const auto& [name, p] : rt.owned) {
      if (p->Type() == type) t.native_instance_groups = p->GetCapabilities().native_instance_groups;
    }
    return t;
  };
  model::Expansion ex = model::Expand(spec, traits, diags);
  for (const model::Resource& r : ex.resources) {
    auto p = rt.owned.find(r.provider);
    if (p == rt.owned.end()) continue;
    auto w = ex.where.find(r.address.ToString());
    SourceRange at = w == ex.where.end() ? SourceRange{} : w->second;
    if (!p->second->GetCapabilities().kinds.count(r.address.kind)) {
      diags->Append({Severity::kError, at,
                     r.address.ToString() + ": provider '" + r.provider + "' (" + p->second->Type() +
                         ") cannot create a " + std::string(model::KindName(r.address.kind)) +
                         "; move this tier to a provider that supports it",
                     r.address.ToString()});
      continue;
    }
    p->second->Validate(r, at, diags);
  }
  std::set<std::string> declared;
  for (const model::Resource& r : ex.resources) declared.insert(r.address.ToString());
  diags->Append(state::CheckMoves(MovesOf(spec), declared));
  return ex.resources;
}

std::vector<state::Move> MovesOf(const spec::Spec& spec) {
  std::vector<state::Move> out;
  for (const spec::MovedSpec& m : spec.moved) out.push_back({m.from, m.to, m.where});
  return out;
}

std::string DesiredDigest(const std::vector<model::Resource>& desired) {
  nlohmann::json j = nlohmann::json::array();
  for (const model::Resource& r : desired) {
    j.push_back({{"address", r.address.ToString()},
                 {"provider", r.provider},
                 {"name", r.cloud_name},
                 {"tags", r.tags},
                 {"attributes", r.attributes}});
  }
  return Sha256Hex(j.dump());
}

bool Confirm(const std::string& question, bool auto_approve) {
  if (auto_approve) return true;
  if (!isatty(STDIN_FILENO)) {
    std::fprintf(stderr,
                 "error: refusing to ask for confirmation because standard input is not a terminal; "
                 "review the plan above and rerun with --auto-approve\n");
    return false;
  }
  std::fprintf(stdout, "\n%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question.c_str());
  std::fflush(stdout);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  if (answer != "yes") {
    std::fprintf(stderr, "Cancelled: the answer was not 'yes'. Nothing was changed.\n");
    return false;
  }
  return true;
}

}  // namespace orch::cli
