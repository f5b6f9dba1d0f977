// `orchestrator graph SPEC`: the dependency graph of the resources a spec
// expands to, as Graphviz DOT, without any API call.
#pragma once

#include <string>
#include <vector>

#include "cli/app.h"
#include "model/resource.h"

namespace orch::cli {

struct GraphArgs {
  std::string spec;
  std::vector<std::string> vars;
};
int RunGraph(const GlobalOptions& g, const GraphArgs& a);

// A DOT digraph named after the deployment: one node per resource (labelled
// with its address and cloud name), grouped in a "cluster_<tier>" subgraph
// per tier, and an edge A -> B when A depends on B (B is created first and
// deleted last). Stable output: resources and edges in address order.
std::string GraphToDot(const std::string& deployment, const std::vector<model::Resource>& resources);

}  // namespace orch::cli
