// Keystone v3: version documents, token issue (password and application
// credential methods), validation, revocation, catalog, projects, users and
// application credentials.
#include <cstdio>

#include "openstack/model.h"

namespace cloudsim::openstack {
namespace {

const char* kAuthFailed = "The request you have made requires authentication.";

std::string StableHex(const std::string& seed) {
  // FNV-1a, widened to 32 hex digits: stable ids for catalog entries.
  uint64_t h1 = 1469598103934665603ull, h2 = 1099511628211ull * 7;
  for (char c : seed) {
    h1 = (h1 ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h2 = (h2 ^ static_cast<unsigned char>(c)) * 1469598103934665603ull + 0x9e3779b97f4a7c15ull;
  }
  char buf[40];
  snprintf(buf, sizeof(buf), "%016llx%016llx", static_cast<unsigned long long>(h1),
           static_cast<unsigned long long>(h2));
  return buf;
}

json VersionV3(Model* m) {
  return {{"id", "v3.14"},
          {"status", "stable"},
          {"updated", "2020-04-07T00:00:00Z"},
          {"links", {{{"rel", "self"}, {"href", m->Base(kIdentityPrefix) + "/v3/"}}}},
          {"media-types", {{{"base", "application/json"}, {"type", "application/vnd.openstack.identity-v3+json"}}}}};
}

json DomainRef(Model* m, const std::string& id) {
  auto it = m->domains.find(id);
  return {{"id", id}, {"name", it == m->domains.end() ? id : it->second.value("name", id)}};
}

json ProjectView(Model* m, const json& p) {
  json out = Public(p);
  out["links"] = {{"self", m->Base(kIdentityPrefix) + "/v3/projects/" + p.value("id", "")}};
  return out;
}

json UserView(Model* m, const json& u) {
  json out = Public(u);
  out["links"] = {{"self", m->Base(kIdentityPrefix) + "/v3/users/" + u.value("id", "")}};
  return out;
}

// Role names the user holds on the project ([] when none).
json RolesOn(Model* m, const json& user, const std::string& project_id) {
  json out = json::array();
  json grants = user.value("_roles", json::object());
  if (!grants.contains(project_id)) return out;
  for (const auto& rid : grants[project_id]) {
    auto it = m->roles.find(rid.get<std::string>());
    if (it != m->roles.end()) out.push_back({{"id", it->first}, {"name", it->second["name"]}});
  }
  return out;
}

const json* FindUser(Model* m, const json& ref) {
  if (!ref.is_object()) return nullptr;
  if (ref.contains("id")) {
    auto it = m->users.find(ref.value("id", ""));
    return it == m->users.end() ? nullptr : &it->second;
  }
  std::string name = ref.value("name", "");
  json dom = ref.value("domain", json::object());
  for (const auto& [id, u] : m->users) {
    if (u["name"] != name) continue;
    std::string did = u.value("domain_id", "");
    if (dom.value("id", "") == did || (!dom.contains("id") && dom.value("name", "") == DomainRef(m, did)["name"]))
      return &u;
  }
  return nullptr;
}

const json* FindProject(Model* m, const json& ref) {
  if (!ref.is_object()) return nullptr;
  if (ref.contains("id")) {
    auto it = m->projects.find(ref.value("id", ""));
    return it == m->projects.end() ? nullptr : &it->second;
  }
  std::string name = ref.value("name", "");
  json dom = ref.value("domain", json::object());
  for (const auto& [id, p] : m->projects) {
    if (p["name"] != name) continue;
    std::string did = p.value("domain_id", "");
    if (dom.value("id", "") == did || (!dom.contains("id") && dom.value("name", "") == DomainRef(m, did)["name"]))
      return &p;
  }
  return nullptr;
}

json TokenBody(Model* m, const json& t) {
  const json& user = m->users[t.value("user_id", "")];
  json body = {{"methods", t["methods"]},
               {"user",
                {{"domain", DomainRef(m, user.value("domain_id", "default"))},
                 {"id", user.value("id", "")},
                 {"name", user.value("name", "")},
                 {"password_expires_at", nullptr}}},
               {"audit_ids", t["audit_ids"]},
               {"expires_at", IsoMicroZ(t.value("_expires", 0.0))},
               {"issued_at", IsoMicroZ(t.value("_issued", 0.0))}};
  std::string pid = t.value("project_id", "");
  if (!pid.empty()) {
    const json& p = m->projects[pid];
    body["project"] = {{"domain", DomainRef(m, p.value("domain_id", "default"))}, {"id", pid}, {"name", p["name"]}};
    body["is_domain"] = false;
    json roles = json::array();
    for (const auto& r : t["_role_ids"]) {
      auto it = m->roles.find(r.get<std::string>());
      if (it != m->roles.end()) roles.push_back({{"id", it->first}, {"name", it->second["name"]}});
    }
    body["roles"] = roles;
    body["catalog"] = Catalog(m, pid);
  }
  if (t.contains("_app_cred")) body["application_credential"] = t["_app_cred"];
  return body;
}

HttpResponse IssueToken(Model* m, const HttpRequest& req) {
  json body;
  if (!ParseBody(req, &body) || !body.contains("auth") || !body["auth"].is_object())
    return KeystoneError(400, "Invalid input for field 'auth': 'auth' is a required property");
  const json& auth = body["auth"];
  json identity = auth.value("identity", json());
  if (!identity.is_object() || !identity.contains("methods") || !identity["methods"].is_array())
    return KeystoneError(400, "Invalid input for field 'identity': 'methods' is a required property");
  json methods = identity["methods"];
  const json* user = nullptr;
  std::string project_id;
  json role_ids = json::array();
  json app_cred_ref;
  if (methods.size() == 1 && methods[0] == "password") {
    json pw = identity.value("password", json::object());
    user = FindUser(m, pw.value("user", json()));
    if (!user || !pw["user"].contains("password") || pw["user"]["password"] != (*user)["_password"])
      return KeystoneError(401, kAuthFailed);
    if (!user->value("enabled", true)) return KeystoneError(401, kAuthFailed);
    if (auth.contains("scope") && auth["scope"].is_object()) {
      const json& scope = auth["scope"];
      if (!scope.contains("project")) return KeystoneError(401, kAuthFailed);
      const json* p = FindProject(m, scope["project"]);
      if (!p) return KeystoneError(401, kAuthFailed);
      project_id = (*p)["id"];
      json grants = user->value("_roles", json::object());
      if (!grants.contains(project_id) || grants[project_id].empty()) return KeystoneError(401, kAuthFailed);
      role_ids = grants[project_id];
    }
  } else if (methods.size() == 1 && methods[0] == "application_credential") {
    json ac = identity.value("application_credential", json::object());
    const json* cred = nullptr;
    if (ac.contains("id")) {
      auto it = m->app_creds.find(ac.value("id", ""));
      if (it != m->app_creds.end()) cred = &it->second;
    } else if (ac.contains("name")) {
      const json* owner = FindUser(m, ac.value("user", json()));
      for (const auto& [id, c] : m->app_creds)
        if (owner && c["name"] == ac["name"] && c["_user_id"] == (*owner)["id"]) cred = &c;
    }
    if (!cred || ac.value("secret", "") != (*cred)["_secret"]) return KeystoneError(401, kAuthFailed);
    if (auth.contains("scope")) return KeystoneError(401, "Application credentials cannot request a scope.");
    if ((*cred)["expires_at"].is_string()) {
      // Expiry of application credentials is not modelled beyond "null".
    }
    user = &m->users[(*cred)["_user_id"].get<std::string>()];
    project_id = (*cred)["project_id"];
    for (const auto& r : (*cred)["roles"]) role_ids.push_back(r["id"]);
    app_cred_ref = {{"id", (*cred)["id"]}, {"name", (*cred)["name"]}, {"restricted", !(*cred)["unrestricted"].get<bool>()}};
  } else {
    return KeystoneError(401, kAuthFailed);
  }
  std::string token = "gAAAAAB" + m->ctx->RandomHex(64);
  double now = m->Now();
  json roles = json::array();
  for (const auto& r : role_ids) roles.push_back(m->roles[r.get<std::string>()]["name"]);
  std::string audit = m->ctx->RandomHex(22);
  json t = {{"user_id", (*user)["id"]}, {"project_id", project_id}, {"roles", roles},
            {"_role_ids", role_ids},    {"methods", methods},       {"audit_ids", {audit}},
            {"_issued", now},           {"_expires", now + m->token_lifetime}};
  if (!app_cred_ref.is_null()) t["_app_cred"] = app_cred_ref;
  m->tokens[token] = t;
  HttpResponse r = HttpResponse::Json(201, {{"token", TokenBody(m, t)}});
  r.SetHeader("X-Subject-Token", token);
  return r;
}

const json* SubjectToken(Model* m, const HttpRequest& req) {
  auto it = m->tokens.find(req.Header("x-subject-token"));
  if (it == m->tokens.end() || it->second.value("_expires", 0.0) <= m->Now()) return nullptr;
  return &it->second;
}

json AppCredView(Model* m, const json& c) {
  json out = Public(c);
  out["links"] = {{"self", m->Base(kIdentityPrefix) + "/v3/users/" + c.value("_user_id", "") +
                               "/application_credentials/" + c.value("id", "")}};
  return out;
}

}  // namespace

json Catalog(Model* m, const std::string& project_id) {
  struct Svc {
    const char* type;
    const char* name;
    std::string url;
  };
  std::vector<Svc> svcs = {
      {"identity", "keystone", m->Base(kIdentityPrefix) + "/v3/"},
      {"compute", "nova", m->Base(kComputePrefix) + "/v2.1"},
      {"network", "neutron", m->Base(kNetworkPrefix)},
      {"image", "glance", m->Base(kImagePrefix)},
      {"volumev3", "cinder", m->Base(kVolumePrefix) + "/v3/" + project_id},
      {"load-balancer", "octavia", m->Base(kLoadBalancerPrefix)},
  };
  json out = json::array();
  for (const auto& s : svcs) {
    json eps = json::array();
    for (const char* iface : {"public", "internal", "admin"}) {
      eps.push_back({{"id", StableHex(std::string(s.type) + "/" + iface)},
                     {"interface", iface},
                     {"region_id", kRegion},
                     {"url", s.url},
                     {"region", kRegion}});
    }
    out.push_back({{"endpoints", eps}, {"id", StableHex(s.type)}, {"type", s.type}, {"name", s.name}});
  }
  return out;
}

void SeedKeystone(Model* m) {
  if (m->admin_project_id.empty()) {
    m->admin_project_id = m->Hex32();
    m->demo_project_id = m->Hex32();
    m->admin_user_id = m->Hex32();
    m->demo_user_id = m->Hex32();
    m->app_cred_id = m->Hex32();
    m->app_cred_secret = m->ctx->RandomHex(40);
  }
  m->domains["default"] = {{"id", "default"}, {"name", "Default"}, {"description", "The default domain"},
                           {"enabled", true}, {"tags", json::array()}, {"options", json::object()}};
  std::map<std::string, std::string> role_ids;
  for (const char* r : {"admin", "member", "reader"}) {
    std::string id = StableHex(std::string("role/") + r);
    role_ids[r] = id;
    m->roles[id] = {{"id", id}, {"name", r}, {"domain_id", nullptr}, {"description", nullptr}, {"options", json::object()}};
  }
  for (auto [id, name] : {std::pair{m->admin_project_id, "admin"}, std::pair{m->demo_project_id, "demo"}}) {
    m->projects[id] = {{"id", id},          {"name", name},         {"domain_id", "default"},
                       {"description", ""}, {"enabled", true},      {"is_domain", false},
                       {"parent_id", "default"}, {"tags", json::array()}, {"options", json::object()}};
  }
  m->users[m->admin_user_id] = {
      {"id", m->admin_user_id}, {"name", "admin"}, {"domain_id", "default"}, {"enabled", true},
      {"password_expires_at", nullptr}, {"options", json::object()}, {"_password", Model::kAdminPassword},
      {"_roles", {{m->admin_project_id, {role_ids["reader"], role_ids["admin"], role_ids["member"]}}}}};
  m->users[m->demo_user_id] = {
      {"id", m->demo_user_id}, {"name", "demo"}, {"domain_id", "default"}, {"enabled", true},
      {"password_expires_at", nullptr}, {"options", json::object()}, {"_password", Model::kDemoPassword},
      {"_roles", {{m->demo_project_id, {role_ids["reader"], role_ids["member"]}}}}};
  m->app_creds[m->app_cred_id] = {
      {"id", m->app_cred_id},
      {"name", "cloudsim"},
      {"description", "Pre-created by cloudsim"},
      {"project_id", m->admin_project_id},
      {"expires_at", nullptr},
      {"unrestricted", false},
      {"access_rules", json::array()},
      {"roles",
       {{{"id", role_ids["reader"]}, {"name", "reader"}, {"domain_id", nullptr}},
        {{"id", role_ids["admin"]}, {"name", "admin"}, {"domain_id", nullptr}},
        {{"id", role_ids["member"]}, {"name", "member"}, {"domain_id", nullptr}}}},
      {"_user_id", m->admin_user_id},
      {"_secret", m->app_cred_secret}};
}

void RegisterKeystone(Router& router, Model* m) {
  const std::string v3 = std::string(kIdentityPrefix) + "/v3";
  const Service S = Service::kIdentity;
  m->Route(router, S, "GET", kIdentityPrefix, false, [m](const HttpRequest&, const PathParams&, const Caller&) {
    HttpResponse r = HttpResponse::Json(300, {{"versions", {{"values", {VersionV3(m)}}}}});
    r.SetHeader("Location", m->Base(kIdentityPrefix) + "/v3/");
    return r;
  });
  m->Route(router, S, "GET", v3, false, [m](const HttpRequest&, const PathParams&, const Caller&) {
    return HttpResponse::Json(200, {{"version", VersionV3(m)}});
  });
  m->Route(router, S, "POST", v3 + "/auth/tokens", false,
           [m](const HttpRequest& req, const PathParams&, const Caller&) { return IssueToken(m, req); });
  m->Route(router, S, "GET", v3 + "/auth/tokens", true, [m](const HttpRequest& req, const PathParams&, const Caller&) {
    const json* t = SubjectToken(m, req);
    if (!t) return KeystoneError(404, "Could not find token: " + req.Header("x-subject-token") + ".");
    HttpResponse r = HttpResponse::Json(200, {{"token", TokenBody(m, *t)}});
    r.SetHeader("X-Subject-Token", req.Header("x-subject-token"));
    return r;
  });
  m->Route(router, S, "HEAD", v3 + "/auth/tokens", true, [m](const HttpRequest& req, const PathParams&, const Caller&) {
    if (!SubjectToken(m, req)) return KeystoneError(404, "Could not find token: " + req.Header("x-subject-token") + ".");
    HttpResponse r = HttpResponse::Empty(200);
    r.SetHeader("X-Subject-Token", req.Header("x-subject-token"));
    return r;
  });
  m->Route(router, S, "DELETE", v3 + "/auth/tokens", true,
           [m](const HttpRequest& req, const PathParams&, const Caller&) {
             if (!SubjectToken(m, req))
               return KeystoneError(404, "Could not find token: " + req.Header("x-subject-token") + ".");
             m->tokens.erase(req.Header("x-subject-token"));
             return HttpResponse::Empty(204);
           });
  m->Route(router, S, "GET", v3 + "/auth/catalog", true, [m](const HttpRequest&, const PathParams&, const Caller& c) {
    if (c.project_id.empty()) return KeystoneError(403, "A project-scoped token is required to produce a service catalog.");
    return HttpResponse::Json(200, {{"catalog", Catalog(m, c.project_id)},
                                    {"links", {{"self", m->Base(kIdentityPrefix) + "/v3/auth/catalog"}}}});
  });
  m->Route(router, S, "GET", v3 + "/auth/projects", true, [m](const HttpRequest&, const PathParams&, const Caller& c) {
    json out = json::array();
    const json& user = m->users[c.user_id];
    for (const auto& [pid, p] : m->projects)
      if (!RolesOn(m, user, pid).empty()) out.push_back(ProjectView(m, p));
    return HttpResponse::Json(200, {{"projects", out},
                                    {"links", {{"self", m->Base(kIdentityPrefix) + "/v3/auth/projects"},
                                               {"previous", nullptr}, {"next", nullptr}}}});
  });
  m->Route(router, S, "GET", v3 + "/projects", true, [m](const HttpRequest& req, const PathParams&, const Caller&) {
    json out = json::array();
    for (const auto& [pid, p] : m->projects)
      if (!req.HasQuery("name") || p["name"] == req.Query("name")) out.push_back(ProjectView(m, p));
    return HttpResponse::Json(200, {{"projects", out},
                                    {"links", {{"self", m->Base(kIdentityPrefix) + "/v3/projects"},
                                               {"previous", nullptr}, {"next", nullptr}}}});
  });
  m->Route(router, S, "GET", v3 + "/projects/{id}", true, [m](const HttpRequest&, const PathParams& p, const Caller&) {
    auto it = m->projects.find(p.at("id"));
    if (it == m->projects.end()) return KeystoneError(404, "Could not find project: " + p.at("id") + ".");
    return HttpResponse::Json(200, {{"project", ProjectView(m, it->second)}});
  });
  m->Route(router, S, "GET", v3 + "/users/{id}", true, [m](const HttpRequest&, const PathParams& p, const Caller&) {
    auto it = m->users.find(p.at("id"));
    if (it == m->users.end()) return KeystoneError(404, "Could not find user: " + p.at("id") + ".");
    return HttpResponse::Json(200, {{"user", UserView(m, it->second)}});
  });
  m->Route(router, S, "GET", v3 + "/users/{uid}/application_credentials", true,
           [m](const HttpRequest&, const PathParams& p, const Caller&) {
             json out = json::array();
             for (const auto& [id, c] : m->app_creds)
               if (c["_user_id"] == p.at("uid")) out.push_back(AppCredView(m, c));
             return HttpResponse::Json(200, {{"application_credentials", out},
                                             {"links", {{"self", m->Base(kIdentityPrefix) + "/v3/users/" + p.at("uid") +
                                                                     "/application_credentials"},
                                                        {"previous", nullptr}, {"next", nullptr}}}});
           });
  m->Route(router, S, "GET", v3 + "/users/{uid}/application_credentials/{id}", true,
           [m](const HttpRequest&, const PathParams& p, const Caller&) {
             auto it = m->app_creds.find(p.at("id"));
             if (it == m->app_creds.end() || it->second["_user_id"] != p.at("uid"))
               return KeystoneError(404, "Could not find application credential: " + p.at("id") + ".");
             return HttpResponse::Json(200, {{"application_credential", AppCredView(m, it->second)}});
           });
  m->Route(router, S, "POST", v3 + "/users/{uid}/application_credentials", true,
           [m](const HttpRequest& req, const PathParams& p, const Caller& c) {
             if (p.at("uid") != c.user_id)
               return KeystoneError(403, "You are not authorized to perform the requested action: "
                                         "identity:create_application_credential.");
             json body;
             if (!ParseBody(req, &body) || !body.contains("application_credential") ||
                 !body["application_credential"].value("name", json()).is_string())
               return KeystoneError(400, "Invalid input for field 'application_credential': 'name' is a required "
                                         "property");
             const json& in = body["application_credential"];
             for (const auto& [id, ac] : m->app_creds)
               if (ac["_user_id"] == c.user_id && ac["name"] == in["name"])
                 return KeystoneError(409, "Conflict occurred attempting to store application_credential - "
                                           "Duplicate entry.");
             std::string id = m->Hex32();
             std::string secret = in.value("secret", m->ctx->RandomHex(40));
             json roles = json::array();
             for (const auto& rid : m->tokens[c.token]["_role_ids"])
               roles.push_back({{"id", rid}, {"name", m->roles[rid.get<std::string>()]["name"]}, {"domain_id", nullptr}});
             json ac = {{"id", id},
                        {"name", in["name"]},
                        {"description", in.value("description", json())},
                        {"project_id", c.project_id},
                        {"expires_at", in.value("expires_at", json())},
                        {"unrestricted", in.value("unrestricted", false)},
                        {"access_rules", json::array()},
                        {"roles", roles},
                        {"_user_id", c.user_id},
                        {"_secret", secret}};
             m->app_creds[id] = ac;
             json view = AppCredView(m, ac);
             view["secret"] = secret;
             return HttpResponse::Json(201, {{"application_credential", view}});
           });
  m->Route(router, S, "DELETE", v3 + "/users/{uid}/application_credentials/{id}", true,
           [m](const HttpRequest&, const PathParams& p, const Caller&) {
             auto it = m->app_creds.find(p.at("id"));
             if (it == m->app_creds.end() || it->second["_user_id"] != p.at("uid"))
               return KeystoneError(404, "Could not find application credential: " + p.at("id") + ".");
             m->app_creds.erase(it);
             return HttpResponse::Empty(204);
           });
}

}  // namespace cloudsim::openstack
