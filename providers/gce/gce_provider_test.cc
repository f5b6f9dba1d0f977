#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "providers/gce/auth.h"
#include "providers/gce/client.h"
#include "providers/gce/gce_provider.h"
#include "testing/fake_clock.h"
#include "testing/scripted_transport.h"
#include "util/strings.h"

namespace orch::providers::gce {
namespace {

using nlohmann::json;
const char* kEndpoint = "http://gce.test/compute/v1";
const char* kProjectBase = "http://gce.test/compute/v1/projects/p1";
const char* kTokenUri = "http://gce.test/token";

// A fresh 2048-bit RSA key: private PEM and public PEM.
struct KeyPair {
  std::string private_pem, public_pem;
};

KeyPair MakeKey() {
  static KeyPair cached = [] {
    KeyPair k;
    EVP_PKEY* pkey = EVP_RSA_gen(2048);
    BIO* priv = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(priv, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    BIO* pub = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(pub, pkey);
    char* data = nullptr;
    long n = BIO_get_mem_data(priv, &data);
    k.private_pem.assign(data, n);
    n = BIO_get_mem_data(pub, &data);
    k.public_pem.assign(data, n);
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(pkey);
    return k;
  }();
  return cached;
}

json KeyJson() {
  return {{"type", "service_account"},         {"project_id", "p1"},
          {"private_key_id", "kid1"},          {"private_key", MakeKey().private_pem},
          {"client_email", "sa@p1.iam.gserviceaccount.com"}, {"token_uri", kTokenUri}};
}

std::string Base64UrlDecode(std::string s) {
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4) s += '=';
  std::string out(s.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  size_t pad = 0;
  if (s.size() >= 1 && s[s.size() - 1] == '=') ++pad;
  if (s.size() >= 2 && s[s.size() - 2] == '=') ++pad;
  out.resize(n - pad);
  return out;
}

env::HttpResponse Reply(int status, const json& body) {
  env::HttpResponse r;
  r.status = status;
  r.body = body.is_null() ? "" : body.dump();
  return r;
}

json TokenBody(const std::string& token, int expires_in = 3600) {
  return {{"access_token", token}, {"expires_in", expires_in}, {"token_type", "Bearer"}};
}

json GoogleError(int code, const std::string& reason, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message},
                     {"errors", json::array({{{"reason", reason}, {"domain", "global"}, {"message", message}}})}}}};
}

std::string BearerOf(const env::HttpRequest& r) {
  for (const auto& [k, v] : r.headers)
    if (k == "Authorization") return v;
  return "";
}

TEST(GceJwt, SignatureVerifiesWithThePublicKey) {
  Result<std::string> jwt = ServiceAccountAssertion(KeyJson(), 1700000000);
  ASSERT_TRUE(jwt.ok()) << jwt.status().ToString();
  std::vector<std::string> parts = Split(*jwt, '.');
  ASSERT_EQ(parts.size(), 3u);
  json header = json::parse(Base64UrlDecode(parts[0]));
  json claims = json::parse(Base64UrlDecode(parts[1]));
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["kid"], "kid1");
  EXPECT_EQ(claims["iss"], "sa@p1.iam.gserviceaccount.com");
  EXPECT_EQ(claims["aud"], kTokenUri);
  EXPECT_EQ(claims["scope"], kComputeScope);
  EXPECT_EQ(claims["exp"].get<int64_t>() - claims["iat"].get<int64_t>(), 3600);
  EXPECT_EQ(claims["iat"], 1700000000);

  std::string pub = MakeKey().public_pem;
  BIO* bio = BIO_new_mem_buf(pub.data(), static_cast<int>(pub.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(key, nullptr);
  auto verify = [&](const std::string& input, const std::string& sig) {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    bool ok = EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                               reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    EVP_MD_CTX_free(md);
    return ok;
  };
  std::string sig = Base64UrlDecode(parts[2]);
  EXPECT_TRUE(verify(parts[0] + "." + parts[1], sig));
  EXPECT_FALSE(verify(parts[0] + "." + parts[1] + "x", sig));  // a changed claim set fails
  EVP_PKEY_free(key);
}

TEST(GceJwt, Base64UrlHasNoPadding) {
  EXPECT_EQ(Base64Url("a"), "YQ");
  EXPECT_EQ(Base64Url("ab"), "YWI");
  EXPECT_EQ(Base64Url("abc"), "YWJj");
  EXPECT_EQ(Base64Url("\xfb\xff"), "-_8");
}

TEST(GceAuth, TokenIsCachedAndRefreshedBeforeExpiry) {
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  http::HttpClient http(&transport, &clock);
  transport.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-one-aaaa")));
  transport.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-two-bbbb")));
  OAuthAuthenticator auth(&clock, std::make_unique<ServiceAccountSource>(&http, &clock, KeyJson()));
  env::HttpRequest r1, r2, r3;
  ASSERT_TRUE(auth.Authenticate(&r1).ok());
  clock.Advance((3600 - kRefreshMarginSeconds - 10) * 1000000LL);
  ASSERT_TRUE(auth.Authenticate(&r2).ok());
  EXPECT_EQ(BearerOf(r1), "Bearer tok-one-aaaa");
  EXPECT_EQ(BearerOf(r2), "Bearer tok-one-aaaa");
  EXPECT_EQ(auth.fetches(), 1);
  clock.Advance(20 * 1000000LL);  // inside the refresh margin, still before expiry
  ASSERT_TRUE(auth.Authenticate(&r3).ok());
  EXPECT_EQ(BearerOf(r3), "Bearer tok-two-bbbb");
  EXPECT_EQ(auth.fetches(), 2);
  // The grant is a form-encoded JWT bearer assertion.
  std::string body = transport.Requests()[0].body;
  EXPECT_NE(body.find("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="), std::string::npos);
}

TEST(GceAuth, TokenErrorNamesGooglesReason) {
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  http::HttpClient http(&transport, &clock);
  transport.Expect("POST", kTokenUri,
                   Reply(400, {{"error", "invalid_grant"}, {"error_description", "Invalid JWT Signature."}}));
  ServiceAccountSource source(&http, &clock, KeyJson());
  Result<TokenSource::Token> t = source.Fetch();
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(t.status().message().find("invalid_grant: Invalid JWT Signature."), std::string::npos);
}

TEST(GceAuth, HostileTokenAnswersAreClippedOrNotBelieved) {
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  http::HttpClient http(&transport, &clock);
  transport.Expect("POST", kTokenUri,
                   Reply(400, {{"error", "invalid_grant"}, {"error_description", std::string(100000, 'B')}}));
  env::HttpResponse huge;
  huge.status = 200;
  huge.body = R"({"access_token": "tok-huge-1", "expires_in": 1e300})";
  transport.Expect("POST", kTokenUri, huge);
  ServiceAccountSource source(&http, &clock, KeyJson());
  Result<TokenSource::Token> t = source.Fetch();
  ASSERT_FALSE(t.ok());
  EXPECT_LT(t.status().message().size(), 600u);
  EXPECT_NE(t.status().message().find("(100"), std::string::npos);  // says how long the cut text was
  t = source.Fetch();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->expires_in, 3600);
}

TEST(GceAuth, MetadataServerNeedsTheFlavorHeader) {
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  http::HttpClient http(&transport, &clock);
  transport.Expect("GET", "http://169.254.0.9:80/computeMetadata/v1/instance/service-accounts/default/token",
                   Reply(200, TokenBody("meta-token-1")));
  MetadataSource source(&http, "169.254.0.9:80");
  Result<TokenSource::Token> t = source.Fetch();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->access_token, "meta-token-1");
  bool flavor = false;
  const std::vector<env::HttpRequest> sent = transport.Requests();
  for (const auto& [k, v] : sent[0].headers) flavor = flavor || (k == "Metadata-Flavor" && v == "Google");
  EXPECT_TRUE(flavor);
}

TEST(GceLabels, EncodingIsReversibleAndValid) {
  for (const std::string s : {"api.instance[2]", "cassandra.volume.data[1]", "ssh_key.ops@gcp", "My_Deploy", "plain-1"}) {
    std::string e = EncodeLabelValue(s);
    for (char c : e) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') << e;
    EXPECT_EQ(DecodeLabelValue(e).value_or("?"), s);
  }
  EXPECT_EQ(EncodeLabelValue("api.instance[2]"), "api_2einstance_5b2_5d");
  EXPECT_EQ(EncodeLabelValue("plain-1"), "plain-1");
  EXPECT_FALSE(DecodeLabelValue("bad_z").has_value());
  EXPECT_FALSE(DecodeLabelValue("cut_4").has_value());
  json labels = EncodeLabels({{"orchestrator-deployment", "d"}, {"orchestrator-address", "web.lb"}, {"other", "x"}});
  EXPECT_EQ(labels, json({{"orchestrator-deployment", "d"}, {"orchestrator-address", "web_2elb"}}));
  EXPECT_EQ(DecodeLabels(labels)["orchestrator-address"], "web.lb");
}

TEST(GceRequestId, DeterministicPerAttemptAndBody) {
  json body = {{"name", "x"}};
  std::string a = RequestId("dep", "api.group", "template", 1, body);
  EXPECT_EQ(a, RequestId("dep", "api.group", "template", 1, body));
  EXPECT_NE(a, RequestId("dep", "api.group", "template", 2, body));
  EXPECT_NE(a, RequestId("dep", "api.group", "group", 1, body));
  EXPECT_NE(a, RequestId("dep", "web.group", "template", 1, body));
  EXPECT_NE(a, RequestId("dep", "api.group", "template", 1, json{{"name", "y"}}));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '5');  // version 5
}

TEST(GcePager, FollowsNextPageTokenKeepingTheQuery) {
  GcePager pager;
  auto next = pager.NextUrl("http://h/x?maxResults=500&filter=a%3Db", {{"nextPageToken", "t/1"}});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, "http://h/x?maxResults=500&filter=a%3Db&pageToken=t%2F1");
  auto again = pager.NextUrl(*next, {{"nextPageToken", "t2"}});
  EXPECT_EQ(*again, "http://h/x?maxResults=500&filter=a%3Db&pageToken=t2");
  EXPECT_FALSE(pager.NextUrl("http://h/x", json::object()).has_value());
}

// A client wired like the provider's, over a scripted transport.
class GceClientTest : public ::testing::Test {
 protected:
  GceClientTest()
      : quota_(&transport_),
        http_(&quota_, &clock_, Policy()),
        auth_(&clock_, std::make_unique<ServiceAccountSource>(&http_, &clock_, KeyJson())),
        rest_(&http_, &clock_, kProjectBase, &auth_, &pager_, &errors_, nullptr),
        client_(&rest_, &auth_, &clock_, Tuning()) {}
  static http::RetryPolicy Policy() {
    http::RetryPolicy p;
    p.seed = 1;
    p.initial_backoff_ms = 10;
    return p;
  }
  static ClientTuning Tuning() {
    ClientTuning t;
    t.retry_sleep_ms = 10;
    return t;
  }
  json Op(const std::string& status, json error = nullptr) {
    json op = {{"kind", "compute#operation"}, {"name", "op-1"}, {"status", status},
               {"selfLink", std::string(kProjectBase) + "/global/operations/op-1"}};
    if (!error.is_null()) op["error"] = error;
    return op;
  }
  testing::FakeClock clock_;
  testing::ScriptedTransport transport_;
  RateQuotaTransport quota_;
  http::HttpClient http_;
  OAuthAuthenticator auth_;
  GcePager pager_;
  GceErrorMapper errors_;
  common::RestClient rest_;
  GceClient client_;
  engine::ApplyContext ctx_;
};

TEST_F(GceClientTest, ListFollowsPagesWithTheFilter) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-list-1")));
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks?maxResults=500&filter=name%20eq%20d-.%2A",
                    Reply(200, {{"items", {{{"name", "a"}}}}, {"nextPageToken", "p2"}}));
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks?maxResults=500&filter=name%20eq%20d-.%2A&pageToken=p2",
                    Reply(200, {{"items", {{{"name", "b"}}}}}));
  Result<std::vector<json>> items = client_.List("/global/networks", "name eq d-.*");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[1]["name"], "b");
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceClientTest, ListRefusesAnswersThatAreNotLists) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-bad-1")));
  const std::string url = std::string(kProjectBase) + "/global/networks?maxResults=500";
  transport_.Expect("GET", url, Reply(200, json::object()));
  transport_.Expect("GET", url, Reply(200, {{"kind", "compute#networkList"}, {"items", "lots"}}));
  transport_.Expect("GET", url, Reply(200, {{"kind", "compute#networkList"}, {"items", {5, {{"name", "a"}}}}}));
  transport_.Expect("GET", url, Reply(200, {{"kind", "compute#networkList"}, {"items", {{{"name", "a"}, {"id", 1e300}}}}}));
  transport_.Expect("GET", url, Reply(200, {{"kind", "compute#networkList"}}));  // GCE's empty list
  for (const char* why : {"neither 'items' nor 'kind'", "'items' is not an array", "item 0 is not an object",
                          "item 0 is not an object"}) {
    Result<std::vector<json>> items = client_.List("/global/networks");
    ASSERT_FALSE(items.ok());
    EXPECT_NE(items.status().message().find(why), std::string::npos) << items.status().message();
    EXPECT_NE(items.status().message().find("GET /global/networks"), std::string::npos);
  }
  Result<std::vector<json>> empty = client_.List("/global/networks");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
}

TEST_F(GceClientTest, ListPagesThatComeBackAroundAreAnError) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-loop-1")));
  const std::string url = std::string(kProjectBase) + "/global/networks?maxResults=500";
  transport_.Expect("GET", url, Reply(200, {{"kind", "compute#networkList"}, {"nextPageToken", "a"}}));
  transport_.Expect("GET", url + "&pageToken=a", Reply(200, {{"kind", "compute#networkList"}, {"nextPageToken", "b"}}));
  transport_.Expect("GET", url + "&pageToken=b", Reply(200, {{"kind", "compute#networkList"}, {"nextPageToken", "a"}}));
  Result<std::vector<json>> items = client_.List("/global/networks");
  ASSERT_FALSE(items.ok());
  EXPECT_NE(items.status().message().find("never ends"), std::string::npos) << items.status().message();
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceClientTest, WaitGoesToTheEndpointNotToTheSelfLinksHost) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-foreign-1")));
  json op = Op("RUNNING");
  op["selfLink"] = "http://elsewhere.test:8080/compute/v1/projects/p1/global/operations/op-1";
  transport_.Expect("POST", std::string(kProjectBase) + "/global/networks?requestId=rid-f", Reply(200, op));
  transport_.Expect("POST", std::string(kProjectBase) + "/global/operations/op-1/wait", Reply(200, Op("DONE")));
  Status st = client_.MutateAndWait("POST", "/global/networks", {{"name", "n"}}, "rid-f", ctx_, "network n");
  EXPECT_TRUE(st.ok()) << st.ToString();
  for (const env::HttpRequest& r : transport_.Requests()) EXPECT_EQ(r.url.find("elsewhere"), std::string::npos);
  // An Operation that is not one is an error, not a wait on nothing.
  transport_.Expect("POST", std::string(kProjectBase) + "/global/networks?requestId=rid-g",
                    Reply(200, {{"selfLink", 5}, {"status", "RUNNING"}}));
  st = client_.MutateAndWait("POST", "/global/networks", {{"name", "n"}}, "rid-g", ctx_, "network n");
  EXPECT_NE(st.message().find("not an Operation"), std::string::npos) << st.ToString();
}

TEST_F(GceClientTest, WaitRepeatsUntilDoneAndSurfacesTheError) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-wait-1")));
  transport_.Expect("POST", std::string(kProjectBase) + "/zones/z/instances?requestId=rid", Reply(200, Op("PENDING")));
  transport_.Expect("POST", std::string(kProjectBase) + "/global/operations/op-1/wait", Reply(200, Op("RUNNING")));
  json error = {{"errors", json::array({{{"code", "QUOTA_EXCEEDED"},
                                         {"message", "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-central1."}}})}};
  transport_.Expect("POST", std::string(kProjectBase) + "/global/operations/op-1/wait", Reply(200, Op("DONE", error)));
  std::vector<std::string> recorded;
  ctx_.record_operation = [&](const std::string& op) { recorded.push_back(op); };
  Status st = client_.MutateAndWait("POST", "/zones/z/instances", {{"name", "i"}}, "rid", ctx_, "instance i");
  EXPECT_EQ(st.code(), StatusCode::kQuotaExceeded);
  EXPECT_NE(st.message().find("instance i"), std::string::npos);
  EXPECT_NE(st.message().find("Quota 'CPUS' exceeded"), std::string::npos);
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0], std::string(kProjectBase) + "/global/operations/op-1");
  EXPECT_EQ(client_.waits(), 2);
}

TEST_F(GceClientTest, ZoneExhaustionIsReportedAsSuch) {
  json op = Op("DONE", {{"errors", json::array({{{"code", "ZONE_RESOURCE_POOL_EXHAUSTED"}, {"message", "no room"}}})}});
  Status st = OperationError(op);
  EXPECT_NE(st.message().find("ZONE_RESOURCE_POOL_EXHAUSTED"), std::string::npos);
  EXPECT_NE(st.message().find("try another zone"), std::string::npos);
}

TEST_F(GceClientTest, LostInsertIsRepeatedWithTheSameRequestId) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-lost-1")));
  transport_.ExpectReset("POST", std::string(kProjectBase) + "/global/networks?requestId=rid-9");
  transport_.Expect("POST", std::string(kProjectBase) + "/global/networks?requestId=rid-9", Reply(200, Op("DONE")));
  Result<json> op = client_.Mutate("POST", "/global/networks", {{"name", "n"}}, "rid-9", ctx_);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ((*op)["status"], "DONE");
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceClientTest, RateLimit403IsRetriedAndQuotaFailsFast) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-rate-1")));
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks/n",
                    Reply(403, GoogleError(403, "rateLimitExceeded", "Quota exceeded for quota metric 'Queries'")));
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks/n", Reply(200, {{"name", "n"}}));
  EXPECT_TRUE(client_.Get("/global/networks/n").ok());
  transport_.Expect("POST", std::string(kProjectBase) + "/zones/z/instances",
                    Reply(403, GoogleError(403, "quotaExceeded", "Quota 'CPUS' exceeded. Limit: 24.0")));
  Result<json> r = client_.Mutate("POST", "/zones/z/instances", {{"name", "i"}}, "rid", ctx_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kQuotaExceeded);
  EXPECT_NE(r.status().message().find("CPUS"), std::string::npos);
  EXPECT_EQ(transport_.RequestCount(), 4u);  // the quota error was not retried
}

TEST_F(GceClientTest, ExpiredTokenIsReplacedAfterA401) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-old-1")));
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks/n",
                    Reply(401, GoogleError(401, "authError", "Invalid Credentials")));
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-new-2")));
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks/n", Reply(200, {{"name", "n"}}));
  ASSERT_TRUE(client_.Get("/global/networks/n").ok());
  EXPECT_EQ(BearerOf(transport_.Requests()[3]), "Bearer tok-new-2");
  EXPECT_EQ(auth_.fetches(), 2);
}

// Provider-level: a 409 is adopted only when the description names us.
class GceProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gce-key-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    key_path_ = tmpl;
    std::ofstream(key_path_) << KeyJson().dump();
    Tuning t;
    t.retry.seed = 1;
    t.retry.initial_backoff_ms = 1;
    t.client.retry_sleep_ms = 1;
    provider_ = std::make_unique<GceProvider>(engine::ProviderEnv{&clock_, &transport_, ""}, t);
    ASSERT_TRUE(provider_->Configure(Config()).ok());
  }
  engine::ProviderConfig Config() const {
    engine::ProviderConfig c;
    c.name = "gcp";
    c.type = "gce";
    c.deployment = "demo";
    c.region = "us-central1";
    c.zones = {"us-central1-a"};
    c.endpoint = kEndpoint;
    c.settings = {{"project", "p1"}, {"credentials", key_path_}};
    return c;
  }
  void TearDown() override { std::remove(key_path_.c_str()); }

  model::Resource Firewall() {
    model::Resource r;
    r.address = *model::Address::Parse("web.firewall");
    r.cloud_name = "demo-web-fw";
    r.tags = {{"orchestrator-deployment", "demo"}, {"orchestrator-address", "web.firewall"}};
    r.attributes = {{"rules", {{{"protocol", "tcp"}, {"ports", "80"}, {"sources", {"0.0.0.0/0"}}, {"source_tags", json::array()}}}},
                    {"target_tag", "demo-web"}};
    return r;
  }

  testing::FakeClock clock_;
  testing::ScriptedTransport transport_;
  std::unique_ptr<GceProvider> provider_;
  std::string key_path_;
};

TEST_F(GceProviderTest, AlreadyExistsIsAdoptedWhenTheTagsProveItIsOurs) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-prov-1")));
  transport_.Expect("POST", std::string(kProjectBase) + "/global/firewalls?requestId=",
                    Reply(409, GoogleError(409, "alreadyExists", "The resource 'demo-web-fw-0' already exists")));
  json existing = {{"name", "demo-web-fw-0"},
                   {"description", DescriptionFor(Firewall().tags)},
                   {"selfLink", std::string(kProjectBase) + "/global/firewalls/demo-web-fw-0"}};
  transport_.Expect("GET", std::string(kProjectBase) + "/global/firewalls/demo-web-fw-0", Reply(200, existing));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> r = provider_->Create(Firewall(), ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "demo-web-fw");
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceProviderTest, AlreadyExistsOfSomethingElseIsAClearError) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-prov-2")));
  transport_.Expect("POST", std::string(kProjectBase) + "/global/firewalls?requestId=",
                    Reply(409, GoogleError(409, "alreadyExists", "The resource 'demo-web-fw-0' already exists")));
  transport_.Expect("GET", std::string(kProjectBase) + "/global/firewalls/demo-web-fw-0",
                    Reply(200, {{"name", "demo-web-fw-0"}, {"description", "made by hand"}}));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> r = provider_->Create(Firewall(), ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  EXPECT_NE(r.status().message().find("web.firewall"), std::string::npos);
  EXPECT_NE(r.status().message().find("already exists"), std::string::npos);
}

TEST_F(GceProviderTest, DeleteOfSomethingGoneSucceeds) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-prov-3")));
  transport_.Expect("DELETE", std::string(kProjectBase) + "/zones/us-central1-a/instances/demo-web-0",
                    Reply(404, GoogleError(404, "notFound", "The resource was not found")));
  state::ResourceState prior;
  prior.address = "web.instance[0]";
  prior.kind = "instance";
  prior.id = "zones/us-central1-a/instances/demo-web-0";
  engine::ApplyContext ctx;
  EXPECT_TRUE(provider_->Delete(prior, ctx).ok());
}


// GCE ignores a requestId it saw in the last hour and answers with the old
// Operation: a redeploy after teardown (a new run, same deployment and
// bodies) must not repeat the ids of the first deploy.
TEST_F(GceProviderTest, ANewRunSendsNewRequestIds) {
  auto create_firewall = [&](GceProvider* p, const std::string& token) {
    const std::string fw = std::string(kProjectBase) + "/global/firewalls";
    transport_.Expect("POST", kTokenUri, Reply(200, TokenBody(token)));
    transport_.Expect("POST", fw + "?requestId=",
                      Reply(200, {{"name", "op-fw"}, {"status", "DONE"}, {"selfLink", fw + "/op-fw"}}));
    transport_.Expect("GET", fw + "/demo-web-fw-0", Reply(200, {{"name", "demo-web-fw-0"}}));
    engine::ApplyContext ctx;
    ctx.attempt = 1;
    Result<engine::ObservedResource> r = p->Create(Firewall(), ctx);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::string id;
    for (const env::HttpRequest& q : transport_.Requests())
      if (q.method == "POST" && q.url.find("/global/firewalls?requestId=") != std::string::npos) id = q.url;
    return id.substr(id.find("requestId=") + 10);
  };
  std::string first = create_firewall(provider_.get(), "tok-run-1");
  ASSERT_EQ(first.size(), 36u) << first;  // a UUID

  Tuning t;
  t.retry.seed = 2;
  GceProvider second_run(engine::ProviderEnv{&clock_, &transport_, ""}, t);
  ASSERT_TRUE(second_run.Configure(Config()).ok());
  std::string second = create_firewall(&second_run, "tok-run-2");
  ASSERT_EQ(second.size(), 36u) << second;
  EXPECT_NE(first, second);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

// `existing:` networks: looked up by name or numeric id, never created,
// changed or deleted; instances on them use the lookup's subnetwork.
class GceExistingNetworkTest : public GceProviderTest {
 protected:
  static model::Resource Lookup(const std::string& existing) {
    model::Resource r;
    r.address = *model::Address::Parse("network.app");
    r.cloud_name = "demo-app";
    r.tags = {{"orchestrator-deployment", "demo"}, {"orchestrator-address", "network.app"}};
    r.attributes = {{"existing", existing}, {"lookup", true}, {"region", "us-central1"}};
    return r;
  }
  // A custom-mode network with subnetworks in two regions.
  static json TeamNet() {
    const std::string base = kProjectBase;
    return {{"kind", "compute#network"},
            {"id", "4417815366263519201"},
            {"name", "team-net"},
            {"autoCreateSubnetworks", false},
            {"selfLink", base + "/global/networks/team-net"},
            {"subnetworks", {base + "/regions/europe-west1/subnetworks/team-eu",
                             base + "/regions/us-central1/subnetworks/team-us"}}};
  }
  static json TeamUs() {
    return {{"name", "team-us"},
            {"ipCidrRange", "10.77.0.0/20"},
            {"network", std::string(kProjectBase) + "/global/networks/team-net"},
            {"selfLink", std::string(kProjectBase) + "/regions/us-central1/subnetworks/team-us"}};
  }
  static model::Resource InstanceOn(const std::string& network) {
    model::Resource r;
    r.address = *model::Address::Parse("web.instance[0]");
    r.cloud_name = "demo-web-0";
    r.tags = {{"orchestrator-deployment", "demo"}, {"orchestrator-address", "web.instance[0]"}};
    r.attributes = {{"size", "e2-small"}, {"image", "projects/debian-cloud/global/images/debian-12"},
                    {"network", network}, {"region", "us-central1"}, {"zone", "us-central1-a"}};
    return r;
  }
  // Scripts an instance insert that succeeds at once; returns nothing.
  void ExpectInstanceInsert() {
    const std::string zone = std::string(kProjectBase) + "/zones/us-central1-a";
    transport_.Expect("POST", zone + "/instances?requestId=",
                      Reply(200, {{"name", "op-1"}, {"status", "DONE"}, {"selfLink", zone + "/operations/op-1"}}));
    transport_.Expect("GET", zone + "/instances/demo-web-0",
                      Reply(200, {{"name", "demo-web-0"}, {"status", "RUNNING"},
                                  {"selfLink", zone + "/instances/demo-web-0"}}));
  }
  // The subnetwork of the last instance insert's first network interface.
  std::string InsertedSubnetwork() const {
    std::string out = "<no insert>";
    for (const env::HttpRequest& q : transport_.Requests())
      if (q.method == "POST" && q.url.find("/instances?") != std::string::npos)
        out = json::parse(q.body)["networkInterfaces"][0].value("subnetwork", "");
    return out;
  }
};

TEST_F(GceExistingNetworkTest, FoundByNameWithItsSubnetworkOfTheRegion) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-net-1")));
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks/team-net", Reply(200, TeamNet()));
  transport_.Expect("GET", std::string(kProjectBase) + "/regions/us-central1/subnetworks/team-us", Reply(200, TeamUs()));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> r = provider_->Create(Lookup("team-net"), ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "global/networks/team-net");
  EXPECT_EQ(r->cloud_name, "team-net");
  EXPECT_EQ(r->outputs["subnetwork"], "regions/us-central1/subnetworks/team-us");
  EXPECT_EQ(r->outputs["cidr"], "10.77.0.0/20");
  EXPECT_EQ(r->outputs["mode"], "custom");

  // An instance on it goes to that subnetwork without reading the network again.
  ExpectInstanceInsert();
  Result<engine::ObservedResource> i = provider_->Create(InstanceOn(r->id), ctx);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(InsertedSubnetwork(), "regions/us-central1/subnetworks/team-us");
  EXPECT_TRUE(transport_.Unexpected().empty());
  for (const env::HttpRequest& q : transport_.Requests())
    EXPECT_FALSE(q.method == "POST" && q.url.find("/global/networks") != std::string::npos) << q.url;

  // Teardown leaves it alone: no request at all.
  state::ResourceState prior;
  prior.address = "network.app";
  prior.kind = "network";
  prior.id = r->id;
  prior.attributes = Lookup("team-net").attributes;
  const size_t before = transport_.RequestCount();
  EXPECT_TRUE(provider_->Delete(prior, ctx).ok());
  EXPECT_EQ(transport_.RequestCount(), before);
}

TEST_F(GceExistingNetworkTest, FoundByNumericIdThroughAListFilter) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-net-2")));
  json other = TeamNet();
  other["id"] = "4417815366263519";  // a prefix of the id asked for: not it
  other["name"] = "other-net";
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks?",
                    Reply(200, {{"kind", "compute#networkList"}, {"items", {other, TeamNet()}}}));
  transport_.Expect("GET", std::string(kProjectBase) + "/regions/us-central1/subnetworks/team-us", Reply(200, TeamUs()));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> r = provider_->Create(Lookup("4417815366263519201"), ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "global/networks/team-net");
  EXPECT_EQ(r->outputs["subnetwork"], "regions/us-central1/subnetworks/team-us");
  std::vector<env::HttpRequest> q = transport_.Requests();
  ASSERT_GE(q.size(), 2u);
  EXPECT_NE(q[1].url.find("filter=id%20%3D%204417815366263519201"), std::string::npos) << q[1].url;
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceExistingNetworkTest, NotFoundNamesTheNetworkTheProjectAndWhatToDo) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-net-3")));
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks/nope",
                    Reply(404, GoogleError(404, "notFound", "The resource 'projects/p1/global/networks/nope' was not found")));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> r = provider_->Create(Lookup("nope"), ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(),
            "network.app: no network 'nope' in project p1 of provider 'gcp'; list them with `gcloud compute networks "
            "list --project p1`");

  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks?",
                    Reply(200, {{"kind", "compute#networkList"}, {"items", json::array()}}));
  Result<engine::ObservedResource> by_id = provider_->Create(Lookup("123"), ctx);
  ASSERT_FALSE(by_id.ok());
  EXPECT_NE(by_id.status().message().find("no network '123' in project p1"), std::string::npos)
      << by_id.status().ToString();
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceExistingNetworkTest, NoSubnetworkInTheRegionIsAClearError) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-net-4")));
  json eu_only = TeamNet();
  eu_only["subnetworks"] = {std::string(kProjectBase) + "/regions/europe-west1/subnetworks/team-eu"};
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks/team-net", Reply(200, eu_only));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> r = provider_->Create(Lookup("team-net"), ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("network 'team-net' of project p1 has no subnetwork in region us-central1, "
                                      "where provider 'gcp' deploys"),
            std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("gcloud compute networks subnets create"), std::string::npos);
  EXPECT_EQ(transport_.Remaining(), 0u);

  // An answer that is no network at all is an error, not a lookup.
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks/team-net", Reply(200, json::array({1, 2})));
  Result<engine::ObservedResource> odd = provider_->Create(Lookup("team-net"), ctx);
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.status().message().find("without a name"), std::string::npos) << odd.status().ToString();
}

TEST_F(GceExistingNetworkTest, ALaterRunFindsTheSubnetworkFromStateOrFromTheNetwork) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-net-5")));
  // Without a recorded lookup: one GET of the network, then the insert.
  transport_.Expect("GET", std::string(kProjectBase) + "/global/networks/team-net", Reply(200, TeamNet()));
  ExpectInstanceInsert();
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> i = provider_->Create(InstanceOn("global/networks/team-net"), ctx);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  EXPECT_EQ(InsertedSubnetwork(), "regions/us-central1/subnetworks/team-us");
  EXPECT_TRUE(transport_.Unexpected().empty());

  // Recorded in state (refresh hands it to FindRecorded): no GET at all.
  state::ResourceState rs;
  rs.address = "network.app";
  rs.kind = "network";
  rs.id = "global/networks/shared";
  rs.attributes = Lookup("shared").attributes;
  rs.outputs = {{"subnetwork", "regions/us-central1/subnetworks/shared-b"}};
  Result<std::vector<engine::ObservedResource>> found = provider_->FindRecorded({rs});
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty());  // never reported: the planner trusts the state
  ExpectInstanceInsert();
  const size_t before = transport_.RequestCount();
  Result<engine::ObservedResource> j = provider_->Create(InstanceOn("global/networks/shared"), ctx);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(transport_.RequestCount(), before + 2);  // the insert and the GET of the instance
  EXPECT_EQ(InsertedSubnetwork(), "regions/us-central1/subnetworks/shared-b");
  EXPECT_TRUE(transport_.Unexpected().empty());
}

// SSH keys: no key object in GCE. The key resource makes no call; instances
// and templates carry the `ssh-keys` metadata item; a key change updates an
// instance with setMetadata and its current fingerprint.
class GceSshKeyTest : public GceExistingNetworkTest {
 protected:
  // ssh-keygen -t ed25519 -C ops@host; `ssh-keygen -l` prints kKey1Fingerprint.
  static constexpr const char* kKey1 =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJKxcXwXMiR1cbJnKz/Z3gU4mE4NpTAq8RTO+C0a8sN2 ops@host";
  static constexpr const char* kKey1Fingerprint = "SHA256:Ou1242TeofTS7Hqf/XCjAN7galrs5OHQQRttevIywZ4";
  static constexpr const char* kKey2 =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH7Qv/qEiWB9Vd4+kaYB9QmlM7Z89MrjHYVbhEVAGmxr ops@host";
  static model::Resource Key(const std::string& name, const std::string& public_key) {
    model::Resource r;
    r.address = *model::Address::Parse("ssh_key." + name + "@gcp");
    r.cloud_name = "demo-" + name;
    r.tags = {{"orchestrator-deployment", "demo"}, {"orchestrator-address", r.address.ToString()}};
    r.attributes = {{"public_key", public_key}};
    return r;
  }
  static model::Resource InstanceWithKeys(json keys) {
    model::Resource r = InstanceOn("");
    r.attributes.erase("network");
    r.attributes["ssh_keys"] = std::move(keys);
    r.attributes["user_data"] = "#cloud-config\n";
    return r;
  }
  // The metadata items of the last request whose URL contains `part`, by key.
  std::map<std::string, std::string> SentItems(const std::string& part, bool template_body = false) const {
    std::map<std::string, std::string> out;
    for (const env::HttpRequest& q : transport_.Requests()) {
      if (q.method != "POST" || q.url.find(part) == std::string::npos) continue;
      json b = json::parse(q.body);
      const json& md = template_body ? b["properties"]["metadata"] : (b.contains("metadata") ? b["metadata"] : b);
      out.clear();
      for (const json& i : md.value("items", json::array())) out[i["key"]] = i["value"];
    }
    return out;
  }
};

TEST_F(GceSshKeyTest, AKeyMakesNoCallAndItsIdIsTheMetadataLine) {
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> k = provider_->Create(Key("ops", kKey1), ctx);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->id, "ops:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJKxcXwXMiR1cbJnKz/Z3gU4mE4NpTAq8RTO+C0a8sN2");
  EXPECT_EQ(k->outputs["id"], k->id);
  EXPECT_EQ(k->outputs["fingerprint"], kKey1Fingerprint);
  EXPECT_EQ(k->kind, "ssh_key");
  EXPECT_EQ(k->address, "ssh_key.ops@gcp");

  state::ResourceState rs;
  rs.address = "ssh_key.ops@gcp";
  rs.kind = "ssh_key";
  rs.id = k->id;
  rs.outputs = k->outputs;
  rs.tags = k->tags;
  EXPECT_TRUE(provider_->Delete(rs, ctx).ok());
  // Refresh cannot list keys: the recorded one is reported as present.
  state::ResourceState gone_instance;
  gone_instance.address = "web.instance[0]";
  gone_instance.kind = "instance";
  gone_instance.id = "zones/us-central1-a/instances/demo-web-0";
  Result<std::vector<engine::ObservedResource>> found = provider_->FindRecorded({rs, gone_instance});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].address, "ssh_key.ops@gcp");
  EXPECT_EQ((*found)[0].id, k->id);
  EXPECT_EQ((*found)[0].outputs["fingerprint"], kKey1Fingerprint);
  EXPECT_EQ(transport_.RequestCount(), 0u);  // not even a token
  EXPECT_TRUE(provider_->GetCapabilities().kinds.count(model::Kind::kSshKey));
}

TEST_F(GceSshKeyTest, AKeyThatIsNoOpenSshLineIsRefusedByValidate) {
  Diagnostics diags;
  provider_->Validate(Key("ops", kKey1), SourceRange{}, &diags);
  EXPECT_FALSE(diags.HasErrors());
  provider_->Validate(Key("ops", "ssh-ed25519 not*base64"), SourceRange{}, &diags);
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_NE(diags.items()[0].message.find("ssh_key.ops@gcp: public_key's key data is not base64"), std::string::npos)
      << diags.items()[0].message;
}

TEST_F(GceSshKeyTest, InstancesAndTemplatesCarryTheSshKeysItem) {
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-ssh-1")));
  ExpectInstanceInsert();
  engine::ApplyContext ctx;
  json keys = {"ops:ssh-ed25519 AAAA1", "dev:ssh-rsa BBBB2"};
  Result<engine::ObservedResource> i = provider_->Create(InstanceWithKeys(keys), ctx);
  ASSERT_TRUE(i.ok()) << i.status().ToString();
  std::map<std::string, std::string> items = SentItems("/instances?");
  EXPECT_EQ(items["ssh-keys"], "ops:ssh-ed25519 AAAA1\ndev:ssh-rsa BBBB2");
  EXPECT_EQ(items["user-data"], "#cloud-config\n");

  // Without keys there is no item at all.
  ExpectInstanceInsert();
  ASSERT_TRUE(provider_->Create(InstanceWithKeys(json::array()), ctx).ok());
  items = SentItems("/instances?");
  EXPECT_EQ(items.count("ssh-keys"), 0u);
  EXPECT_EQ(items.size(), 1u);

  // A group's template: the insert is inspected, the group insert then fails.
  model::Resource group = InstanceWithKeys(keys);
  group.address = *model::Address::Parse("api.group");
  group.cloud_name = "demo-api";
  group.attributes["min"] = 1;
  group.attributes["max"] = 2;
  const std::string base = kProjectBase;
  transport_.Expect("POST", base + "/global/instanceTemplates?requestId=",
                    Reply(200, {{"name", "op-t"}, {"status", "DONE"}, {"selfLink", base + "/global/operations/op-t"}}));
  transport_.Expect("GET", base + "/global/instanceTemplates/demo-api-",
                    Reply(200, {{"name", "demo-api-x"}, {"selfLink", base + "/global/instanceTemplates/demo-api-x"}}));
  transport_.Expect("POST", base + "/zones/us-central1-a/instanceGroupManagers?requestId=",
                    Reply(400, GoogleError(400, "invalid", "stop here")));
  ASSERT_FALSE(provider_->Create(group, ctx).ok());
  items = SentItems("/instanceTemplates?", true);
  EXPECT_EQ(items["ssh-keys"], "ops:ssh-ed25519 AAAA1\ndev:ssh-rsa BBBB2");
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceSshKeyTest, OnlyAKeyChangeUpdatesAnInstanceInPlace) {
  model::Resource desired = InstanceWithKeys({"(known after apply)"});
  state::ResourceState prior;
  prior.attributes = InstanceWithKeys({"ops:ssh-ed25519 AAAA1"}).attributes;
  EXPECT_EQ(provider_->Diff(desired, prior), plan::DiffDecision::kUpdate);
  desired.attributes["size"] = "e2-medium";
  EXPECT_EQ(provider_->Diff(desired, prior), plan::DiffDecision::kReplace);
  prior.attributes = Key("ops", kKey1).attributes;
  EXPECT_EQ(provider_->Diff(Key("ops", kKey2), prior), plan::DiffDecision::kReplace);
  EXPECT_EQ(provider_->Diff(Key("ops", kKey1), prior), plan::DiffDecision::kNoop);
}

TEST_F(GceSshKeyTest, SetMetadataSendsTheCurrentFingerprintAndKeepsOtherItems) {
  const std::string inst = std::string(kProjectBase) + "/zones/us-central1-a/instances/demo-web-0";
  auto instance = [&](const std::string& fp, const std::string& keys) {
    return json{{"name", "demo-web-0"},
                {"status", "RUNNING"},
                {"selfLink", inst},
                {"metadata", {{"fingerprint", fp},
                              {"items", {{{"key", "user-data"}, {"value", "#cloud-config\n"}},
                                         {{"key", "ssh-keys"}, {"value", keys}}}}}}};
  };
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-ssh-2")));
  transport_.Expect("GET", inst, Reply(200, instance("fp-1", "ops:ssh-ed25519 OLD")));
  // Someone changed the metadata in between: 412, read again, set again.
  transport_.Expect("POST", inst + "/setMetadata?requestId=",
                    Reply(412, GoogleError(412, "conditionNotMet",
                                           "Supplied fingerprint does not match current metadata fingerprint.")));
  transport_.Expect("GET", inst, Reply(200, instance("fp-2", "ops:ssh-ed25519 OLD")));
  transport_.Expect("POST", inst + "/setMetadata?requestId=",
                    Reply(200, {{"name", "op-m"}, {"status", "DONE"}, {"selfLink", inst + "/op-m"}}));
  transport_.Expect("GET", inst, Reply(200, instance("fp-3", "ops:ssh-ed25519 NEW")));
  state::ResourceState prior;
  prior.address = "web.instance[0]";
  prior.kind = "instance";
  prior.id = "zones/us-central1-a/instances/demo-web-0";
  prior.attributes = InstanceWithKeys({"ops:ssh-ed25519 OLD"}).attributes;
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> u = provider_->Update(InstanceWithKeys({"ops:ssh-ed25519 NEW"}), prior, ctx);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->id, prior.id);
  json last;
  for (const env::HttpRequest& q : transport_.Requests())
    if (q.url.find("/setMetadata") != std::string::npos) last = json::parse(q.body);
  EXPECT_EQ(last["fingerprint"], "fp-2");
  EXPECT_EQ(SentItems("/setMetadata"),
            (std::map<std::string, std::string>{{"user-data", "#cloud-config\n"}, {"ssh-keys", "ops:ssh-ed25519 NEW"}}));
  EXPECT_TRUE(transport_.Unexpected().empty());

  // Already what is wanted (a resumed update): one GET, no setMetadata.
  transport_.Expect("GET", inst, Reply(200, instance("fp-3", "ops:ssh-ed25519 NEW")));
  const size_t before = transport_.RequestCount();
  ASSERT_TRUE(provider_->Update(InstanceWithKeys({"ops:ssh-ed25519 NEW"}), prior, ctx).ok());
  EXPECT_EQ(transport_.RequestCount(), before + 1);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

}  // namespace
}  // namespace orch::providers::gce

namespace orch::providers::gce {
namespace {

// Drift: the in-place updates that put back what was changed outside
// (what is read back and compared: firewall_test.cc, load_balancer_test.cc).


TEST_F(GceProviderTest, FirewallDriftIsPatchedRuleByRule) {
  model::Resource fw = Firewall();
  fw.attributes["rules"].push_back(
      {{"protocol", "tcp"}, {"ports", "22"}, {"sources", {"10.0.0.0/8"}}, {"source_tags", json::array()}});
  const std::string fws = std::string(kProjectBase) + "/global/firewalls";
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-drift-1")));
  // Rule 0 was opened to another range; rule 1 was deleted; rule 2 is left over.
  json rule0 = FirewallRuleBody(fw, fw.attributes["rules"][0], 0);
  rule0["sourceRanges"] = json::array({"1.2.3.0/24"});
  json rule2 = FirewallRuleBody(fw, fw.attributes["rules"][0], 2);
  transport_.Expect("GET", fws + "?maxResults=500&filter=", Reply(200, {{"items", json::array({rule0, rule2})}}));
  transport_.Expect("PATCH", fws + "/demo-web-fw-0?requestId=",
                    Reply(200, {{"name", "op-p"}, {"status", "DONE"}, {"selfLink", fws + "/op-p"}}));
  transport_.Expect("POST", fws + "?requestId=", Reply(200, {{"name", "op-i"}, {"status", "DONE"}, {"selfLink", fws + "/op-i"}}));
  transport_.Expect("GET", fws + "/demo-web-fw-1", Reply(200, {{"name", "demo-web-fw-1"}}));
  transport_.Expect("DELETE", fws + "/demo-web-fw-2", Reply(200, {{"name", "op-d"}, {"status", "DONE"}, {"selfLink", fws + "/op-d"}}));
  state::ResourceState prior;
  prior.address = "web.firewall";
  prior.kind = "firewall";
  prior.id = "demo-web-fw";
  prior.attributes = fw.attributes;
  EXPECT_EQ(provider_->Diff(fw, prior), plan::DiffDecision::kNoop);
  state::ResourceState live = prior;
  live.attributes["rules"][0]["sources"] = json::array({"1.2.3.0/24"});
  EXPECT_EQ(provider_->Diff(fw, live), plan::DiffDecision::kUpdate);
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> u = provider_->Update(fw, prior, ctx);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->id, "demo-web-fw");
  json patch;
  for (const env::HttpRequest& q : transport_.Requests())
    if (q.method == "PATCH") patch = json::parse(q.body);
  EXPECT_EQ(patch, json({{"sourceRanges", {"0.0.0.0/0"}}}));  // only what differs
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceProviderTest, LoadBalancerDriftPatchesTheHealthCheckAndPutsMembersBackIntoThePool) {
  model::Resource lb;
  lb.address = *model::Address::Parse("api.lb");
  lb.cloud_name = "demo-api-lb";
  lb.tags = {{"orchestrator-deployment", "demo"}, {"orchestrator-address", "api.lb"}};
  lb.attributes = {{"region", "us-central1"}, {"targets", {{"tier", "api"}, {"tag", "demo-api"}}}};
  const std::string rp = std::string(kProjectBase) + "/regions/us-central1/targetPools/demo-api-lb";
  const std::string z = std::string(kProjectBase) + "/zones/us-central1-a/instances";
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-drift-2")));
  const std::string hc = std::string(kProjectBase) + "/global/httpHealthChecks/demo-api-lb";
  transport_.Expect("GET", hc,
                    Reply(200, {{"name", "demo-api-lb"}, {"port", 80}, {"requestPath", "/changed"}, {"checkIntervalSec", 5},
                                {"timeoutSec", 5}, {"healthyThreshold", 2}, {"unhealthyThreshold", 2}}));
  transport_.Expect("PATCH", hc + "?requestId=", Reply(200, {{"name", "op-h"}, {"status", "DONE"}, {"selfLink", hc + "/op-h"}}));
  transport_.Expect("GET", rp, Reply(200, {{"name", "demo-api-lb"}, {"instances", json::array({z + "/demo-api-aaaa"})}}));
  transport_.Expect("GET", z + "?maxResults=500&filter=",
                    Reply(200, {{"items", json::array({{{"name", "demo-api-aaaa"}, {"status", "RUNNING"}, {"selfLink", z + "/demo-api-aaaa"}},
                                                       {{"name", "demo-api-bbbb"}, {"status", "RUNNING"}, {"selfLink", z + "/demo-api-bbbb"}}})}}));
  transport_.Expect("POST", rp + "/addInstance?requestId=",
                    Reply(200, {{"name", "op-a"}, {"status", "DONE"}, {"selfLink", rp + "/op-a"}}));
  state::ResourceState prior;
  prior.address = "api.lb";
  prior.kind = "load_balancer";
  prior.id = "demo-api-lb";
  prior.attributes = lb.attributes;
  prior.outputs = {{"id", "demo-api-lb"}, {"ip", "34.1.2.3"}};
  state::ResourceState live = prior;
  live.attributes["targets"]["missing"] = json::array({"demo-api-bbbb"});
  EXPECT_EQ(provider_->Diff(lb, live), plan::DiffDecision::kUpdate);
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> u = provider_->Update(lb, prior, ctx);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->outputs["ip"], "34.1.2.3");
  json add;
  for (const env::HttpRequest& q : transport_.Requests())
    if (q.url.find("/addInstance") != std::string::npos) add = json::parse(q.body);
  EXPECT_EQ(add, json({{"instances", {{{"instance", z + "/demo-api-bbbb"}}}}}));
  json patch;
  for (const env::HttpRequest& q : transport_.Requests())
    if (q.method == "PATCH") patch = json::parse(q.body);
  EXPECT_EQ(patch, json({{"requestPath", "/"}}));  // only the field that differs
  EXPECT_TRUE(transport_.Unexpected().empty());
}

}  // namespace
}  // namespace orch::providers::gce

namespace orch::providers::gce {
namespace {

// docs/providers/gce.md carries the attribute table the handlers declare.
TEST(GceHandlers, TheDocumentedAttributeTableIsTheDeclaredOne) {
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  GceProvider provider(engine::ProviderEnv{&clock, &transport, ""});
  const std::string want = common::AttributeTable(provider.handlers());
  const std::string path = std::string(ORCH_SOURCE_DIR) + "/docs/providers/gce.md";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "cannot read " << path;
  std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(common::DocumentedAttributeTable(doc), want)
      << path << " should have, between <!-- BEGIN attributes --> and <!-- END attributes -->:\n"
      << want;
}

TEST(GceHandlers, EveryKindHasAHandlerAndTheDefaultDiffKeepsTheOldAnswers) {
  testing::FakeClock clock;
  testing::ScriptedTransport transport;
  GceProvider provider(engine::ProviderEnv{&clock, &transport, ""});
  EXPECT_EQ(provider.handlers().kinds().size(), 9u);
  EXPECT_EQ(provider.GetCapabilities().kinds.size(), 9u);
  // A volume: any change replaces it; none is a no-op.
  model::Resource v;
  v.address = *model::Address::Parse("db.volume.data[0]");
  v.attributes = {{"size_gb", 10}, {"region", "us-central1"}, {"zone", "us-central1-a"}};
  state::ResourceState prior;
  prior.kind = "volume";
  prior.id = "zones/us-central1-a/disks/demo-db-data-0";
  prior.attributes = v.attributes;
  EXPECT_EQ(provider.Diff(v, prior), plan::DiffDecision::kNoop);
  prior.attributes["size_gb"] = 20;
  EXPECT_EQ(provider.Diff(v, prior), plan::DiffDecision::kReplace);
  prior.attributes = v.attributes;
  prior.attributes["unknown"] = 1;
  EXPECT_EQ(provider.Diff(v, prior), plan::DiffDecision::kReplace);
  // A group: scaling and instance attributes in place, network replaces.
  model::Resource g;
  g.address = *model::Address::Parse("api.group");
  g.attributes = {{"min", 1}, {"max", 3}, {"size", "e2-small"}, {"network", "global/networks/a"}, {"region", "r"}};
  state::ResourceState gp;
  gp.kind = "instance_group";
  gp.id = "regions/r/instanceGroupManagers/demo-api";
  gp.attributes = g.attributes;
  gp.attributes["max"] = 5;
  EXPECT_EQ(provider.Diff(g, gp), plan::DiffDecision::kUpdate);
  gp.attributes["network"] = "global/networks/b";
  EXPECT_EQ(provider.Diff(g, gp), plan::DiffDecision::kReplace);
}

}  // namespace
}  // namespace orch::providers::gce

namespace orch::providers::gce {
namespace {

using nlohmann::json;

json QuotaAttempt(const std::string& zone, const std::string& name) {
  return {{"instance", std::string(kProjectBase) + "/zones/" + zone + "/instances/" + name},
          {"currentAction", "CREATING"},
          {"lastAttempt",
           {{"errors",
             {{"errors", json::array({{{"code", "QUOTA_EXCEEDED"},
                                       {"message", "Quota 'CPUS' exceeded.  Limit: 8.0 in region us-central1."},
                                       {"errorDetails", json::array({{{"quotaInfo", {{"metricName", "compute.googleapis.com/cpus"},
                                                                                     {"limit", 8.0}}}}})}}})}}}}}};
}

TEST(GceGroupReason, NamesTheFirstFailedAttemptAndTheActionsLeft) {
  json group = {{"currentActions", {{"none", 2}, {"creating", 2}, {"deleting", 0}, {"recreating", 1}}},
                {"status", {{"isStable", false}}}};
  json managed = {{"managedInstances",
                   json::array({{{"instance", "zones/us-central1-a/instances/g-abcd"}, {"currentAction", "NONE"}},
                                QuotaAttempt("us-central1-a", "g-efgh"), QuotaAttempt("us-central1-b", "g-ijkl")})}};
  GroupUnstableReason r = UnstableReason(group, managed);
  EXPECT_EQ(r.error_code, "QUOTA_EXCEEDED");
  EXPECT_EQ(r.failed, 2);
  EXPECT_EQ(r.Text(),
            "2 creating, 1 recreating; last attempt: QUOTA_EXCEEDED: Quota 'CPUS' exceeded.  Limit: 8.0 in region "
            "us-central1. (2 members failed so; raise the quota or lower the group size)");
}

TEST(GceGroupReason, WithoutFailedAttemptsTheActionsAloneAndOtherCodesWithoutAdvice) {
  json group = {{"currentActions", {{"none", 0}, {"creating", 3}}}};
  EXPECT_EQ(UnstableReason(group, json::object()).Text(), "3 creating");
  EXPECT_EQ(UnstableReason(json::object(), json::object()).Text(), "");
  json managed = {{"managedInstances",
                   json::array({{{"lastAttempt",
                                  {{"errors", {{"errors", json::array({{{"code", "RESOURCE_NOT_FOUND"},
                                                                        {"message", "The resource 't' was not found"}}})}}}}}}})}};
  EXPECT_EQ(UnstableReason(group, managed).Text(),
            "3 creating; last attempt: RESOURCE_NOT_FOUND: The resource 't' was not found");
  // Answers not shaped like the API's give no reason rather than an error.
  for (const json& odd : {json::array(), json{{"managedInstances", "x"}},
                          json{{"managedInstances", json::array({json{{"lastAttempt", {{"errors", 7}}}}})}}})
    EXPECT_EQ(UnstableReason(json::object(), odd).Text(), "") << odd.dump();
}

// A group whose member cannot be made (quota): the create waits until the
// tier's create timeout, says why once, and fails naming the cloud's reason.
TEST_F(GceProviderTest, AGroupAtQuotaFailsAtItsDeadlineWithTheCloudsReason) {
  const std::string base = kProjectBase;
  const std::string igm = base + "/zones/us-central1-a/instanceGroupManagers/demo-api";
  int managed_lists = 0;
  transport_.SetFallback([&](const env::HttpRequest& q) -> Result<env::HttpResponse> {
    std::string url = q.url.substr(0, q.url.find('?'));
    if (url == kTokenUri) return Reply(200, TokenBody("tok-group"));
    if (url == igm + "/listManagedInstances") {
      ++managed_lists;
      return Reply(200, {{"managedInstances", json::array({QuotaAttempt("us-central1-a", "demo-api-x1y2")})}});
    }
    if (q.method == "POST")
      return Reply(200, {{"name", "op-1"}, {"status", "DONE"}, {"selfLink", base + "/zones/us-central1-a/operations/op-1"}});
    if (url == igm)
      return Reply(200, {{"name", "demo-api"},
                         {"selfLink", igm},
                         {"targetSize", 1},
                         {"currentActions", {{"none", 0}, {"creating", 1}}},
                         {"status", {{"isStable", false}}}});
    return Reply(200, {{"name", url.substr(url.rfind('/') + 1)}, {"selfLink", url}});
  });
  model::Resource r;
  r.address = *model::Address::Parse("api.group");
  r.cloud_name = "demo-api";
  r.tags = {{"orchestrator-deployment", "demo"}, {"orchestrator-address", "api.group"}};
  r.attributes = {{"min", 1}, {"max", 1}, {"cpu_target", 0.6}, {"size", "n2-standard-4"},
                  {"image", "projects/debian-cloud/global/images/family/debian-12"}, {"region", "us-central1"},
                  {"zone", "us-central1-a"}, {"ssh_keys", json::array()}, {"target_tag", "demo-api"},
                  {"timeouts", {{"create_ms", 60000}}}};
  std::vector<std::string> progress;
  engine::ApplyContext ctx;
  ctx.progress = [&](const std::string& m) { progress.push_back(m); };
  const int64_t start = clock_.MonotonicMicros();
  Result<engine::ObservedResource> made = provider_->Create(r, ctx);
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kQuotaExceeded);
  EXPECT_EQ(made.status().message(),
            "api.group: group demo-api did not become stable within 1m: 1 creating; last attempt: QUOTA_EXCEEDED: "
            "Quota 'CPUS' exceeded.  Limit: 8.0 in region us-central1. (raise the quota or lower the group size)");
  const int64_t waited_ms = (clock_.MonotonicMicros() - start) / 1000;
  EXPECT_GE(waited_ms, 60000);
  EXPECT_LT(waited_ms, 70000) << "the deadline is the tier's, not the 20 minute default";
  EXPECT_GT(managed_lists, 1);
  int waiting = 0;
  for (const std::string& m : progress)
    if (m.rfind("waiting for group demo-api", 0) == 0) ++waiting;
  EXPECT_EQ(waiting, 1) << "said once while the reason stays the same";
}

}  // namespace
}  // namespace orch::providers::gce

namespace orch::providers::gce {
namespace {

// Drift of instances, static addresses and forwarding rules: what the plan
// found changed outside is put back in place.
class GceInPlaceDriftTest : public GceProviderTest {
 protected:
  static json Op(const std::string& at, const std::string& name) {
    return {{"name", name}, {"status", "DONE"}, {"selfLink", at + "/" + name}};
  }
  static model::Resource Monitoring() {
    model::Resource r;
    r.address = *model::Address::Parse("mon.instance[0]");
    r.cloud_name = "demo-mon-0";
    r.tags = {{"orchestrator-deployment", "demo"}, {"orchestrator-address", "mon.instance[0]"},
              {"orchestrator-tier", "mon"}};
    r.attributes = {{"size", "e2-small"}, {"zone", "us-central1-a"}, {"target_tag", "demo-mon"},
                    {"ssh_keys", json::array()}, {"user_data", "#cloud-config\n"}};
    return r;
  }
  static state::ResourceState Recorded(const model::Resource& r, const std::string& id) {
    state::ResourceState p;
    p.address = r.address.ToString();
    p.kind = std::string(model::KindName(r.address.kind));
    p.id = id;
    p.cloud_name = r.cloud_name;
    p.attributes = r.attributes;
    return p;
  }
  std::vector<json> Sent(const std::string& part) const {
    std::vector<json> out;
    for (const env::HttpRequest& q : transport_.Requests())
      if (q.method == "POST" && q.url.find(part) != std::string::npos) out.push_back(json::parse(q.body.empty() ? "{}" : q.body));
    return out;
  }
  size_t Mutations() const {
    size_t n = 0;
    for (const env::HttpRequest& q : transport_.Requests())
      if (q.method != "GET" && q.url.find("/wait") == std::string::npos && q.url.find("/token") == std::string::npos) ++n;
    return n;
  }
};

TEST_F(GceInPlaceDriftTest, ATagRemovedOutsideIsSetAgainWithTheTagsFingerprint) {
  const std::string inst = std::string(kProjectBase) + "/zones/us-central1-a/instances/demo-mon-0";
  model::Resource mon = Monitoring();
  state::ResourceState prior = Recorded(mon, "zones/us-central1-a/instances/demo-mon-0");
  state::ResourceState live = prior;
  live.attributes["target_tag"] = "";
  EXPECT_EQ(provider_->Diff(mon, prior), plan::DiffDecision::kNoop);
  EXPECT_EQ(provider_->Diff(mon, live), plan::DiffDecision::kUpdate);
  auto instance = [&](const std::string& fp, json tags) {
    return json{{"name", "demo-mon-0"}, {"status", "RUNNING"}, {"selfLink", inst},
                {"tags", {{"fingerprint", fp}, {"items", std::move(tags)}}},
                {"metadata", {{"fingerprint", "m1"}, {"items", {{{"key", "user-data"}, {"value", "#cloud-config\n"}}}}}}};
  };
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-tags")));
  transport_.Expect("GET", inst, Reply(200, instance("t1", {"other"})));
  // Someone set the tags meanwhile: 412, read again, set again.
  transport_.Expect("POST", inst + "/setTags?requestId=",
                    Reply(412, GoogleError(412, "conditionNotMet", "Supplied fingerprint does not match current tags fingerprint.")));
  transport_.Expect("GET", inst, Reply(200, instance("t2", {"other", "more"})));
  transport_.Expect("POST", inst + "/setTags?requestId=", Reply(200, Op(inst, "op-t")));
  transport_.Expect("GET", inst, Reply(200, instance("t3", {"other", "more", "demo-mon"})));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> u = provider_->Update(mon, live, ctx);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  std::vector<json> sent = Sent("/setTags");
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1], json({{"fingerprint", "t2"}, {"items", {"other", "more", "demo-mon"}}}));  // others kept
  EXPECT_EQ(Sent("/setMetadata").size(), 0u);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceInPlaceDriftTest, AUserDataItemDeletedOutsideIsPutBackWithSetMetadata) {
  const std::string inst = std::string(kProjectBase) + "/zones/us-central1-a/instances/demo-mon-0";
  model::Resource mon = Monitoring();
  state::ResourceState prior = Recorded(mon, "zones/us-central1-a/instances/demo-mon-0");
  state::ResourceState live = prior;
  live.attributes["user_data"] = UserDataMissing();
  EXPECT_EQ(provider_->Diff(mon, live), plan::DiffDecision::kUpdate);
  model::Resource other = mon;
  other.attributes["user_data"] = "#cloud-config\nchanged: 1\n";
  EXPECT_EQ(provider_->Diff(other, prior), plan::DiffDecision::kReplace);  // a spec change still replaces
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-ud")));
  transport_.Expect("GET", inst, Reply(200, {{"name", "demo-mon-0"}, {"selfLink", inst},
                                             {"tags", {{"fingerprint", "t1"}, {"items", {"demo-mon"}}}},
                                             {"metadata", {{"fingerprint", "m1"}, {"items", {{{"key", "k"}, {"value", "v"}}}}}}}));
  transport_.Expect("POST", inst + "/setMetadata?requestId=", Reply(200, Op(inst, "op-m")));
  transport_.Expect("GET", inst, Reply(200, {{"name", "demo-mon-0"}, {"selfLink", inst},
                                             {"tags", {{"fingerprint", "t1"}, {"items", {"demo-mon"}}}},
                                             {"metadata", {{"fingerprint", "m2"}, {"items", {{{"key", "k"}, {"value", "v"}},
                                                                                             {{"key", "user-data"}, {"value", "#cloud-config\n"}}}}}}}));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> u = provider_->Update(mon, live, ctx);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  std::vector<json> sent = Sent("/setMetadata");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], json({{"fingerprint", "m1"},
                           {"items", {{{"key", "k"}, {"value", "v"}}, {{"key", "user-data"}, {"value", "#cloud-config\n"}}}}}));
  EXPECT_EQ(u->attributes.count("user_data"), 0u);  // no longer missing
  EXPECT_EQ(Mutations(), 1u);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceInPlaceDriftTest, AStaticAddressGoesBackOnItsInstanceReplacingTheEphemeralIp) {
  model::Resource fip;
  fip.address = *model::Address::Parse("mon.fip[0]");
  fip.cloud_name = "demo-mon-fip-0";
  fip.tags = {{"orchestrator-deployment", "demo"}, {"orchestrator-address", "mon.fip[0]"}};
  fip.attributes = {{"region", "us-central1"}, {"instance", "mon.instance[0]"},
                    {"instance_id", "zones/us-central1-a/instances/demo-mon-0"}};
  state::ResourceState prior = Recorded(fip, "regions/us-central1/addresses/demo-mon-fip-0");
  state::ResourceState live = prior;
  live.attributes["instance_id"] = "";
  EXPECT_EQ(provider_->Diff(fip, prior), plan::DiffDecision::kNoop);
  EXPECT_EQ(provider_->Diff(fip, live), plan::DiffDecision::kUpdate);  // never a new address
  model::Resource moved = fip;
  moved.attributes["instance_id"] = "(known after apply)";
  EXPECT_EQ(provider_->Diff(moved, prior), plan::DiffDecision::kUpdate);

  const std::string addr = std::string(kProjectBase) + "/regions/us-central1/addresses/demo-mon-fip-0";
  const std::string inst = std::string(kProjectBase) + "/zones/us-central1-a/instances/demo-mon-0";
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-fip")));
  transport_.Expect("GET", addr, Reply(200, {{"name", "demo-mon-fip-0"}, {"address", "35.200.0.10"}, {"status", "RESERVED"}}));
  // Made again, the instance came up with an ephemeral IP.
  transport_.Expect("GET", inst, Reply(200, {{"name", "demo-mon-0"}, {"selfLink", inst},
                                             {"networkInterfaces", {{{"name", "nic0"},
                                                                     {"accessConfigs", {{{"name", "External NAT"}, {"natIP", "34.16.0.99"}}}}}}}}));
  transport_.Expect("POST", inst + "/deleteAccessConfig?accessConfig=External%20NAT&networkInterface=nic0&requestId=",
                    Reply(200, Op(inst, "op-d")));
  transport_.Expect("POST", inst + "/addAccessConfig?networkInterface=nic0&requestId=", Reply(200, Op(inst, "op-a")));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> u = provider_->Update(fip, live, ctx);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->id, prior.id);
  EXPECT_EQ(u->outputs["ip"], "35.200.0.10");
  std::vector<json> add = Sent("/addAccessConfig");
  ASSERT_EQ(add.size(), 1u);
  EXPECT_EQ(add[0], json({{"type", "ONE_TO_ONE_NAT"}, {"name", "External NAT"}, {"natIP", "35.200.0.10"}}));
  EXPECT_EQ(Mutations(), 2u);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

TEST_F(GceInPlaceDriftTest, AForwardingRuleDeletedOutsideIsMadeAgainAlone) {
  model::Resource lb;
  lb.address = *model::Address::Parse("api.lb");
  lb.cloud_name = "demo-api-lb";
  lb.tags = {{"orchestrator-deployment", "demo"}, {"orchestrator-address", "api.lb"}};
  lb.attributes = {{"region", "us-central1"},
                   {"listeners", {{{"protocol", "tcp"}, {"port", 8080}, {"target_port", 8080}, {"target_protocol", "tcp"}}}},
                   {"health_check", {{"port", 80}, {"path", "/"}}}};
  state::ResourceState prior = Recorded(lb, "demo-api-lb");
  prior.outputs = {{"id", "demo-api-lb"}, {"ip", "35.200.0.20"}};
  state::ResourceState live = prior;
  live.attributes["listeners"] = {{"found", json::array()}};
  EXPECT_EQ(provider_->Diff(lb, live), plan::DiffDecision::kUpdate);
  const std::string rp = std::string(kProjectBase) + "/regions/us-central1";
  const std::string hc = std::string(kProjectBase) + "/global/httpHealthChecks/demo-api-lb";
  transport_.Expect("POST", kTokenUri, Reply(200, TokenBody("tok-fr")));
  transport_.Expect("GET", hc, Reply(200, {{"name", "demo-api-lb"}, {"port", 80}, {"requestPath", "/"}, {"checkIntervalSec", 5},
                                           {"timeoutSec", 5}, {"healthyThreshold", 2}, {"unhealthyThreshold", 2}}));
  transport_.Expect("GET", rp + "/targetPools/demo-api-lb",
                    Reply(200, {{"name", "demo-api-lb"}, {"selfLink", rp + "/targetPools/demo-api-lb"}}));
  transport_.Expect("GET", rp + "/addresses/demo-api-lb", Reply(200, {{"name", "demo-api-lb"}, {"address", "35.200.0.20"}}));
  transport_.Expect("GET", rp + "/forwardingRules/demo-api-lb", Reply(404, GoogleError(404, "notFound", "gone")));
  transport_.Expect("POST", rp + "/forwardingRules?requestId=", Reply(200, Op(rp, "op-f")));
  engine::ApplyContext ctx;
  Result<engine::ObservedResource> u = provider_->Update(lb, live, ctx);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  std::vector<json> fr = Sent("/forwardingRules?");
  ASSERT_EQ(fr.size(), 1u);
  EXPECT_EQ(fr[0]["IPAddress"], "35.200.0.20");
  EXPECT_EQ(fr[0]["portRange"], "8080");
  EXPECT_EQ(fr[0]["target"], rp + "/targetPools/demo-api-lb");
  EXPECT_EQ(u->outputs["ip"], "35.200.0.20");
  EXPECT_EQ(Mutations(), 1u);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

}  // namespace
}  // namespace orch::providers::gce
