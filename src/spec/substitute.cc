#include "spec/substitute.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "spec/checks.h"
#include "spec/yaml_util.h"
#include "util/strings.h"

namespace orch::spec::internal {

namespace {

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (!alpha(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9'); });
}

constexpr const char* kForms =
    "expected ${env:NAME}, ${file:PATH}, ${var.NAME} or ${tiers.TIER.ATTRIBUTE} (write '$${' for a literal '${')";

}  // namespace


std::string ResolvePath(const std::string& dir, const std::string& path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(dir) / p;
  return p.lexically_normal().string();
}

Substituter::Substituter(std::string dir, GetEnv getenv, const std::map<std::string, VarValue>* vars,
                         const std::vector<std::string>* tiers)
    : dir_(std::move(dir)), getenv_(std::move(getenv)), vars_(vars), tiers_(tiers) {}

std::optional<Substituter::Result> Substituter::Run(std::string_view text, const SourceRange& where,
                                                    Allow allow, Diagnostics* diags) {
  Result out;
  bool ok = true;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out.value += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out.value += text[i++];
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      diags->Error(where, "unterminated '${' (write '$${' for a literal '${')");
      return std::nullopt;
    }
    if (!Expand(text.substr(i + 2, close - i - 2), where, allow, &out, diags)) ok = false;
    i = close + 1;
  }
  if (!ok) return std::nullopt;
  return out;
}

bool Substituter::Expand(std::string_view expr, const SourceRange& where, Allow allow, Result* out,
                         Diagnostics* diags) {
  const std::string shown = "${" + Shorten(expr) + "}";
  if (StartsWith(expr, "env:")) {
    // ${env:NAME:-DEFAULT}: DEFAULT (literal text) when NAME is unset or empty, as in the shell.
    std::string name(expr.substr(4));
    std::optional<std::string> fallback;
    if (size_t d = name.find(":-"); d != std::string::npos) {
      fallback = name.substr(d + 2);
      name.resize(d);
    }
    if (!IsIdentifier(name)) {
      diags->Error(where, "invalid environment variable name in " + shown);
      return false;
    }
    std::optional<std::string> value;
    if (getenv_) {
      value = getenv_(name);
    } else if (const char* v = std::getenv(name.c_str())) {
      value = v;
    }
    if (fallback && (!value || value->empty())) value = fallback;
    if (!value && missing_env_warns_) {
      diags->Warning(where, "environment variable " + name + " is not set (used by ${env:" + name +
                                "}); this command needs no credentials, but plan, deploy and teardown will fail "
                                "until " + name + " is set");
      out->value += "${env:" + name + "}";
      out->tainted = true;
      return true;
    }
    if (!value) {
      diags->Error(where, "environment variable " + name + " is not set (used by ${env:" + name + "}); set " +
                              name + " in the environment or change the spec");
      return false;
    }
    out->value += *value;
    out->tainted = true;
    return true;
  }
  if (StartsWith(expr, "file:")) {
    std::string rel(Trim(expr.substr(5)));
    if (rel.empty()) {
      diags->Error(where, "empty path in " + shown);
      return false;
    }
    std::string path = ResolvePath(dir_, rel);
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      diags->Error(where, "cannot read " + shown + ": " + path + " is a directory");
      return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      diags->Error(where, "cannot read " + shown + ": " + path + ": " + std::strerror(errno));
      return false;
    }
    std::string content;
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      content.append(buf, static_cast<size_t>(in.gcount()));
      if (content.size() > kMaxIncludedFileBytes) {
        diags->Error(where, "cannot use " + shown + ": " + path + " is larger than " +
                                std::to_string(kMaxIncludedFileBytes / 1024) + " KiB");
        return false;
      }
    }
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
    out->value += content;
    out->tainted = true;
    return true;
  }
  if (StartsWith(expr, "var.")) {
    std::string name(expr.substr(4));
    if (allow == Allow::kEnvFile) {
      diags->Error(where, shown + " cannot be used here: variable defaults may use only ${env:...} and ${file:...}");
      return false;
    }
    auto it = vars_->find(name);
    if (it == vars_->end()) {
      std::vector<std::string> known;
      for (const auto& [k, v] : *vars_) known.push_back(k);
      std::string msg = "unknown variable '" + Shorten(name) + "' in " + shown;
      std::string guess = Suggest(name, known);
      if (!guess.empty()) {
        msg += "; did you mean '" + guess + "'?";
      } else if (known.empty()) {
        msg += "; no variables are defined: add it under 'variables:' or pass --var " + Shorten(name) + "=VALUE";
      } else {
        msg += "; known variables: " + Join(known, ", ");
      }
      diags->Error(where, msg);
      return false;
    }
    used_vars_.insert(name);
    out->value += it->second.value;
    out->tainted = out->tainted || it->second.tainted;
    return true;
  }
  if (StartsWith(expr, "tiers.")) {
    std::vector<std::string> parts = Split(expr.substr(6), '.');
    if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
      diags->Error(where, "malformed tier reference " + shown + "; expected ${tiers.TIER.ATTRIBUTE}");
      return false;
    }
    if (allow != Allow::kAll) {
      diags->Error(where, shown + " cannot be used here: tier references are allowed only in user_data vars");
      return false;
    }
    bool ok = true;
    if (std::find(tiers_->begin(), tiers_->end(), parts[0]) == tiers_->end()) {
      std::string msg = "unknown tier '" + Shorten(parts[0]) + "' in " + shown;
      std::string guess = Suggest(parts[0], *tiers_);
      if (!guess.empty()) msg += "; did you mean '" + guess + "'?";
      diags->Error(where, msg);
      ok = false;
    }
    const auto& attrs = TierAttributes();
    if (std::find(attrs.begin(), attrs.end(), parts[1]) == attrs.end()) {
      std::string msg = "unknown tier attribute '" + Shorten(parts[1]) + "' in " + shown;
      std::string guess = Suggest(parts[1], attrs);
      msg += guess.empty() ? "; expected one of: " + Join(attrs, ", ") : "; did you mean '" + guess + "'?";
      diags->Error(where, msg);
      ok = false;
    }
    if (!ok) return false;
    out->refs.push_back({parts[0], parts[1]});
    out->value += "${" + std::string(expr) + "}";
    return true;
  }
  if (StartsWith(expr, "self.")) {
    // Per-instance values, substituted when the spec is expanded
    // (model/references.h ExpandSelfReferences); kept in place here.
    std::string attr(expr.substr(5));
    if (allow != Allow::kAll) {
      diags->Error(where, shown + " cannot be used here: self references are allowed only in user_data vars");
      return false;
    }
    static const std::vector<std::string> kSelf = {"index", "name", "tier", "provider", "region", "zone", "deployment"};
    auto counted = [&](std::string_view name) {
      return StartsWith(attr, name) && attr.size() > name.size() && attr.size() <= name.size() + 4 &&
             std::all_of(attr.begin() + name.size(), attr.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    bool prior = counted("prior_private_ips:") || counted("seeds:");
    if (!prior && std::find(kSelf.begin(), kSelf.end(), attr) == kSelf.end()) {
      diags->Error(where, "unknown self attribute in " + shown + "; expected one of: " + Join(kSelf, ", ") +
                              ", prior_private_ips:N, seeds:N");
      return false;
    }
    out->value += "${" + std::string(expr) + "}";
    return true;
  }
  if (expr.empty()) {
    diags->Error(where, "empty substitution '${}'; " + std::string(kForms));
  } else {
    diags->Error(where, "unknown substitution '" + shown + "'; " + kForms);
  }
  return false;
}

}  // namespace orch::spec::internal

namespace orch::spec {

const std::vector<std::string>& TierAttributes() {
  static const std::vector<std::string> kAttrs = {"private_ips", "public_ips", "ips", "names", "count", "lb_ip",
                                                  "private_ip", "public_ip"};
  return kAttrs;
}

std::vector<TierRef> FindTierRefs(std::string_view text) {
  std::vector<TierRef> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) break;
    std::string_view expr = text.substr(i + 2, close - i - 2);
    if (StartsWith(expr, "tiers.")) {
      std::vector<std::string> parts = Split(expr.substr(6), '.');
      if (parts.size() == 2 && !parts[0].empty() && !parts[1].empty()) out.push_back({parts[0], parts[1]});
    }
    i = close + 1;
  }
  return out;
}

}  // namespace orch::spec
