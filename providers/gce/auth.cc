#include "providers/gce/auth.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "http/redact.h"
#include "providers/common/settings.h"

namespace orch::providers::gce {

using common::EnvOr;
using nlohmann::json;

std::string Base64Url(const std::string& data) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == data.size()) {
    uint32_t v = p[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == data.size()) {
    uint32_t v = (p[i] << 16) | (p[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

Result<std::string> SignJwt(const json& header, const json& claims, const std::string& private_key_pem) {
  std::string input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
  BIO* bio = BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size()));
  if (!bio) return Status::Internal("out of memory reading the private key");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return Status::InvalidArgument("the service-account private_key is not a PEM private key");
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  std::string sig;
  bool ok = md && EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSignUpdate(md, input.data(), input.size()) == 1;
  size_t len = 0;
  ok = ok && EVP_DigestSignFinal(md, nullptr, &len) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSignFinal(md, reinterpret_cast<unsigned char*>(sig.data()), &len) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  if (!ok) return Status::Internal("signing the JWT failed (is the key an RSA key?)");
  return input + "." + Base64Url(sig);
}

Result<std::string> ServiceAccountAssertion(const json& key, int64_t now_seconds) {
  std::string email = key.value("client_email", "");
  std::string pem = key.value("private_key", "");
  std::string token_uri = key.value("token_uri", "https://oauth2.googleapis.com/token");
  if (email.empty() || pem.empty())
    return Status::InvalidArgument("the service-account key has no client_email or private_key");
  json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (key.contains("private_key_id") && key["private_key_id"].is_string()) header["kid"] = key["private_key_id"];
  json claims = {{"iss", email},
                 {"scope", kComputeScope},
                 {"aud", token_uri},
                 {"iat", now_seconds},
                 {"exp", now_seconds + 3600}};
  return SignJwt(header, claims, pem);
}

Result<TokenSource::Token> ParseTokenResponse(const std::string& what, const Result<env::HttpResponse>& r) {
  if (!r.ok()) return r.status().WithPrefix("getting an access token from " + what);
  json body = json::parse(r->body, nullptr, false);
  if (r->status < 200 || r->status > 299) {
    std::string detail = "HTTP " + std::to_string(r->status);
    if (body.is_object()) {
      if (body.contains("error") && body["error"].is_string()) detail += " " + body["error"].get<std::string>();
      if (body.contains("error_description") && body["error_description"].is_string())
        detail += ": " + body["error_description"].get<std::string>();
    }
    if (!body.is_object() && !r->body.empty()) detail += ": " + r->body;
    std::string msg = "getting an access token from " + what + " failed: " + common::ClipMessage(http::Redact(detail));
    if (r->status >= 500 || r->status == 429) return Status::Transient(msg);
    return Status::Unauthenticated(msg);
  }
  if (!body.is_object() || !body.contains("access_token") || !body["access_token"].is_string() ||
      body["access_token"].get<std::string>().empty())
    return Status::Unauthenticated("the token answer of " + what + " has no access_token" +
                                   (body.is_object() ? "" : " (it is not a JSON object)"));
  TokenSource::Token t;
  t.access_token = body["access_token"];
  // A lifetime beyond a week (or a float no integer holds) is not believed:
  // the hour Google gives is assumed instead.
  if (body.contains("expires_in") && body["expires_in"].is_number()) {
    double v = body["expires_in"].get<double>();
    if (v >= 1 && v <= kMaxTokenLifetimeSeconds) t.expires_in = static_cast<int64_t>(v);
  }
  http::RegisterSecret(t.access_token);
  return t;
}

static std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) out += (out.empty() ? "" : "&") + k + "=" + common::UrlEncode(v);
  return out;
}

static Result<env::HttpResponse> PostForm(http::HttpClient* http, const std::string& url, const std::string& body) {
  env::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  req.headers.emplace_back("Accept", "application/json");
  req.body = body;
  http::SendOptions opts;
  opts.idempotent = true;  // a token grant creates nothing
  return http->Send(req, opts);
}

ServiceAccountSource::ServiceAccountSource(http::HttpClient* http, env::Clock* clock, json key)
    : http_(http), clock_(clock), key_(std::move(key)) {
  if (key_.contains("private_key") && key_["private_key"].is_string()) http::RegisterSecret(key_["private_key"].get<std::string>());
}

std::string ServiceAccountSource::Describe() const {
  return "service account " + key_.value("client_email", "?");
}

Result<TokenSource::Token> ServiceAccountSource::Fetch() {
  Result<std::string> jwt = ServiceAccountAssertion(key_, clock_->NowMicros() / 1000000);
  if (!jwt.ok()) return jwt.status();
  http::RegisterSecret(*jwt);
  std::string uri = key_.value("token_uri", "https://oauth2.googleapis.com/token");
  return ParseTokenResponse(
      uri, PostForm(http_, uri,
                    FormEncode({{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", *jwt}})));
}

AuthorizedUserSource::AuthorizedUserSource(http::HttpClient* http, json key) : http_(http), key_(std::move(key)) {
  for (const char* k : {"refresh_token", "client_secret"})
    if (key_.contains(k) && key_[k].is_string()) http::RegisterSecret(key_[k].get<std::string>());
}

Result<TokenSource::Token> AuthorizedUserSource::Fetch() {
  std::string uri = key_.value("token_uri", "https://oauth2.googleapis.com/token");
  return ParseTokenResponse(uri, PostForm(http_, uri,
                                          FormEncode({{"grant_type", "refresh_token"},
                                                      {"client_id", key_.value("client_id", "")},
                                                      {"client_secret", key_.value("client_secret", "")},
                                                      {"refresh_token", key_.value("refresh_token", "")}})));
}

MetadataSource::MetadataSource(http::HttpClient* http, std::string host) : http_(http), host_(std::move(host)) {}

Result<std::string> MetadataSource::Get(const std::string& path) {
  env::HttpRequest req;
  req.url = (host_.rfind("http", 0) == 0 ? host_ : "http://" + host_) + "/computeMetadata/v1/" + path;
  req.headers.emplace_back("Metadata-Flavor", "Google");
  req.connect_timeout_ms = 2000;
  Result<env::HttpResponse> r = http_->Send(req);
  if (!r.ok()) return r.status().WithPrefix("metadata server " + host_);
  if (r->status != 200)
    return Status::Unauthenticated("metadata server " + host_ + " answered HTTP " + std::to_string(r->status) +
                                   " for " + path);
  return r->body;
}

Result<TokenSource::Token> MetadataSource::Fetch() {
  env::HttpRequest req;
  std::string url = (host_.rfind("http", 0) == 0 ? host_ : "http://" + host_) +
                    "/computeMetadata/v1/instance/service-accounts/default/token";
  req.url = url;
  req.headers.emplace_back("Metadata-Flavor", "Google");
  req.connect_timeout_ms = 2000;
  return ParseTokenResponse("the metadata server " + host_, http_->Send(req));
}

OAuthAuthenticator::OAuthAuthenticator(env::Clock* clock, std::unique_ptr<TokenSource> source)
    : clock_(clock), source_(std::move(source)) {}

Result<std::string> OAuthAuthenticator::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_->NowMicros();
  if (!token_.empty() && now < expires_at_micros_) return token_;
  Result<TokenSource::Token> t = source_->Fetch();
  if (!t.ok()) return t.status();
  ++fetches_;
  token_ = t->access_token;
  // Refresh kRefreshMarginSeconds early, or a tenth of the lifetime for short-lived tokens.
  int64_t margin = std::min<int64_t>(kRefreshMarginSeconds, t->expires_in / 10);
  expires_at_micros_ = now + (t->expires_in - margin) * 1000000;
  return token_;
}

Status OAuthAuthenticator::Authenticate(env::HttpRequest* request) {
  Result<std::string> token = Current();
  if (!token.ok()) return token.status();
  request->headers.emplace_back("Authorization", "Bearer " + *token);
  return Status::OK();
}

void OAuthAuthenticator::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  token_.clear();
}

int OAuthAuthenticator::fetches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetches_;
}

static Result<Credentials> FromFile(const std::string& path, const std::string& origin, http::HttpClient* http,
                                    env::Clock* clock) {
  std::ifstream in(path);
  if (!in) return Status::Unauthenticated("cannot read the GCE credentials file " + path + " (" + origin + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  json key = json::parse(ss.str(), nullptr, false);
  if (!key.is_object()) return Status::Unauthenticated("the GCE credentials file " + path + " is not JSON");
  std::string type = key.value("type", "");
  Credentials c;
  c.origin = origin + " (" + path + ")";
  if (type == "service_account") {
    c.project = key.value("project_id", "");
    c.source = std::make_unique<ServiceAccountSource>(http, clock, std::move(key));
  } else if (type == "authorized_user") {
    c.project = key.value("quota_project_id", "");
    c.source = std::make_unique<AuthorizedUserSource>(http, std::move(key));
  } else {
    return Status::Unauthenticated("the GCE credentials file " + path + " has type '" + type +
                                   "'; expected service_account or authorized_user");
  }
  return c;
}

Result<Credentials> FindCredentials(const std::string& credentials_file, http::HttpClient* http, env::Clock* clock) {
  if (!credentials_file.empty()) return FromFile(credentials_file, "provider setting 'credentials'", http, clock);
  std::string env_file = EnvOr("GOOGLE_APPLICATION_CREDENTIALS");
  if (!env_file.empty()) return FromFile(env_file, "GOOGLE_APPLICATION_CREDENTIALS", http, clock);
  std::string home = EnvOr("HOME");
  std::string config_dir = EnvOr("CLOUDSDK_CONFIG");
  if (config_dir.empty() && !home.empty()) config_dir = home + "/.config/gcloud";
  if (!config_dir.empty()) {
    std::string well_known = config_dir + "/application_default_credentials.json";
    if (std::ifstream(well_known).good()) return FromFile(well_known, "gcloud application-default credentials", http, clock);
  }
  std::string host = EnvOr("GCE_METADATA_HOST");
  if (host.empty()) host = "metadata.google.internal";
  Credentials c;
  c.origin = "the metadata server " + host;
  c.source = std::make_unique<MetadataSource>(http, host);
  return c;
}

}  // namespace orch::providers::gce
