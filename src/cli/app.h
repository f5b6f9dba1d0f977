// Shared pieces of the orchestrator commands: global options, spec loading
// with printed diagnostics, provider wiring, state store selection.
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/provider.h"
#include "engine/provider_set.h"
#include "engine/registry.h"
#include "env/http_transport.h"
#include "model/resource.h"
#include "plan/plan.h"
#include "spec/spec.h"
#include "state/file_state_store.h"
#include "state/moves.h"
#include "state/state_store.h"
#include "util/diagnostic.h"

namespace orch::cli {

// Exit codes (docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitChanges = 2;  // plan --detailed-exitcode: changes present

struct GlobalOptions {
  int verbosity = 0;
  std::string log_file;
  std::string log_format = "text";
  std::string state_dir;  // --state-dir, else ORCHESTRATOR_STATE_DIR, else ./.orchestrator
  std::string cacert;
  bool no_color = false;
};

// The state directory the options select.
std::string StateDir(const GlobalOptions& g);

// The state store of `deployment` in the selected state directory. Its
// warnings (a stale lock taken over) are printed to stderr as "warning: ...".
std::unique_ptr<state::FileStateStore> OpenStateStore(const GlobalOptions& g, const std::string& deployment);

// Parses "30s", "5m", "1h", "250ms" or a plain number of seconds.
std::optional<int64_t> ParseDurationMs(const std::string& text);

// Prints every diagnostic to `out` with the source line when it can be read.
void PrintDiagnostics(const Diagnostics& diags, std::FILE* out);

// Loads and validates a spec; prints diagnostics. nullopt on any error.
// `offline`: for commands that call no cloud (spec::LoadOptions::offline).
std::optional<spec::Spec> LoadSpecOrPrint(const std::string& path, const std::vector<std::string>& vars,
                                          bool offline = false);

// The process's providers for one run.
struct Runtime {
  std::unique_ptr<env::HttpTransport> transport;
  engine::ProviderRegistry registry;
  std::map<std::string, std::unique_ptr<engine::Provider>> owned;  // by instance name
  engine::ProviderSet providers;
};

// Creates the transport and one provider per spec provider instance; with
// `configure`, also Configure()s each (credentials, endpoints; no API
// call). Problems go to *diags at the provider's spec location.
std::unique_ptr<Runtime> MakeRuntime(const GlobalOptions& g, const std::map<std::string, engine::ProviderConfig>& configs,
                                     const std::map<std::string, SourceRange>& where, bool configure,
                                     Diagnostics* diags);

// ProviderConfig for every provider of a spec.
std::map<std::string, engine::ProviderConfig> ProviderConfigs(const spec::Spec& spec);

// The non-secret part of provider configs, kept in state so a teardown by
// --deployment can reach the clouds without the spec.
nlohmann::json ProviderConfigsToJson(const std::map<std::string, engine::ProviderConfig>& configs);
std::map<std::string, engine::ProviderConfig> ProviderConfigsFromJson(const nlohmann::json& j);

// Expands a spec into resources with the runtime's provider traits and runs
// every provider's offline Validate, and checks the spec's `moved:` entries
// against the resources it declares. Problems go to *diags.
std::vector<model::Resource> ExpandAndValidate(const spec::Spec& spec, const Runtime& rt, Diagnostics* diags);

// sha256 hex of the canonical JSON of the desired resources.
std::string DesiredDigest(const std::vector<model::Resource>& desired);

// The spec's `moved:` entries as state moves (checked by ExpandAndValidate).
std::vector<state::Move> MovesOf(const spec::Spec& spec);

// Asks "Do you want to ...? Only 'yes' will be accepted:" on the terminal.
// Refuses (returns false with a message) when stdin is not a terminal.
bool Confirm(const std::string& question, bool auto_approve);

}  // namespace orch::cli
