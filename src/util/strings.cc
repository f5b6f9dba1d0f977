#include "util/strings.h"

#include <algorithm>

namespace orch {

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(1, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

namespace {

struct DurationUnit {
  std::string_view name;
  int64_t ms;
};
// Largest first; "ms" before "m" so the longer name is tried first.
constexpr DurationUnit kDurationUnits[] = {{"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000}};
constexpr int64_t kMaxDurationMs = int64_t{1} << 52;

int Rank(int64_t unit_ms) {
  switch (unit_ms) {
    case 3600000: return 0;
    case 60000: return 1;
    case 1000: return 2;
    default: return 3;
  }
}

}  // namespace

std::optional<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  int last_rank = -1;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i] - '0');
      if (n > kMaxDurationMs) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    const DurationUnit* unit = nullptr;
    for (const DurationUnit& u : kDurationUnits) {
      if (text.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (!unit || Rank(unit->ms) <= last_rank) return std::nullopt;
    last_rank = Rank(unit->ms);
    i += unit->name.size();
    if (n > kMaxDurationMs / unit->ms) return std::nullopt;
    total += n * unit->ms;
    if (total > kMaxDurationMs) return std::nullopt;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms <= 0) return "0s";
  std::string out;
  for (const DurationUnit& u : {kDurationUnits[0], kDurationUnits[2], kDurationUnits[3], kDurationUnits[1]}) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + std::string(u.name);
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace orch
