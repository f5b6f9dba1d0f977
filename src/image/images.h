// Tier images made by Packer (`orchestrator image build` / `image register`,
// docs/images.md): the Packer command line for a tier, the image records kept
// in the deployment's state (state::ImageRecord), and their use by the next
// plan/deploy. cli/image_command.h parses the arguments and prints; running
// Packer and reading its output is image/packer_run.h. No function keeps
// state; all are safe from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image/packer_run.h"
#include "spec/spec.h"
#include "state/state.h"
#include "state/state_store.h"
#include "util/diagnostic.h"
#include "util/status.h"

namespace orch::image {

// For every spec image with a `packer:` template: its source becomes the id
// recorded in `st` (the next deploy uses the built image). A missing record
// is an error telling which `orchestrator image build` makes it. `notes`
// receives one line per image saying which build is used (and a warning
// when the template changed since).
void ApplyImageRecords(spec::Spec* spec, const state::State& st, Diagnostics* diags,
                       std::vector<std::string>* notes);

// ApplyImageRecords with the deployment's state read from `state_dir`.
// Specs without Packer images read nothing.
void UseBuiltImages(spec::Spec* spec, const std::string& state_dir, Diagnostics* diags,
                    std::vector<std::string>* notes);

// How `image build` runs Packer for one tier: the command line (non-secret
// -var values only) and the extra environment (credentials).
struct PackerInvocation {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string image_name;  // the name the new image gets in the cloud
};
struct BuildRequest {
  std::string packer = "packer";
  std::string template_path;  // absolute
  std::set<std::string> declared;  // variables the template declares
  std::set<std::string> builds;    // names of the template's builds
  std::string only;                // the build to run; "" = the one named like the builder type, if any
  std::string deployment;
  std::string image;  // spec image name
  std::string tier;
  std::string script;  // absolute
  std::string manifest;
  int64_t now_seconds = 0;
  const spec::ProviderSpec* provider = nullptr;
  const spec::ImageSpec* image_spec = nullptr;
  std::vector<std::string> packer_vars;  // NAME=VALUE overrides
  std::function<std::string(const std::string&)> getenv;
};
Result<PackerInvocation> MakePackerInvocation(const BuildRequest& r);


// Tiers of the spec whose `image:` names `image`.
std::vector<std::string> TiersUsing(const spec::Spec& spec, const std::string& image);

// The Packer template at `path` as JSON. NotFound when it cannot be read,
// InvalidArgument when it is not a JSON object (HCL templates are not read).
Result<nlohmann::json> LoadPackerTemplate(const std::string& path);
// The variables a template declares, and its build names (a builder's
// "name", else its "type").
std::set<std::string> DeclaredVariables(const nlohmann::json& tmpl);
std::set<std::string> BuildNames(const nlohmann::json& tmpl);

// The provisioning script for `tier`: <template dir>/scripts/<tier>.sh, else
// the part of the tier name before its first '-' (cassandra-do -> cassandra).
// Every path looked at is appended to *tried.
std::optional<std::string> FindScript(const std::string& template_path, const std::string& tier,
                                      std::vector<std::string>* tried);

// LastRunBuilds of the manifest file at `path`; errors name the file.
Result<std::vector<ManifestBuild>> ReadManifest(const std::string& path);

// A record of `artifact` (Packer's artifact id) built for `img` from its
// template; tier and time are the caller's. InvalidArgument when the
// artifact id does not fit the provider.
Result<state::ImageRecord> NewImageRecord(const spec::ProviderSpec& prov, const spec::ImageSpec& img,
                                          const std::string& artifact);

// Records `rec` as the build of spec image `name` in the deployment's state,
// under the "image" lock (waiting up to timeout_ms). A failed unlock does
// not fail the record; it is described in *unlock_warning.
Status RecordImage(state::StateStore* store, const std::string& deployment, const std::string& name,
                   const state::ImageRecord& rec, int64_t timeout_ms, std::string* unlock_warning);

}  // namespace orch::image
