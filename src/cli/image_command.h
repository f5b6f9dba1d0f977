// `orchestrator image build` and `orchestrator image register`: tier images
// made by Packer, recorded in the deployment's state (state::ImageRecord) so
// the next plan/deploy uses them (docs/images.md).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"
#include "spec/spec.h"
#include "state/state.h"
#include "util/diagnostic.h"
#include "util/status.h"

namespace CLI {
class App;
}

namespace orch::cli {

struct ImageBuildArgs {
  std::string tier;
  std::string provider;  // optional; must be the tier's provider when given
  std::string spec;
  std::vector<std::string> vars;         // spec variables
  std::vector<std::string> packer_vars;  // NAME=VALUE passed to the template
  std::string packer = "";               // Packer binary; default $PACKER, else "packer" in PATH
  std::string script;                    // provisioning script; default packer/scripts/<tier>.sh
  std::string packer_build;              // -only=NAME; default the build named after the builder type
  std::string lock_timeout = "30s";
};
int RunImageBuild(const GlobalOptions& g, const ImageBuildArgs& a);

struct ImageRegisterArgs {
  std::string manifest;
  std::string spec;
  std::string image;  // spec image name; default: the manifest's custom_data "image"
  std::vector<std::string> vars;
  std::string lock_timeout = "30s";
};
int RunImageRegister(const GlobalOptions& g, const ImageRegisterArgs& a);

// Adds `image build` and `image register` to `app`. The returned function
// runs the image subcommand that was parsed and returns its exit code, or
// nullopt when no image subcommand was given.
std::function<std::optional<int>()> AddImageCommands(CLI::App* app, const GlobalOptions* g);

// For every spec image with a `packer:` template: its source becomes the id
// recorded in `st` (the next deploy uses the built image). A missing record
// is an error telling which `orchestrator image build` makes it. `notes`
// receives one line per image saying which build is used (and a warning
// when the template changed since).
void ApplyImageRecords(spec::Spec* spec, const state::State& st, Diagnostics* diags,
                       std::vector<std::string>* notes);

// ApplyImageRecords with the deployment's state read from `state_dir`;
// notes go to stderr. Specs without Packer images read nothing.
void UseBuiltImages(spec::Spec* spec, const std::string& state_dir, Diagnostics* diags);

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

}  // namespace orch::cli
