#include "cli/graph_command.h"

#include <cstdio>
#include <map>

#include "cli/commands.h"

namespace orch::cli {
namespace {

// Text inside a DOT double-quoted string.
std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string Quote(const std::string& s) { return "\"" + Escape(s) + "\""; }

std::string NodeLine(const model::Resource& r) {
  std::string id = r.address.ToString();
  return Quote(id) + " [label=\"" + Escape(id) + "\\n" + Escape(r.cloud_name) + "\"];\n";
}

}  // namespace

std::string GraphToDot(const std::string& deployment, const std::vector<model::Resource>& resources) {
  std::map<std::string, std::vector<const model::Resource*>> by_tier;  // "" = top level
  for (const model::Resource& r : resources) by_tier[r.address.tier].push_back(&r);
  std::string out = "digraph " + Quote(deployment) + " {\n  rankdir=RL;\n  node [shape=box, fontsize=10];\n";
  for (const auto& [tier, list] : by_tier) {
    std::string indent = "  ";
    if (!tier.empty()) {
      out += "  subgraph " + Quote("cluster_" + tier) + " {\n    label=" + Quote("tier " + tier) + ";\n";
      indent = "    ";
    }
    for (const model::Resource* r : list) out += indent + NodeLine(*r);
    if (!tier.empty()) out += "  }\n";
  }
  for (const model::Resource& r : resources)
    for (const model::Address& d : r.depends_on)
      out += "  " + Quote(r.address.ToString()) + " -> " + Quote(d.ToString()) + ";\n";
  return out + "}\n";
}

int RunGraph(const GlobalOptions& g, const GraphArgs& a) {
  auto v = LoadAndExpand(g, a.spec, a.vars);
  if (!v) return kExitError;
  std::fputs(GraphToDot(v->spec.deployment, v->desired).c_str(), stdout);
  return kExitOk;
}

}  // namespace orch::cli
