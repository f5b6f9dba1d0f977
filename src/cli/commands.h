// The orchestrator subcommands. Each returns the process exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"

namespace orch::cli {

// A spec loaded and expanded as `validate` does (no API call); diagnostics
// are printed to stderr and nullopt returned when there is any error.
struct ValidSpec {
  spec::Spec spec;
  std::vector<model::Resource> desired;
};
// Loads and expands without calling a cloud (validate, graph): credentials
// from an unset ${env:} only warn. With `check_user_data`, every user data
// is also rendered with placeholders and checked (cli/user_data.h).
std::optional<ValidSpec> LoadAndExpand(const GlobalOptions& g, const std::string& path,
                                       const std::vector<std::string>& vars, bool check_user_data = true);

struct ValidateArgs {
  std::string spec;
  std::vector<std::string> vars;
};
int RunValidate(const GlobalOptions& g, const ValidateArgs& a);

// Prints the user data of one instance (or group) as it would be sent:
// references from recorded state when known, else placeholders (said on
// stderr); cloud-config problems are reported as validate reports them.
struct RenderArgs {
  std::string spec;
  std::string address;
  std::vector<std::string> vars;
};
int RunRender(const GlobalOptions& g, const RenderArgs& a);

struct PlanArgs {
  std::string spec;
  std::vector<std::string> vars;
  std::vector<std::string> targets;
  std::vector<std::string> replace;  // addresses or tiers to rebuild (--replace)
  std::vector<std::string> allow_destroy;  // of protected tiers (--allow-destroy)
  bool json = false;
  bool detailed_exitcode = false;
  bool refresh_only = false;  // report only what changed outside orchestrator
  std::string out;
  std::string lock_timeout = "0s";
};
int RunPlan(const GlobalOptions& g, const PlanArgs& a);

struct DeployArgs {
  std::string spec_or_plan;
  std::vector<std::string> vars;
  std::vector<std::string> targets;
  std::vector<std::string> replace;
  std::vector<std::string> allow_destroy;
  bool auto_approve = false;
  int parallelism = 10;
  std::string lock_timeout = "0s";
};
int RunDeploy(const GlobalOptions& g, const DeployArgs& a);

struct TeardownArgs {
  std::string spec;
  std::string deployment;
  std::vector<std::string> vars;
  std::vector<std::string> allow_destroy;
  bool auto_approve = false;
  bool dry_run = false;
  int parallelism = 10;
  std::string lock_timeout = "0s";
};
int RunTeardown(const GlobalOptions& g, const TeardownArgs& a);

struct StateArgs {
  std::string action;  // list | show | rm | mv | unlock
  std::string address;  // show, rm; mv: FROM (a tier or an address)
  std::string to;       // mv: TO
  std::string spec;
  std::string deployment;
  std::vector<std::string> vars;
};
int RunState(const GlobalOptions& g, const StateArgs& a);

struct OutputArgs {
  std::string spec;
  std::string deployment;
  bool json = false;
  bool ansible_inventory = false;  // FormatAnsibleInventory (cli/outputs.h)
  bool ssh_config = false;         // FormatSshConfig
};
int RunOutput(const GlobalOptions& g, const OutputArgs& a);

}  // namespace orch::cli
