#include "core/faults.h"

#include <algorithm>
#include <cstdlib>

namespace cloudsim {
namespace {

std::string Trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

bool ParseProbability(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !(v >= 0.0 && v <= 1.0)) return false;
  *out = v;
  return true;
}

std::vector<std::string> PatternSegments(const std::string& pattern) {
  std::vector<std::string> out;
  for (const std::string& s : Split(pattern, '/')) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kNone: return "none";
    case FaultKind::kRateLimit: return "429";
    case FaultKind::kServerError: return "5xx";
    case FaultKind::kReset: return "reset";
    case FaultKind::kSlow: return "slow";
    case FaultKind::kLost: return "lost";
    case FaultKind::kQuota: return "quota";
  }
  return "none";
}

nlohmann::json FaultGroup::ToJson() const {
  nlohmann::json j = nlohmann::json::object();
  if (!api.empty()) j["api"] = api;
  if (!route_prefix.empty()) j["route"] = route_prefix;
  if (rate > 0) j["rate"] = rate;
  if (p429 > 0) j["429"] = p429;
  if (p5xx > 0) j["5xx"] = p5xx;
  if (reset > 0) j["reset"] = reset;
  if (slow > 0) j["slow"] = slow;
  if (lost > 0) j["lost"] = lost;
  if (quota > 0) j["quota"] = quota;
  return j;
}

bool ParseFaultSpec(const std::string& spec, std::vector<FaultGroup>* groups, std::string* error) {
  groups->clear();
  if (Trim(spec).empty() || Trim(spec) == "none") return true;
  for (const std::string& raw_group : Split(spec, ';')) {
    if (Trim(raw_group).empty()) continue;
    FaultGroup g;
    bool any_kind = false;
    for (const std::string& raw_item : Split(raw_group, ',')) {
      std::string item = Trim(raw_item);
      if (item.empty()) continue;
      size_t eq = item.find('=');
      if (eq == std::string::npos) {
        *error = "fault item '" + item + "' is not KEY=VALUE";
        return false;
      }
      std::string key = Trim(item.substr(0, eq));
      std::string value = Trim(item.substr(eq + 1));
      if (key == "api") {
        if (value.empty()) {
          *error = "api= needs a name";
          return false;
        }
        g.api = value;
        continue;
      }
      if (key == "route") {
        if (value.empty() || value[0] != '/') {
          *error = "route= needs a path prefix starting with '/'";
          return false;
        }
        g.route_prefix = value;
        continue;
      }
      double* slot = nullptr;
      if (key == "rate") slot = &g.rate;
      else if (key == "429") slot = &g.p429;
      else if (key == "5xx" || key == "500" || key == "503") slot = &g.p5xx;
      else if (key == "reset") slot = &g.reset;
      else if (key == "slow") slot = &g.slow;
      else if (key == "lost") slot = &g.lost;
      else if (key == "quota") slot = &g.quota;
      if (!slot) {
        *error = "unknown fault key '" + key + "'";
        return false;
      }
      double p;
      if (!ParseProbability(value, &p)) {
        *error = "fault '" + key + "' needs a probability in [0,1], got '" + value + "'";
        return false;
      }
      *slot = p;
      any_kind = true;
    }
    if (!any_kind) {
      *error = "fault group '" + Trim(raw_group) + "' names no fault kind";
      return false;
    }
    if (g.rate + g.p429 + g.p5xx + g.reset + g.slow + g.lost + g.quota > 1.0 + 1e-9) {
      *error = "fault group '" + Trim(raw_group) + "' has probabilities summing above 1";
      return false;
    }
    groups->push_back(g);
  }
  return true;
}

FaultInjector::FaultInjector(uint64_t seed, double time_scale)
    : rng_(seed ^ 0x9e3779b97f4a7c15ULL), time_scale_(time_scale) {}

bool FaultInjector::SetSpec(const std::string& spec, std::string* error) {
  std::vector<FaultGroup> groups;
  if (!ParseFaultSpec(spec, &groups, error)) return false;
  std::lock_guard<std::mutex> lock(mu_);
  groups_ = std::move(groups);
  spec_ = Trim(spec);
  return true;
}

std::string FaultInjector::spec() const {
  std::lock_guard<std::mutex> lock(mu_);
  return spec_;
}

nlohmann::json FaultInjector::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json groups = nlohmann::json::array();
  for (const FaultGroup& g : groups_) groups.push_back(g.ToJson());
  return {{"spec", spec_}, {"groups", groups}};
}

bool FaultInjector::IsMutating(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool FaultInjector::IsCreateLike(const std::string& method, const std::string& pattern) {
  if (method != "POST") return false;
  std::vector<std::string> segs = PatternSegments(pattern);
  if (segs.empty()) return false;
  const std::string& last = segs.back();
  if (last.front() == '{') return false;  // POST on one resource
  if (last == "action" || last == "actions" || last == "tokens" || last == "token") return false;
  // GCE verbs that end in 's': setLabels, setMetadata, listManagedInstances.
  if (last.rfind("set", 0) == 0 || last.rfind("list", 0) == 0) return false;
  // Collections are plural nouns; verbs (start, stop, attachDisk) are not.
  return last.back() == 's';
}

bool FaultInjector::IsAuthPath(const std::string& path) {
  if (path.rfind("/identity", 0) == 0) return true;
  for (const std::string& seg : Split(path, '/')) {
    if (seg == "token" || seg == "tokens" || seg == "oauth2" || seg == "auth") return true;
  }
  return false;
}

const FaultGroup* FaultInjector::Select(const FaultRequest& req) const {
  const FaultGroup* best = nullptr;
  long best_score = -1;
  bool auth = IsAuthPath(req.path);
  for (const FaultGroup& g : groups_) {
    if (!g.api.empty() && g.api != req.api) continue;
    if (!g.route_prefix.empty() && req.path.rfind(g.route_prefix, 0) != 0) continue;
    if (auth && g.route_prefix.empty()) continue;  // auth endpoints only when named by route=
    long score = (g.route_prefix.empty() ? 0 : 1000 + static_cast<long>(g.route_prefix.size())) + (g.api.empty() ? 0 : 1);
    if (score >= best_score) {
      best = &g;
      best_score = score;
    }
  }
  return best;
}

FaultDecision FaultInjector::Decide(const FaultRequest& req) {
  FaultDecision d;
  if (req.path.rfind("/_sim", 0) == 0) return d;
  std::lock_guard<std::mutex> lock(mu_);
  const FaultGroup* g = Select(req);
  if (!g) return d;
  bool mutating = IsMutating(req.method);
  bool create = IsCreateLike(req.method, req.pattern);
  struct Option {
    FaultKind kind;
    double p;
  };
  int applicable = 4 + (mutating ? 1 : 0) + (create ? 1 : 0);
  double share = g->rate / applicable;
  Option options[] = {
      {FaultKind::kRateLimit, g->p429 + share},
      {FaultKind::kServerError, g->p5xx + share},
      {FaultKind::kReset, g->reset + share},
      {FaultKind::kSlow, g->slow + share},
      {FaultKind::kLost, mutating ? g->lost + share : 0},
      {FaultKind::kQuota, create ? g->quota + share : 0},
  };
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  double u = uniform(rng_);
  double acc = 0;
  for (const Option& o : options) {
    acc += o.p;
    if (o.p > 0 && u < acc) {
      d.kind = o.kind;
      break;
    }
  }
  if (d.kind == FaultKind::kServerError) {
    static const int kStatuses[] = {500, 502, 503};
    d.status = kStatuses[std::uniform_int_distribution<int>(0, 2)(rng_)];
  } else if (d.kind == FaultKind::kSlow) {
    double seconds = (0.5 + 2.5 * uniform(rng_)) * std::max(time_scale_, 0.05);
    d.delay_ms = std::max(1, static_cast<int>(seconds * 1000));
  }
  return d;
}

}  // namespace cloudsim
