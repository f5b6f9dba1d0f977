#include "graph/graph.h"

#include <algorithm>
#include <deque>
#include <functional>

namespace orch::graph {

void Graph::AddNode(const std::string& node) {
  deps_[node];
  dependents_[node];
}

void Graph::AddEdge(const std::string& from, const std::string& to) {
  AddNode(from);
  AddNode(to);
  deps_[from].insert(to);
  dependents_[to].insert(from);
}

std::vector<std::string> Graph::Nodes() const {
  std::vector<std::string> out;
  for (const auto& [n, d] : deps_) out.push_back(n);
  return out;
}

std::vector<std::string> Graph::DependenciesOf(const std::string& node) const {
  auto it = deps_.find(node);
  if (it == deps_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<std::string> Graph::DependentsOf(const std::string& node) const {
  auto it = dependents_.find(node);
  if (it == dependents_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

Result<std::vector<std::string>> Graph::TopologicalOrder() const {
  std::map<std::string, size_t> pending;
  std::set<std::string> ready;
  for (const auto& [n, d] : deps_) {
    pending[n] = d.size();
    if (d.empty()) ready.insert(n);
  }
  std::vector<std::string> order;
  order.reserve(deps_.size());
  while (!ready.empty()) {
    std::string n = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(n);
    for (const std::string& dep : dependents_.at(n))
      if (--pending[dep] == 0) ready.insert(dep);
  }
  if (order.size() != deps_.size()) {
    auto cycles = FindCycles();
    std::string text = cycles.empty() ? "unknown" : FormatCycle(cycles.front());
    return Status::InvalidArgument("dependency cycle: " + text);
  }
  return order;
}

Graph Graph::Reverse() const {
  Graph g;
  g.deps_ = dependents_;
  g.dependents_ = deps_;
  return g;
}

std::vector<std::vector<std::string>> Graph::FindCycles() const {
  // Tarjan's strongly connected components, iteration in address order.
  std::map<std::string, int> index, low;
  std::set<std::string> on_stack;
  std::vector<std::string> stack;
  std::vector<std::set<std::string>> components;
  int next = 0;
  std::function<void(const std::string&)> visit = [&](const std::string& v) {
    index[v] = low[v] = next++;
    stack.push_back(v);
    on_stack.insert(v);
    for (const std::string& w : deps_.at(v)) {
      if (!index.count(w)) {
        visit(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack.count(w)) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] == index[v]) {
      std::set<std::string> comp;
      while (true) {
        std::string w = stack.back();
        stack.pop_back();
        on_stack.erase(w);
        comp.insert(w);
        if (w == v) break;
      }
      components.push_back(std::move(comp));
    }
  };
  for (const auto& [n, d] : deps_)
    if (!index.count(n)) visit(n);

  std::vector<std::vector<std::string>> cycles;
  for (const std::set<std::string>& comp : components) {
    const std::string& start = *comp.begin();
    if (comp.size() == 1) {
      if (deps_.at(start).count(start)) cycles.push_back({start, start});
      continue;
    }
    // Shortest path start -> ... -> start inside the component (BFS).
    std::map<std::string, std::string> parent;
    std::deque<std::string> queue{start};
    std::string last;
    while (!queue.empty() && last.empty()) {
      std::string v = queue.front();
      queue.pop_front();
      for (const std::string& w : deps_.at(v)) {
        if (!comp.count(w)) continue;
        if (w == start) {
          last = v;
          break;
        }
        if (parent.count(w)) continue;
        parent[w] = v;
        queue.push_back(w);
      }
    }
    std::vector<std::string> path{start};
    for (std::string v = last; v != start; v = parent[v]) path.push_back(v);
    std::reverse(path.begin() + 1, path.end());
    path.push_back(start);
    cycles.push_back(std::move(path));
  }
  std::sort(cycles.begin(), cycles.end());
  return cycles;
}

std::string Graph::FormatCycle(const std::vector<std::string>& cycle) {
  std::string out;
  for (size_t i = 0; i < cycle.size(); ++i) out += (i ? " -> " : "") + cycle[i];
  return out;
}

std::set<std::string> Graph::Reach(const std::map<std::string, std::set<std::string>>& edges,
                                   const std::string& start) {
  std::set<std::string> seen;
  std::vector<std::string> todo{start};
  while (!todo.empty()) {
    std::string v = todo.back();
    todo.pop_back();
    auto it = edges.find(v);
    if (it == edges.end()) continue;
    for (const std::string& w : it->second)
      if (seen.insert(w).second) todo.push_back(w);
  }
  seen.erase(start);
  return seen;
}

std::set<std::string> Graph::Dependents(const std::string& node) const { return Reach(dependents_, node); }
std::set<std::string> Graph::Dependencies(const std::string& node) const { return Reach(deps_, node); }

}  // namespace orch::graph
