#include <gtest/gtest.h>

#include "openstack/test/test_util.h"

namespace cloudsim::openstack::testing {
namespace {

json PasswordBody(const std::string& user, const std::string& password, const std::string& project) {
  return {{"auth",
           {{"identity",
             {{"methods", {"password"}},
              {"password", {{"user", {{"name", user}, {"domain", {{"name", "Default"}}}, {"password", password}}}}}}},
            {"scope", {{"project", {{"name", project}, {"domain", {{"name", "Default"}}}}}}}}}};
}

TEST(KeystoneTest, VersionDocuments) {
  Harness h;
  Reply root = h.Call("GET", "/identity");
  EXPECT_EQ(root.status, 300);
  EXPECT_EQ(root.body["versions"]["values"][0]["id"], "v3.14");
  Reply v3 = h.Call("GET", "/identity/v3/");
  ASSERT_EQ(v3.status, 200);
  EXPECT_EQ(v3.body["version"]["links"][0]["href"], "http://127.0.0.1:8774/identity/v3/");
}

TEST(KeystoneTest, PasswordTokenCarriesCatalogForEveryService) {
  Harness h;
  Reply r = h.Call("POST", "/identity/v3/auth/tokens", PasswordBody("admin", "cloudsim-admin", "admin"));
  ASSERT_EQ(r.status, 201);
  ASSERT_FALSE(r.headers["x-subject-token"].empty());
  const json& tok = r.body["token"];
  EXPECT_EQ(tok["methods"], json({"password"}));
  EXPECT_EQ(tok["project"]["name"], "admin");
  EXPECT_EQ(tok["project"]["domain"]["name"], "Default");
  EXPECT_TRUE(tok["expires_at"].get<std::string>().back() == 'Z');
  std::map<std::string, std::string> urls;
  for (const auto& svc : tok["catalog"]) {
    ASSERT_EQ(svc["endpoints"].size(), 3u) << svc["type"];
    std::set<std::string> ifaces;
    for (const auto& ep : svc["endpoints"]) {
      ifaces.insert(ep["interface"]);
      EXPECT_EQ(ep["region_id"], "RegionOne");
      if (ep["interface"] == "public") urls[svc["type"]] = ep["url"];
    }
    EXPECT_EQ(ifaces, (std::set<std::string>{"public", "internal", "admin"}));
  }
  std::string base = "http://127.0.0.1:8774";
  EXPECT_EQ(urls["compute"], base + "/compute/v2.1");
  EXPECT_EQ(urls["network"], base + "/network");
  EXPECT_EQ(urls["image"], base + "/image");
  EXPECT_EQ(urls["volumev3"], base + "/volume/v3/" + tok["project"]["id"].get<std::string>());
  EXPECT_EQ(urls["load-balancer"], base + "/load-balancer");
  EXPECT_EQ(urls["identity"], base + "/identity/v3/");
}

TEST(KeystoneTest, WrongPasswordIs401WithKeystoneBody) {
  Harness h;
  Reply r = h.Call("POST", "/identity/v3/auth/tokens", PasswordBody("admin", "nope", "admin"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, json::parse(R"({"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}})"));
  EXPECT_EQ(h.Call("POST", "/identity/v3/auth/tokens", PasswordBody("nobody", "x", "admin")).status, 401);
  // demo has no role on the admin project.
  EXPECT_EQ(h.Call("POST", "/identity/v3/auth/tokens", PasswordBody("demo", "cloudsim-demo", "admin")).status, 401);
  EXPECT_EQ(h.Call("POST", "/identity/v3/auth/tokens", PasswordBody("demo", "cloudsim-demo", "demo")).status, 201);
  EXPECT_EQ(h.Call("POST", "/identity/v3/auth/tokens", json{{"auth", 1}}).status, 400);
}

TEST(KeystoneTest, EveryServiceRequiresAValidToken) {
  Harness h;
  for (const std::string path : {"/compute/v2.1/servers", "/network/v2.0/networks", "/image/v2/images",
                                 "/load-balancer/v2/lbaas/loadbalancers", "/identity/v3/auth/catalog"}) {
    Reply none = h.Call("GET", path);
    EXPECT_EQ(none.status, 401) << path;
    // Glance wraps the 401 in its own error form.
    if (path.rfind("/image", 0) == 0)
      EXPECT_EQ(none.body["code"], "401 Unauthorized") << path;
    else
      EXPECT_EQ(none.body["error"]["code"], 401) << path;
    EXPECT_EQ(h.Call("GET", path, nullptr, {{"x-auth-token", "gAAAAbogus"}}).status, 401) << path;
  }
  ASSERT_FALSE(h.Login().empty());
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/servers").status, 200);
  EXPECT_EQ(h.Call("GET", "/volume/v3/" + h.project_id() + "/volumes").status, 200);
}

TEST(KeystoneTest, TokensExpireAfterAnHour) {
  Harness h;
  h.Login();
  Reply ok = h.Call("GET", "/network/v2.0/networks");
  EXPECT_EQ(ok.status, 200);
  h.Advance(3599);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks").status, 200);
  h.Advance(2);
  EXPECT_EQ(h.Call("GET", "/network/v2.0/networks").status, 401);
}

TEST(KeystoneTest, ValidateAndRevokeToken) {
  Harness h;
  std::string admin = h.Login();
  Harness& g = h;
  Reply v = g.Call("GET", "/identity/v3/auth/tokens", nullptr, {{"x-subject-token", admin}});
  ASSERT_EQ(v.status, 200);
  EXPECT_EQ(v.headers["x-subject-token"], admin);
  EXPECT_EQ(v.body["token"]["user"]["name"], "admin");
  EXPECT_EQ(g.Call("GET", "/identity/v3/auth/tokens", nullptr, {{"x-subject-token", "bad"}}).status, 404);
  EXPECT_EQ(g.Call("GET", "/identity/v3/auth/catalog").body["catalog"].size(), 6u);
  EXPECT_EQ(g.Call("DELETE", "/identity/v3/auth/tokens", nullptr, {{"x-subject-token", admin}}).status, 204);
  EXPECT_EQ(g.Call("GET", "/compute/v2.1/flavors").status, 401);
}

TEST(KeystoneTest, PreCreatedApplicationCredentialFromDescribe) {
  Harness h;
  json env = h.Env();
  EXPECT_EQ(env["OS_AUTH_URL"], "http://127.0.0.1:8774/identity/v3");
  EXPECT_EQ(env["_top"]["openstack_auth_url"], "http://127.0.0.1:8774/identity/v3");
  EXPECT_EQ(env["OS_IDENTITY_API_VERSION"], "3");
  EXPECT_EQ(env["OS_INTERFACE"], "public");
  EXPECT_EQ(env["OS_REGION_NAME"], "RegionOne");
  EXPECT_FALSE(env.contains("OS_APPLICATION_CREDENTIAL_ID"));
  std::string id = env["_top"]["openstack_application_credential"]["id"];
  std::string secret = env["_top"]["openstack_application_credential"]["secret"];
  json body = {{"auth", {{"identity", {{"methods", {"application_credential"}},
                                       {"application_credential", {{"id", id}, {"secret", secret}}}}}}}};
  Reply r = h.Call("POST", "/identity/v3/auth/tokens", body);
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.body["token"]["methods"], json({"application_credential"}));
  EXPECT_EQ(r.body["token"]["application_credential"]["id"], id);
  EXPECT_EQ(r.body["token"]["project"]["name"], env["OS_PROJECT_NAME"]);
  EXPECT_FALSE(r.body["token"]["catalog"].empty());
  h.token = r.headers["x-subject-token"];
  EXPECT_EQ(h.Call("GET", "/compute/v2.1/flavors").status, 200);
  // By name + user, and a wrong secret.
  json by_name = {{"auth", {{"identity", {{"methods", {"application_credential"}},
                                          {"application_credential", {{"name", "cloudsim"}, {"secret", secret},
                                                                      {"user", {{"name", "admin"}, {"domain", {{"name", "Default"}}}}}}}}}}}};
  EXPECT_EQ(h.Call("POST", "/identity/v3/auth/tokens", by_name).status, 201);
  body["auth"]["identity"]["application_credential"]["secret"] = "wrong";
  EXPECT_EQ(h.Call("POST", "/identity/v3/auth/tokens", body).status, 401);
}

TEST(KeystoneTest, CreateApplicationCredentialThenAuthenticate) {
  Harness h;
  h.Login();
  Reply v = h.Call("GET", "/identity/v3/auth/tokens", nullptr, {{"x-subject-token", h.token}});
  std::string uid = v.body["token"]["user"]["id"];
  Reply c = h.Call("POST", "/identity/v3/users/" + uid + "/application_credentials",
                   {{"application_credential", {{"name", "ci"}}}});
  ASSERT_EQ(c.status, 201);
  std::string secret = c.body["application_credential"]["secret"];
  EXPECT_EQ(h.Call("POST", "/identity/v3/users/" + uid + "/application_credentials",
                   {{"application_credential", {{"name", "ci"}}}}).status, 409);
  json body = {{"auth", {{"identity", {{"methods", {"application_credential"}},
                                       {"application_credential", {{"id", c.body["application_credential"]["id"]}, {"secret", secret}}}}}}}};
  EXPECT_EQ(h.Call("POST", "/identity/v3/auth/tokens", body).status, 201);
  EXPECT_EQ(h.Call("DELETE", "/identity/v3/users/" + uid + "/application_credentials/" +
                                 c.body["application_credential"]["id"].get<std::string>()).status, 204);
  EXPECT_EQ(h.Call("POST", "/identity/v3/auth/tokens", body).status, 401);
}

}  // namespace
}  // namespace cloudsim::openstack::testing
