// GceApi: the OAuth2 token endpoint (JWT bearer grant), access tokens, the
// metadata server, the startup description (key file, environment) and the
// rewrite of stored URLs when the server's base URL changes.
#include <fstream>

#include "gce/gce_api.h"

namespace cloudsim::gce {

namespace {

std::string FormDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= body.size()) {
    size_t amp = body.find('&', start);
    std::string pair = body.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    size_t eq = pair.find('=');
    if (!pair.empty()) {
      out[FormDecode(pair.substr(0, eq))] = eq == std::string::npos ? "" : FormDecode(pair.substr(eq + 1));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

HttpResponse OAuthError(int status, const std::string& error, const std::string& description) {
  return HttpResponse::Json(status, {{"error", error}, {"error_description", description}})
      .SetHeader("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate");
}

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  if (from == to || from.empty()) return;
  size_t pos = 0;
  while ((pos = s->find(from, pos)) != std::string::npos) {
    s->replace(pos, from.size(), to);
    pos += to.size();
  }
}

}  // namespace

std::string GceApi::IssueToken() {
  std::string token = "ya29.c." + ctx_->RandomHex(32) + ctx_->RandomHex(32) + ctx_->RandomHex(32);
  tokens_[token] = ctx_->Now() + options_.token_lifetime;
  return token;
}

bool GceApi::TokenValid(const std::string& token) {
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return false;
  if (ctx_->Now() >= it->second) {
    tokens_.erase(it);
    return false;
  }
  return true;
}

std::string GceApi::TEST_IssueToken() {
  std::lock_guard<std::mutex> lock(mu_);
  return IssueToken();
}

HttpResponse GceApi::TokenEndpoint(const HttpRequest& req) {
  std::string type = req.Header("content-type");
  std::map<std::string, std::string> form;
  if (type.find("application/json") != std::string::npos) {
    json j = json::parse(req.body, nullptr, false);
    if (j.is_object()) {
      for (auto& [k, v] : j.items()) {
        if (v.is_string()) form[k] = v.get<std::string>();
      }
    }
  } else {
    form = ParseForm(req.body);
  }
  auto grant = form.find("grant_type");
  if (grant == form.end() || grant->second.empty()) {
    return OAuthError(400, "invalid_request", "Missing required parameter: grant_type");
  }
  if (grant->second != "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    return OAuthError(400, "unsupported_grant_type", "Invalid grant_type: " + grant->second);
  }
  auto assertion = form.find("assertion");
  if (assertion == form.end() || assertion->second.empty()) {
    return OAuthError(400, "invalid_request", "Missing required parameter: assertion");
  }
  std::string error, description;
  if (!account_->VerifyAssertion(assertion->second, ctx_->base_url + "/token", ctx_->Now(), &error, &description)) {
    return OAuthError(400, error, description);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string token = IssueToken();
  return HttpResponse::Json(200, {{"access_token", token}, {"expires_in", static_cast<int64_t>(options_.token_lifetime) - 1}, {"token_type", "Bearer"}})
      .SetHeader("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate");
}

HttpResponse GceApi::Metadata(const HttpRequest& req, const std::string& what) {
  if (req.Header("metadata-flavor") != "Google") {
    HttpResponse r;
    r.status = 403;
    r.body =
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 403 (Forbidden)!!1</title>\n"
        "  <p><b>403.</b> <ins>That\xe2\x80\x99s an error.</ins>\n  <p>Your client does not have permission to get URL "
        "<code>/computeMetadata/v1/" + what + "</code> from this server. Missing Metadata-Flavor:Google header. "
        "<ins>That\xe2\x80\x99s all we know.</ins>\n";
    r.headers.emplace_back("Content-Type", "text/html; charset=UTF-8");
    return r;
  }
  auto text = [](const std::string& body) {
    HttpResponse r;
    r.status = 200;
    r.body = body;
    r.headers.emplace_back("Content-Type", "application/text");
    r.headers.emplace_back("Metadata-Flavor", "Google");
    return r;
  };
  std::string path = what;
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path == "instance/service-accounts/default/token") {
    std::lock_guard<std::mutex> lock(mu_);
    std::string token = IssueToken();
    HttpResponse r = HttpResponse::Json(200, {{"access_token", token}, {"expires_in", static_cast<int64_t>(options_.token_lifetime) - 1}, {"token_type", "Bearer"}});
    r.SetHeader("Metadata-Flavor", "Google");
    return r;
  }
  if (path == "project/project-id") return text(options_.project);
  if (path == "project/numeric-project-id") return text(account_->KeyFile("")["client_id"].get<std::string>().substr(0, 12));
  if (path == "instance/service-accounts/default/email") return text(account_->email());
  if (path == "instance/zone") return text("projects/" + account_->KeyFile("")["client_id"].get<std::string>().substr(0, 12) + "/zones/us-central1-a");
  HttpResponse r;
  r.status = 404;
  r.body = "<!DOCTYPE html>\n<html lang=en>\n  <title>Error 404 (Not Found)!!1</title>\n";
  r.headers.emplace_back("Content-Type", "text/html; charset=UTF-8");
  r.headers.emplace_back("Metadata-Flavor", "Google");
  return r;
}

void GceApi::Describe(json* top, json* env) {
  std::string token_uri = ctx_->base_url + "/token";
  std::string path = ctx_->data_dir + "/gce-service-account.json";
  {
    std::ofstream out(path, std::ios::trunc);
    out << account_->KeyFile(token_uri).dump(2) << "\n";
  }
  std::string host = ctx_->base_url;
  size_t scheme = host.find("://");
  if (scheme != std::string::npos) host = host.substr(scheme + 3);
  (*top)["gce"] = ctx_->base_url + "/compute/v1";
  (*env)["GOOGLE_APPLICATION_CREDENTIALS"] = path;
  (*env)["GOOGLE_COMPUTE_CUSTOM_ENDPOINT"] = ctx_->base_url + "/compute/v1/";
  (*env)["GOOGLE_CLOUD_PROJECT"] = options_.project;
  (*env)["CLOUDSDK_CORE_PROJECT"] = options_.project;
  (*env)["GCE_METADATA_HOST"] = host;
  std::lock_guard<std::mutex> lock(mu_);
  Rebase();
}

void GceApi::Rebase() {
  if (built_base_ == ctx_->base_url) return;
  const std::string from = "\"" + built_base_ + "/compute/v1/";
  const std::string to = "\"" + ctx_->base_url + "/compute/v1/";
  auto fix = [&](json& j) {
    if (j.is_null()) return;
    std::string s = j.dump();
    ReplaceAll(&s, from, to);
    j = json::parse(s);
  };
  for (auto& [key, coll] : colls_) {
    for (auto& [name, r] : coll) {
      fix(r.body);
      fix(r.aux);
    }
  }
  for (auto& [project, imgs] : images_) {
    for (auto& [name, r] : imgs) fix(r.body);
  }
  for (auto& [name, op] : ops_) fix(op.body);
  built_base_ = ctx_->base_url;
}

}  // namespace cloudsim::gce
