// GCE credentials: Application Default Credentials as Google's tools find
// them (docs/providers/gce.md):
//   1. the provider setting `credentials` (a key file),
//   2. GOOGLE_APPLICATION_CREDENTIALS,
//   3. gcloud's well-known file (~/.config/gcloud/application_default_credentials.json),
//   4. the metadata server (GCE_METADATA_HOST, default metadata.google.internal).
// A service-account key is exchanged for an access token with an RS256 JWT
// (OpenSSL) at the key's token_uri; an authorized_user file with its refresh
// token. Tokens are cached and fetched again kRefreshMarginSeconds (at most
// a tenth of their lifetime) before they expire, or at once after
// Invalidate() (a 401 from the API).
// Every token and private key is registered with http::RegisterSecret.
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "env/clock.h"
#include "http/http_client.h"
#include "providers/common/rest_client.h"
#include "util/status.h"

namespace orch::providers::gce {

inline constexpr int64_t kRefreshMarginSeconds = 300;
inline constexpr int64_t kMaxTokenLifetimeSeconds = 7 * 24 * 3600;
inline constexpr const char* kComputeScope = "https://www.googleapis.com/auth/compute";

// base64url without padding.
std::string Base64Url(const std::string& data);

// "header.claims.signature" signed RS256 with `private_key_pem`.
Result<std::string> SignJwt(const nlohmann::json& header, const nlohmann::json& claims,
                            const std::string& private_key_pem);

// The JWT a service account presents at `token_uri` (iat = now, exp = now + 3600).
Result<std::string> ServiceAccountAssertion(const nlohmann::json& key, int64_t now_seconds);

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A fresh access token and its lifetime in seconds.
  struct Token {
    std::string access_token;
    int64_t expires_in = 3600;
  };
  virtual Result<Token> Fetch() = 0;
  virtual std::string Describe() const = 0;  // "service account x@y", for errors
};

// Service-account key JSON -> JWT bearer grant.
class ServiceAccountSource final : public TokenSource {
 public:
  ServiceAccountSource(http::HttpClient* http, env::Clock* clock, nlohmann::json key);
  Result<Token> Fetch() override;
  std::string Describe() const override;

 private:
  http::HttpClient* http_;
  env::Clock* clock_;
  nlohmann::json key_;
};

// authorized_user JSON (gcloud auth application-default login) -> refresh_token grant.
class AuthorizedUserSource final : public TokenSource {
 public:
  AuthorizedUserSource(http::HttpClient* http, nlohmann::json key);
  Result<Token> Fetch() override;
  std::string Describe() const override { return "authorized user credentials"; }

 private:
  http::HttpClient* http_;
  nlohmann::json key_;
};

// The metadata server's default service account.
class MetadataSource final : public TokenSource {
 public:
  MetadataSource(http::HttpClient* http, std::string host);
  Result<Token> Fetch() override;
  std::string Describe() const override { return "the metadata server at " + host_; }
  // GET of a metadata path ("project/project-id") as text.
  Result<std::string> Get(const std::string& path);

 private:
  http::HttpClient* http_;
  std::string host_;
};

// Bearer authenticator over a TokenSource with caching and early refresh.
class OAuthAuthenticator final : public common::Authenticator {
 public:
  OAuthAuthenticator(env::Clock* clock, std::unique_ptr<TokenSource> source);
  Status Authenticate(env::HttpRequest* request) override;
  // Forgets the cached token (the API rejected it).
  void Invalidate();
  int fetches() const;

 private:
  Result<std::string> Current();
  env::Clock* clock_;
  std::unique_ptr<TokenSource> source_;
  mutable std::mutex mu_;
  std::string token_;
  int64_t expires_at_micros_ = 0;  // when to fetch a new one
  int fetches_ = 0;
};

struct Credentials {
  std::unique_ptr<TokenSource> source;
  std::string project;  // from the key file or metadata ("" if unknown)
  std::string origin;   // where they were found, for messages
};

// Finds credentials in ADC order. `credentials_file` is the spec setting
// (already resolved) or "". `http` and `clock` must outlive the result.
Result<Credentials> FindCredentials(const std::string& credentials_file, http::HttpClient* http, env::Clock* clock);

// Parses a token endpoint answer; errors carry Google's error/error_description.
Result<TokenSource::Token> ParseTokenResponse(const std::string& what, const Result<env::HttpResponse>& r);

}  // namespace orch::providers::gce
