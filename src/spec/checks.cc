#include "spec/checks.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "util/strings.h"

namespace orch::spec::internal {

namespace {

// Parses a decimal number without sign or leading zeros; -1 when invalid or
// larger than `max`.
long ParseDecimal(std::string_view s, long max) {
  if (s.empty() || s.size() > 10) return -1;
  if (s.size() > 1 && s[0] == '0') return -1;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v > max ? -2 : v;
}

std::string Dotted(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." + std::to_string((a >> 8) & 255) +
         "." + std::to_string(a & 255);
}

}  // namespace

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 31) return false;
  if (name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = DidYouMean(word, candidates);
  if (!best.empty()) return best;
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  for (const auto& c : candidates) {
    if (c.size() != word.size()) continue;
    if (lower(c) == lower(word)) return c;
    for (size_t i = 0; i + 1 < c.size(); ++i) {
      std::string swapped(word);
      std::swap(swapped[i], swapped[i + 1]);
      if (swapped == c) return c;
    }
  }
  return "";
}

std::string CheckCidr(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return "expected a.b.c.d/n, e.g. 10.0.0.0/16 (the /n is required)";
  std::string_view addr = text.substr(0, slash);
  std::string_view len = text.substr(slash + 1);
  uint32_t value = 0;
  int parts = 0;
  size_t start = 0;
  while (true) {
    size_t dot = addr.find('.', start);
    std::string_view part = addr.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    long v = ParseDecimal(part, 255);
    if (v == -2) return "'" + std::string(part) + "' is not an octet (0-255)";
    if (v < 0) return "expected a.b.c.d/n, e.g. 10.0.0.0/16";
    value = (value << 8) | static_cast<uint32_t>(v);
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts != 4) return "expected a.b.c.d/n, e.g. 10.0.0.0/16";
  long prefix = ParseDecimal(len, 32);
  if (prefix < 0) return "the prefix length must be a number from 0 to 32";
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  uint32_t host = value & ~mask;
  if (host != 0) {
    return "host bits are set (" + Dotted(host) + " lies outside the /" + std::to_string(prefix) +
           " prefix); did you mean " + Dotted(value & mask) + "/" + std::to_string(prefix) + "?";
  }
  return "";
}

std::string CheckPorts(std::string_view text) {
  size_t dash = text.find('-');
  std::string_view lo = text.substr(0, dash);
  std::string_view hi = dash == std::string_view::npos ? lo : text.substr(dash + 1);
  long a = ParseDecimal(lo, 65535), b = ParseDecimal(hi, 65535);
  if (a == -1 || b == -1) return "expected a port such as 22 or a range such as 8000-8100";
  if (a < 1 || b < 1) return "ports must be between 1 and 65535";
  if (a > b) return "the range's first port is greater than its last";
  return "";
}

namespace {

// Strongly connected components (Tarjan, iterative: chains of thousands of
// tiers must not exhaust the stack). comp[v] is v's component id.
std::vector<int> Components(const std::vector<std::vector<int>>& edges) {
  const int n = static_cast<int>(edges.size());
  std::vector<int> index(n, -1), low(n, 0), comp(n, -1), stack;
  std::vector<bool> on_stack(n, false);
  int next_index = 0, next_comp = 0;
  struct Frame {
    int v;
    size_t edge;
  };
  for (int root = 0; root < n; ++root) {
    if (index[root] >= 0) continue;
    std::vector<Frame> frames{{root, 0}};
    index[root] = low[root] = next_index++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!frames.empty()) {
      Frame& f = frames.back();
      if (f.edge < edges[f.v].size()) {
        int w = edges[f.v][f.edge++];
        if (w < 0 || w >= n) continue;
        if (index[w] < 0) {
          index[w] = low[w] = next_index++;
          stack.push_back(w);
          on_stack[w] = true;
          frames.push_back({w, 0});
        } else if (on_stack[w]) {
          low[f.v] = std::min(low[f.v], index[w]);
        }
        continue;
      }
      int v = f.v;
      frames.pop_back();
      if (!frames.empty()) low[frames.back().v] = std::min(low[frames.back().v], low[v]);
      if (low[v] == index[v]) {
        int w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          comp[w] = next_comp;
        } while (w != v);
        ++next_comp;
      }
    }
  }
  return comp;
}

// The shortest cycle through `start` inside its component (breadth-first).
std::vector<int> ShortestCycle(const std::vector<std::vector<int>>& edges, const std::vector<int>& comp, int start) {
  const int n = static_cast<int>(edges.size());
  std::vector<int> parent(n, -2);
  std::vector<int> queue{start};
  parent[start] = -1;
  for (size_t head = 0; head < queue.size(); ++head) {
    int v = queue[head];
    for (int w : edges[v]) {
      if (w < 0 || w >= n || comp[w] != comp[start]) continue;
      if (w == start) {
        std::vector<int> cycle;
        for (int u = v; u != -1; u = parent[u]) cycle.push_back(u);
        std::reverse(cycle.begin(), cycle.end());
        return cycle;
      }
      if (parent[w] == -2) {
        parent[w] = v;
        queue.push_back(w);
      }
    }
  }
  return {};
}

}  // namespace

std::vector<std::vector<int>> FindCycles(const std::vector<std::vector<int>>& edges) {
  const int n = static_cast<int>(edges.size());
  constexpr size_t kMaxCycles = 100;
  std::vector<int> comp = Components(edges);
  auto in_cycle = [&](int v) {
    for (int w : edges[v]) {
      if (w >= 0 && w < n && comp[w] == comp[v]) return true;
    }
    return false;
  };
  std::vector<std::vector<int>> cycles;
  std::set<std::vector<int>> seen;
  // Every cyclic component is named at least once: the shortest cycle
  // through its smallest node.
  std::vector<bool> comp_done(n, false);
  for (int v = 0; v < n; ++v) {
    if (comp_done[comp[v]] || !in_cycle(v)) continue;
    comp_done[comp[v]] = true;
    std::vector<int> cycle = ShortestCycle(edges, comp, v);
    if (!cycle.empty() && seen.insert(cycle).second) cycles.push_back(cycle);
  }
  // Then the other elementary cycles, each found from its smallest node and
  // only inside a component (a DAG costs nothing), up to kMaxCycles in all
  // and a bounded number of search steps.
  long budget = 1000000;
  for (int start = 0; start < n && budget > 0 && cycles.size() < kMaxCycles; ++start) {
    if (!in_cycle(start)) continue;
    const int c = comp[start];
    std::vector<int> path{start};
    std::vector<bool> on_path(n, false);
    on_path[start] = true;
    std::vector<size_t> next_edge{0};
    while (!path.empty() && --budget > 0 && cycles.size() < kMaxCycles) {
      int v = path.back();
      if (next_edge.back() >= edges[v].size()) {
        on_path[v] = false;
        path.pop_back();
        next_edge.pop_back();
        continue;
      }
      int w = edges[v][next_edge.back()++];
      if (w < start || w >= n || comp[w] != c) continue;
      if (w == start) {
        if (seen.insert(path).second) cycles.push_back(path);
      } else if (!on_path[w]) {
        on_path[w] = true;
        path.push_back(w);
        next_edge.push_back(0);
      }
    }
  }
  std::sort(cycles.begin(), cycles.end());
  return cycles;
}

}  // namespace orch::spec::internal
