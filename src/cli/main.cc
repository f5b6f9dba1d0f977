// orchestrator: deploy and tear down multi-tier deployments on DigitalOcean,
// GCE and OpenStack from one YAML spec. See docs/cli.md.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/graph_command.h"
#include "cli/image_command.h"
#include "cli/logging.h"

#ifndef ORCH_VERSION
#define ORCH_VERSION "dev"
#endif

int main(int argc, char** argv) {
  using namespace orch::cli;
  CLI::App app{"orchestrator: one YAML spec, three clouds, every tier (docs/cli.md)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("orchestrator ") + ORCH_VERSION);

  GlobalOptions g;
  app.add_flag("-v,--verbose", g.verbosity, "More log output (-v info, -vv debug)");
  app.add_option("--log-file", g.log_file, "Also write every log line (debug level) to this file");
  app.add_option("--log-format", g.log_format, "Log line format")->check(CLI::IsMember({"text", "json"}));
  app.add_option("--state-dir", g.state_dir,
                 "Directory holding state and locks (default: $ORCHESTRATOR_STATE_DIR or ./.orchestrator)");
  app.add_option("--cacert", g.cacert, "Extra CA certificate bundle (PEM) trusted for API endpoints");
  app.add_flag("--no-color", g.no_color, "Never colour output (NO_COLOR is honoured too)");

  ValidateArgs va;
  auto* validate = app.add_subcommand("validate", "Check a spec without any API call; report every problem");
  validate->add_option("SPEC", va.spec, "Deployment spec (YAML)")->required();
  validate->add_option("--var", va.vars, "Set a spec variable: NAME=VALUE (repeatable)");

  RenderArgs ra;
  auto* render = app.add_subcommand("render", "Print the user data of one instance as it would be sent (no API call)");
  render->add_option("SPEC", ra.spec, "Deployment spec (YAML)")->required();
  render->add_option("ADDRESS", ra.address, "Instance address, e.g. cassandra.instance[0]")->required();
  render->add_option("--var", ra.vars, "Set a spec variable: NAME=VALUE (repeatable)");

  PlanArgs pa;
  auto* plan = app.add_subcommand("plan", "Refresh from the clouds and show what deploy would change");
  plan->add_option("SPEC", pa.spec, "Deployment spec (YAML)")->required();
  plan->add_option("--var", pa.vars, "Set a spec variable: NAME=VALUE (repeatable)");
  plan->add_option("--target", pa.targets, "Limit to this address or tier and what it depends on (repeatable)");
  plan->add_option("--replace", pa.replace,
                   "Replace this instance, group or tier's instances even if unchanged (repeatable)");
  plan->add_option("--allow-destroy", pa.allow_destroy,
                   "Let the plan delete or replace this address (or tier) of a protected tier (repeatable)");
  plan->add_flag("--json", pa.json, "Print the plan as JSON");
  plan->add_flag("--detailed-exitcode", pa.detailed_exitcode, "Exit 0: no changes, 2: changes, 1: error");
  plan->add_flag("--refresh-only", pa.refresh_only,
                 "Report only drift: what changed outside orchestrator (with --detailed-exitcode, 2 = drift)");
  plan->add_option("--out", pa.out, "Save the plan; 'orchestrator deploy FILE' applies exactly it");
  plan->add_option("--lock-timeout", pa.lock_timeout, "Wait this long for the state lock (e.g. 30s, 5m)");

  DeployArgs da;
  auto* deploy = app.add_subcommand("deploy", "Create or update everything the spec describes");
  deploy->add_option("SPEC_OR_PLAN", da.spec_or_plan, "Deployment spec, or a plan saved by 'plan --out'")
      ->required();
  deploy->add_option("--var", da.vars, "Set a spec variable: NAME=VALUE (repeatable)");
  deploy->add_option("--target", da.targets, "Limit to this address or tier and what it depends on (repeatable)");
  deploy->add_option("--replace", da.replace,
                     "Replace this instance, group or tier's instances even if unchanged, one at a time "
                     "(repeatable); stale ones are rebuilt this way");
  deploy->add_option("--allow-destroy", da.allow_destroy,
                     "Let the deploy delete or replace this address (or tier) of a protected tier (repeatable)");
  deploy->add_flag("--auto-approve", da.auto_approve, "Apply without asking for confirmation");
  deploy->add_option("--parallelism", da.parallelism, "Changes applied at once (default 10)")
      ->check(CLI::Range(1, 256));
  deploy->add_option("--lock-timeout", da.lock_timeout, "Wait this long for the state lock (e.g. 30s, 5m)");

  TeardownArgs ta;
  auto* teardown = app.add_subcommand("teardown", "Delete every resource of a deployment");
  teardown->add_option("SPEC", ta.spec, "Deployment spec (or use --deployment)");
  teardown->add_option("--deployment", ta.deployment, "Deployment name, using provider settings kept in state");
  teardown->add_option("--var", ta.vars, "Set a spec variable: NAME=VALUE (repeatable)");
  teardown->add_flag("--auto-approve", ta.auto_approve, "Delete without asking for confirmation");
  teardown->add_flag("--dry-run", ta.dry_run, "Only list what would be deleted");
  teardown->add_option("--allow-destroy", ta.allow_destroy,
                       "Let the teardown delete this address (or tier) of a protected tier (repeatable)");
  teardown->add_option("--parallelism", ta.parallelism, "Deletions at once (default 10)")->check(CLI::Range(1, 256));
  teardown->add_option("--lock-timeout", ta.lock_timeout, "Wait this long for the state lock (e.g. 30s, 5m)");

  StateArgs sa;
  auto* state = app.add_subcommand("state", "Inspect or edit recorded state");
  state->require_subcommand(1);
  auto add_state_target = [&](CLI::App* c) {
    c->add_option("--spec", sa.spec, "Deployment spec naming the deployment");
    c->add_option("--deployment", sa.deployment, "Deployment name");
  };
  auto* state_list = state->add_subcommand("list", "List recorded resources");
  add_state_target(state_list);
  auto* state_show = state->add_subcommand("show", "Show one recorded resource as JSON");
  state_show->add_option("ADDRESS", sa.address)->required();
  add_state_target(state_show);
  auto* state_rm = state->add_subcommand("rm", "Forget a resource without deleting it in the cloud");
  state_rm->add_option("ADDRESS", sa.address)->required();
  add_state_target(state_rm);
  auto* state_mv = state->add_subcommand("mv", "Move a tier or a resource to a new address, keeping the cloud resources");
  state_mv->add_option("FROM", sa.address, "Tier name or resource address recorded in state")->required();
  state_mv->add_option("TO", sa.to, "New tier name or address (of the same kind)")->required();
  add_state_target(state_mv);
  auto* state_unlock = state->add_subcommand("unlock", "Remove a lock left by a process that is gone");
  add_state_target(state_unlock);

  OutputArgs oa;
  auto* output = app.add_subcommand("output", "Print addresses per tier, load balancer and floating IPs");
  output->add_option("SPEC", oa.spec, "Deployment spec (or use --deployment)");
  output->add_option("--deployment", oa.deployment, "Deployment name");
  auto* out_json = output->add_flag("--json", oa.json, "Print JSON");
  auto* out_inv = output->add_flag("--ansible-inventory", oa.ansible_inventory,
                                   "Print an Ansible INI inventory (one group per tier)");
  output->add_flag("--ssh-config", oa.ssh_config, "Print an OpenSSH client configuration (one Host per instance)")
      ->excludes(out_json)
      ->excludes(out_inv);
  out_inv->excludes(out_json);

  GraphArgs ga;
  auto* graph = app.add_subcommand("graph", "Print the resources' dependency graph as Graphviz DOT (no API call)");
  graph->add_option("SPEC", ga.spec, "Deployment spec (YAML)")->required();
  graph->add_option("--var", ga.vars, "Set a spec variable: NAME=VALUE (repeatable)");

  auto run_image = AddImageCommands(&app, &g);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitError;
  }

  LogOptions lo{g.verbosity, g.log_file, g.log_format == "json"};
  std::string log_error;
  if (!SetupLogging(lo, &log_error)) {
    std::fprintf(stderr, "error: %s\n", log_error.c_str());
    return kExitError;
  }

  if (validate->parsed()) return RunValidate(g, va);
  if (render->parsed()) return RunRender(g, ra);
  if (plan->parsed()) return RunPlan(g, pa);
  if (deploy->parsed()) return RunDeploy(g, da);
  if (teardown->parsed()) return RunTeardown(g, ta);
  if (state->parsed()) {
    for (auto* c : {state_list, state_show, state_rm, state_mv, state_unlock}) {
      if (c->parsed()) sa.action = c->get_name();
    }
    return RunState(g, sa);
  }
  if (output->parsed()) return RunOutput(g, oa);
  if (graph->parsed()) return RunGraph(g, ga);
  if (auto code = run_image()) return *code;
  return kExitError;
}
