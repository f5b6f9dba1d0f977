#include "model/resource.h"

#include <cctype>
#include <charconv>

namespace orch::model {
namespace {

struct KindInfo {
  Kind kind;
  std::string_view name;   // KindName
  std::string_view token;  // how the kind is spelled inside an address
  bool top_level;          // network.NAME rather than TIER.KIND
};

constexpr KindInfo kKinds[] = {
    {Kind::kNetwork, "network", "network", true},
    {Kind::kFirewall, "firewall", "firewall", false},
    {Kind::kSshKey, "ssh_key", "ssh_key", true},
    {Kind::kImage, "image", "image", true},
    {Kind::kInstance, "instance", "instance", false},
    {Kind::kInstanceGroup, "instance_group", "group", false},
    {Kind::kVolume, "volume", "volume", false},
    {Kind::kFloatingIp, "floating_ip", "fip", false},
    {Kind::kLoadBalancer, "load_balancer", "lb", false},
};

const KindInfo& Info(Kind kind) {
  for (const KindInfo& k : kKinds)
    if (k.kind == kind) return k;
  return kKinds[4];
}

const KindInfo* InfoFromToken(std::string_view token) {
  for (const KindInfo& k : kKinds)
    if (k.token == token) return &k;
  return nullptr;
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

bool IsName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!IsNameChar(c)) return false;
  return true;
}

// Whether a kind's address carries an index (instance[0]) and a name (volume.data).
bool Indexed(Kind k) { return k == Kind::kInstance || k == Kind::kVolume || k == Kind::kFloatingIp; }

Status Bad(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid resource address '" + std::string(text) + "': " + std::string(why) +
                                 " (expected e.g. api.instance[2], api.group, api.lb, api.firewall, "
                                 "api.fip[0], db.volume.data[1], network.main, image.ubuntu, ssh_key.ops@do)");
}

}  // namespace

std::string_view KindName(Kind kind) { return Info(kind).name; }

std::optional<Kind> KindFromName(std::string_view name) {
  for (const KindInfo& k : kKinds)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

std::string Address::ToString() const {
  const KindInfo& info = Info(kind);
  std::string out;
  if (info.top_level) {
    out = std::string(info.token) + "." + name;
  } else {
    out = tier + "." + std::string(info.token);
    if (!name.empty()) out += "." + name;
  }
  if (index >= 0) out += "[" + std::to_string(index) + "]";
  return out;
}

Result<Address> Address::Parse(std::string_view text) {
  if (text.empty()) return Bad(text, "empty");
  Address a;
  std::string_view body = text;
  if (body.back() == ']') {
    size_t open = body.rfind('[');
    if (open == std::string_view::npos) return Bad(text, "']' without '['");
    std::string_view digits = body.substr(open + 1, body.size() - open - 2);
    if (digits.empty()) return Bad(text, "empty index");
    for (char c : digits)
      if (!std::isdigit(static_cast<unsigned char>(c))) return Bad(text, "index must be a non-negative integer");
    if (digits.size() > 1 && digits[0] == '0') return Bad(text, "index has a leading zero");
    int v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || p != digits.data() + digits.size()) return Bad(text, "index out of range");
    a.index = v;
    body = body.substr(0, open);
  }
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dot = body.find('.', start);
    parts.push_back(body.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() < 2) return Bad(text, "missing '.'");

  const KindInfo* top = InfoFromToken(parts[0]);
  if (top && top->top_level) {
    a.kind = top->kind;
    if (parts.size() != 2) return Bad(text, std::string(top->token) + " takes exactly one name");
    if (a.index >= 0) return Bad(text, std::string(top->token) + " is not indexed");
    std::string_view name = parts[1];
    if (a.kind == Kind::kSshKey) {
      size_t at = name.find('@');
      if (at == std::string_view::npos) return Bad(text, "ssh_key needs NAME@PROVIDER");
      if (!IsName(name.substr(0, at)) || !IsName(name.substr(at + 1)))
        return Bad(text, "bad ssh_key name or provider");
    } else if (!IsName(name)) {
      return Bad(text, "bad name '" + std::string(name) + "'");
    }
    a.name = std::string(name);
    return a;
  }

  if (!IsName(parts[0])) return Bad(text, "bad tier name '" + std::string(parts[0]) + "'");
  a.tier = std::string(parts[0]);
  const KindInfo* k = InfoFromToken(parts[1]);
  if (!k || k->top_level) return Bad(text, "unknown kind '" + std::string(parts[1]) + "'");
  a.kind = k->kind;
  if (a.kind == Kind::kVolume) {
    if (parts.size() != 3) return Bad(text, "volume needs TIER.volume.NAME[INDEX]");
    if (!IsName(parts[2])) return Bad(text, "bad volume name '" + std::string(parts[2]) + "'");
    a.name = std::string(parts[2]);
  } else if (parts.size() != 2) {
    return Bad(text, "unexpected '." + std::string(parts[2]) + "'");
  }
  if (Indexed(a.kind) && a.index < 0) return Bad(text, std::string(k->token) + " needs an index, e.g. [0]");
  if (!Indexed(a.kind) && a.index >= 0) return Bad(text, std::string(k->token) + " is not indexed");
  return a;
}

int64_t TimeoutMs(const nlohmann::json& attributes, std::string_view which, int64_t default_ms) {
  if (!attributes.is_object()) return default_ms;
  auto t = attributes.find(kTimeoutsAttribute);
  if (t == attributes.end() || !t->is_object()) return default_ms;
  auto v = t->find(std::string(which) + "_ms");
  if (v == t->end() || !v->is_number_integer() || v->get<int64_t>() <= 0) return default_ms;
  return v->get<int64_t>();
}

}  // namespace orch::model
