#include "model/references.h"

#include <algorithm>
#include <set>

#include "util/strings.h"

namespace orch::model {
namespace {

// One ${...} occurrence inside a string.
struct Piece {
  bool is_ref = false;    // a tiers./ref: reference
  std::string text;       // literal text, or the expression without ${ }
};

bool IsReferenceExpr(std::string_view e) {
  return e.substr(0, kTiersPrefix.size()) == kTiersPrefix || e.substr(0, kRefPrefix.size()) == kRefPrefix ||
         e.substr(0, kSeedsPrefix.size()) == kSeedsPrefix;
}

// The instances of `tier` with index < n (creation-order edges).
void PriorMembers(const std::vector<Address>& known, const std::string& tier, int n, std::set<std::string>* out) {
  for (const Address& a : known)
    if (a.tier == tier && a.kind == Kind::kInstance && a.index >= 0 && a.index < n) out->insert(a.ToString());
}

// Splits a string into literal text and references. "$${" becomes "${";
// unknown ${...} forms and an unterminated "${" stay literal.
std::vector<Piece> Scan(std::string_view s) {
  std::vector<Piece> out;
  std::string lit;
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 3, "$${") == 0) {
      lit += "${";
      i += 3;
      continue;
    }
    if (s.compare(i, 2, "${") == 0) {
      size_t close = s.find('}', i + 2);
      if (close != std::string_view::npos) {
        std::string_view expr = s.substr(i + 2, close - i - 2);
        if (IsReferenceExpr(expr)) {
          if (!lit.empty()) out.push_back({false, std::move(lit)});
          lit.clear();
          out.push_back({true, std::string(expr)});
          i = close + 1;
          continue;
        }
      }
    }
    lit += s[i++];
  }
  if (!lit.empty()) out.push_back({false, std::move(lit)});
  return out;
}

Result<nlohmann::json> ResolveString(const std::string& s, const ReferenceResolver& resolve) {
  std::vector<Piece> pieces = Scan(s);
  if (pieces.size() == 1 && pieces[0].is_ref) return resolve(pieces[0].text);
  std::string out;
  for (const Piece& p : pieces) {
    if (!p.is_ref) {
      out += p.text;
      continue;
    }
    auto v = resolve(p.text);
    if (!v.ok()) return v.status();
    out += ValueText(*v);
  }
  return nlohmann::json(out);
}

void Collect(const nlohmann::json& j, const std::vector<Address>& known, std::set<std::string>* out) {
  if (j.is_string()) {
    for (const Piece& p : Scan(j.get_ref<const std::string&>())) {
      if (!p.is_ref) continue;
      std::string_view e = p.text;
      if (e.substr(0, kSeedsPrefix.size()) == kSeedsPrefix) {
        auto s = ParseSeedsReference(e);
        if (s.ok()) PriorMembers(known, s->member.tier, std::min(s->member.index, s->count), out);
        continue;
      }
      if (e.substr(0, kRefPrefix.size()) == kRefPrefix) {
        std::string_view rest = e.substr(kRefPrefix.size());
        size_t dot = rest.rfind('.');
        if (dot == std::string_view::npos) continue;
        auto a = Address::Parse(rest.substr(0, dot));
        if (a.ok()) out->insert(a->ToString());
        continue;
      }
      std::string_view rest = e.substr(kTiersPrefix.size());
      size_t dot = rest.find('.');
      if (dot == std::string_view::npos) continue;
      std::string_view tier = rest.substr(0, dot);
      std::string_view attr = rest.substr(dot + 1);
      for (const Address& a : known) {
        if (a.tier != tier) continue;
        bool first_only = attr == "private_ip" || attr == "public_ip";
        bool match = attr == "lb_ip" ? a.kind == Kind::kLoadBalancer
                     : first_only    ? (a.kind == Kind::kInstance && a.index == 0) || a.kind == Kind::kInstanceGroup
                                     : (a.kind == Kind::kInstance || a.kind == Kind::kInstanceGroup);
        if (match) out->insert(a.ToString());
      }
    }
  } else if (j.is_array() || j.is_object()) {
    for (const auto& v : j) Collect(v, known, out);
  }
}

constexpr std::string_view kSelfPrefix = "self.";
constexpr std::string_view kPriorPrivateIps = "prior_private_ips:";
constexpr std::string_view kSelfSeeds = "seeds:";

// N of "NAME:N", or InvalidArgument.
Result<int> CountSuffix(std::string_view digits, const std::string& shown, const std::string& form) {
  bool numeric = !digits.empty() && digits.size() <= 4 &&
                 std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!numeric) return Status::InvalidArgument(shown + ": expected " + form + " with N a number");
  return std::stoi(std::string(digits));
}

// The value of one ${self.ATTR} expression (ATTR without "self.").
Result<std::string> SelfValue(std::string_view attr, const SelfValues& self) {
  std::string shown = "${self." + std::string(attr) + "}";
  auto need_index = [&]() -> Status {
    if (self.index >= 0) return Status::OK();
    return Status::InvalidArgument(shown + ": tier '" + self.tier +
                                   "' is a native instance group, whose members have no index");
  };
  if (attr == "index") {
    if (Status st = need_index(); !st.ok()) return st;
    return std::to_string(self.index);
  }
  if (attr == "name") return self.name;
  if (attr == "tier") return self.tier;
  if (attr == "provider") return self.provider;
  if (attr == "region") return self.region;
  if (attr == "zone") return self.zone;
  if (attr == "deployment") return self.deployment;
  if (attr.substr(0, kSelfSeeds.size()) == kSelfSeeds) {
    auto n = CountSuffix(attr.substr(kSelfSeeds.size()), shown, "${self.seeds:N}");
    if (!n.ok()) return n.status();
    if (Status st = need_index(); !st.ok()) return st;
    Address a{self.tier, Kind::kInstance, "", self.index};
    return "${" + std::string(kSeedsPrefix) + a.ToString() + ":" + std::to_string(*n) + "}";
  }
  if (attr.substr(0, kPriorPrivateIps.size()) == kPriorPrivateIps) {
    auto count = CountSuffix(attr.substr(kPriorPrivateIps.size()), shown, "${self.prior_private_ips:N}");
    if (!count.ok()) return count.status();
    if (Status st = need_index(); !st.ok()) return st;
    int n = std::min(self.index, *count);
    std::string out;
    for (int j = 0; j < n; ++j) {
      Address a{self.tier, Kind::kInstance, "", j};
      out += (j ? ",${ref:" : "${ref:") + a.ToString() + ".private_ip}";
    }
    return out;
  }
  std::string known;
  for (const std::string& k : SelfAttributes()) known += (known.empty() ? "" : ", ") + k;
  return Status::InvalidArgument(shown + ": unknown self attribute (known: " + known + ")");
}

Result<std::string> ExpandSelfString(const std::string& s, const SelfValues& self) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s.compare(i, 3, "$${") == 0) {
      out += "$${";
      i += 3;
      continue;
    }
    size_t close = s.find('}', i + 2);
    if (s.compare(i, 2 + kSelfPrefix.size(), "${self.") != 0 || close == std::string::npos) {
      out += s[i++];
      continue;
    }
    auto v = SelfValue(std::string_view(s).substr(i + 7, close - i - 7), self);
    if (!v.ok()) return v.status();
    out += *v;
    i = close + 1;
  }
  return out;
}

}  // namespace

std::string ValueText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ",";
      out += ValueText(v[i]);
    }
    return out;
  }
  if (v.is_null()) return "";
  return v.dump();
}

const std::vector<std::string>& SelfAttributes() {
  static const std::vector<std::string> kAttrs = {"index", "name",   "tier",
                                                  "provider", "region", "zone", "deployment", "prior_private_ips", "seeds"};
  return kAttrs;
}

namespace {

Result<nlohmann::json> ExpandSelfIn(const nlohmann::json& attributes, const SelfValues& self) {
  if (attributes.is_string()) {
    const std::string& s = attributes.get_ref<const std::string&>();
    if (s.find("${self.") == std::string::npos) return attributes;
    auto r = ExpandSelfString(s, self);
    if (!r.ok()) return r.status();
    return nlohmann::json(std::move(*r));
  }
  if (!attributes.is_array() && !attributes.is_object()) return attributes;
  nlohmann::json out = attributes;
  for (auto it = out.begin(); it != out.end(); ++it) {
    auto r = ExpandSelfIn(*it, self);
    if (!r.ok()) return r.status();
    *it = std::move(*r);
  }
  return out;
}

}  // namespace

Result<nlohmann::json> ExpandSelfReferences(const nlohmann::json& attributes, const SelfValues& self) {
  auto out = ExpandSelfIn(attributes, self);
  if (!out.ok()) return out;
  auto ud = out->find("user_data");
  if (out->is_object() && ud != out->end() && ud->is_object() && ud->contains("template")) {
    nlohmann::json& vars = (*ud)["vars"];
    if (vars.is_null()) vars = nlohmann::json::object();
    if (vars.is_object() && !vars.contains("self")) {
      nlohmann::json s = {{"name", self.name},         {"tier", self.tier},  {"provider", self.provider},
                          {"region", self.region},     {"zone", self.zone}};
      if (self.index >= 0) s["index"] = std::to_string(self.index);
      vars["self"] = std::move(s);
    }
  }
  return out;
}

bool IsReferenceExpression(std::string_view expression) { return IsReferenceExpr(expression); }

Result<SeedsReference> ParseSeedsReference(std::string_view e) {
  std::string shown = "${" + std::string(e) + "}";
  if (e.substr(0, kSeedsPrefix.size()) != kSeedsPrefix)
    return Status::InvalidArgument(shown + ": expected ${seeds:TIER.instance[I]:N}");
  std::string_view rest = e.substr(kSeedsPrefix.size());
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return Status::InvalidArgument(shown + ": expected ${seeds:TIER.instance[I]:N}");
  auto n = CountSuffix(rest.substr(colon + 1), shown, "${seeds:TIER.instance[I]:N}");
  if (!n.ok()) return n.status();
  auto a = Address::Parse(rest.substr(0, colon));
  if (!a.ok() || a->kind != Kind::kInstance || a->index < 0)
    return Status::InvalidArgument(shown + ": expected ${seeds:TIER.instance[I]:N}");
  return SeedsReference{*a, *n};
}

std::vector<std::string> ReferenceExpressions(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (value.is_string()) {
    for (Piece& p : Scan(value.get_ref<const std::string&>()))
      if (p.is_ref) out.push_back(std::move(p.text));
  } else if (value.is_array() || value.is_object()) {
    for (const auto& v : value)
      for (std::string& e : ReferenceExpressions(v)) out.push_back(std::move(e));
  }
  return out;
}

bool HasReferences(std::string_view text) {
  for (const Piece& p : Scan(text))
    if (p.is_ref) return true;
  return false;
}

std::vector<std::string> ReferencedAddresses(const nlohmann::json& attributes, const std::vector<Address>& known) {
  std::set<std::string> out;
  Collect(attributes, known, &out);
  return {out.begin(), out.end()};
}

Result<nlohmann::json> ResolveReferencesWith(const nlohmann::json& attributes, const ReferenceResolver& resolve) {
  if (attributes.is_string()) return ResolveString(attributes.get_ref<const std::string&>(), resolve);
  if (attributes.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : attributes) {
      auto r = ResolveReferencesWith(v, resolve);
      if (!r.ok()) return r.status();
      out.push_back(std::move(*r));
    }
    return out;
  }
  if (attributes.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = attributes.begin(); it != attributes.end(); ++it) {
      auto r = ResolveReferencesWith(it.value(), resolve);
      if (!r.ok()) return r.status();
      out[it.key()] = std::move(*r);
    }
    return out;
  }
  return attributes;
}

}  // namespace orch::model
