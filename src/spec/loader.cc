#include "spec/loader.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <yaml-cpp/depthguard.h>

#include "spec/checks.h"
#include "spec/loader_internal.h"
#include "util/strings.h"

namespace orch::spec {
namespace internal {

namespace {

const std::vector<std::string> kTopKeys = {"deployment", "variables", "providers", "ssh_keys",
                                           "images",     "networks",  "tiers",    "moved"};
const std::vector<std::string> kProviderTypes = {"digitalocean", "gce", "openstack"};
// Keys kept in ProviderSpec fields; every other key goes to settings.
const std::vector<std::string> kProviderFields = {"type", "region", "zone", "zones", "endpoint"};

std::vector<std::string> ProviderKeys(const std::string& type) {
  if (type == "digitalocean") return {"type", "region", "endpoint", "token"};
  if (type == "gce") return {"type", "region", "zone", "zones", "endpoint", "project", "credentials"};
  return {"type",
          "region",
          "zone",
          "zones",
          "endpoint",
          "cloud",
          "auth_url",
          "username",
          "password",
          "project_name",
          "user_domain_name",
          "project_domain_name",
          "application_credential_id",
          "application_credential_secret",
          "interface",
          "cacert"};
}

bool IsUrl(std::string_view s) {
  return (StartsWith(s, "http://") && s.size() > 7) || (StartsWith(s, "https://") && s.size() > 8);
}

bool IsVarName(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  return alpha(s[0]) && std::all_of(s.begin(), s.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

bool LooksLikePublicKey(std::string_view key) {
  std::vector<std::string> parts = Split(Trim(key), ' ');
  if (parts.size() < 2) return false;
  const std::string& type = parts[0];
  bool known_type = StartsWith(type, "ssh-") || StartsWith(type, "ecdsa-sha2-") || StartsWith(type, "sk-");
  return known_type && StartsWith(parts[1], "AAAA");
}

}  // namespace

std::string Text::Shown() const {
  if (tainted) return "'" + Shorten(raw) + "' (after substitution)";
  return "'" + Shorten(value) + "'";
}

Loader::Loader(std::string filename, std::string dir, std::string_view text, const LoadOptions& opts)
    : loc_(std::move(filename), text),
      dir_(std::move(dir)),
      opts_(opts),
      subst_(dir_, opts.getenv, &vars_, &tier_names_) {}

void Loader::Warn(const SourceRange& at, std::string message) {
  diags_.Warning(at, message);
  spec_.warnings.Warning(at, std::move(message));
}

std::vector<Entry> Loader::Fields(const Entry& e, const std::vector<std::string>& known, const std::string& what,
                                  const std::string& context) {
  if (e.value.IsNull()) return {};
  if (!e.value.IsMap()) {
    Error(e.Anchor(), "expected a map for " + what + ", got " + DescribeNode(e.value));
    return {};
  }
  std::vector<Entry> out;
  for (auto& f : MapEntries(e.value)) {
    if (std::find(known.begin(), known.end(), f.key) != known.end()) {
      out.push_back(std::move(f));
      continue;
    }
    std::string msg = "unknown key '" + Shorten(f.key) + "' " + context;
    std::string guess = Suggest(f.key, known);
    msg += guess.empty() ? "; expected one of: " + Join(known, ", ") : "; did you mean '" + guess + "'?";
    Error(f.key_node, msg);
  }
  return out;
}

std::vector<Entry> Loader::Items(const Entry& e, const std::string& what) {
  if (e.value.IsNull()) return {};
  if (!e.value.IsSequence()) {
    Error(e.Anchor(), "expected a list for " + what + ", got " + DescribeNode(e.value));
    return {};
  }
  return SeqEntries(e.value);
}

std::optional<Text> Loader::String(const Entry& e, const std::string& what, Allow allow) {
  if (!e.value.IsScalar()) {
    Error(e.Anchor(), "expected a string for " + what + ", got " + DescribeNode(e.value));
    return std::nullopt;
  }
  Text t;
  t.raw = e.value.Scalar();
  t.where = At(e.value);
  auto r = subst_.Run(t.raw, t.where, allow, &diags_);
  if (!r) return std::nullopt;
  t.value = std::move(r->value);
  t.tainted = r->tainted;
  t.refs = std::move(r->refs);
  return t;
}

std::optional<Text> Loader::NonEmptyString(const Entry& e, const std::string& what) {
  auto t = String(e, what);
  if (t && Trim(t->value).empty()) {
    Error(e.Anchor(), what + " must not be empty");
    return std::nullopt;
  }
  return t;
}

std::optional<int> Loader::Int(const Entry& e, const std::string& what, int lo, int hi) {
  if (!e.value.IsScalar()) {
    Error(e.Anchor(), "expected an integer for " + what + ", got " + DescribeNode(e.value));
    return std::nullopt;
  }
  auto t = String(e, what);
  if (!t) return std::nullopt;
  std::string_view s = t->value;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  long long v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  bool digits = !s.empty() && ptr == s.data() + s.size();
  if (!digits || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    Error(e.value, "expected an integer for " + what + ", got " + t->Shown());
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || v < lo || v > hi) {
    Error(e.value, what + " must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                       (t->tainted ? t->Shown() : std::string(Shorten(t->value))));
    return std::nullopt;
  }
  return static_cast<int>(v);
}

std::optional<double> Loader::Number(const Entry& e, const std::string& what) {
  if (!e.value.IsScalar()) {
    Error(e.Anchor(), "expected a number for " + what + ", got " + DescribeNode(e.value));
    return std::nullopt;
  }
  auto t = String(e, what);
  if (!t) return std::nullopt;
  const std::string& s = t->value;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    Error(e.value, "expected a number for " + what + ", got " + t->Shown());
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Loader::Bool(const Entry& e, const std::string& what) {
  if (!e.value.IsScalar()) {
    Error(e.Anchor(), "expected true or false for " + what + ", got " + DescribeNode(e.value));
    return std::nullopt;
  }
  auto t = String(e, what);
  if (!t) return std::nullopt;
  std::string s = t->value;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true") return true;
  if (s == "false") return false;
  Error(e.value, "expected true or false for " + what + ", got " + t->Shown());
  return std::nullopt;
}

std::optional<std::string> Loader::Reference(const Text& t, const std::vector<std::string>& known,
                                             const std::string& kind) {
  if (std::find(known.begin(), known.end(), t.value) != known.end()) return t.value;
  std::string msg = "unknown " + kind + " " + t.Shown();
  std::string guess = t.tainted ? "" : Suggest(t.value, known);
  if (!guess.empty()) {
    msg += "; did you mean '" + guess + "'?";
  } else if (known.empty()) {
    msg += "; none are defined";
  } else {
    msg += "; defined: " + Join(known, ", ");
  }
  diags_.Error(t.where, msg);
  return std::nullopt;
}

void Loader::Missing(const Entry& parent, const std::string& key, const std::string& context) {
  Error(parent.key_node, "missing '" + key + "' " + context);
}

std::string Loader::ResolvePathChecked(const Text& t) { return ResolvePath(dir_, t.value); }

// ---------------------------------------------------------------- top level

void Loader::Run(const YAML::Node& root) {
  if (!root.IsMap()) {
    Error(root, "the spec must be a map with keys such as 'deployment', 'providers' and 'tiers', got " +
                    DescribeNode(root));
    return;
  }
  Entry top{"", root, root};
  std::vector<Entry> fields = Fields(top, kTopKeys, "the spec", "at the top level");
  auto find = [&](std::string_view key) -> const Entry* {
    for (const auto& f : fields) {
      if (f.key == key) return &f;
    }
    return nullptr;
  };
  if (const Entry* d = find("deployment")) {
    if (auto t = String(*d, "'deployment'")) {
      if (!IsValidName(t->value)) {
        Error(d->value, "invalid deployment name " + t->Shown() + ": " + kNameRule);
      } else {
        spec_.deployment = t->value;
      }
    }
  } else {
    diags_.Error(loc_.At(1, 1), "missing 'deployment' (the deployment's name, e.g. 'deployment: demo')");
  }
  // Names first, so that references can be checked in any order.
  if (const Entry* e = find("providers")) provider_names_ = Names(*e, "provider");
  if (const Entry* e = find("images")) image_names_ = Names(*e, "image");
  if (const Entry* e = find("networks")) network_names_ = Names(*e, "network");
  if (const Entry* e = find("ssh_keys")) key_names_ = Names(*e, "ssh key");
  if (const Entry* e = find("tiers")) tier_names_ = Names(*e, "tier");

  if (const Entry* e = find("variables")) LoadVariables(*e);
  for (const auto& [k, v] : opts_.vars) vars_[k] = VarValue{v, false};

  if (const Entry* e = find("providers")) LoadProviders(*e);
  if (const Entry* e = find("ssh_keys")) LoadSshKeys(*e);
  if (const Entry* e = find("images")) LoadImages(*e);
  if (const Entry* e = find("networks")) LoadNetworks(*e);
  if (const Entry* e = find("tiers")) LoadTiers(*e);
  if (const Entry* e = find("moved")) LoadMoved(*e);
  if (tier_names_.empty()) Warn(loc_.File(), "no tiers are defined; there is nothing to deploy");
  for (const auto& [k, v] : opts_.vars) {
    if (!subst_.used_vars().count(k)) Warn(loc_.File(), "--var " + k + " is not used by the spec");
  }
  CheckGraph();
}

std::vector<std::string> Loader::Names(const Entry& e, const std::string& kind) {
  std::vector<std::string> names;
  if (!e.value.IsMap()) return names;  // reported when the section is loaded
  for (const auto& f : MapEntries(e.value)) {
    if (!IsValidName(f.key)) {
      Error(f.key_node, "invalid " + kind + " name '" + Shorten(f.key) + "': " + kNameRule);
    }
    names.push_back(f.key);
  }
  return names;
}

void Loader::LoadVariables(const Entry& e) {
  if (e.value.IsNull()) return;
  if (!e.value.IsMap()) {
    Error(e.Anchor(), "expected a map for 'variables', got " + DescribeNode(e.value));
    return;
  }
  for (const auto& f : MapEntries(e.value)) {
    if (!IsVarName(f.key)) {
      Error(f.key_node, "invalid variable name '" + Shorten(f.key) +
                            "': use letters, digits and '_', starting with a letter or '_'");
      continue;
    }
    if (opts_.vars.count(f.key)) continue;  // --var wins; the default is not evaluated
    if (f.value.IsNull()) {
      vars_[f.key] = VarValue{"", false};
      continue;
    }
    if (auto t = String(f, "variable '" + f.key + "'", Allow::kEnvFile)) vars_[f.key] = VarValue{t->value, t->tainted};
  }
}

// ---------------------------------------------------------------- providers

void Loader::LoadProviders(const Entry& e) {
  if (e.value.IsNull()) return;
  if (!e.value.IsMap()) {
    Error(e.Anchor(), "expected a map for 'providers', got " + DescribeNode(e.value));
    return;
  }
  for (const auto& f : MapEntries(e.value)) LoadProvider(f);
}

void Loader::LoadProvider(const Entry& e) {
  const std::string context = "in provider '" + e.key + "'";
  ProviderSpec p;
  p.name = e.key;
  p.where = At(e.key_node);
  if (!e.value.IsMap()) {
    Error(e.Anchor(), "expected a map for provider '" + e.key + "', got " + DescribeNode(e.value));
    return;
  }
  // The type decides which keys are known.
  std::string type;
  for (const auto& f : MapEntries(e.value)) {
    if (f.key != "type") continue;
    if (auto t = String(f, "'type'")) {
      if (std::find(kProviderTypes.begin(), kProviderTypes.end(), t->value) != kProviderTypes.end()) {
        type = t->value;
      } else {
        std::string msg = "unknown provider type " + t->Shown() + " for provider '" + e.key + "'";
        std::string guess = t->tainted ? "" : Suggest(t->value, kProviderTypes);
        msg += guess.empty() ? "; expected one of: digitalocean, gce, openstack" : "; did you mean '" + guess + "'?";
        diags_.Error(t->where, msg);
        type = "?";
      }
    }
  }
  if (type.empty()) {
    Error(e.key_node, "missing 'type' " + context + " (one of: digitalocean, gce, openstack)");
    return;
  }
  if (type == "?") return;  // keys cannot be checked without a known type
  p.type = type;
  std::vector<Entry> fields = Fields(e, ProviderKeys(type), "provider '" + e.key + "'", context);
  std::optional<Text> zone;
  bool has_zones = false, has_cloud = false, has_auth_url = false;
  std::set<std::string> present;
  for (const auto& f : fields) {
    present.insert(f.key);
    const std::string what = "'" + f.key + "'";
    if (f.key == "type") continue;
    if (f.key == "zones") {
      has_zones = true;
      for (const auto& item : Items(f, what)) {
        if (auto t = NonEmptyString(item, "a zone")) p.zones.push_back(t->value);
      }
      if (f.value.IsSequence() && f.value.size() == 0) Error(f.Anchor(), "'zones' must list at least one zone");
      continue;
    }
    subst_.set_missing_env_warns(opts_.offline && f.key != "region");
    auto t = NonEmptyString(f, what);
    subst_.set_missing_env_warns(false);
    if (!t) continue;
    if (f.key == "region") {
      p.region = t->value;
    } else if (f.key == "zone") {
      zone = t;
    } else if (f.key == "endpoint") {
      if (!IsUrl(t->value)) {
        diags_.Error(t->where, "'endpoint' must be an http:// or https:// URL, got " + t->Shown());
      }
      p.endpoint = t->value;
    } else {
      std::string value = t->value;
      if (f.key == "credentials" || f.key == "cacert") {
        value = ResolvePathChecked(*t);
        std::error_code ec;
        if (!std::filesystem::exists(value, ec)) {
          Warn(t->where, "'" + f.key + "' file " + (t->tainted ? t->Shown() : "'" + value + "'") +
                             " does not exist (yet)");
        }
      } else if (f.key == "auth_url" && !IsUrl(t->value)) {
        diags_.Error(t->where, "'auth_url' must be an http:// or https:// URL, got " + t->Shown());
      } else if (f.key == "interface" && t->value != "public" && t->value != "internal" && t->value != "admin") {
        diags_.Error(t->where, "'interface' must be public, internal or admin, got " + t->Shown());
      }
      if (f.key == "cloud") has_cloud = true;
      if (f.key == "auth_url") has_auth_url = true;
      p.settings[f.key] = value;
    }
  }
  if (zone && has_zones) {
    diags_.Error(zone->where, "set either 'zone' or 'zones' " + context + ", not both");
  } else if (zone) {
    p.zones.push_back(zone->value);
  }
  if (type == "digitalocean" || type == "gce") {
    if (!present.count("region")) Missing(e, "region", context);
  }
  if (type == "gce") {
    if (!present.count("zone") && !present.count("zones")) {
      Error(e.key_node, "missing 'zone' or 'zones' " + context + " (e.g. zones: [us-central1-a, us-central1-b])");
    }
    if (!p.region.empty()) {
      for (const auto& f : fields) {
        if (f.key != "zone" && f.key != "zones") continue;
        for (const auto& z : f.value.IsSequence() ? SeqEntries(f.value) : std::vector<Entry>{f}) {
          if (z.value.IsScalar() && !StartsWith(z.value.Scalar(), p.region + "-") &&
              z.value.Scalar().find("${") == std::string::npos) {
            Error(z.value, "zone '" + Shorten(z.value.Scalar()) + "' is not in region '" + p.region + "'");
          }
        }
      }
    }
  }
  if (type == "openstack") {
    if (!has_cloud && !has_auth_url) {
      Error(e.key_node, "missing 'cloud' or 'auth_url' " + context +
                            " (name a clouds.yaml entry, or give auth_url with credentials)");
    }
    if (has_auth_url) {
      bool password = present.count("username") && present.count("password");
      bool appcred = present.count("application_credential_id") && present.count("application_credential_secret");
      if (!password && !appcred) {
        Error(e.key_node, "provider '" + e.key +
                              "' has 'auth_url' but no credentials: set 'username' and 'password', or "
                              "'application_credential_id' and 'application_credential_secret'");
      }
    }
  }
  spec_.providers[p.name] = std::move(p);
}

// ---------------------------------------------------------------- ssh keys, images, networks

void Loader::LoadSshKeys(const Entry& e) {
  if (e.value.IsNull()) return;
  if (!e.value.IsMap()) {
    Error(e.Anchor(), "expected a map for 'ssh_keys', got " + DescribeNode(e.value));
    return;
  }
  for (const auto& k : MapEntries(e.value)) {
    const std::string context = "in ssh key '" + k.key + "'";
    SshKeySpec key;
    key.name = k.key;
    key.where = At(k.key_node);
    std::vector<Entry> fields = Fields(k, {"public_key"}, "ssh key '" + k.key + "'", context);
    bool have = false;
    for (const auto& f : fields) {
      have = true;
      if (auto t = NonEmptyString(f, "'public_key'")) {
        if (!LooksLikePublicKey(t->value)) {
          diags_.Error(t->where, "'public_key' of ssh key '" + k.key +
                                     "' is not an OpenSSH public key (expected e.g. 'ssh-ed25519 AAAA... comment')");
        }
        key.public_key = std::string(Trim(t->value));
      }
    }
    if (!have && k.value.IsMap()) Missing(k, "public_key", context);
    if (!have && k.value.IsNull()) Missing(k, "public_key", context);
    spec_.ssh_keys[key.name] = std::move(key);
  }
}

void Loader::LoadImages(const Entry& e) {
  if (e.value.IsNull()) return;
  if (!e.value.IsMap()) {
    Error(e.Anchor(), "expected a map for 'images', got " + DescribeNode(e.value));
    return;
  }
  for (const auto& m : MapEntries(e.value)) {
    const std::string context = "in image '" + m.key + "'";
    ImageSpec img;
    img.name = m.key;
    img.where = At(m.key_node);
    std::set<std::string> present;
    for (const auto& f : Fields(m, {"provider", "source", "packer"}, "image '" + m.key + "'", context)) {
      present.insert(f.key);
      auto t = NonEmptyString(f, "'" + f.key + "'");
      if (!t) continue;
      if (f.key == "provider") {
        if (auto p = Reference(*t, provider_names_, "provider")) img.provider = *p;
      } else if (f.key == "source") {
        img.source = t->value;
      } else {
        img.packer = ResolvePathChecked(*t);
        std::error_code ec;
        if (!std::filesystem::is_regular_file(img.packer, ec)) {
          diags_.Error(t->where, "packer template " + t->Shown() + " not found (looked for " +
                                     (t->tainted ? std::string("the substituted path") : img.packer) + ")");
        }
      }
    }
    if (m.value.IsMap() || m.value.IsNull()) {
      if (!present.count("provider")) Missing(m, "provider", context);
      if (!present.count("source")) Missing(m, "source", context);
    }
    spec_.images[img.name] = std::move(img);
  }
}

void Loader::LoadNetworks(const Entry& e) {
  if (e.value.IsNull()) return;
  if (!e.value.IsMap()) {
    Error(e.Anchor(), "expected a map for 'networks', got " + DescribeNode(e.value));
    return;
  }
  for (const auto& m : MapEntries(e.value)) {
    const std::string context = "in network '" + m.key + "'";
    NetworkSpec net;
    net.name = m.key;
    net.where = At(m.key_node);
    std::set<std::string> present;
    const Entry* cidr_field = nullptr;
    std::optional<Text> existing;
    std::vector<Entry> fields = Fields(m, {"provider", "cidr", "existing"}, "network '" + m.key + "'", context);
    for (const auto& f : fields) {
      present.insert(f.key);
      auto t = NonEmptyString(f, "'" + f.key + "'");
      if (!t) continue;
      if (f.key == "provider") {
        if (auto p = Reference(*t, provider_names_, "provider")) net.provider = *p;
      } else if (f.key == "existing") {
        net.existing = t->value;
        existing = t;
      } else {
        cidr_field = &f;
        std::string why = CheckCidr(t->value);
        if (!why.empty()) {
          diags_.Error(t->where, "invalid CIDR " + t->Shown() + " for network '" + m.key + "': " +
                                     (t->tainted ? "not a valid IPv4 CIDR" : why));
        } else {
          net.cidr = t->value;
        }
      }
    }
    if (cidr_field && existing) {
      Error(cidr_field->key_node, "network '" + m.key +
                                      "' has both 'cidr' and 'existing': an existing network keeps its own "
                                      "subnets; remove 'cidr'");
      net.cidr.clear();
    }
    if (m.value.IsMap() || m.value.IsNull()) {
      if (!present.count("provider")) Missing(m, "provider", context);
      if (!present.count("cidr") && !present.count("existing")) {
        Error(m.key_node, "missing 'cidr' " + context +
                              " (or 'existing' with the name or id of a network the cloud already has)");
      }
    }
    spec_.networks[net.name] = std::move(net);
  }
}

// ---------------------------------------------------------------- moved

// The entries' shape, and that each name moves once: no two moves share a
// `from` or a `to`, and no `to` is moved on again (a chain or a cycle). What
// the names mean is checked against the expanded spec (state/moves.h
// CheckMoves).
void Loader::LoadMoved(const Entry& e) {
  const std::string example = " (e.g. moved: [{from: web, to: front}])";
  if (!e.value.IsNull() && !e.value.IsSequence()) {
    Error(e.Anchor(), "expected a list for 'moved'" + example + ", got " + DescribeNode(e.value));
    return;
  }
  std::vector<MovedSpec> moved;
  for (const auto& item : Items(e, "'moved'")) {
    if (!item.value.IsMap()) {
      Error(item.value, "expected a map with 'from' and 'to' for a 'moved' entry" + example + ", got " +
                            DescribeNode(item.value));
      continue;
    }
    MovedSpec m;
    m.where = At(item.value);
    bool ok = true;
    std::set<std::string> present;
    for (const auto& f : Fields(item, {"from", "to"}, "a 'moved' entry", "in a 'moved' entry")) {
      present.insert(f.key);
      auto t = NonEmptyString(f, "'" + f.key + "'");
      ok = ok && t;
      if (t) (f.key == "from" ? m.from : m.to) = t->value;
    }
    for (const char* key : {"from", "to"}) {
      if (present.count(key)) continue;
      diags_.Error(m.where, std::string("missing '") + key + "' in a 'moved' entry" + example);
      ok = false;
    }
    if (ok) moved.push_back(std::move(m));
  }
  auto line = [](const MovedSpec& m) { return std::to_string(m.where.start.line); };
  auto index_of = [&](const std::string& from) -> size_t {
    for (size_t j = 0; j < moved.size(); ++j)
      if (moved[j].from == from && moved[j].from != moved[j].to) return j;
    return moved.size();
  };
  bool bad = false;
  for (size_t i = 0; i < moved.size(); ++i) {
    const MovedSpec& m = moved[i];
    for (size_t j = 0; j < i; ++j) {
      if (moved[j].from == m.from) {
        diags_.Error(m.where, "'" + m.from + "' is moved again (first on line " + line(moved[j]) +
                                  "); keep one 'moved' entry for it");
        bad = true;
      } else if (moved[j].to == m.to) {
        diags_.Error(m.where, "'" + moved[j].from + "' (line " + line(moved[j]) + ") and '" + m.from +
                                  "' both move to '" + m.to + "'; only one can take its place");
        bad = true;
      }
    }
    if (m.from == m.to || index_of(m.to) == moved.size()) continue;
    // Follow the chain from m: a cycle is reported once, at its first entry.
    std::vector<size_t> path = {i};
    size_t next = index_of(m.to);
    while (next < moved.size() && std::find(path.begin(), path.end(), next) == path.end()) {
      path.push_back(next);
      next = index_of(moved[next].to);
    }
    std::string names = "'" + m.from + "'";
    for (size_t k : path) names += " -> '" + moved[k].to + "'";
    bad = true;
    if (next == i) {
      if (*std::min_element(path.begin(), path.end()) != i) continue;
      diags_.Error(m.where, "cyclic moves: " + names +
                                "; names cannot be swapped in one deploy: move one to an unused name first");
    } else {
      diags_.Error(m.where, "chained moves: " + names + " (next move on line " + line(moved[path[1]]) +
                                "); move '" + m.from + "' to '" + moved[path.back()].to + "' directly");
    }
  }
  if (!bad) spec_.moved = std::move(moved);
}

}  // namespace internal

// ---------------------------------------------------------------- entry points

namespace {

std::string AbsoluteDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::absolute(dir.empty() ? "." : dir, ec);
  if (ec) p = dir;
  return p.lexically_normal().string();
}

}  // namespace

std::optional<Spec> LoadFromString(const std::string& text_in, const std::string& filename, const std::string& dir,
                                   const LoadOptions& opts, Diagnostics* diags) {
  Diagnostics local;
  internal::Locator file_loc(filename, text_in);
  if (text_in.size() > kMaxSpecBytes) {
    local.Error(file_loc.File(), "the spec is " + std::to_string(text_in.size()) + " bytes; the limit is " +
                                     std::to_string(kMaxSpecBytes / (1024 * 1024)) + " MiB");
    diags->Append(local);
    return std::nullopt;
  }
  std::string_view text = text_in;
  if (StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  if (StartsWith(text, "\xFF\xFE") || StartsWith(text, "\xFE\xFF")) {
    local.Error(file_loc.At(1, 1), "the spec is UTF-16 encoded; save it as UTF-8");
    diags->Append(local);
    return std::nullopt;
  }
  std::string body(text);
  internal::Locator loc(filename, body);
  if (!internal::CheckUtf8(body, loc, &local)) {
    diags->Append(local);
    return std::nullopt;
  }
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(body);
  } catch (const YAML::DeepRecursion& e) {
    local.Error(loc.At(e.mark), "the spec is nested too deeply (limit " + std::to_string(kMaxDepth) + " levels)");
  } catch (const YAML::Exception& e) {
    local.Error(loc.At(e.mark), "YAML syntax error: " + e.msg + internal::TabIndentHint(body, e.mark.line + 1) +
                                   internal::FlowBracketHint(body, e.mark.line + 1));
  } catch (const std::exception& e) {
    local.Error(loc.File(), std::string("cannot parse the spec: ") + e.what());
  }
  if (local.HasErrors()) {
    diags->Append(local);
    return std::nullopt;
  }
  if (docs.empty() || (docs.size() == 1 && docs[0].IsNull())) {
    local.Error(loc.File(), "the spec is empty");
    diags->Append(local);
    return std::nullopt;
  }
  if (docs.size() > 1) {
    local.Error(loc.At(docs[1]), "the spec must be a single YAML document (found another one here)");
  }
  if (!internal::CheckTree(docs[0], loc, &local)) {
    diags->Append(local);
    return std::nullopt;
  }
  internal::Loader loader(filename, AbsoluteDir(dir), body, opts);
  try {
    loader.Run(docs[0]);
  } catch (const YAML::Exception& e) {
    loader.diags().Error(loc.At(e.mark), std::string("cannot read the spec: ") + e.msg);
  }
  local.Append(loader.diags());
  local.Sort();
  diags->Append(local);
  if (local.HasErrors()) return std::nullopt;
  Spec spec = std::move(loader.spec());
  spec.path = filename;
  spec.dir = AbsoluteDir(dir);
  return spec;
}

std::optional<Spec> Load(const std::string& path, const LoadOptions& opts, Diagnostics* diags) {
  SourceRange file;
  file.filename = path;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diags->Error(file, "cannot read the spec: it is a directory");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags->Error(file, std::string("cannot read the spec: ") + std::strerror(errno));
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxSpecBytes) {
      diags->Error(file, "the spec is larger than " + std::to_string(kMaxSpecBytes / (1024 * 1024)) + " MiB");
      return std::nullopt;
    }
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  return LoadFromString(text, path, dir.empty() ? "." : dir, opts, diags);
}

}  // namespace orch::spec
