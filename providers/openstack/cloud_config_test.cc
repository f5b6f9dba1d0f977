#include "providers/openstack/cloud_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace orch::providers::openstack {
namespace {

namespace fs = std::filesystem;

class CloudConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("os-cc-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_ / "home/.config/openstack");
    fs::create_directories(root_ / "cwd");
    fs::create_directories(root_ / "etc");
    src_.getenv = [this](const std::string& n) {
      auto it = env_.find(n);
      return it == env_.end() ? std::string() : it->second;
    };
    src_.home = (root_ / "home").string();
    src_.cwd = (root_ / "cwd").string();
    src_.system_dirs = {(root_ / "etc").string()};
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

  fs::path root_;
  std::map<std::string, std::string> env_;
  ConfigSources src_;
};

const char* kClouds = R"(clouds:
  lab:
    auth:
      auth_url: http://127.0.0.1:5000/v3
      username: admin
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://127.0.0.1:5000
      application_credential_id: ac1
      application_credential_secret: s3cret
)";

TEST_F(CloudConfigTest, CloudsYamlEntryWithSecureYamlMerged) {
  Write(root_ / "home/.config/openstack/clouds.yaml", kClouds);
  Write(root_ / "etc/secure.yaml", "clouds:\n  lab:\n    auth:\n      password: hunter2\n");
  Result<CloudConfig> c = LoadCloudConfig({{"cloud", "lab"}}, "", src_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->auth_url, "http://127.0.0.1:5000/v3");
  EXPECT_EQ(c->username, "admin");
  EXPECT_EQ(c->password, "hunter2");
  EXPECT_EQ(c->region, "RegionOne");
  EXPECT_EQ(c->interface, "internal");
  EXPECT_NE(c->source.find("clouds.yaml entry 'lab'"), std::string::npos);
}

TEST_F(CloudConfigTest, SearchOrderPrefersEnvFileThenCwd) {
  Write(root_ / "home/.config/openstack/clouds.yaml", "clouds: {lab: {auth: {auth_url: http://home, username: u, password: p}}}\n");
  Write(root_ / "cwd/clouds.yaml", "clouds: {lab: {auth: {auth_url: http://cwd, username: u, password: p}}}\n");
  Result<CloudConfig> c = LoadCloudConfig({{"cloud", "lab"}}, "", src_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->auth_url, "http://cwd");
  Write(root_ / "other.yaml", "clouds: {lab: {auth: {auth_url: http://env, username: u, password: p}}}\n");
  env_["OS_CLIENT_CONFIG_FILE"] = (root_ / "other.yaml").string();
  c = LoadCloudConfig({{"cloud", "lab"}}, "", src_);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->auth_url, "http://env");
}

TEST_F(CloudConfigTest, EnvvarsUsesOsCloudThenOsVariables) {
  Write(root_ / "cwd/clouds.yaml", kClouds);
  env_ = {{"OS_AUTH_URL", "http://keystone/v3"}, {"OS_USERNAME", "demo"}, {"OS_PASSWORD", "pw"},
          {"OS_PROJECT_NAME", "demo"}, {"OS_REGION_NAME", "R2"}};
  Result<CloudConfig> c = LoadCloudConfig({{"cloud", "envvars"}}, "", src_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->auth_url, "http://keystone/v3");
  EXPECT_EQ(c->username, "demo");
  EXPECT_EQ(c->region, "R2");
  EXPECT_EQ(c->user_domain_id, "default");
  EXPECT_EQ(c->source, "OS_* environment variables");
  env_["OS_CLOUD"] = "appcred";
  c = LoadCloudConfig({{"cloud", "envvars"}}, "", src_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->UsesApplicationCredential());
  EXPECT_EQ(c->application_credential_id, "ac1");
  EXPECT_TRUE(c->password.empty());
}

TEST_F(CloudConfigTest, SpecSettingsWin) {
  env_ = {{"OS_AUTH_URL", "http://keystone/v3"}, {"OS_USERNAME", "demo"}, {"OS_PASSWORD", "pw"},
          {"OS_PROJECT_NAME", "demo"}, {"OS_REGION_NAME", "R2"}};
  Result<CloudConfig> c =
      LoadCloudConfig({{"auth_url", "http://keystone/v3"}, {"project_name", "other"}, {"interface", "admin"}}, "R9", src_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->project_name, "other");
  EXPECT_EQ(c->password, "pw");
  EXPECT_EQ(c->region, "R9");
  EXPECT_EQ(c->interface, "admin");
}

TEST_F(CloudConfigTest, ErrorsNameWhatToSet) {
  Result<CloudConfig> c = LoadCloudConfig({{"cloud", "lab"}}, "", src_);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no clouds.yaml was found"), std::string::npos);
  Write(root_ / "cwd/clouds.yaml", kClouds);
  c = LoadCloudConfig({{"cloud", "nope"}}, "", src_);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("it has: appcred, lab"), std::string::npos);
  c = LoadCloudConfig({{"cloud", "envvars"}}, "", src_);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no OpenStack credentials"), std::string::npos);
  c = LoadCloudConfig({{"cloud", "lab"}}, "", src_);  // no password anywhere
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("neither a username and password"), std::string::npos);
}

}  // namespace
}  // namespace orch::providers::openstack
