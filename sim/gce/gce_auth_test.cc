// OAuth2 JWT-bearer token exchange, bearer checks and the metadata server.
#include <fstream>
#include <sstream>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>

#include "gce/gce_test_util.h"
#include "gce/oauth.h"

namespace cloudsim::gce::testing {
namespace {

using nlohmann::json;

// Signs header.claims with an RSA private key in PEM, RS256.
std::string SignJwt(const std::string& pem, const json& header, const json& claims) {
  std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  EXPECT_NE(key, nullptr);
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  return input + "." + Base64UrlEncode(sig);
}

std::string OtherKeyPem() {
  EVP_PKEY_CTX* kctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nullptr);
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_keygen_init(kctx);
  EVP_PKEY_CTX_set_rsa_keygen_bits(kctx, 2048);
  EVP_PKEY_keygen(kctx, &pkey);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PKCS8PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, n);
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  EVP_PKEY_CTX_free(kctx);
  return pem;
}

class GceAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    json top = json::object(), env = json::object();
    h.api->Describe(&top, &env);
    EXPECT_EQ(top["gce"], h.ctx->base_url + "/compute/v1");
    EXPECT_EQ(env["GOOGLE_COMPUTE_CUSTOM_ENDPOINT"], h.ctx->base_url + "/compute/v1/");
    EXPECT_EQ(env["GOOGLE_CLOUD_PROJECT"], "cloudsim-project");
    EXPECT_EQ(env["CLOUDSDK_CORE_PROJECT"], "cloudsim-project");
    EXPECT_EQ(env["GCE_METADATA_HOST"], "127.0.0.1:8555");
    std::ifstream in(env["GOOGLE_APPLICATION_CREDENTIALS"].get<std::string>());
    std::stringstream ss;
    ss << in.rdbuf();
    key = json::parse(ss.str());
  }

  json Claims() {
    double now = h.clock.NowSeconds();
    return {{"iss", key["client_email"]},
            {"scope", "https://www.googleapis.com/auth/compute"},
            {"aud", key["token_uri"]},
            {"iat", static_cast<long long>(now)},
            {"exp", static_cast<long long>(now) + 3600}};
  }

  Reply Exchange(const std::string& assertion, const std::string& grant = "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") {
    return h.Raw("POST", "/token", "grant_type=" + grant + "&assertion=" + assertion,
                 {{"content-type", "application/x-www-form-urlencoded"}});
  }

  Harness h;
  json key;
  json header = {{"alg", "RS256"}, {"typ", "JWT"}};
};

TEST_F(GceAuth, KeyFileLooksLikeAServiceAccountKey) {
  EXPECT_EQ(key["type"], "service_account");
  EXPECT_EQ(key["project_id"], "cloudsim-project");
  EXPECT_EQ(key["token_uri"], h.ctx->base_url + "/token");
  EXPECT_EQ(key["private_key"].get<std::string>().rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  EXPECT_EQ(key["private_key_id"].get<std::string>().size(), 40u);
  EXPECT_NE(key["client_email"].get<std::string>().find(".iam.gserviceaccount.com"), std::string::npos);
}

TEST_F(GceAuth, SignedAssertionYieldsAWorkingToken) {
  json h2 = header;
  h2["kid"] = key["private_key_id"];
  Reply r = Exchange(SignJwt(key["private_key"], h2, Claims()));
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["token_type"], "Bearer");
  EXPECT_EQ(r.body["expires_in"], 3599);
  h.token = r.body["access_token"];
  EXPECT_EQ(h.Call("GET", h.P("zones")).status, 200);
  // The token expires after an hour of simulated time.
  h.clock.Advance(3601);
  Reply expired = h.Call("GET", h.P("zones"));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.body["error"]["errors"][0]["reason"], "authError");
}

TEST_F(GceAuth, RejectsBadAssertions) {
  std::string good = SignJwt(key["private_key"], header, Claims());
  // Tampered payload, same signature.
  json c = Claims();
  c["scope"] = "https://www.googleapis.com/auth/cloud-platform";
  std::string tampered = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(c.dump()) + good.substr(good.rfind('.'));
  Reply r = Exchange(tampered);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "invalid_grant");
  EXPECT_EQ(r.body["error_description"], "Invalid JWT Signature.");
  // Signed by another key.
  r = Exchange(SignJwt(OtherKeyPem(), header, Claims()));
  EXPECT_EQ(r.body["error_description"], "Invalid JWT Signature.");
  // Expired, too long, wrong audience, no scope.
  c = Claims();
  c["iat"] = c["iat"].get<long long>() - 7200;
  c["exp"] = c["iat"].get<long long>() + 3600;
  r = Exchange(SignJwt(key["private_key"], header, c));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "invalid_grant");
  c = Claims();
  c["exp"] = c["iat"].get<long long>() + 7200;
  EXPECT_EQ(Exchange(SignJwt(key["private_key"], header, c)).status, 400);
  c = Claims();
  c["aud"] = "https://oauth2.example.com/token";
  EXPECT_EQ(Exchange(SignJwt(key["private_key"], header, c)).body["error"], "invalid_grant");
  c = Claims();
  c.erase("scope");
  r = Exchange(SignJwt(key["private_key"], header, c));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"], "invalid_scope");
  r = Exchange(good, "refresh_token");
  EXPECT_EQ(r.body["error"], "unsupported_grant_type");
  r = Exchange("");
  EXPECT_EQ(r.body["error"], "invalid_request");
  // The untampered one still works.
  EXPECT_EQ(Exchange(good).status, 200);
}

TEST_F(GceAuth, MetadataServer) {
  Reply no_header = h.Raw("GET", "/computeMetadata/v1/instance/service-accounts/default/token", "", {});
  EXPECT_EQ(no_header.status, 403);
  Reply tok = h.Raw("GET", "/computeMetadata/v1/instance/service-accounts/default/token", "",
                    {{"metadata-flavor", "Google"}});
  ASSERT_EQ(tok.status, 200);
  EXPECT_EQ(tok.body["token_type"], "Bearer");
  h.token = tok.body["access_token"];
  EXPECT_EQ(h.Call("GET", h.P("regions")).status, 200);
  Reply project = h.Raw("GET", "/computeMetadata/v1/project/project-id", "", {{"metadata-flavor", "Google"}});
  EXPECT_EQ(project.status, 200);
  EXPECT_EQ(project.text, "cloudsim-project");
  EXPECT_EQ(h.Raw("GET", "/computeMetadata/v1/nothing/here", "", {{"metadata-flavor", "Google"}}).status, 404);
}

}  // namespace
}  // namespace cloudsim::gce::testing
