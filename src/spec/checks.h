// Value checks used by the spec loader: names, IPv4 CIDRs, port ranges and
// dependency cycles. Pure functions. Internal to src/spec/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace orch::spec::internal {

// [a-z][a-z0-9-]{0,30}: deployment, provider, tier, image, network, key names.
bool IsValidName(std::string_view name);
inline constexpr const char* kNameRule =
    "names start with a lowercase letter and use only a-z, 0-9 and '-', at most 31 characters";

// The candidate `word` most likely mistypes: DidYouMean's choice, else one
// that differs by a swap of two adjacent characters or only in case; "" if none.
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

// Strict IPv4 CIDR "a.b.c.d/n" (no leading zeros, n in 0..32, host bits
// zero). Returns "" when valid, else why not (naming the host bits set and
// the corrected network when that is the problem).
std::string CheckCidr(std::string_view text);

// "22" or "8000-8100", each 1..65535, low <= high. Returns "" when valid.
std::string CheckPorts(std::string_view text);

// Directed graph over nodes 0..n-1; edges[i] lists successors of i.
// Returns elementary cycles, each once, as the node sequence starting with
// its smallest node (not repeated at the end), sorted. Every cyclic
// strongly connected component gets at least one (its shortest cycle through
// its smallest node); beyond those, at most 100 cycles and a bounded search.
std::vector<std::vector<int>> FindCycles(const std::vector<std::vector<int>>& edges);

}  // namespace orch::spec::internal
