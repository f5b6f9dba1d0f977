#include "gce/oauth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <vector>

namespace cloudsim::gce {

using nlohmann::json;

namespace {

const char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

}  // namespace

std::string Base64UrlEncode(const std::string& data) {
  std::string out;
  size_t i = 0;
  while (i + 2 < data.size()) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += kB64Url[(v >> 18) & 63];
    out += kB64Url[(v >> 12) & 63];
    out += kB64Url[(v >> 6) & 63];
    out += kB64Url[v & 63];
    i += 3;
  }
  if (i + 1 == data.size()) {
    uint32_t v = uint8_t(data[i]) << 16;
    out += kB64Url[(v >> 18) & 63];
    out += kB64Url[(v >> 12) & 63];
  } else if (i + 2 == data.size()) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
    out += kB64Url[(v >> 18) & 63];
    out += kB64Url[(v >> 12) & 63];
    out += kB64Url[(v >> 6) & 63];
  }
  return out;
}

bool Base64UrlDecode(const std::string& in, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-' || c == '+') v = 62;
    else if (c == '_' || c == '/') v = 63;
    else if (c == '=') break;
    else return false;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *out += char((acc >> bits) & 0xff);
    }
  }
  return true;
}

struct ServiceAccount::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

ServiceAccount::ServiceAccount(const std::string& project, const std::string& id_hex,
                               const std::string& client_id)
    : project_(project),
      email_("cloudsim@" + project + ".iam.gserviceaccount.com"),
      key_id_(id_hex),
      client_id_(client_id) {
  EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr);
  EVP_PKEY* pkey = nullptr;
  if (kctx && EVP_PKEY_keygen_init(kctx) > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(kctx, 2048) > 0 &&
      EVP_PKEY_keygen(kctx, &pkey) > 0) {
    key_ = std::make_unique<Key>();
    key_->pkey = pkey;
    BIO* bio = BIO_new(BIO_s_mem());
    if (PEM_write_bio_PKCS8PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr) > 0) {
      char* data = nullptr;
      long len = BIO_get_mem_data(bio, &data);
      pem_.assign(data, len);
    }
    BIO_free(bio);
  }
  EVP_PKEY_CTX_free(kctx);
}

ServiceAccount::~ServiceAccount() = default;

json ServiceAccount::KeyFile(const std::string& token_uri) const {
  return {
      {"type", "service_account"},
      {"project_id", project_},
      {"private_key_id", key_id_},
      {"private_key", pem_},
      {"client_email", email_},
      {"client_id", client_id_},
      {"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
      {"token_uri", token_uri},
      {"auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs"},
      {"client_x509_cert_url", "https://www.googleapis.com/robot/v1/metadata/x509/" + email_},
      {"universe_domain", "googleapis.com"},
  };
}

bool ServiceAccount::VerifyAssertion(const std::string& jwt, const std::string& token_uri, double now,
                                     std::string* error, std::string* description) const {
  auto fail = [&](const std::string& e, const std::string& d) {
    *error = e;
    *description = d;
    return false;
  };
  std::vector<std::string> parts = Split(jwt, '.');
  if (parts.size() != 3) return fail("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
  std::string header_raw, claims_raw, sig;
  if (!Base64UrlDecode(parts[0], &header_raw) || !Base64UrlDecode(parts[1], &claims_raw) ||
      !Base64UrlDecode(parts[2], &sig)) {
    return fail("invalid_grant", "Invalid JWT Signature.");
  }
  json header = json::parse(header_raw, nullptr, false);
  json claims = json::parse(claims_raw, nullptr, false);
  if (!header.is_object() || !claims.is_object()) {
    return fail("invalid_grant", "Invalid JWT Signature.");
  }
  if (header.value("alg", "") != "RS256") return fail("invalid_grant", "Invalid JWT Signature.");
  // Signature first: Google reports a bad signature before looking at claims.
  bool sig_ok = false;
  if (key_) {
    std::string signed_part = parts[0] + "." + parts[1];
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    if (md && EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key_->pkey) > 0 &&
        EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1) {
      sig_ok = true;
    }
    EVP_MD_CTX_free(md);
  }
  if (!sig_ok) return fail("invalid_grant", "Invalid JWT Signature.");
  if (!claims.contains("iss") || !claims["iss"].is_string() || claims["iss"] != email_) {
    return fail("invalid_grant", "Invalid grant: account not found");
  }
  if (!claims.contains("aud") || !claims["aud"].is_string() || claims["aud"] != token_uri) {
    return fail("invalid_grant", "Invalid JWT: Failed audience check. The right audience is " + token_uri);
  }
  const char* kTime =
      "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check "
      "your iat and exp values in the JWT claim.";
  if (!claims.contains("iat") || !claims["iat"].is_number() || !claims.contains("exp") ||
      !claims["exp"].is_number()) {
    return fail("invalid_grant", kTime);
  }
  double iat = claims["iat"].get<double>(), exp = claims["exp"].get<double>();
  if (exp <= iat || exp - iat > 3600 || exp <= now || iat > now + 300) return fail("invalid_grant", kTime);
  if (!claims.contains("scope") || !claims["scope"].is_string() || claims["scope"].get<std::string>().empty()) {
    return fail("invalid_scope", "Invalid OAuth scope or ID token audience provided.");
  }
  return true;
}

}  // namespace cloudsim::gce
