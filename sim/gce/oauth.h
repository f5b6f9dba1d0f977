// The service account cloudsim's GCE model issues at startup: an RSA key
// (OpenSSL), its key-file JSON, and verification of the RS256 JWT bearer
// assertions that Google's OAuth2 token endpoint accepts.
// Immutable after construction; safe for concurrent use.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace cloudsim::gce {

std::string Base64UrlEncode(const std::string& data);
bool Base64UrlDecode(const std::string& in, std::string* out);

class ServiceAccount {
 public:
  // Generates a 2048-bit RSA key; `id_hex` becomes private_key_id.
  ServiceAccount(const std::string& project, const std::string& id_hex, const std::string& client_id);
  ~ServiceAccount();
  ServiceAccount(const ServiceAccount&) = delete;
  ServiceAccount& operator=(const ServiceAccount&) = delete;

  bool ok() const { return key_ != nullptr; }
  const std::string& email() const { return email_; }
  const std::string& private_key_pem() const { return pem_; }  // PKCS#8
  const std::string& key_id() const { return key_id_; }
  // The key file as `gcloud iam service-accounts keys create` writes it.
  nlohmann::json KeyFile(const std::string& token_uri) const;

  // Checks a JWT bearer assertion as the token endpoint does. On failure
  // sets *error and *description to Google's OAuth2 error fields.
  bool VerifyAssertion(const std::string& jwt, const std::string& token_uri, double now,
                       std::string* error, std::string* description) const;

 private:
  struct Key;
  std::string project_, email_, key_id_, client_id_, pem_;
  std::unique_ptr<Key> key_;
};

}  // namespace cloudsim::gce
