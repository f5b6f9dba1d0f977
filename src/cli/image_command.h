// `orchestrator image build` and `orchestrator image register`: argument
// parsing and output of the image commands; what they do is image/images.h
// (Packer invocation, image records in state, docs/images.md).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"

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

}  // namespace orch::cli
