#include "http/redact.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace orch::http {
namespace {

TEST(RedactTest, HeaderValues) {
  EXPECT_EQ(Redact("Authorization: Bearer abc.def-123\r\nAccept: application/json"),
            "Authorization: [REDACTED]\r\nAccept: application/json");
  EXPECT_EQ(Redact("x-auth-token:gAAAAABk\nX-Subject-Token: tok2\nContent-Type: a"),
            "x-auth-token:[REDACTED]\nX-Subject-Token: [REDACTED]\nContent-Type: a");
  // Only whole header names.
  EXPECT_EQ(Redact("My-Authorization-Hint: keep"), "My-Authorization-Hint: keep");
}

TEST(RedactTest, BearerAnywhere) {
  EXPECT_EQ(Redact("sent bearer dop_v1_abcdef to api"), "sent bearer [REDACTED] to api");
  EXPECT_EQ(Redact("Basic dXNlcjpwYXNz, then"), "Basic [REDACTED], then");
}

TEST(RedactTest, JsonValues) {
  EXPECT_EQ(Redact(R"({"auth":{"identity":{"password":{"user":{"name":"admin","password":"s3cr\"et"}}}}})"),
            R"({"auth":{"identity":{"password":{"user":{"name":"admin","password":"[REDACTED]"}}}}})");
  EXPECT_EQ(Redact(R"({"access_token" : "ya29.a0Af", "expires_in": 3599, "token_type": "Bearer"})"),
            R"({"access_token" : "[REDACTED]", "expires_in": 3599, "token_type": "Bearer"})");
  EXPECT_EQ(Redact(R"({"client_secret":"cs","private_key":"-----BEGIN PRIVATE KEY-----\nMIIE\n","client_email":"x@y"})"),
            R"({"client_secret":"[REDACTED]","private_key":"[REDACTED]","client_email":"x@y"})");
  EXPECT_EQ(Redact(R"({"refresh_token":"1//0g","Admin_Password":"pw"})"),
            R"({"refresh_token":"[REDACTED]","Admin_Password":"[REDACTED]"})");
  // Pagination tokens and ordinary keys stay readable.
  EXPECT_EQ(Redact(R"({"nextPageToken":"CgkI","name":"web-1"})"), R"({"nextPageToken":"CgkI","name":"web-1"})");
  // A JSON body quoted inside a JSON string.
  EXPECT_EQ(Redact(R"({"body":"{\"user\":\"bob\",\"password\": \"pw1\"}"})"),
            R"({"body":"{\"user\":\"bob\",\"password\": \"[REDACTED]\"}"})");
  // A body cut short inside a secret value hides the rest.
  EXPECT_EQ(Redact(R"({"password":"abcd)"), R"({"password":"[REDACTED])");
}

TEST(RedactTest, QueryAndFormParameters) {
  EXPECT_EQ(Redact("GET https://api.example/v1/x?token=abc123&page=2"),
            "GET https://api.example/v1/x?token=[REDACTED]&page=2");
  EXPECT_EQ(Redact("https://h/p?access_token=zz#frag"), "https://h/p?access_token=[REDACTED]#frag");
  EXPECT_EQ(Redact("grant_type=refresh_token&refresh_token=1//0gX&client_secret=cs&client_id=id"),
            "grant_type=refresh_token&refresh_token=[REDACTED]&client_secret=[REDACTED]&client_id=id");
  EXPECT_EQ(Redact("password=hunter22 user=bob"), "password=[REDACTED] user=bob");
  EXPECT_EQ(Redact("?key=AIzaSy&pageToken=next"), "?key=[REDACTED]&pageToken=next");
  EXPECT_EQ(Redact("mytoken=1"), "mytoken=[REDACTED]");
  // Not a parameter boundary, or not a secret name: left alone.
  EXPECT_EQ(Redact("xtoken:token=1"), "xtoken:token=1");
  EXPECT_EQ(Redact("a-b=c&name=web"), "a-b=c&name=web");
}

TEST(RedactTest, RegisteredSecrets) {
  TEST_ClearSecrets();
  RegisterSecret("dop_v1_supersecret");
  RegisterSecret("abc");  // too short: ignored
  EXPECT_EQ(Redact("error: token dop_v1_supersecret rejected (abc)"),
            "error: token [REDACTED] rejected (abc)");
  EXPECT_EQ(Redact("x dop_v1_supersecretdop_v1_supersecret y"), "x [REDACTED][REDACTED] y");
  // Longest first: a secret containing another is replaced whole.
  RegisterSecret("dop_v1");
  EXPECT_EQ(Redact("dop_v1_supersecret dop_v1"), "[REDACTED] [REDACTED]");
  TEST_ClearSecrets();
  EXPECT_EQ(Redact("dop_v1_supersecret"), "dop_v1_supersecret");
}

TEST(RedactTest, ConcurrentRegistrationAndUse) {
  TEST_ClearSecrets();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) {
        std::string s = "secret-" + std::to_string(t) + "-" + std::to_string(i);
        RegisterSecret(s);
        EXPECT_EQ(Redact("<" + s + ">"), "<[REDACTED]>");
      }
    });
  }
  for (auto& th : threads) th.join();
  TEST_ClearSecrets();
}

TEST(RedactTest, PlainTextUnchanged) {
  std::string text = "droplet 42 is active at 203.0.113.7; status=active size=s-1vcpu";
  EXPECT_EQ(Redact(text), text);
}

}  // namespace
}  // namespace orch::http
