// Substitution of ${env:NAME}, ${file:PATH}, ${var.NAME} in spec strings,
// and validation of ${tiers.TIER.ATTRIBUTE} references (left in place; they
// are resolved at apply time). "$${" is a literal "${". Internal to src/spec/.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "spec/loader.h"
#include "util/diagnostic.h"

namespace orch::spec::internal {

struct VarValue {
  std::string value;
  bool tainted = false;  // came from ${env:} or ${file:}
};

class Substituter {
 public:
  using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

  // What a string may contain.
  enum class Allow {
    kEnvFile,     // variable defaults: ${env:}, ${file:} only
    kNoTierRefs,  // everything but ${tiers.*}
    kAll,         // user_data vars: ${tiers.*} as well
  };

  struct Result {
    std::string value;
    bool tainted = false;        // holds text from ${env:} or ${file:}
    std::vector<TierRef> refs;   // ${tiers.*} references, in order
  };

  // `dir` is the spec's directory (absolute); `vars` and `tiers` outlive this.
  Substituter(std::string dir, GetEnv getenv, const std::map<std::string, VarValue>* vars,
              const std::vector<std::string>* tiers);

  // Substitutes `text` (a YAML scalar at `where`). Reports every problem in
  // it and returns nullopt if there was any.
  std::optional<Result> Run(std::string_view text, const SourceRange& where, Allow allow,
                            Diagnostics* diags);

  // While set, an unset ${env:NAME} is a warning and stands for itself
  // (the text "${env:NAME}"): for settings a command that calls no cloud
  // never reads (credentials, in `validate` and `graph`).
  void set_missing_env_warns(bool warns) { missing_env_warns_ = warns; }

  // Variables looked up by ${var.NAME} so far.
  const std::set<std::string>& used_vars() const { return used_vars_; }

 private:
  bool Expand(std::string_view expr, const SourceRange& where, Allow allow, Result* out,
              Diagnostics* diags);

  std::string dir_;
  GetEnv getenv_;
  bool missing_env_warns_ = false;
  const std::map<std::string, VarValue>* vars_;
  const std::vector<std::string>* tiers_;
  std::set<std::string> used_vars_;
};

// Resolves `path` against `dir` (unless absolute) and normalizes it.
std::string ResolvePath(const std::string& dir, const std::string& path);

}  // namespace orch::spec::internal
