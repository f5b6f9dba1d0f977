#include "providers/openstack/keystone.h"

#include <string_view>
#include <ctime>

#include "http/redact.h"
#include "providers/common/json_read.h"

namespace orch::providers::openstack {

using common::StringField;
using nlohmann::json;

Keystone::Keystone(http::HttpClient* http, env::Clock* clock, CloudConfig config)
    : http_(http), clock_(clock), config_(std::move(config)) {
  http::RegisterSecret(config_.password);
  http::RegisterSecret(config_.application_credential_secret);
}

std::string Keystone::IdentityV3(const std::string& auth_url) {
  std::string u = auth_url;
  while (!u.empty() && u.back() == '/') u.pop_back();
  if (u.size() >= 3 && u.substr(u.size() - 3) == "/v3") return u;
  return u + "/v3";
}

json Keystone::AuthBody(const CloudConfig& c) {
  json identity;
  if (c.UsesApplicationCredential()) {
    json cred = {{"secret", c.application_credential_secret}};
    if (!c.application_credential_id.empty()) {
      cred["id"] = c.application_credential_id;
    } else {
      cred["name"] = c.application_credential_name;
      json user = c.user_id.empty() ? json{{"name", c.username}} : json{{"id", c.user_id}};
      if (c.user_id.empty())
        user["domain"] = c.user_domain_id.empty() ? json{{"name", c.user_domain_name}} : json{{"id", c.user_domain_id}};
      cred["user"] = user;
    }
    identity = {{"methods", {"application_credential"}}, {"application_credential", cred}};
    return {{"auth", {{"identity", identity}}}};  // an application credential carries its scope
  }
  json user = {{"password", c.password}};
  if (!c.user_id.empty()) {
    user["id"] = c.user_id;
  } else {
    user["name"] = c.username;
    user["domain"] = c.user_domain_id.empty() ? json{{"name", c.user_domain_name}} : json{{"id", c.user_domain_id}};
  }
  identity = {{"methods", {"password"}}, {"password", {{"user", user}}}};
  json auth = {{"identity", identity}};
  if (!c.project_id.empty()) {
    auth["scope"] = {{"project", {{"id", c.project_id}}}};
  } else if (!c.project_name.empty()) {
    json domain = c.project_domain_id.empty() ? json{{"name", c.project_domain_name}} : json{{"id", c.project_domain_id}};
    auth["scope"] = {{"project", {{"name", c.project_name}, {"domain", domain}}}};
  }
  return {{"auth", auth}};
}

// Reads 1..`max_digits` decimal digits from the front of `s` (at most 9, so
// the value fits an int); false when there are none.
static bool TakeNumber(std::string_view* s, size_t max_digits, int* out) {
  size_t n = 0;
  int v = 0;
  while (n < s->size() && n < max_digits && (*s)[n] >= '0' && (*s)[n] <= '9') v = v * 10 + ((*s)[n++] - '0');
  if (n == 0) return false;
  *out = v;
  s->remove_prefix(n);
  return true;
}

static bool TakeChar(std::string_view* s, char c) {
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

int64_t ParseIsoTime(const std::string& text) {
  std::string_view s = text;
  int y, mo, d, h, mi, sec;
  if (!TakeNumber(&s, 4, &y) || !TakeChar(&s, '-') || !TakeNumber(&s, 2, &mo) || !TakeChar(&s, '-') ||
      !TakeNumber(&s, 2, &d) || !TakeChar(&s, 'T') || !TakeNumber(&s, 2, &h) || !TakeChar(&s, ':') ||
      !TakeNumber(&s, 2, &mi) || !TakeChar(&s, ':') || !TakeNumber(&s, 2, &sec))
    return -1;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm));
}

Status Keystone::AuthenticateLocked() {
  env::HttpRequest req;
  req.method = "POST";
  req.url = IdentityV3(config_.auth_url) + "/auth/tokens";
  req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  req.body = AuthBody(config_).dump();
  http::SendOptions opts;
  opts.idempotent = true;  // a second token is harmless
  Result<env::HttpResponse> r = http_->Send(req, opts);
  if (!r.ok()) return r.status().WithPrefix("authenticating at " + req.url);
  if (r->status != 201 && r->status != 200) {
    std::string msg;
    json b = json::parse(r->body, nullptr, false);
    if (b.is_object() && b.contains("error") && b["error"].is_object()) msg = StringField(b["error"], "message");
    if (msg.empty()) msg = r->body;
    std::string detail = "Keystone refused the credentials from " + config_.source + " (HTTP " +
                         std::to_string(r->status) + " from " + req.url + "): " + common::ClipMessage(http::Redact(msg));
    if (r->status == 401 || r->status == 403) return Status::Unauthenticated(detail);
    return http::ErrorFromResponse(req, *r).WithPrefix("authenticating");
  }
  std::string token = r->Header("X-Subject-Token");
  if (token.empty()) return Status::Internal("Keystone answered without X-Subject-Token (POST " + req.url + ")");
  json body = json::parse(r->body, nullptr, false);
  // The token's fields are checked before any is used: a catalog of the
  // wrong shape must not surface as a JSON exception, or as no endpoints.
  auto bad = [&](const std::string& what) {
    return Status::Internal("Keystone's token answer (POST " + req.url + ") " + what);
  };
  if (body.is_discarded()) return bad("is not JSON");
  if (!body.is_object() || !body.contains("token") || !body["token"].is_object()) return bad("has no 'token' object");
  const json& t = body["token"];
  if (t.contains("expires_at") && !t["expires_at"].is_string()) return bad("has an 'expires_at' that is not a string");
  if (!t.contains("catalog") || !t["catalog"].is_array()) return bad("has no 'catalog' array");
  for (const json& svc : t["catalog"]) {
    if (!svc.is_object() || !svc.contains("type") || !svc["type"].is_string() || !svc.contains("endpoints") ||
        !svc["endpoints"].is_array())
      return bad("has a catalog entry that is not {type: string, endpoints: array}");
    for (const json& e : svc["endpoints"]) {
      bool ok = e.is_object() && e.contains("url") && e["url"].is_string();
      for (const char* k : {"interface", "region_id", "region"})
        ok = ok && (!e.contains(k) || e[k].is_string() || e[k].is_null());
      if (!ok) return bad("has a '" + svc["type"].get<std::string>() + "' endpoint without a string url");
    }
  }
  if (t.contains("project") && !t["project"].is_object()) return bad("has a 'project' that is not an object");
  http::RegisterSecret(token);
  token_ = token;
  int64_t exp = ParseIsoTime(t.value("expires_at", ""));
  int64_t now = clock_->NowMicros() / 1000000;
  if (exp < 0) exp = now + 3600;
  expires_micros_ = exp * 1000000;
  catalog_ = t["catalog"];
  project_id_ = t.contains("project") ? StringField(t["project"], "id") : "";
  ++authentications_;
  return Status::OK();
}

Result<std::string> Keystone::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_->NowMicros();
  if (token_.empty() || now + kTokenGraceSeconds * 1000000 >= expires_micros_) {
    token_.clear();
    ORCH_RETURN_IF_ERROR(AuthenticateLocked());
  }
  return token_;
}

void Keystone::Invalidate(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  if (token_ == token) token_.clear();
}

Result<std::string> Keystone::Endpoint(const std::string& service_type) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (token_.empty()) ORCH_RETURN_IF_ERROR(AuthenticateLocked());
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> types = {service_type};
  if (service_type == "volumev3") types = {"volumev3", "block-storage", "volume"};
  std::string offered;
  for (const std::string& type : types) {
    for (const json& svc : catalog_) {
      if (StringField(svc, "type") != type) continue;
      for (const json& e : svc["endpoints"]) {
        std::string iface = StringField(e, "interface");
        std::string region = StringField(e, "region_id");
        if (region.empty()) region = StringField(e, "region");
        offered += (offered.empty() ? "" : ", ") + iface + "@" + region;
        if (iface != config_.interface) continue;
        if (!config_.region.empty() && region != config_.region && StringField(e, "region") != config_.region) continue;
        std::string url = StringField(e, "url");
        while (!url.empty() && url.back() == '/') url.pop_back();
        return url;
      }
    }
  }
  return Status::NotFound("the service catalog has no " + service_type + " endpoint for interface '" +
                          config_.interface + "'" + (config_.region.empty() ? "" : " in region '" + config_.region + "'") +
                          (offered.empty() ? std::string(" (no such service)") : " (it offers " + offered + ")"));
}

std::string Keystone::project_id() {
  std::lock_guard<std::mutex> lock(mu_);
  return project_id_;
}

int Keystone::authentications() const {
  std::lock_guard<std::mutex> lock(mu_);
  return authentications_;
}

Status KeystoneAuthenticator::Authenticate(env::HttpRequest* request) {
  Result<std::string> t = keystone_->Token();
  if (!t.ok()) return t.status();
  request->headers.emplace_back("X-Auth-Token", *t);
  std::string mv = microversion();
  if (!mv.empty()) {
    request->headers.emplace_back("OpenStack-API-Version", service_ + " " + mv);
    if (service_ == "compute") request->headers.emplace_back("X-OpenStack-Nova-API-Version", mv);
  }
  return Status::OK();
}

void KeystoneAuthenticator::SetMicroversion(const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  microversion_ = version;
}

std::string KeystoneAuthenticator::microversion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return microversion_;
}

std::optional<std::string> OpenStackPager::NextUrl(const std::string& url, const json& body) const {
  if (!body.is_object()) return std::nullopt;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    if (k.size() > 6 && k.substr(k.size() - 6) == "_links" && it->is_array()) {
      for (const json& l : *it)
        if (StringField(l, "rel") == "next" && l.contains("href") && l["href"].is_string()) {
          std::string next = l["href"];
          if (next.empty() || next == url) return std::nullopt;
          return next;
        }
    }
  }
  if (body.contains("next") && body["next"].is_string()) {  // Glance
    std::string next = body["next"];
    if (!next.empty() && next != url) return next;
  }
  return std::nullopt;
}

std::pair<int, int> ParseVersion(const std::string& v) {
  int a = -1, b = -1;
  std::string s = v;
  if (!s.empty() && s[0] == 'v') s = s.substr(1);
  std::string_view rest = s;
  if (!TakeNumber(&rest, 6, &a) || !TakeChar(&rest, '.') || !TakeNumber(&rest, 6, &b) || !rest.empty())
    return {-1, -1};
  return {a, b};
}

std::string PickMicroversion(const std::string& ours_min, const std::string& ours_max, const std::string& server_min,
                             const std::string& server_max) {
  auto omin = ParseVersion(ours_min), omax = ParseVersion(ours_max);
  auto smin = ParseVersion(server_min), smax = ParseVersion(server_max);
  if (smax.first < 0) return "";  // the service does not do microversions
  if (smin.first < 0) smin = smax;
  auto lo = std::max(omin, smin), hi = std::min(omax, smax);
  if (lo > hi) return "";
  return std::to_string(hi.first) + "." + std::to_string(hi.second);
}

}  // namespace orch::providers::openstack
