// Tiers and the dependency graph between them (see loader_internal.h).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "spec/checks.h"
#include "spec/loader_internal.h"
#include "util/sensitive.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace orch::spec::internal {

namespace {

const std::vector<std::string> kTierKeys = {"provider",    "count",         "group",    "size",       "image",
                                            "network",     "ssh_keys",      "volumes",  "user_data",  "floating_ip",
                                            "load_balancer", "firewall",    "depends_on",  "protect",
                                            "timeouts",    "service_account"};
const std::vector<std::string> kListenerProtocols = {"http", "https", "tcp"};
const std::vector<std::string> kHealthProtocols = {"http", "https", "tcp"};
const std::vector<std::string> kFirewallProtocols = {"tcp", "udp", "icmp"};
// Bounds of a tier's timeouts: a wait shorter than a second ends before one
// poll; longer than a day, nobody is waiting for it.
constexpr int64_t kMinTimeoutMs = 1000;
constexpr int64_t kMaxTimeoutMs = 24 * 3600 * 1000;

// The short names of GCE OAuth scopes that gcloud's --scopes accepts, with
// the URLs they stand for.
const std::vector<std::pair<std::string, std::string>> kGceScopes = {
    {"cloud-platform", "cloud-platform"},
    {"compute-ro", "compute.readonly"},
    {"compute-rw", "compute"},
    {"logging-write", "logging.write"},
    {"monitoring", "monitoring"},
    {"monitoring-write", "monitoring.write"},
    {"storage-ro", "devstorage.read_only"},
    {"storage-rw", "devstorage.read_write"},
};
constexpr std::string_view kGceScopePrefix = "https://www.googleapis.com/auth/";

std::optional<std::string> GceScope(const std::string& s) {
  if (s.rfind(kGceScopePrefix, 0) == 0 && s.size() > kGceScopePrefix.size()) return s;
  for (const auto& [alias, name] : kGceScopes)
    if (s == alias) return std::string(kGceScopePrefix) + name;
  return std::nullopt;
}

std::vector<std::string> GceScopeAliases() {
  std::vector<std::string> out;
  for (const auto& a : kGceScopes) out.push_back(a.first);
  return out;
}

const Entry* Find(const std::vector<Entry>& es, std::string_view key) {
  for (const auto& e : es) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

}  // namespace

void Loader::LoadTiers(const Entry& e) {
  if (e.value.IsNull()) return;
  if (!e.value.IsMap()) {
    Error(e.Anchor(), "expected a map for 'tiers', got " + DescribeNode(e.value));
    return;
  }
  size_t index = 0;
  for (const auto& t : MapEntries(e.value)) LoadTier(t, index++);
}

void Loader::LoadTier(const Entry& e, size_t index) {
  const std::string context = "in tier '" + e.key + "'";
  TierSpec t;
  t.name = e.key;
  t.where = At(e.key_node);
  std::vector<Entry> fields = Fields(e, kTierKeys, "tier '" + e.key + "'", context);
  if (e.value.IsMap() || e.value.IsNull()) {
    for (const char* key : {"provider", "size", "image"}) {
      if (!Find(fields, key)) Missing(e, key, context);
    }
  }
  // The provider first: images and networks must belong to it.
  if (const Entry* f = Find(fields, "provider")) {
    if (auto s = NonEmptyString(*f, "'provider'")) {
      if (auto p = Reference(*s, provider_names_, "provider")) t.provider = *p;
    }
  }
  for (const auto& f : fields) {
    const std::string what = "'" + f.key + "'";
    if (f.key == "count") {
      if (auto n = Int(f, what, 0, 1000)) t.count = *n;
    } else if (f.key == "group") {
      LoadGroup(f, &t);
    } else if (f.key == "size") {
      if (auto s = NonEmptyString(f, what)) t.size = s->value;
    } else if (f.key == "image") {
      LoadImage(f, &t);
    } else if (f.key == "network") {
      LoadNetwork(f, &t);
    } else if (f.key == "ssh_keys") {
      for (const auto& item : Items(f, what)) {
        auto s = NonEmptyString(item, "an ssh key name");
        if (!s) continue;
        auto k = Reference(*s, key_names_, "ssh key");
        if (k && std::find(t.ssh_keys.begin(), t.ssh_keys.end(), *k) == t.ssh_keys.end()) t.ssh_keys.push_back(*k);
      }
    } else if (f.key == "volumes") {
      LoadVolumes(f, &t);
    } else if (f.key == "user_data") {
      LoadUserData(f, &t, index);
    } else if (f.key == "floating_ip") {
      if (auto b = Bool(f, what)) t.floating_ip = *b;
    } else if (f.key == "protect") {
      if (auto b = Bool(f, what)) t.protect = *b;
    } else if (f.key == "load_balancer") {
      LoadLoadBalancer(f, &t);
    } else if (f.key == "firewall") {
      LoadFirewall(f, &t);
    } else if (f.key == "depends_on") {
      LoadDependsOn(f, &t, index);
    } else if (f.key == "timeouts") {
      LoadTimeouts(f, &t);
    } else if (f.key == "service_account") {
      LoadServiceAccount(f, &t);
    }
  }
  const Entry* count = Find(fields, "count");
  const Entry* group = Find(fields, "group");
  if (count && group) {
    Error(group->key_node, "tier '" + e.key + "' sets both 'count' and 'group'; use 'count' for a fixed number "
                                              "of instances or 'group' for an autoscaled group");
  }
  spec_.tiers.push_back(std::move(t));
}

void Loader::LoadGroup(const Entry& e, TierSpec* t) {
  const std::string context = "in the group of tier '" + t->name + "'";
  GroupSpec g;
  g.where = At(e.key_node);
  bool ok = true;
  bool have_min = false, have_max = false;
  for (const auto& f : Fields(e, {"min", "max", "cpu_target"}, "'group'", context)) {
    if (f.key == "min") {
      auto n = Int(f, "'min'", 0, 1000);
      if (n) g.min = *n, have_min = true;
      ok = ok && n;
    } else if (f.key == "max") {
      auto n = Int(f, "'max'", 0, 1000);
      if (n) g.max = *n, have_max = true;
      ok = ok && n;
    } else {
      auto v = Number(f, "'cpu_target'");
      if (v && !(*v > 0 && *v <= 1)) {
        Error(f.value, "'cpu_target' must be greater than 0 and at most 1 (a fraction of one CPU), got " +
                           Shorten(f.value.Scalar()));
        v.reset();
      }
      if (v) g.cpu_target = *v;
    }
  }
  if (!e.value.IsMap()) return;
  if (have_max && !have_min && g.max < g.min) g.min = g.max;  // e.g. {max: 0}
  if (have_min && !have_max && g.max < g.min) g.max = g.min;  // e.g. {min: 3}
  if (ok && g.min > g.max) {
    Error(e.key_node, "group 'min' (" + std::to_string(g.min) + ") is greater than 'max' (" + std::to_string(g.max) +
                          ") in tier '" + t->name + "'");
  }
  t->group = g;
}

void Loader::LoadTimeouts(const Entry& e, TierSpec* t) {
  const std::string context = "in the timeouts of tier '" + t->name + "'";
  TimeoutsSpec ts;
  ts.where = At(e.key_node);
  for (const auto& f : Fields(e, {"create", "delete"}, "'timeouts'", context)) {
    auto s = NonEmptyString(f, "'" + f.key + "'");
    if (!s) continue;
    std::optional<int64_t> ms = ParseDuration(s->value);
    if (!ms) {
      diags_.Error(s->where, "'" + f.key + "' " + context + " must be a duration such as 90s, 10m or 1h30m, got " +
                                 s->Shown());
      continue;
    }
    if (*ms < kMinTimeoutMs || *ms > kMaxTimeoutMs) {
      diags_.Error(s->where, "'" + f.key + "' " + context + " must be from " + FormatDuration(kMinTimeoutMs) +
                                 " to " + FormatDuration(kMaxTimeoutMs) + ", got " + s->Shown());
      continue;
    }
    (f.key == "create" ? ts.create_ms : ts.delete_ms) = *ms;
  }
  if (e.value.IsMap()) t->timeouts = ts;
}

void Loader::LoadServiceAccount(const Entry& e, TierSpec* t) {
  const std::string context = "in the service_account of tier '" + t->name + "'";
  auto p = spec_.providers.find(t->provider);
  if (p != spec_.providers.end() && p->second.type != "gce") {
    Error(e.key_node, "'service_account' of tier '" + t->name + "' is a GCE setting, but the tier runs on provider '" +
                          p->second.name + "' (" + p->second.type + "); remove it or move the tier to a gce provider");
    return;
  }
  ServiceAccountSpec sa;
  sa.where = At(e.key_node);
  sa.email = "default";
  bool have_scopes = false;
  for (const auto& f : Fields(e, {"email", "scopes"}, "'service_account'", context)) {
    if (f.key == "email") {
      auto s = NonEmptyString(f, "'email'");
      if (!s) continue;
      if (s->value != "default" && s->value.find('@') == std::string::npos) {
        diags_.Error(s->where, "'email' " + context + " must be a service account's email (NAME@PROJECT.iam.gserviceaccount.com) "
                                   "or 'default', got " + s->Shown());
        continue;
      }
      sa.email = s->value;
    } else {
      have_scopes = true;
      for (const auto& item : Items(f, "'scopes'")) {
        auto s = NonEmptyString(item, "a scope");
        if (!s) continue;
        std::optional<std::string> scope = GceScope(s->value);
        if (!scope) {
          diags_.Error(s->where, "unknown scope " + s->Shown() + " " + context +
                                     "; write a full https://www.googleapis.com/auth/... URL or one of " + Join(GceScopeAliases(), ", "));
          continue;
        }
        if (std::find(sa.scopes.begin(), sa.scopes.end(), *scope) == sa.scopes.end()) sa.scopes.push_back(*scope);
      }
    }
  }
  if (!e.value.IsMap()) return;
  if (!have_scopes) sa.scopes = {*GceScope("cloud-platform")};
  t->service_account = sa;
}

void Loader::LoadImage(const Entry& e, TierSpec* t) {
  auto s = NonEmptyString(e, "'image'");
  if (!s) return;
  auto it = spec_.images.find(s->value);
  if (it != spec_.images.end()) {
    const ImageSpec& img = it->second;
    if (!t->provider.empty() && !img.provider.empty() && img.provider != t->provider) {
      diags_.Error(s->where, "image '" + img.name + "' belongs to provider '" + img.provider + "', but tier '" +
                                 t->name + "' runs on provider '" + t->provider + "'");
    }
    t->image = s->value;
    return;
  }
  // Not a key of images: a provider image name, unless it looks like a typo.
  std::string guess = s->tainted ? "" : Suggest(s->value, image_names_);
  if (!guess.empty()) {
    diags_.Error(s->where, "unknown image " + s->Shown() + "; did you mean '" + guess +
                               "'? (a name not under 'images:' is passed to the provider as is)");
    return;
  }
  t->image = s->value;
}

void Loader::LoadNetwork(const Entry& e, TierSpec* t) {
  auto s = NonEmptyString(e, "'network'");
  if (!s) return;
  auto n = Reference(*s, network_names_, "network");
  if (!n) return;
  auto it = spec_.networks.find(*n);
  if (it != spec_.networks.end() && !t->provider.empty() && !it->second.provider.empty() &&
      it->second.provider != t->provider) {
    diags_.Error(s->where, "network '" + *n + "' belongs to provider '" + it->second.provider + "', but tier '" +
                               t->name + "' runs on provider '" + t->provider + "'");
  }
  t->network = *n;
}

void Loader::LoadVolumes(const Entry& e, TierSpec* t) {
  std::set<std::string> names;
  int i = 0;
  for (const auto& item : Items(e, "'volumes'")) {
    ++i;
    const std::string label = "volume " + std::to_string(i) + " of tier '" + t->name + "'";
    VolumeSpec v;
    v.where = At(item.value);
    std::vector<Entry> fields = Fields(item, {"name", "size_gb", "type"}, label, "in " + label);
    if (!item.value.IsMap()) continue;
    bool ok = true;
    for (const auto& f : fields) {
      if (f.key == "name") {
        auto s = NonEmptyString(f, "'name'");
        if (s && !IsValidName(s->value)) {
          Error(f.value, "invalid volume name " + s->Shown() + ": " + kNameRule);
          s.reset();
        }
        if (s && !names.insert(s->value).second) {
          Error(f.value, "duplicate volume name '" + s->value + "' in tier '" + t->name + "'");
          s.reset();
        }
        if (s) v.name = s->value;
        ok = ok && s;
      } else if (f.key == "size_gb") {
        auto n = Int(f, "'size_gb'", 1, 16384);
        if (n) v.size_gb = *n;
        ok = ok && n;
      } else if (auto s = String(f, "'type'")) {
        v.type = s->value;
      }
    }
    if (!Find(fields, "name")) Error(item.value, "missing 'name' in " + label);
    if (!Find(fields, "size_gb")) Error(item.value, "missing 'size_gb' in " + label);
    if (ok && Find(fields, "name") && Find(fields, "size_gb")) t->volumes.push_back(std::move(v));
  }
}

void Loader::LoadUserData(const Entry& e, TierSpec* t, size_t index) {
  const std::string context = "in the user_data of tier '" + t->name + "'";
  UserDataSpec u;
  u.where = At(e.key_node);
  std::vector<Entry> fields = Fields(e, {"template", "vars"}, "'user_data'", context);
  if (!e.value.IsMap()) return;
  for (const auto& f : fields) {
    if (f.key == "template") {
      auto s = NonEmptyString(f, "'template'");
      if (!s) continue;
      u.template_path = ResolvePath(dir_, s->value);
      std::error_code ec;
      if (!std::filesystem::is_regular_file(u.template_path, ec)) {
        diags_.Error(s->where, "user_data template " + s->Shown() + " not found (looked for " +
                                   (s->tainted ? std::string("the substituted path") : u.template_path) + ")");
      } else {
        std::ifstream in(u.template_path, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        u.template_digest = "sha256:" + Sha256Hex(text.str());
      }
      std::filesystem::path written(s->value);
      u.template_ref = written.is_absolute()
                           ? u.template_path
                           : std::filesystem::path(u.template_path).lexically_relative(std::filesystem::path(dir_).lexically_normal()).generic_string();
      if (u.template_ref.empty()) u.template_ref = u.template_path;
    } else if (f.key == "vars") {
      if (f.value.IsNull()) continue;
      if (!f.value.IsMap()) {
        Error(f.Anchor(), "expected a map for 'vars', got " + DescribeNode(f.value));
        continue;
      }
      for (const auto& v : MapEntries(f.value)) {
        bool ok = true;
        bool valid_name = !v.key.empty() && std::all_of(v.key.begin(), v.key.end(), [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        }) && !(v.key[0] >= '0' && v.key[0] <= '9');
        if (!valid_name) {
          Error(v.key_node, "invalid user_data variable name '" + Shorten(v.key) +
                                "': use letters, digits and '_', starting with a letter or '_'");
          continue;
        }
        nlohmann::json value = VarsToJson(v.value, t, index, &ok);
        if (ok) u.vars[v.key] = std::move(value);
      }
    }
  }
  if (!Find(fields, "template")) Missing(e, "template", context);
  t->user_data = std::move(u);
}

nlohmann::json Loader::VarsToJson(const YAML::Node& node, TierSpec* t, size_t index, bool* ok) {
  if (node.IsMap()) {
    nlohmann::json obj = nlohmann::json::object();
    for (const auto& f : MapEntries(node)) obj[f.key] = VarsToJson(f.value, t, index, ok);
    return obj;
  }
  if (node.IsSequence()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& item : node) arr.push_back(VarsToJson(item, t, index, ok));
    return arr;
  }
  if (!node.IsScalar()) return nullptr;
  Entry e{"", node, node};
  // A secret a command that calls no cloud never sends (validate, graph): unset, it warns there.
  subst_.set_missing_env_warns(opts_.offline);
  auto s = String(e, "a user_data variable", Allow::kAll);
  subst_.set_missing_env_warns(false);
  if (!s) {
    *ok = false;
    return nullptr;
  }
  AddReferences(*s, t, index);
  if (s->tainted) {
    // ${env:}/${file:} text is kept out of plans and state (util/sensitive.h).
    if (!s->refs.empty()) {
      Error(node, "a user_data variable mixes ${env:}/${file:} text, which is kept secret, with ${tiers.*} "
                  "references, which state records; give them as two variables");
      *ok = false;
      return nullptr;
    }
    return SensitiveMarker(s->value, &spec_.sensitive);
  }
  return s->value;
}

void Loader::AddReferences(const Text& s, TierSpec* t, size_t index) {
  for (const auto& r : s.refs) {
    auto it = std::find(tier_names_.begin(), tier_names_.end(), r.tier);
    if (it == tier_names_.end()) continue;
    edges_.push_back({index, static_cast<size_t>(it - tier_names_.begin()), s.where});
    if (std::find(t->references.begin(), t->references.end(), r.tier) == t->references.end()) {
      t->references.push_back(r.tier);
    }
    if (r.attribute == "lb_ip") lb_refs_.push_back({r.tier, s.where});
  }
}

void Loader::LoadLoadBalancer(const Entry& e, TierSpec* t) {
  const std::string label = "the load_balancer of tier '" + t->name + "'";
  LoadBalancerSpec lb;
  lb.where = At(e.key_node);
  std::vector<Entry> fields = Fields(e, {"listeners", "health_check"}, "'load_balancer'", "in " + label);
  if (!e.value.IsMap() && !e.value.IsNull()) return;
  const Entry* listeners = Find(fields, "listeners");
  if (!listeners) {
    Missing(e, "listeners", "in " + label);
  } else {
    int i = 0;
    for (const auto& item : Items(*listeners, "'listeners'")) {
      ++i;
      const std::string what = "listener " + std::to_string(i) + " of tier '" + t->name + "'";
      ListenerSpec l;
      l.where = At(item.value);
      std::vector<Entry> lf =
          Fields(item, {"protocol", "port", "target_port", "target_protocol"}, what, "in " + what);
      if (!item.value.IsMap()) continue;
      bool have_target = false;
      for (const auto& f : lf) {
        if (f.key == "port" || f.key == "target_port") {
          auto n = Int(f, "'" + f.key + "'", 1, 65535);
          if (n && f.key == "port") l.port = *n;
          if (n && f.key == "target_port") l.target_port = *n, have_target = true;
        } else if (auto s = NonEmptyString(f, "'" + f.key + "'")) {
          if (std::find(kListenerProtocols.begin(), kListenerProtocols.end(), s->value) == kListenerProtocols.end()) {
            std::string guess = s->tainted ? "" : Suggest(s->value, kListenerProtocols);
            diags_.Error(s->where, "unknown protocol " + s->Shown() + " in " + what +
                                       (guess.empty() ? "; expected http, https or tcp" : "; did you mean '" + guess + "'?"));
          } else if (f.key == "protocol") {
            l.protocol = s->value;
          } else {
            l.target_protocol = s->value;
          }
        }
      }
      if (!Find(lf, "port")) Error(item.value, "missing 'port' in " + what);
      if (!have_target) l.target_port = l.port;
      if (l.target_protocol.empty()) l.target_protocol = l.protocol == "https" ? "http" : l.protocol;
      lb.listeners.push_back(l);
    }
    if (listeners->value.IsSequence() && listeners->value.size() == 0) {
      Error(listeners->value, "'listeners' in " + label + " must list at least one listener");
    }
  }
  // Health check defaults follow the first listener's target.
  HealthCheckSpec& hc = lb.health_check;
  if (!lb.listeners.empty()) {
    hc.port = lb.listeners[0].target_port;
    hc.protocol = lb.listeners[0].target_protocol == "tcp" ? "tcp" : "http";
  }
  hc.where = lb.where;
  if (const Entry* h = Find(fields, "health_check")) {
    const std::string what = "the health_check of tier '" + t->name + "'";
    hc.where = At(h->key_node);
    std::vector<Entry> hf = Fields(*h,
                                   {"protocol", "port", "path", "interval_s", "timeout_s", "healthy_threshold",
                                    "unhealthy_threshold"},
                                   "'health_check'", "in " + what);
    const Entry* path = nullptr;
    for (const auto& f : hf) {
      const std::string k = "'" + f.key + "'";
      if (f.key == "protocol") {
        if (auto s = NonEmptyString(f, k)) {
          if (std::find(kHealthProtocols.begin(), kHealthProtocols.end(), s->value) == kHealthProtocols.end()) {
            std::string guess = s->tainted ? "" : Suggest(s->value, kHealthProtocols);
            diags_.Error(s->where, "unknown protocol " + s->Shown() + " in " + what +
                                       (guess.empty() ? "; expected http, https or tcp" : "; did you mean '" + guess + "'?"));
          } else {
            hc.protocol = s->value;
          }
        }
      } else if (f.key == "port") {
        if (auto n = Int(f, k, 1, 65535)) hc.port = *n;
      } else if (f.key == "path") {
        path = &f;
        if (auto s = NonEmptyString(f, k)) {
          if (s->value[0] != '/') {
            diags_.Error(s->where, "health check 'path' must start with '/', got " + s->Shown());
          } else {
            hc.path = s->value;
          }
        }
      } else if (f.key == "interval_s") {
        if (auto n = Int(f, k, 1, 300)) hc.interval_s = *n;
      } else if (f.key == "timeout_s") {
        if (auto n = Int(f, k, 1, 300)) hc.timeout_s = *n;
      } else if (auto n = Int(f, k, 1, 10)) {
        (f.key == "healthy_threshold" ? hc.healthy_threshold : hc.unhealthy_threshold) = *n;
      }
    }
    if (hc.timeout_s > hc.interval_s) {
      Error(h->key_node, "health check 'timeout_s' (" + std::to_string(hc.timeout_s) +
                             ") must not exceed 'interval_s' (" + std::to_string(hc.interval_s) + ") in tier '" +
                             t->name + "'");
    }
    if (path && hc.protocol == "tcp") Warn(At(path->key_node), "'path' is ignored by tcp health checks");
  }
  t->load_balancer = std::move(lb);
}

void Loader::LoadFirewall(const Entry& e, TierSpec* t) {
  int i = 0;
  for (const auto& item : Items(e, "'firewall'")) {
    ++i;
    const std::string what = "firewall rule " + std::to_string(i) + " of tier '" + t->name + "'";
    FirewallRule r;
    r.where = At(item.value);
    std::vector<Entry> fields = Fields(item, {"protocol", "ports", "from"}, what, "in " + what);
    if (!item.value.IsMap()) continue;
    bool ok = true;
    const Entry* ports = nullptr;
    for (const auto& f : fields) {
      if (f.key == "protocol") {
        auto s = NonEmptyString(f, "'protocol'");
        if (s && std::find(kFirewallProtocols.begin(), kFirewallProtocols.end(), s->value) == kFirewallProtocols.end()) {
          std::string guess = s->tainted ? "" : Suggest(s->value, kFirewallProtocols);
          diags_.Error(s->where, "unknown protocol " + s->Shown() + " in " + what +
                                     (guess.empty() ? "; expected tcp, udp or icmp" : "; did you mean '" + guess + "'?"));
          s.reset();
        }
        if (s) r.protocol = s->value;
        ok = ok && s;
      } else if (f.key == "ports") {
        ports = &f;
        auto s = NonEmptyString(f, "'ports'");
        if (s) {
          std::string why = CheckPorts(s->value);
          if (!why.empty()) {
            diags_.Error(s->where, "invalid ports " + s->Shown() + " in " + what + ": " + why);
            s.reset();
          }
        }
        if (s) r.ports = s->value;
        ok = ok && s;
      } else if (f.key == "from") {
        std::vector<Entry> sources = f.value.IsScalar() ? std::vector<Entry>{f} : Items(f, "'from'");
        if (f.value.IsSequence() && f.value.size() == 0) {
          Error(f.value, "'from' in " + what + " must list at least one source");
          ok = false;
        }
        for (const auto& src : sources) {
          auto s = NonEmptyString(src, "a firewall source");
          if (!s) {
            ok = false;
            continue;
          }
          if (StartsWith(s->value, "tier:")) {
            Text name = *s;
            name.value = s->value.substr(5);
            if (!s->tainted) name.raw = name.value;  // a tainted name shows only as written
            if (!Reference(name, tier_names_, "tier")) {
              ok = false;
              continue;
            }
          } else {
            std::string why = CheckCidr(s->value);
            if (!why.empty()) {
              if (s->value.find('/') == std::string::npos && s->value.find('.') == std::string::npos) {
                why = "expected a CIDR such as 10.0.0.0/8 or tier:NAME";
              }
              diags_.Error(s->where, "invalid source " + s->Shown() + " in " + what + ": " +
                                         (s->tainted ? std::string("not a CIDR or tier:NAME") : why));
              ok = false;
              continue;
            }
          }
          r.sources.push_back(s->value);
        }
      }
    }
    if (ports && r.protocol == "icmp") {
      Error(ports->key_node, "'ports' cannot be used with protocol icmp in " + what);
      ok = false;
    }
    if (!Find(fields, "from")) {
      Error(item.value, "missing 'from' in " + what + " (CIDRs such as 0.0.0.0/0, or tier:NAME)");
      ok = false;
    }
    if (ok) t->firewall.push_back(std::move(r));
  }
}

void Loader::LoadDependsOn(const Entry& e, TierSpec* t, size_t index) {
  std::vector<Entry> items = e.value.IsScalar() ? std::vector<Entry>{e} : Items(e, "'depends_on'");
  for (const auto& item : items) {
    auto s = NonEmptyString(item, "a tier name");
    if (!s) continue;
    auto name = Reference(*s, tier_names_, "tier");
    if (!name) continue;
    size_t to = static_cast<size_t>(std::find(tier_names_.begin(), tier_names_.end(), *name) - tier_names_.begin());
    edges_.push_back({index, to, s->where});
    if (std::find(t->depends_on.begin(), t->depends_on.end(), *name) == t->depends_on.end()) {
      t->depends_on.push_back(*name);
    }
  }
}

void Loader::CheckGraph() {
  const size_t n = tier_names_.size();
  std::vector<std::vector<int>> adj(n);
  std::map<std::pair<size_t, size_t>, SourceRange> where;
  for (const auto& edge : edges_) {
    if (edge.from >= n || edge.to >= n) continue;
    if (where.emplace(std::make_pair(edge.from, edge.to), edge.where).second) {
      adj[edge.from].push_back(static_cast<int>(edge.to));
    }
  }
  for (const auto& cycle : FindCycles(adj)) {
    std::string path;
    for (int v : cycle) path += tier_names_[v] + " -> ";
    path += tier_names_[cycle[0]];
    size_t second = static_cast<size_t>(cycle.size() > 1 ? cycle[1] : cycle[0]);
    diags_.Error(where[{static_cast<size_t>(cycle[0]), second}], "dependency cycle: " + path);
  }
  for (const auto& ref : lb_refs_) {
    const TierSpec* t = spec_.FindTier(ref.tier);
    if (t && !t->load_balancer) {
      diags_.Error(ref.where, "${tiers." + ref.tier + ".lb_ip} refers to tier '" + ref.tier +
                                  "', which has no load_balancer");
    }
  }
}

}  // namespace orch::spec::internal
