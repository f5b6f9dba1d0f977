// Small string helpers shared by every module.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orch {

std::vector<std::string> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view Trim(std::string_view s);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);

// Levenshtein distance (insert, delete, substitute all cost 1).
size_t EditDistance(std::string_view a, std::string_view b);

// The closest candidate to `word` when it is close enough to be a likely
// typo (distance <= max(1, len/3)), else "".
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

// A duration written as whole numbers with units, largest first, each unit
// once: "90s", "10m", "1h30m", "250ms". Milliseconds, or nullopt when the
// text is not such a duration (no unit, a sign, a fraction, an unknown unit).
std::optional<int64_t> ParseDuration(std::string_view text);
// Milliseconds in the form ParseDuration reads, largest units first with the
// zero ones left out: 600000 -> "10m", 5400000 -> "1h30m", 0 -> "0s".
std::string FormatDuration(int64_t ms);

}  // namespace orch
