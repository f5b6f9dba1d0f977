#include "openstack/test/test_util.h"

namespace cloudsim::openstack::testing {

Harness::Harness() : ctx_(1.0, 7, &clock_) {
  ctx_.base_url = "http://127.0.0.1:8774";
  api_ = MakeOpenStackApi(&ctx_);
  api_->RegisterRoutes(router_);
}

Reply Harness::CallRaw(const std::string& method, const std::string& target, const std::string& body,
                       std::map<std::string, std::string> headers) {
  HttpRequest req;
  req.method = method;
  req.target = target;
  size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string qs = target.substr(q + 1);
    size_t pos = 0;
    while (pos <= qs.size()) {
      size_t amp = qs.find('&', pos);
      std::string kv = qs.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      if (!kv.empty()) {
        size_t eq = kv.find('=');
        req.query.emplace(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
      }
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
  }
  if (!token.empty() && !headers.count("x-auth-token")) headers["x-auth-token"] = token;
  if (req.path.rfind("/compute/", 0) == 0 && !nova_version.empty() && !headers.count("openstack-api-version"))
    headers["openstack-api-version"] = "compute " + nova_version;
  for (auto& [k, v] : headers) {
    std::string lower = k;
    for (auto& ch : lower) ch = static_cast<char>(tolower(ch));
    req.headers[lower] = v;
  }
  req.body = body;
  Reply out;
  Router::Match match = router_.Find(method, req.path);
  if (!match.handler) {
    out.status = match.method_mismatch ? 405 : 404;
    return out;
  }
  HttpResponse r = (*match.handler)(req, match.params);
  out.status = r.status;
  out.raw = r.body;
  for (const auto& [k, v] : r.headers) {
    std::string lower = k;
    for (auto& ch : lower) ch = static_cast<char>(tolower(ch));
    out.headers[lower] = v;
  }
  out.body = r.body.empty() ? json() : json::parse(r.body, nullptr, false);
  return out;
}

Reply Harness::Call(const std::string& method, const std::string& target, const json& body,
                    std::map<std::string, std::string> headers) {
  return CallRaw(method, target, body.is_null() ? "" : body.dump(), std::move(headers));
}

std::string Harness::Login(const std::string& user, const std::string& password, const std::string& project) {
  json body = {{"auth",
                {{"identity",
                  {{"methods", {"password"}},
                   {"password", {{"user", {{"name", user}, {"domain", {{"name", "Default"}}}, {"password", password}}}}}}},
                 {"scope", {{"project", {{"name", project}, {"domain", {{"name", "Default"}}}}}}}}}};
  Reply r = Call("POST", "/identity/v3/auth/tokens", body, {{"x-auth-token", ""}});
  if (r.status != 201) return "";
  token = r.headers["x-subject-token"];
  project_id_ = r.body["token"]["project"]["id"];
  return token;
}

json Harness::Env() {
  json top = json::object(), env = json::object();
  api_->Describe(&top, &env);
  env["_top"] = top;
  return env;
}

std::pair<std::string, std::string> Harness::MakeNetwork(const std::string& name, const std::string& cidr) {
  Reply n = Call("POST", "/network/v2.0/networks", {{"network", {{"name", name}}}});
  std::string nid = n.body["network"]["id"];
  Reply s = Call("POST", "/network/v2.0/subnets",
                 {{"subnet", {{"network_id", nid}, {"ip_version", 4}, {"cidr", cidr}, {"name", name + "-sub"}}}});
  return {nid, s.body["subnet"]["id"]};
}

std::string Harness::ImageId(const std::string& name) {
  Reply r = Call("GET", "/image/v2/images?name=" + name);
  return r.body["images"].empty() ? "" : r.body["images"][0]["id"].get<std::string>();
}

}  // namespace cloudsim::openstack::testing
