#include "providers/openstack/keystone.h"

#include <gtest/gtest.h>

#include "providers/openstack/errors.h"
#include "providers/openstack/os_provider.h"
#include "testing/fake_clock.h"
#include "testing/scripted_transport.h"

namespace orch::providers::openstack {
namespace {

using nlohmann::json;

// 2026-11-26T10:00:00Z
constexpr int64_t kNow = 1795687200;

std::string TokenBody(const std::string& expires_at) {
  json catalog = json::array(
      {{{"type", "compute"},
        {"endpoints",
         {{{"interface", "public"}, {"region_id", "RegionOne"}, {"region", "RegionOne"}, {"url", "http://nova/v2.1/"}},
          {{"interface", "internal"}, {"region_id", "RegionOne"}, {"region", "RegionOne"}, {"url", "http://nova-int/v2.1"}},
          {{"interface", "public"}, {"region_id", "R2"}, {"region", "R2"}, {"url", "http://nova-r2/v2.1"}}}}},
       {{"type", "volumev3"},
        {"endpoints", {{{"interface", "public"}, {"region_id", "RegionOne"}, {"url", "http://cinder/v3/p1"}}}}}});
  return json{{"token", {{"expires_at", expires_at}, {"project", {{"id", "p1"}}}, {"catalog", catalog}}}}.dump();
}

CloudConfig Config() {
  CloudConfig c;
  c.auth_url = "http://keystone:5000";
  c.username = "admin";
  c.password = "pw";
  c.user_domain_name = "Default";
  c.project_name = "admin";
  c.project_domain_name = "Default";
  c.region = "RegionOne";
  c.source = "test";
  return c;
}

TEST(KeystoneTest, TokenReusedThenRenewedBeforeExpiry) {
  testing::FakeClock clock(kNow * 1000000);
  testing::ScriptedTransport t;
  http::HttpClient http(&t, &clock);
  t.ExpectReply("POST", "http://keystone:5000/v3/auth/tokens", 201, TokenBody("2026-11-26T11:00:00.000000Z"),
                {{"X-Subject-Token", "tok1"}});
  t.ExpectReply("POST", "http://keystone:5000/v3/auth/tokens", 201, TokenBody("2026-11-26T12:00:00.000000Z"),
                {{"X-Subject-Token", "tok2"}});
  Keystone ks(&http, &clock, Config());
  EXPECT_EQ(*ks.Token(), "tok1");
  clock.Advance(int64_t{3000} * 1000000);  // 50 minutes: still more than the grace left
  EXPECT_EQ(*ks.Token(), "tok1");
  clock.Advance(int64_t{301} * 1000000);  // inside the 5-minute grace: renewed
  EXPECT_EQ(*ks.Token(), "tok2");
  EXPECT_EQ(ks.authentications(), 2);
  json sent = json::parse(t.Requests()[0].body);
  EXPECT_EQ(sent["auth"]["scope"]["project"]["name"], "admin");
  EXPECT_EQ(sent["auth"]["identity"]["password"]["user"]["domain"]["name"], "Default");
}

TEST(KeystoneTest, EndpointByTypeRegionAndInterface) {
  testing::FakeClock clock(kNow * 1000000);
  testing::ScriptedTransport t;
  http::HttpClient http(&t, &clock);
  t.ExpectReply("POST", "http://keystone:5000/v3/auth/tokens", 201, TokenBody("2026-11-26T11:00:00Z"),
                {{"X-Subject-Token", "tok1"}});
  CloudConfig c = Config();
  Keystone ks(&http, &clock, c);
  EXPECT_EQ(*ks.Endpoint("compute"), "http://nova/v2.1");
  EXPECT_EQ(*ks.Endpoint("volumev3"), "http://cinder/v3/p1");
  Result<std::string> none = ks.Endpoint("load-balancer");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no such service"), std::string::npos);
  EXPECT_EQ(ks.project_id(), "p1");
}

TEST(KeystoneTest, TokenAnswersOfTheWrongShapeAreErrorsNamingTheField) {
  testing::FakeClock clock(kNow * 1000000);
  testing::ScriptedTransport t;
  http::HttpClient http(&t, &clock);
  const std::string url = "http://keystone:5000/v3/auth/tokens";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "is not JSON"},
      {R"({"token": "x"})", "no 'token' object"},
      {R"({"token": {"expires_at": 5, "catalog": []}})", "'expires_at' that is not a string"},
      {R"({"token": {"expires_at": "2026-11-26T11:00:00Z"}})", "no 'catalog' array"},
      {R"({"token": {"catalog": [5]}})", "catalog entry that is not"},
      {R"({"token": {"catalog": [{"type": "compute", "endpoints": [{"interface": 5, "url": "http://n"}]}]}})",
       "'compute' endpoint without a string url"},
      {R"({"token": {"catalog": [], "project": []}})", "'project' that is not an object"}};
  for (const auto& [body, why] : cases) t.ExpectReply("POST", url, 201, body, {{"X-Subject-Token", "tok1"}});
  Keystone ks(&http, &clock, Config());
  for (const auto& [body, why] : cases) {
    Result<std::string> token = ks.Token();
    ASSERT_FALSE(token.ok()) << body;
    EXPECT_NE(token.status().message().find(why), std::string::npos) << token.status().message();
    EXPECT_NE(token.status().message().find(url), std::string::npos) << token.status().message();
  }
}

TEST(KeystoneTest, ServiceListItemsWithoutAStringIdAreAnError) {
  testing::FakeClock clock(kNow * 1000000);
  testing::ScriptedTransport t;
  http::HttpClient http(&t, &clock);
  t.ExpectReply("POST", "http://keystone:5000/v3/auth/tokens", 201, TokenBody("2026-11-26T11:00:00Z"),
                {{"X-Subject-Token", "tok1"}});
  Keystone ks(&http, &clock, Config());
  OsErrorMapper errors;
  OpenStackPager pager;
  Service nova(&ks, &http, &clock, "compute", "http://nova/v2.1", &errors, &pager);
  t.ExpectReply("GET", "http://nova/v2.1/servers/detail?limit=200", 200, R"({"servers": [{"id": "a"}, {"id": 1e300}]})");
  t.ExpectReply("GET", "http://nova/v2.1/os-keypairs?limit=200", 200, R"({"keypairs": [{"keypair": {"name": "k"}}]})");
  Result<std::vector<json>> servers = nova.List("/servers/detail", "servers");
  ASSERT_FALSE(servers.ok());
  EXPECT_NE(servers.status().message().find("item 1 of 'servers' is not an object with a string 'id'"),
            std::string::npos) << servers.status().message();
  EXPECT_TRUE(nova.List("/os-keypairs", "keypairs").ok());
}

TEST(KeystoneTest, ServiceRenewsTokenOnceOn401) {
  testing::FakeClock clock(kNow * 1000000);
  testing::ScriptedTransport t;
  http::HttpClient http(&t, &clock);
  t.ExpectReply("POST", "http://keystone:5000/v3/auth/tokens", 201, TokenBody("2026-11-26T11:00:00Z"),
                {{"X-Subject-Token", "old"}});
  t.ExpectReply("GET", "http://nova/v2.1/flavors", 401, R"({"error": {"code": 401, "message": "expired"}})");
  t.ExpectReply("POST", "http://keystone:5000/v3/auth/tokens", 201, TokenBody("2026-11-26T11:30:00Z"),
                {{"X-Subject-Token", "new"}});
  t.ExpectReply("GET", "http://nova/v2.1/flavors", 200, R"({"flavors": []})");
  Keystone ks(&http, &clock, Config());
  OsErrorMapper errors;
  OpenStackPager pager;
  Service nova(&ks, &http, &clock, "compute", "http://nova/v2.1", &errors, &pager);
  nova.auth()->SetMicroversion("2.79");
  Result<json> r = nova.Get("/flavors");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto reqs = t.Requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[3].headers.size() >= 3, true);
  bool has_new = false, has_mv = false;
  for (const auto& [k, v] : reqs[3].headers) {
    if (k == "X-Auth-Token" && v == "new") has_new = true;
    if (k == "OpenStack-API-Version" && v == "compute 2.79") has_mv = true;
  }
  EXPECT_TRUE(has_new);
  EXPECT_TRUE(has_mv);

  // A second 401 in a row is not retried again.
  t.ExpectReply("GET", "http://nova/v2.1/flavors", 401, R"({"error": {"code": 401, "message": "no"}})");
  t.ExpectReply("POST", "http://keystone:5000/v3/auth/tokens", 201, TokenBody("2026-11-26T11:30:00Z"),
                {{"X-Subject-Token", "newer"}});
  t.ExpectReply("GET", "http://nova/v2.1/flavors", 401, R"({"error": {"code": 401, "message": "no"}})");
  r = nova.Get("/flavors");
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(t.Remaining(), 0u);
}

TEST(KeystoneTest, ApplicationCredentialBodyHasNoScope) {
  CloudConfig c;
  c.application_credential_id = "ac1";
  c.application_credential_secret = "s";
  json b = Keystone::AuthBody(c);
  EXPECT_EQ(b["auth"]["identity"]["methods"][0], "application_credential");
  EXPECT_EQ(b["auth"]["identity"]["application_credential"]["id"], "ac1");
  EXPECT_FALSE(b["auth"].contains("scope"));
  EXPECT_EQ(Keystone::IdentityV3("http://h:5000/"), "http://h:5000/v3");
  EXPECT_EQ(Keystone::IdentityV3("http://h/identity/v3"), "http://h/identity/v3");
}

TEST(KeystoneTest, MicroversionNegotiation) {
  EXPECT_EQ(PickMicroversion("2.64", "2.79", "2.1", "2.93"), "2.79");
  EXPECT_EQ(PickMicroversion("2.64", "2.79", "2.1", "2.70"), "2.70");
  EXPECT_EQ(PickMicroversion("2.64", "2.79", "2.1", "2.60"), "");
  EXPECT_EQ(PickMicroversion("3.0", "3.59", "3.0", "3.70"), "3.59");
  EXPECT_EQ(PickMicroversion("2.64", "2.79", "", ""), "");
  EXPECT_EQ(ParseIsoTime("2026-11-26T10:00:00.000000Z"), kNow);
  EXPECT_EQ(ParseIsoTime("2026-11-26T10:00:00Z"), kNow);
  // Malformed or absurd times are refused (the caller then assumes an hour).
  for (const char* bad : {"", "2026-11-26", "99999999999-11-26T10:00:00Z", "2026-13-26T10:00:00Z",
                          "2026-11-26T24:00:00Z", "1900-01-01T00:00:00Z", "-2026-11-26T10:00:00Z",
                          "2026-11-26 10:00:00"})
    EXPECT_EQ(ParseIsoTime(bad), -1) << bad;
  EXPECT_EQ(ParseVersion("2.99999999999"), std::make_pair(-1, -1));
  EXPECT_EQ(ParseVersion("v3.14"), std::make_pair(3, 14));
}

TEST(KeystoneTest, PagerFollowsLinksAndGlanceNext) {
  OpenStackPager p;
  json nova = {{"servers", json::array()}, {"servers_links", {{{"rel", "next"}, {"href", "http://n/servers?marker=x"}}}}};
  EXPECT_EQ(*p.NextUrl("http://n/servers", nova), "http://n/servers?marker=x");
  json glance = {{"images", json::array()}, {"next", "/v2/images?marker=y"}};
  EXPECT_EQ(*p.NextUrl("http://g/v2/images", glance), "/v2/images?marker=y");
  EXPECT_FALSE(p.NextUrl("u", json{{"networks", json::array()}}).has_value());
}

TEST(ErrorsTest, EachServiceForm) {
  EXPECT_EQ(ErrorMessage(R"({"NeutronError": {"type": "NetworkInUse", "message": "in use"}})"), "in use");
  EXPECT_EQ(ErrorMessage(R"({"badRequest": {"code": 400, "message": "Flavor x could not be found."}})"),
            "Flavor x could not be found.");
  EXPECT_EQ(ErrorMessage(R"({"faultcode": "Client", "faultstring": "immutable"})"), "immutable");
  EXPECT_EQ(ErrorMessage(R"({"message": "No image found<br /><br />", "code": "404 Not Found"})"), "No image found");
  OsErrorMapper m;
  env::HttpRequest req;
  req.method = "POST";
  req.url = "http://neutron/v2.0/networks";
  env::HttpResponse resp;
  resp.status = 409;
  resp.body = R"({"NeutronError": {"type": "OverQuota", "message": "Quota exceeded"}})";
  EXPECT_EQ(m.Map(req, resp).code(), StatusCode::kQuotaExceeded);
  resp.body = R"({"NeutronError": {"type": "NetworkInUse", "message": "in use"}})";
  EXPECT_EQ(m.Map(req, resp).code(), StatusCode::kConflict);
  resp.status = 403;
  resp.body = R"({"forbidden": {"code": 403, "message": "Quota exceeded for instances"}})";
  EXPECT_EQ(m.Map(req, resp).code(), StatusCode::kQuotaExceeded);
  // A 100 kB message is cut, whatever field carries it.
  resp.status = 400;
  resp.body = json{{"NeutronError", {{"type", 5}, {"message", std::string(100000, 'B')}}}}.dump();
  EXPECT_LT(m.Map(req, resp).message().size(), 500u);
  resp.body = std::string(100000, 'C');
  EXPECT_LT(m.Map(req, resp).message().size(), 500u);
}

}  // namespace
}  // namespace orch::providers::openstack
