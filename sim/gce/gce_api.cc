// GceApi core: route table, request pipeline (auth, rate quota, scope
// checks), generic collection handlers, operations, persistence.
#include "gce/gce_api.h"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <sstream>
#include <thread>

#include "gce/api.h"
#include "gce/filter.h"

namespace cloudsim::gce {

namespace {

const char kPrefix[] = "/compute/v1/projects/{project}";
const std::set<std::string> kPublicProjects = {"debian-cloud", "ubuntu-os-cloud"};

bool StartsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// Newer resources name operations after the method ("compute.autoscalers.insert").
std::string OpType(const std::string& coll, const std::string& verb) {
  if (coll == "instanceTemplates" || coll == "instanceGroupManagers" || coll == "autoscalers") {
    return "compute." + coll + "." + verb;
  }
  return verb;
}

bool ValidUuid(const std::string& s) {
  static const std::regex kUuid("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  return std::regex_match(s, kUuid) && s != "00000000-0000-0000-0000-000000000000";
}

}  // namespace

void Fail(int code, const std::string& reason, const std::string& message) {
  throw GceError{code, reason, message};
}
void FailNotFound(const std::string& path) {
  Fail(404, "notFound", "The resource '" + path + "' was not found");
}
void FailInvalid(const std::string& field, const std::string& value, const std::string& why) {
  Fail(400, "invalid", "Invalid value for field '" + field + "': '" + value + "'. " + why);
}
void FailRequired(const std::string& field) {
  Fail(400, "required", "Required field '" + field + "' not specified");
}

HttpResponse ErrorResponse(int code, const std::string& reason, const std::string& message,
                           const std::string& domain) {
  json body = {{"error",
                {{"code", code},
                 {"message", message},
                 {"errors", json::array({{{"message", message}, {"domain", domain}, {"reason", reason}}})}}}};
  return HttpResponse::Json(code, body);
}

std::string FormatTime(double t) {
  // Pacific standard time, the offset GCE prints.
  double local = t - 8 * 3600;
  time_t secs = static_cast<time_t>(local);
  int ms = static_cast<int>((local - static_cast<double>(secs)) * 1000);
  if (ms < 0) ms = 0;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d-08:00", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

bool ValidName(const std::string& name) {
  static const std::regex kName("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
  return std::regex_match(name, kName);
}

Options Options::FromEnv() {
  Options o;
  if (const char* v = std::getenv("CLOUDSIM_GCE_PROJECT"); v && *v) o.project = v;
  if (const char* v = std::getenv("CLOUDSIM_GCE_CPUS_QUOTA"); v && *v) o.cpus_quota = std::atoi(v);
  if (const char* v = std::getenv("CLOUDSIM_GCE_TOKEN_LIFETIME"); v && *v && std::atof(v) >= 2) {
    o.token_lifetime = std::atof(v);
  }
  if (const char* v = std::getenv("CLOUDSIM_GCE_REQUESTS_PER_MINUTE"); v && *v) o.requests_per_minute = std::atoi(v);
  if (const char* v = std::getenv("CLOUDSIM_GCE_EXHAUSTED_ZONES"); v && *v) {
    std::stringstream ss(v);
    std::string z;
    while (std::getline(ss, z, ',')) {
      if (!z.empty()) o.exhausted_zones.insert(z);
    }
  }
  return o;
}

GceApi::GceApi(SimContext* ctx, Options options) : ctx_(ctx), options_(std::move(options)) {
  built_base_ = ctx_->base_url;
  account_ = std::make_unique<ServiceAccount>(options_.project, ctx_->RandomHex(40),
                                              std::to_string(ctx_->RandomInt(100000000000000000ULL, 999999999999999999ULL)));
  // collection, scope, kind, route param, noun, create s, delete s
  specs_ = {
      {"instances", "zones", "compute#instance", "instance", "instance", 15, 20},
      {"instanceTemplates", "global", "compute#instanceTemplate", "instanceTemplate", "instance_template", 2, 2},
      {"instanceGroupManagers", "zones", "compute#instanceGroupManager", "instanceGroupManager",
       "instance_group_manager", 3, 5},
      {"instanceGroupManagers", "regions", "compute#instanceGroupManager", "instanceGroupManager",
       "instance_group_manager", 3, 5},
      {"autoscalers", "zones", "compute#autoscaler", "autoscaler", "autoscaler", 3, 3},
      {"autoscalers", "regions", "compute#autoscaler", "autoscaler", "autoscaler", 3, 3},
      {"addresses", "regions", "compute#address", "address", "address", 2, 2},
      {"forwardingRules", "regions", "compute#forwardingRule", "forwardingRule", "forwarding_rule", 8, 8},
      {"targetPools", "regions", "compute#targetPool", "targetPool", "target_pool", 5, 5},
      {"httpHealthChecks", "global", "compute#httpHealthCheck", "httpHealthCheck", "http_health_check", 3, 3},
      {"healthChecks", "global", "compute#healthCheck", "healthCheck", "health_check", 3, 3},
      {"firewalls", "global", "compute#firewall", "firewall", "firewall", 5, 5},
      {"networks", "global", "compute#network", "network", "network", 15, 15},
      {"subnetworks", "regions", "compute#subnetwork", "subnetwork", "subnetwork", 10, 10},
      {"disks", "zones", "compute#disk", "disk", "disk", 3, 3},
  };
  BuildCatalog();
  Reset();
}

GceApi::~GceApi() = default;

std::string GceApi::Base() const { return ctx_->base_url + "/compute/v1/projects/" + options_.project; }

std::string GceApi::Rel(const std::string& scope, const std::string& coll, const std::string& name) const {
  return scope + "/" + coll + "/" + name;
}

std::map<std::string, Resource>& GceApi::Coll(const std::string& scope, const std::string& coll) {
  return colls_[scope + "/" + coll];
}

Resource* GceApi::Find(const std::string& scope, const std::string& coll, const std::string& name) {
  auto it = colls_.find(scope + "/" + coll);
  if (it == colls_.end()) return nullptr;
  auto r = it->second.find(name);
  if (r == it->second.end()) return nullptr;
  return &r->second;
}

Resource& GceApi::Get(const std::string& scope, const std::string& coll, const std::string& name) {
  Resource* r = Find(scope, coll, name);
  if (!r) FailNotFound("projects/" + options_.project + "/" + Rel(scope, coll, name));
  return *r;
}

std::string GceApi::NewId() {
  return std::to_string(ctx_->RandomInt(1000000000000000000ULL, 9999999999999999999ULL));
}

std::string GceApi::LastSegment(const std::string& url) {
  size_t p = url.rfind('/');
  return p == std::string::npos ? url : url.substr(p + 1);
}

std::string GceApi::Resolve(const std::string& ref, const std::string& coll, const std::string& scope_hint) const {
  // Accept full URLs, "projects/p/<rel>", "<rel>" and, for global
  // collections, "global/<coll>/name". Returns "" when not resolvable.
  std::string rel = ref;
  size_t p = rel.find("/projects/");
  if (p != std::string::npos) rel = rel.substr(p + 1);
  if (StartsWith(rel, "projects/")) {
    size_t q = rel.find('/', 9);
    if (q == std::string::npos || rel.substr(9, q - 9) != options_.project) return "";
    rel = rel.substr(q + 1);
  }
  size_t c = rel.rfind("/" + coll + "/");
  if (c == std::string::npos) return "";
  std::string scope = rel.substr(0, c);
  std::string name = rel.substr(c + coll.size() + 2);
  if (!scope_hint.empty() && scope != scope_hint) return "";
  auto it = colls_.find(scope + "/" + coll);
  if (it == colls_.end()) return "";
  auto r = it->second.find(name);
  if (r == it->second.end() || r->second.delete_at >= 0) return "";
  return scope + "/" + coll + "/" + name;
}

void GceApi::Add(Router& router, const std::string& method, const std::string& pattern, Access access, Fn fn) {
  router.Add("gce", method, pattern, [this, access, fn = std::move(fn)](const HttpRequest& req, const PathParams& params) {
    return Dispatch(req, params, access, fn);
  });
}

bool GceApi::CheckRate(std::string* /*retry*/) {
  if (options_.requests_per_minute <= 0) return true;
  double now = ctx_->Now();
  double window = 60.0 * ctx_->time_scale();
  if (now >= rate_window_ + window) {
    rate_window_ = now;
    rate_count_ = 0;
  }
  return ++rate_count_ <= options_.requests_per_minute;
}

void GceApi::Purge() {
  double now = ctx_->Now();
  while (!deletions_.empty() && deletions_.begin()->first <= now) {
    const std::vector<std::string>& d = deletions_.begin()->second;
    auto it = colls_.find(d[0] + "/" + d[1]);
    if (it != colls_.end()) {
      auto r = it->second.find(d[2]);
      if (r != it->second.end() && r->second.delete_at >= 0 && r->second.delete_at <= now) it->second.erase(r);
    }
    deletions_.erase(deletions_.begin());
  }
}

void GceApi::ScheduleDelete(const std::string& scope, const std::string& coll, const std::string& name, double at) {
  Resource* r = Find(scope, coll, name);
  if (!r) return;
  r->delete_at = at;
  deletions_.emplace(at, std::vector<std::string>{scope, coll, name});
}

HttpResponse GceApi::Dispatch(const HttpRequest& req, const PathParams& params, Access access, const Fn& fn) {
  try {
    std::string auth = req.Header("authorization");
    if (auth.empty()) {
      json body = {{"error",
                    {{"code", 401},
                     {"message",
                      "Request is missing required authentication credential. Expected OAuth 2 access token, login "
                      "cookie or other valid authentication credential. See "
                      "https://developers.google.com/identity/sign-in/web/devconsole-project."},
                     {"errors", json::array({{{"message", "Login Required."},
                                              {"domain", "global"},
                                              {"reason", "required"},
                                              {"location", "Authorization"},
                                              {"locationType", "header"}}})},
                     {"status", "UNAUTHENTICATED"}}}};
      return HttpResponse::Json(401, body).SetHeader("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\"");
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (!StartsWith(auth, "Bearer ") || !TokenValid(auth.substr(7))) {
      json body = {{"error",
                    {{"code", 401},
                     {"message",
                      "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                      "other valid authentication credential. See "
                      "https://developers.google.com/identity/sign-in/web/devconsole-project."},
                     {"errors", json::array({{{"message", "Invalid Credentials"},
                                              {"domain", "global"},
                                              {"reason", "authError"},
                                              {"location", "Authorization"},
                                              {"locationType", "header"}}})},
                     {"status", "UNAUTHENTICATED"}}}};
      return HttpResponse::Json(401, body).SetHeader(
          "WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"");
    }
    std::string retry;
    if (!CheckRate(&retry)) return RateLimitError(req);
    Rebase();
    Purge();
    const std::string& project = params.at("project");
    if (project != options_.project) {
      if (kPublicProjects.count(project)) {
        if (access != Access::kPublicRead) {
          Fail(403, "forbidden", "Required 'compute." + std::string(req.method == "GET" ? "get" : "write") +
                                     "' permission for 'projects/" + project + "'");
        }
      } else {
        FailNotFound("projects/" + project);
      }
    }
    Call c{req, params, "global", "", "", json::object()};
    if (auto z = params.find("zone"); z != params.end()) {
      if (!catalog_zones_.contains(z->second)) FailInvalid("zone", z->second, "Unknown zone.");
      c.zone = z->second;
      c.region = catalog_zones_[z->second]["_region"].get<std::string>();
      c.scope = "zones/" + c.zone;
    } else if (auto r = params.find("region"); r != params.end()) {
      if (!catalog_regions_.contains(r->second)) FailInvalid("region", r->second, "Unknown region.");
      c.region = r->second;
      c.scope = "regions/" + c.region;
    }
    if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
      if (!req.body.empty()) {
        c.body = json::parse(req.body, nullptr, false);
        if (c.body.is_discarded()) {
          Fail(400, "parseError", "Invalid JSON payload received. Unexpected token.");
        }
        if (!c.body.is_object()) Fail(400, "parseError", "Invalid JSON payload received. Expected an object.");
      }
    }
    if (c.req.HasQuery("requestId")) {
      if (!ValidUuid(c.req.Query("requestId"))) {
        FailInvalid("requestId", c.req.Query("requestId"), "The requestId must be a valid UUID.");
      }
    }
    if (c.req.HasQuery("maxResults")) {
      const std::string v = c.req.Query("maxResults");
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != 0 || n < 0 || n > 500) {
        FailInvalid("maxResults", v, "Must be less than or equal to 500");
      }
    }
    if (access == Access::kWrite) {
      HttpResponse replay;
      if (ReplayRequest(c, &replay)) return replay;
    }
    return fn(c);
  } catch (const GceError& e) {
    return ErrorResponse(e.code, e.reason, e.message, e.domain);
  } catch (const json::exception& e) {
    return ErrorResponse(400, "invalid", std::string("Invalid value in request: ") + e.what());
  }
}

bool GceApi::ReplayRequest(Call& c, HttpResponse* out) {
  std::string id = c.req.Query("requestId");
  if (id.empty()) return false;
  auto it = request_ids_.find(id);
  if (it == request_ids_.end()) return false;
  if (ctx_->Now() - it->second.second > 3600) {
    request_ids_.erase(it);
    return false;
  }
  auto op = ops_.find(it->second.first);
  if (op == ops_.end()) return false;
  *out = HttpResponse::Json(200, RenderOp(op->second));
  return true;
}

void GceApi::RememberRequest(Call& c, const std::string& op_name) {
  std::string id = c.req.Query("requestId");
  if (!id.empty()) request_ids_[id] = {op_name, ctx_->Now()};
}

std::string GceApi::NewOp(const std::string& scope, const std::string& type, const std::string& target_link,
                          const std::string& target_id, double duration, json error, int http_status,
                          const std::string& http_message) {
  double now = ctx_->Now();
  Operation op;
  op.scope = scope;
  op.insert = now;
  op.start = now + ctx_->Latency(0.3);
  op.end = std::max(op.start, now + duration);
  op.error = std::move(error);
  op.http_status = http_status;
  op.http_message = http_message;
  std::string name = "operation-" + std::to_string(static_cast<long long>(now * 1000)) + "-" +
                     ctx_->RandomHex(13) + "-" + ctx_->RandomHex(8) + "-" + ctx_->RandomHex(8);
  op.body = {{"kind", "compute#operation"},
             {"id", NewId()},
             {"name", name},
             {"operationType", type},
             {"targetLink", target_link},
             {"targetId", target_id},
             {"user", account_->email()},
             {"insertTime", FormatTime(now)},
             {"selfLink", Url(scope + "/operations/" + name)}};
  if (StartsWith(scope, "zones/")) op.body["zone"] = Url(scope);
  if (StartsWith(scope, "regions/")) op.body["region"] = Url(scope);
  ops_by_scope_[scope].push_back(name);
  ops_.emplace(name, std::move(op));
  return name;
}

json GceApi::RenderOp(const Operation& op) const {
  json j = op.body;
  double now = ctx_->Now();
  if (now < op.start) {
    j["status"] = "PENDING";
    j["progress"] = 0;
  } else if (now < op.end) {
    j["status"] = "RUNNING";
    j["progress"] = 0;
    j["startTime"] = FormatTime(op.start);
  } else {
    j["status"] = "DONE";
    j["progress"] = 100;
    j["startTime"] = FormatTime(op.start);
    j["endTime"] = FormatTime(op.end);
    if (!op.error.is_null()) {
      j["error"] = op.error;
      j["httpErrorStatusCode"] = op.http_status;
      j["httpErrorMessage"] = op.http_message;
    }
  }
  return j;
}

HttpResponse GceApi::OpResponse(Call& c, const std::string& op_name) {
  RememberRequest(c, op_name);
  return HttpResponse::Json(200, RenderOp(ops_.at(op_name)));
}

HttpResponse GceApi::Page(Call& c, const std::string& list_kind, const std::string& rel,
                          const std::vector<json>& items) {
  return PageFrom(c, list_kind, rel, [&items](const std::string& after, const Emit& emit) {
    for (const json& item : items) {
      if (!after.empty() && item["name"].get_ref<const std::string&>() <= after) continue;
      if (!emit(nullptr, [&item] { return item; })) return;
    }
  });
}

HttpResponse GceApi::PageFrom(Call& c, const std::string& list_kind, const std::string& rel, const Source& source) {
  // The page token is the last name returned; sources resume after it.
  Filter filter;
  std::string ftext = c.req.Query("filter");
  if (!ftext.empty() && !filter.Parse(ftext)) {
    FailInvalid("filter", ftext, "Invalid list filter expression.");
  }
  // Fields computed at render time must be filtered on the rendered item.
  static const std::set<std::string> kComputed = {"status", "currentActions", "recommendedSize", "subnetworks",
                                                  "lastStartTimestamp", "users", "progress", "startTime", "endTime"};
  bool raw_ok = !filter.TouchesAny(kComputed);
  size_t max = 500;
  if (c.req.HasQuery("maxResults")) max = std::stoul(c.req.Query("maxResults"));
  if (max == 0) max = 500;
  std::string after;
  if (c.req.HasQuery("pageToken")) {
    std::string tok = c.req.Query("pageToken");
    if (!Base64UrlDecode(tok, &after) || after.size() < 2 || after[0] != '>') {
      FailInvalid("pageToken", tok, "Invalid page token.");
    }
    after = after.substr(1);
  }
  json out = {{"kind", list_kind}, {"id", "projects/" + options_.project + "/" + rel}, {"selfLink", Url(rel)}};
  json arr = json::array();
  bool more = false;
  source(after, [&](const json* raw, const std::function<json()>& render) {
    if (!filter.empty() && raw && raw_ok && !filter.Matches(*raw)) return true;
    json item = render();
    if (!filter.empty() && !(raw && raw_ok) && !filter.Matches(item)) return true;
    if (arr.size() == max) {
      more = true;
      return false;
    }
    arr.push_back(std::move(item));
    return true;
  });
  if (!arr.empty()) out["items"] = std::move(arr);
  if (more) out["nextPageToken"] = Base64UrlEncode(">" + out["items"].back()["name"].get<std::string>());
  return HttpResponse::Json(200, out);
}

HttpResponse GceApi::List(Call& c, const CollSpec& spec) {
  std::string list_kind = spec.kind + "List";
  if (spec.coll == "instanceGroupManagers" && spec.scope_kind == "regions") {
    list_kind = "compute#regionInstanceGroupManagerList";
  } else if (spec.coll == "autoscalers" && spec.scope_kind == "regions") {
    list_kind = "compute#regionAutoscalerList";
  }
  auto it = colls_.find(c.scope + "/" + spec.coll);
  return PageFrom(c, list_kind, c.scope + "/" + spec.coll, [&](const std::string& after, const Emit& emit) {
    if (it == colls_.end()) return;
    auto& m = it->second;
    for (auto r = after.empty() ? m.begin() : m.upper_bound(after); r != m.end(); ++r) {
      const Resource& res = r->second;
      if (!emit(&res.body, [&] { return Render(spec.coll, res); })) return;
    }
  });
}

HttpResponse GceApi::GetOne(Call& c, const CollSpec& spec) {
  Resource& r = Get(c.scope, spec.coll, c.params.at(spec.param));
  return HttpResponse::Json(200, Render(spec.coll, r));
}

HttpResponse GceApi::Insert(Call& c, const CollSpec& spec) {
  if (c.body.contains("name") && !c.body["name"].is_string()) FailInvalid("resource.name", c.body["name"].dump(), "");
  std::string name = c.body.value("name", "");
  if (name.empty()) FailRequired("resource.name");
  if (!ValidName(name)) {
    FailInvalid("resource.name", name, "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
  }
  if (Resource* existing = Find(c.scope, spec.coll, name)) {
    (void)existing;
    Fail(409, "alreadyExists",
         "The resource 'projects/" + options_.project + "/" + Rel(c.scope, spec.coll, name) + "' already exists");
  }
  Resource r;
  json async_error;
  int async_status = 0;
  const std::string& coll = spec.coll;
  if (coll == "instances") {
    r = PrepareInstance(c.body, c.zone, &async_error, &async_status);
  } else if (coll == "instanceTemplates") {
    r = PrepareTemplate(c);
  } else if (coll == "instanceGroupManagers") {
    r = PrepareIgm(c);
  } else if (coll == "autoscalers") {
    r = PrepareAutoscaler(c);
  } else if (coll == "addresses") {
    r = PrepareAddress(c);
  } else if (coll == "forwardingRules") {
    r = PrepareForwardingRule(c);
  } else if (coll == "targetPools") {
    r = PrepareTargetPool(c);
  } else if (coll == "httpHealthChecks") {
    r = PrepareHttpHealthCheck(c);
  } else if (coll == "healthChecks") {
    r = PrepareHealthCheck(c);
  } else if (coll == "firewalls") {
    r = PrepareFirewall(c);
  } else if (coll == "networks") {
    r = PrepareNetwork(c);
  } else if (coll == "subnetworks") {
    r = PrepareSubnetwork(c);
  } else if (coll == "disks") {
    r = PrepareDisk(c);
  }
  std::string rel = Rel(c.scope, coll, name);
  std::string op_type = OpType(coll, "insert");
  double now = ctx_->Now();
  if (!async_error.is_null()) {
    std::string op = NewOp(c.scope, op_type, Url(rel), NewId(), ctx_->Latency(2), async_error, async_status,
                           async_status == 403 ? "FORBIDDEN" : "SERVICE UNAVAILABLE");
    return OpResponse(c, op);
  }
  if (r.ready_at == 0) r.ready_at = now + ctx_->Latency(spec.create_seconds);
  double done = r.ready_at;
  Resource& stored = Store(c.scope, coll, spec.kind, name, std::move(r));
  if (coll == "networks") {
    stored.body["selfLinkWithId"] = Url("global/networks/" + stored.body["id"].get<std::string>());
  }
  AfterInsert(coll, c.scope, stored);
  std::string op = NewOp(c.scope, op_type, Url(rel), stored.body["id"], done - now);
  return OpResponse(c, op);
}

HttpResponse GceApi::Delete(Call& c, const CollSpec& spec) {
  const std::string& name = c.params.at(spec.param);
  Resource& r = Get(c.scope, spec.coll, name);
  std::string rel = Rel(c.scope, spec.coll, name);
  if (r.delete_at >= 0) {
    // Already being deleted: GCE answers with a new operation that ends with it.
    std::string op = NewOp(c.scope, OpType(spec.coll, "delete"), Url(rel), r.body["id"], r.delete_at - ctx_->Now());
    return OpResponse(c, op);
  }
  std::string user = UsedBy(Url(rel));
  if (!user.empty()) {
    Fail(400, "resourceInUseByAnotherResource",
         "The " + spec.noun + " resource 'projects/" + options_.project + "/" + rel +
             "' is already being used by 'projects/" + options_.project + "/" + user + "'");
  }
  double at = ctx_->Now() + ctx_->Latency(spec.delete_seconds);
  std::string id = r.body["id"];
  BeforeDelete(spec.coll, c.scope, r);
  ScheduleDelete(c.scope, spec.coll, name, at);
  if (spec.coll == "instances" && r.aux.is_object() && r.aux.contains("igm")) {
    // The group replaces a member deleted behind its back.
    std::string igm_scope = r.aux["igm_scope"];
    if (Resource* igm = Find(igm_scope, "instanceGroupManagers", LastSegment(r.aux["igm"]))) {
      if (igm->delete_at < 0) ReconcileIgm(igm_scope, *igm, at);
    }
  }
  std::string op = NewOp(c.scope, OpType(spec.coll, "delete"), Url(rel), id, at - ctx_->Now());
  return OpResponse(c, op);
}

HttpResponse GceApi::WaitOp(Call& c) {
  // Called with mu_ held; releases it while waiting.
  const std::string& name = c.params.at("operation");
  auto find = [&]() -> const Operation& {
    auto it = ops_.find(name);
    if (it == ops_.end() || it->second.scope != c.scope) {
      FailNotFound("projects/" + options_.project + "/" + c.scope + "/operations/" + name);
    }
    return it->second;
  };
  double end = find().end;
  double sim_deadline = ctx_->Now() + 120.0 * ctx_->time_scale();
  auto real_deadline = std::chrono::steady_clock::now() +
                       std::chrono::duration<double>(120.0 * ctx_->time_scale());
  while (ctx_->Now() < end && ctx_->Now() < sim_deadline && std::chrono::steady_clock::now() < real_deadline) {
    double step = std::min({end - ctx_->Now(), sim_deadline - ctx_->Now(), 0.05});
    mu_.unlock();
    std::this_thread::sleep_for(std::chrono::duration<double>(std::max(step, 0.001)));
    mu_.lock();
  }
  return HttpResponse::Json(200, RenderOp(find()));
}

void GceApi::RegisterRoutes(Router& router) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Rebase();
  }
  const std::string p = kPrefix;
  for (const CollSpec& spec : specs_) {
    std::string base = p + "/" + (spec.scope_kind == "global" ? "global" : spec.scope_kind + "/{" +
                                  (spec.scope_kind == "zones" ? "zone" : "region") + "}") + "/" + spec.coll;
    const CollSpec* s = &spec;
    Add(router, "GET", base, Access::kRead, [this, s](Call& c) { return List(c, *s); });
    Add(router, "POST", base, Access::kWrite, [this, s](Call& c) { return Insert(c, *s); });
    Add(router, "GET", base + "/{" + spec.param + "}", Access::kRead, [this, s](Call& c) { return GetOne(c, *s); });
    Add(router, "DELETE", base + "/{" + spec.param + "}", Access::kWrite, [this, s](Call& c) { return Delete(c, *s); });
  }
  for (const std::string scope : {"zones/{zone}", "regions/{region}"}) {
    std::string igm = p + "/" + scope + "/instanceGroupManagers/{instanceGroupManager}";
    Add(router, "POST", igm + "/resize", Access::kWrite, [this](Call& c) { return Resize(c); });
    Add(router, "POST", igm + "/listManagedInstances", Access::kRead, [this](Call& c) { return ListManaged(c); });
    Add(router, "POST", igm + "/setInstanceTemplate", Access::kWrite, [this](Call& c) { return SetInstanceTemplate(c); });
    Add(router, "POST", igm + "/setTargetPools", Access::kWrite, [this](Call& c) { return SetTargetPools(c); });
    Add(router, "POST", igm + "/recreateInstances", Access::kWrite, [this](Call& c) { return RecreateInstances(c); });
  }
  for (const std::string scope : {"zones/{zone}", "regions/{region}"}) {
    std::string as = p + "/" + scope + "/autoscalers";
    Add(router, "PATCH", as, Access::kWrite, [this](Call& c) { return UpdateAutoscaler(c, true); });
    Add(router, "PUT", as, Access::kWrite, [this](Call& c) { return UpdateAutoscaler(c, false); });
  }
  std::string inst = p + "/zones/{zone}/instances/{instance}";
  Add(router, "POST", inst + "/attachDisk", Access::kWrite, [this](Call& c) { return AttachDisk(c); });
  Add(router, "POST", inst + "/detachDisk", Access::kWrite, [this](Call& c) { return DetachDisk(c); });
  Add(router, "POST", inst + "/setMetadata", Access::kWrite, [this](Call& c) { return SetMetadata(c); });
  Add(router, "POST", inst + "/setTags", Access::kWrite, [this](Call& c) { return SetTags(c); });
  Add(router, "POST", inst + "/addAccessConfig", Access::kWrite, [this](Call& c) { return AddAccessConfig(c); });
  Add(router, "POST", inst + "/deleteAccessConfig", Access::kWrite, [this](Call& c) { return DeleteAccessConfig(c); });
  std::string tp = p + "/regions/{region}/targetPools/{targetPool}";
  Add(router, "POST", tp + "/addInstance", Access::kWrite, [this](Call& c) { return TargetPoolMembers(c, true); });
  Add(router, "POST", tp + "/removeInstance", Access::kWrite, [this](Call& c) { return TargetPoolMembers(c, false); });
  Add(router, "PATCH", p + "/global/firewalls/{firewall}", Access::kWrite, [this](Call& c) { return PatchFirewall(c); });
  Add(router, "PATCH", p + "/global/httpHealthChecks/{httpHealthCheck}", Access::kWrite,
      [this](Call& c) { return PatchHttpHealthCheck(c); });

  // Operations.
  for (const std::string scope : {"zones/{zone}", "regions/{region}", "global"}) {
    std::string ops = p + "/" + scope + "/operations";
    Add(router, "GET", ops, Access::kRead, [this](Call& c) {
      std::vector<json> items;
      auto it = ops_by_scope_.find(c.scope);
      if (it != ops_by_scope_.end()) {
        std::vector<std::string> names = it->second;
        std::sort(names.begin(), names.end());
        for (const std::string& n : names) items.push_back(RenderOp(ops_.at(n)));
      }
      return Page(c, "compute#operationList", c.scope + "/operations", items);
    });
    Add(router, "GET", ops + "/{operation}", Access::kRead, [this](Call& c) {
      const std::string& name = c.params.at("operation");
      auto it = ops_.find(name);
      if (it == ops_.end() || it->second.scope != c.scope) {
        FailNotFound("projects/" + options_.project + "/" + c.scope + "/operations/" + name);
      }
      return HttpResponse::Json(200, RenderOp(it->second));
    });
    Add(router, "POST", ops + "/{operation}/wait", Access::kRead, [this](Call& c) { return WaitOp(c); });
  }

  // Catalog.
  Add(router, "GET", p + "/zones", Access::kRead, [this](Call& c) {
    std::vector<json> items;
    for (auto& [name, z] : catalog_zones_.items()) {
      json j = z;
      j.erase("_region");
      j["selfLink"] = Url("zones/" + name);
      j["region"] = Url("regions/" + z["_region"].get<std::string>());
      items.push_back(j);
    }
    return Page(c, "compute#zoneList", "zones", items);
  });
  Add(router, "GET", p + "/zones/{zone}", Access::kRead, [this](Call& c) {
    json j = catalog_zones_[c.zone];
    j.erase("_region");
    j["selfLink"] = Url("zones/" + c.zone);
    j["region"] = Url("regions/" + c.region);
    return HttpResponse::Json(200, j);
  });
  auto region_json = [this](const std::string& name) {
    json j = catalog_regions_[name];
    j["selfLink"] = Url("regions/" + name);
    json zones = json::array();
    for (auto& [zname, z] : catalog_zones_.items()) {
      if (z["_region"] == name) zones.push_back(Url("zones/" + zname));
    }
    j["zones"] = zones;
    int addresses = 0;
    auto it = colls_.find("regions/" + name + "/addresses");
    if (it != colls_.end()) addresses = static_cast<int>(it->second.size());
    j["quotas"] = json::array({
        {{"metric", "CPUS"}, {"limit", double(options_.cpus_quota)}, {"usage", double(RegionCpus(name))}},
        {{"metric", "STATIC_ADDRESSES"}, {"limit", 8.0}, {"usage", double(addresses)}},
        {{"metric", "IN_USE_ADDRESSES"}, {"limit", 8.0}, {"usage", 0.0}},
        {{"metric", "INSTANCE_GROUP_MANAGERS"}, {"limit", 50.0}, {"usage", 0.0}},
        {{"metric", "AUTOSCALERS"}, {"limit", 50.0}, {"usage", 0.0}},
    });
    return j;
  };
  Add(router, "GET", p + "/regions", Access::kRead, [this, region_json](Call& c) {
    std::vector<json> items;
    for (auto& [name, r] : catalog_regions_.items()) items.push_back(region_json(name));
    return Page(c, "compute#regionList", "regions", items);
  });
  Add(router, "GET", p + "/regions/{region}", Access::kRead,
      [region_json](Call& c) { return HttpResponse::Json(200, region_json(c.region)); });
  auto machine_json = [this](const std::string& zone, const std::string& name) {
    const json& m = machine_specs_.at(name);
    json j = {{"kind", "compute#machineType"},
              {"id", m["id"]},
              {"creationTimestamp", "2020-12-07T08:00:00.000-08:00"},
              {"name", name},
              {"description", m["description"]},
              {"guestCpus", m["cpus"]},
              {"memoryMb", m["memory"]},
              {"imageSpaceGb", 0},
              {"maximumPersistentDisks", 128},
              {"maximumPersistentDisksSizeGb", "263168"},
              {"zone", zone},
              {"selfLink", Url("zones/" + zone + "/machineTypes/" + name)},
              {"isSharedCpu", m["shared"]}};
    return j;
  };
  Add(router, "GET", p + "/zones/{zone}/machineTypes", Access::kRead, [this, machine_json](Call& c) {
    std::vector<json> items;
    for (auto& [name, m] : machine_specs_) items.push_back(machine_json(c.zone, name));
    return Page(c, "compute#machineTypeList", c.scope + "/machineTypes", items);
  });
  Add(router, "GET", p + "/zones/{zone}/machineTypes/{machineType}", Access::kRead, [this, machine_json](Call& c) {
    const std::string& name = c.params.at("machineType");
    if (!machine_specs_.count(name)) {
      FailNotFound("projects/" + options_.project + "/zones/" + c.zone + "/machineTypes/" + name);
    }
    return HttpResponse::Json(200, machine_json(c.zone, name));
  });
  Add(router, "GET", p + "/global/images", Access::kPublicRead, [this](Call& c) {
    std::vector<json> items;
    const std::string& project = c.params.at("project");
    auto it = images_.find(project);
    if (it != images_.end()) {
      for (auto& [name, r] : it->second) items.push_back(r.body);
    }
    HttpResponse resp = Page(c, "compute#imageList", "global/images", items);
    if (project != options_.project) {
      // The list's own links name the public project.
      json j = json::parse(resp.body);
      j["id"] = "projects/" + project + "/global/images";
      j["selfLink"] = ctx_->base_url + "/compute/v1/projects/" + project + "/global/images";
      resp = HttpResponse::Json(200, j);
    }
    return resp;
  });
  Add(router, "GET", p + "/global/images/{image}", Access::kPublicRead, [this](Call& c) {
    const std::string& project = c.params.at("project");
    const std::string& name = c.params.at("image");
    auto it = images_.find(project);
    if (it == images_.end() || !it->second.count(name)) {
      FailNotFound("projects/" + project + "/global/images/" + name);
    }
    return HttpResponse::Json(200, it->second.at(name).body);
  });
  Add(router, "GET", p + "/global/images/family/{family}", Access::kPublicRead,
      [this](Call& c) { return GetFromFamily(c); });

  // OAuth2 token endpoint and metadata server: no bearer token needed.
  router.Add("gce", "POST", "/token", [this](const HttpRequest& req, const PathParams&) { return TokenEndpoint(req); });
  router.Add("gce", "GET", "/computeMetadata/v1/{what*}",
             [this](const HttpRequest& req, const PathParams& params) { return Metadata(req, params.at("what")); });
}

HttpResponse GceApi::QuotaError(const HttpRequest&) {
  return ErrorResponse(403, "quotaExceeded",
                       "Quota 'CPUS' exceeded. Limit: " + std::to_string(options_.cpus_quota) + ".0 in region us-central1.",
                       "usageLimits");
}

HttpResponse GceApi::RateLimitError(const HttpRequest&) {
  return ErrorResponse(403, "rateLimitExceeded",
                       "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service "
                       "'compute.googleapis.com' for consumer 'project_number:" +
                           account_->KeyFile("")["client_id"].get<std::string>().substr(0, 12) + "'.",
                       "usageLimits");
}

HttpResponse GceApi::ServerError(const HttpRequest&, int status) {
  if (status == 503) {
    return ErrorResponse(503, "backendError", "The service is currently unavailable.");
  }
  return ErrorResponse(status, "backendError", "Internal error. Please try again or contact Google Support.");
}

void GceApi::ListResources(std::vector<SimResource>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  Purge();
  for (auto& [key, coll] : colls_) {
    std::string c = key.substr(key.rfind('/') + 1);
    std::string kind = c.substr(0, c.size() - 1);
    if (c == "addresses") kind = "address";
    for (auto& [name, r] : coll) {
      if (key == "global/networks" && name == "default") continue;
      if (StartsWith(key, "regions/") && c == "subnetworks" &&
          LastSegment(r.body.value("network", "")) == "default") {
        continue;
      }
      SimResource s;
      s.api = "gce";
      s.kind = kind;
      s.id = r.body.value("id", "");
      s.name = name;
      json rendered = Render(c, r);
      if (rendered.contains("labels") && rendered["labels"].is_object()) {
        for (auto& [k, v] : rendered["labels"].items()) {
          if (v.is_string()) s.labels[k] = v.get<std::string>();
        }
      }
      if (rendered.contains("tags") && rendered["tags"].contains("items")) {
        for (auto& t : rendered["tags"]["items"]) {
          if (t.is_string()) s.tags.push_back(t.get<std::string>());
        }
      }
      // Instances, addresses and autoscalers have a status string; groups
      // have a status object, the rest none.
      auto st = rendered.find("status");
      s.status = st != rendered.end() && st->is_string() ? st->get<std::string>() : "READY";
      out->push_back(std::move(s));
    }
  }
}

json GceApi::Save() {
  std::lock_guard<std::mutex> lock(mu_);
  Purge();
  Rebase();
  json out = {{"colls", json::object()}, {"ops", json::object()}, {"next_ip", next_ip_}, {"base", built_base_}};
  for (auto& [key, coll] : colls_) {
    json c = json::object();
    for (auto& [name, r] : coll) {
      c[name] = {{"body", r.body}, {"aux", r.aux}, {"created", r.created}, {"staging_at", r.staging_at},
                 {"ready_at", r.ready_at}, {"delete_at", r.delete_at}};
    }
    out["colls"][key] = c;
  }
  for (auto& [name, op] : ops_) {
    out["ops"][name] = {{"body", op.body}, {"scope", op.scope}, {"insert", op.insert}, {"start", op.start},
                        {"end", op.end}, {"error", op.error}, {"http_status", op.http_status},
                        {"http_message", op.http_message}};
  }
  return out;
}

void GceApi::Load(const json& saved) {
  std::lock_guard<std::mutex> lock(mu_);
  colls_.clear();
  ops_.clear();
  ops_by_scope_.clear();
  deletions_.clear();
  request_ids_.clear();
  next_ip_.clear();
  try {
    for (auto& [key, c] : saved.at("colls").items()) {
      size_t slash = key.rfind('/');
      auto& m = colls_[key];
      for (auto& [name, rj] : c.items()) {
        Resource r;
        r.body = rj.at("body");
        r.aux = rj.value("aux", json());
        r.created = rj.value("created", 0.0);
        r.staging_at = rj.value("staging_at", 0.0);
        r.ready_at = rj.value("ready_at", 0.0);
        r.delete_at = rj.value("delete_at", -1.0);
        if (r.delete_at >= 0) {
          deletions_.emplace(r.delete_at, std::vector<std::string>{key.substr(0, slash), key.substr(slash + 1), name});
        }
        m.emplace(name, std::move(r));
      }
    }
    for (auto& [name, oj] : saved.at("ops").items()) {
      Operation op;
      op.body = oj.at("body");
      op.scope = oj.at("scope");
      op.insert = oj.at("insert");
      op.start = oj.at("start");
      op.end = oj.at("end");
      op.error = oj.at("error");
      op.http_status = oj.value("http_status", 0);
      op.http_message = oj.value("http_message", "");
      ops_by_scope_[op.scope].push_back(name);
      ops_.emplace(name, std::move(op));
    }
    if (saved.contains("next_ip")) next_ip_ = saved["next_ip"].get<std::map<std::string, uint32_t>>();
  } catch (const json::exception&) {
    // A damaged snapshot leaves whatever loaded.
  }
  // Stored URLs carry the saving server's base URL: rewrite them to ours.
  // (Catalog images already use ours; the rewrite leaves them alone.)
  built_base_ = saved.value("base", built_base_);
  Rebase();
}

}  // namespace cloudsim::gce

namespace cloudsim {

std::unique_ptr<cloudsim::Api> MakeGceApi(cloudsim::SimContext* ctx) {
  return std::make_unique<gce::GceApi>(ctx, gce::Options::FromEnv());
}

}  // namespace cloudsim
