// Graph: a dependency graph over resource addresses (model::Address
// ToString() form), used by the planner to order changes and to find what a
// failure must skip.
//
// An edge from A to B means "A depends on B": B is created before A, and A
// is deleted before B. Iteration and every result are ordered by address, so
// the same graph always yields the same order. A Graph is a plain value: not
// safe for concurrent mutation, safe for concurrent const use.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "util/status.h"

namespace orch::graph {

class Graph {
 public:
  void AddNode(const std::string& node);
  // `from` depends on `to`. Adds missing nodes; a repeated edge is a no-op.
  void AddEdge(const std::string& from, const std::string& to);

  bool HasNode(const std::string& node) const { return deps_.count(node) > 0; }
  size_t size() const { return deps_.size(); }
  std::vector<std::string> Nodes() const;

  // Direct edges: what `node` depends on, and what depends on `node`.
  std::vector<std::string> DependenciesOf(const std::string& node) const;
  std::vector<std::string> DependentsOf(const std::string& node) const;

  // Every node, each after everything it depends on; among nodes ready at
  // the same time the smallest address comes first. InvalidArgument naming
  // a cycle ("dependency cycle: a -> b -> a") when there is one.
  Result<std::vector<std::string>> TopologicalOrder() const;

  // The same nodes with every edge turned around (deletion order).
  Graph Reverse() const;

  // One cycle per strongly connected component that has one, each starting
  // and ending at the component's smallest address, e.g. {"a", "b", "a"};
  // the shortest such cycle through that node. Sorted.
  std::vector<std::vector<std::string>> FindCycles() const;
  static std::string FormatCycle(const std::vector<std::string>& cycle);  // "a -> b -> a"

  // Everything that transitively depends on `node` (not `node` itself):
  // what must be skipped when `node` fails.
  std::set<std::string> Dependents(const std::string& node) const;
  // Everything `node` transitively depends on.
  std::set<std::string> Dependencies(const std::string& node) const;

 private:
  static std::set<std::string> Reach(const std::map<std::string, std::set<std::string>>& edges,
                                     const std::string& start);

  std::map<std::string, std::set<std::string>> deps_;        // node -> what it depends on
  std::map<std::string, std::set<std::string>> dependents_;  // node -> what depends on it
};

}  // namespace orch::graph
