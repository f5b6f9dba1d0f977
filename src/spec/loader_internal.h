// The spec loader's working state, shared by loader.cc (top level,
// providers, images, networks, ssh keys) and loader_tiers.cc (tiers, the
// dependency graph). Internal to src/spec/; one Loader per Load call.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "spec/loader.h"
#include "spec/substitute.h"
#include "spec/yaml_util.h"

namespace orch::spec::internal {

// A scalar after substitution, with what is safe to show of it.
struct Text {
  std::string value;
  std::string raw;       // as written in the spec
  bool tainted = false;  // contains ${env:}/${file:} text: show `raw` only
  SourceRange where;
  std::vector<TierRef> refs;
  // For messages: 'value', or 'raw' (after substitution) when tainted.
  std::string Shown() const;
};

class Loader {
 public:
  Loader(std::string filename, std::string dir, std::string_view text, const LoadOptions& opts);

  // Fills the spec from the document root; problems go to diags().
  void Run(const YAML::Node& root);

  Spec& spec() { return spec_; }
  Diagnostics& diags() { return diags_; }
  const Locator& locator() const { return loc_; }

 private:
  using Allow = Substituter::Allow;

  // --- helpers (loader.cc)
  SourceRange At(const YAML::Node& node) const { return loc_.At(node); }
  void Error(const YAML::Node& at, std::string message) { diags_.Error(At(at), std::move(message)); }
  void Warn(const SourceRange& at, std::string message);
  // The entries of a map value, with unknown keys reported ("unknown key 'x'
  // <context>; did you mean 'y'?") and dropped. `what` names the value in
  // type errors. Empty when the value is not a map (reported) or null.
  std::vector<Entry> Fields(const Entry& e, const std::vector<std::string>& known, const std::string& what,
                            const std::string& context);
  std::vector<Entry> Items(const Entry& e, const std::string& what);  // list items
  std::optional<Text> String(const Entry& e, const std::string& what, Allow allow = Allow::kNoTierRefs);
  std::optional<Text> NonEmptyString(const Entry& e, const std::string& what);
  std::optional<int> Int(const Entry& e, const std::string& what, int lo, int hi);
  std::optional<double> Number(const Entry& e, const std::string& what);
  std::optional<bool> Bool(const Entry& e, const std::string& what);
  // A name that must be one of `known`; reports "unknown <kind> 'x'" with a
  // suggestion. Returns the name only when known.
  std::optional<std::string> Reference(const Text& t, const std::vector<std::string>& known,
                                       const std::string& kind);
  void Missing(const Entry& parent, const std::string& key, const std::string& context);
  std::string ResolvePathChecked(const Text& t);

  void LoadVariables(const Entry& e);
  void LoadProviders(const Entry& e);
  void LoadProvider(const Entry& e);
  void LoadSshKeys(const Entry& e);
  void LoadImages(const Entry& e);
  void LoadNetworks(const Entry& e);
  void LoadMoved(const Entry& e);
  // Names of a top-level map's entries, with invalid names reported.
  std::vector<std::string> Names(const Entry& e, const std::string& kind);

  // --- tiers (loader_tiers.cc)
  void LoadTiers(const Entry& e);
  void LoadTier(const Entry& e, size_t index);
  void LoadGroup(const Entry& e, TierSpec* t);
  void LoadImage(const Entry& e, TierSpec* t);
  void LoadNetwork(const Entry& e, TierSpec* t);
  void LoadVolumes(const Entry& e, TierSpec* t);
  void LoadUserData(const Entry& e, TierSpec* t, size_t index);
  void LoadLoadBalancer(const Entry& e, TierSpec* t);
  void LoadFirewall(const Entry& e, TierSpec* t);
  void LoadDependsOn(const Entry& e, TierSpec* t, size_t index);
  void LoadTimeouts(const Entry& e, TierSpec* t);
  void LoadServiceAccount(const Entry& e, TierSpec* t);
  nlohmann::json VarsToJson(const YAML::Node& node, TierSpec* t, size_t index, bool* ok);
  void AddReferences(const Text& s, TierSpec* t, size_t index);
  void CheckGraph();

  Locator loc_;
  std::string dir_;
  const LoadOptions& opts_;
  Diagnostics diags_;
  std::map<std::string, VarValue> vars_;
  std::vector<std::string> provider_names_, image_names_, network_names_, key_names_, tier_names_;
  Substituter subst_;
  Spec spec_;

  struct Edge {
    size_t from, to;
    SourceRange where;
  };
  std::vector<Edge> edges_;  // depends_on and ${tiers.*} references
  struct LbRef {
    std::string tier;
    SourceRange where;
  };
  std::vector<LbRef> lb_refs_;  // ${tiers.X.lb_ip}: X needs a load_balancer
};

}  // namespace orch::spec::internal
