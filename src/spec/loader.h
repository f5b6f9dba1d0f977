// spec::Load: reads a deployment spec (YAML, docs/spec.md) into a Spec.
//
// Every problem found is appended to *diags as "file:line:column: message"
// (YAML syntax, duplicate or unknown keys, wrong types, ranges, CIDRs,
// unknown references, dependency cycles, substitution failures); loading
// never stops at the first one. No network access; the only files read are
// the spec, ${file:...} sources and the existence of user_data templates.
// Values substituted from ${env:...} or ${file:...} never appear in a
// diagnostic. Thread-safe: no shared state (opts.getenv is called from the
// calling thread only).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/spec.h"
#include "util/diagnostic.h"

namespace orch::spec {

struct LoadOptions {
  std::map<std::string, std::string> vars;  // --var k=v; override `variables:`
  // Looks up ${env:NAME}; when empty, ::getenv is used.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // For commands that call no cloud (validate, graph): an unset ${env:NAME}
  // in a provider's settings (credentials, endpoints; not type, region or
  // zones) is a warning, not an error.
  bool offline = false;
};

// Limits that keep a hostile or broken spec from exhausting memory.
inline constexpr size_t kMaxSpecBytes = 4 * 1024 * 1024;
inline constexpr size_t kMaxIncludedFileBytes = 1024 * 1024;  // ${file:...}
inline constexpr int kMaxNodes = 100000;  // YAML nodes after alias expansion
inline constexpr int kMaxDepth = 64;      // nesting of maps and lists

// Parses and validates the file. Every problem goes into *diags (never stops
// at the first one); warnings go there too (and into Spec::warnings).
// Returns a Spec only when diags received no errors.
std::optional<Spec> Load(const std::string& path, const LoadOptions& opts, Diagnostics* diags);

// As Load, for text already in memory. `filename` is used in diagnostics and
// as Spec::path; relative paths in the spec resolve against `dir`.
std::optional<Spec> LoadFromString(const std::string& text, const std::string& filename,
                                   const std::string& dir, const LoadOptions& opts,
                                   Diagnostics* diags);

// Reference expressions found in strings, e.g.
// "${tiers.cassandra.private_ips}" -> {"cassandra", "private_ips"}.
// Escaped "$${" is skipped; malformed references are ignored.
struct TierRef {
  std::string tier;
  std::string attribute;
  friend bool operator==(const TierRef&, const TierRef&) = default;
};
std::vector<TierRef> FindTierRefs(std::string_view text);

// The attributes a ${tiers.X.attr} reference may name (docs/spec.md).
const std::vector<std::string>& TierAttributes();

}  // namespace orch::spec
