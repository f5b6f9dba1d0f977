#include "spec/checks.h"

#include <algorithm>
#include <cstdint>
#include <functional>
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

std::vector<std::vector<int>> FindCycles(const std::vector<std::vector<int>>& edges) {
  const int n = static_cast<int>(edges.size());
  std::vector<std::vector<int>> cycles;
  std::set<std::vector<int>> seen;
  // Johnson-style enumeration restricted to cycles whose smallest node is
  // `start`; graphs here are small (tiers), so a plain DFS per start suffices.
  // Caps on cycles reported and search steps keep pathological graphs bounded.
  constexpr size_t kMaxCycles = 100;
  long budget = 200000;  // DFS steps
  for (int start = 0; start < n && cycles.size() < kMaxCycles; ++start) {
    std::vector<int> path{start};
    std::vector<bool> on_path(n, false);
    on_path[start] = true;
    std::function<void(int)> dfs = [&](int v) {
      for (int w : edges[v]) {
        if (cycles.size() >= kMaxCycles || --budget < 0) return;
        if (w < start || w >= n) continue;
        if (w == start) {
          if (seen.insert(path).second) cycles.push_back(path);
        } else if (!on_path[w]) {
          on_path[w] = true;
          path.push_back(w);
          dfs(w);
          path.pop_back();
          on_path[w] = false;
        }
      }
    };
    dfs(start);
  }
  return cycles;
}

}  // namespace orch::spec::internal
