#include "template/cloud_config_schema.h"

#include <gtest/gtest.h>

namespace orch::tmpl {
namespace {

TEST(CloudConfigSchemaTest, ValidDocumentHasNoProblems) {
  EXPECT_TRUE(CheckCloudConfig("#cloud-config\n"
                               "package_update: yes\n"
                               "packages: [curl, gnupg]\n"
                               "write_files:\n"
                               "  - path: /etc/x\n"
                               "    permissions: \"0644\"\n"
                               "    content: |\n"
                               "      A=1\n"
                               "runcmd:\n"
                               "  - [systemctl, enable, --now, x]\n"
                               "  - echo done\n")
                  .empty());
}

TEST(CloudConfigSchemaTest, WrongTypeNamesKeyLineAndColumn) {
  auto p = CheckCloudConfig("#cloud-config\n# a comment\npackages: 5\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].line, 3);
  EXPECT_EQ(p[0].column, 11);
  EXPECT_EQ(p[0].path, "packages");
  EXPECT_EQ(p[0].message,
            "'packages' does not match cloud-init's schema: expected a list, got the integer 5.");
}

// YAML 1.1 as cloud-init reads it: an unquoted 0644 is the integer 420,
// which `cloud-init schema` rejects for permissions (a string).
TEST(CloudConfigSchemaTest, UnquotedOctalIsAnInteger) {
  auto p = CheckCloudConfig("#cloud-config\nwrite_files:\n  - path: /x\n    permissions: 0644\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].path, "write_files.0.permissions");
  EXPECT_EQ(p[0].line, 4);
  EXPECT_EQ(p[0].column, 18);
  EXPECT_EQ(p[0].message,
            "'write_files.0.permissions' does not match cloud-init's schema: expected a string, got the integer 420.");
}

TEST(CloudConfigSchemaTest, ReferencesIntoDefsAreFollowed) {
  // users: items are "#/$defs/users_groups.user"; an unknown key is refused there.
  auto p = CheckCloudConfig("#cloud-config\nusers:\n  - name: ops\n    shell: 5\n");
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p[0].line, 4);
  EXPECT_EQ(p[0].path.rfind("users.0", 0), 0u) << p[0].path;
}

// Problems of several modules are all reported, in document order (as
// `cloud-init schema` reports runcmd.0, users.0 and write_files.0 here).
TEST(CloudConfigSchemaTest, EveryModulesProblemsAreReported) {
  auto p = CheckCloudConfig("#cloud-config\n"
                            "write_files:\n"
                            "  - content: x\n"
                            "users:\n"
                            "  - name: a\n"
                            "    sudo: 5\n"
                            "runcmd:\n"
                            "  - 5\n");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].path, "write_files.0");
  EXPECT_EQ(p[0].line, 3);
  EXPECT_EQ(p[0].message,
            "'write_files.0' does not match cloud-init's schema: Missing required property 'path'. (got a map)");
  EXPECT_EQ(p[1].path, "users.0.sudo");
  EXPECT_EQ(p[1].line, 6);
  EXPECT_EQ(p[2].path, "runcmd.0");
  EXPECT_EQ(p[2].line, 8);
  EXPECT_EQ(p[2].message,
            "'runcmd.0' does not match cloud-init's schema: expected a list, null or a string, got the integer 5.");
}

TEST(CloudConfigSchemaTest, DeprecatedKeysAreAccepted) {
  EXPECT_TRUE(CheckCloudConfig("#cloud-config\napt_update: true\n").empty());
}

TEST(CloudConfigSchemaTest, OnlyCloudConfigIsChecked) {
  EXPECT_FALSE(IsCloudConfig("#!/bin/bash\npackages: 5\n"));
  EXPECT_TRUE(CheckCloudConfig("#!/bin/bash\npackages: 5\n").empty());
  EXPECT_TRUE(CheckCloudConfig("#cloud-config\n").empty());
  EXPECT_FALSE(IsCloudConfig("#cloud-config-archive\n- type: text/x-shellscript\n"));
  EXPECT_TRUE(IsCloudConfig("#cloud-config"));
  EXPECT_TRUE(IsCloudConfig("#cloud-config \r\npackages: []\n"));
}

TEST(CloudConfigSchemaTest, YamlSyntaxErrorHasItsPosition) {
  auto p = CheckCloudConfig("#cloud-config\npackages: [curl\nruncmd: []\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].message.rfind("not valid YAML: ", 0), 0u) << p[0].message;
  EXPECT_GE(p[0].line, 2);
}

TEST(CloudConfigSchemaTest, DocumentMustBeAMap) {
  auto p = CheckCloudConfig("#cloud-config\n- a\n- b\n");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].line, 1);
  EXPECT_NE(p[0].message.find("must be a map"), std::string::npos) << p[0].message;
}

TEST(CloudConfigSchemaTest, QuotedNumberIsAString) {
  EXPECT_TRUE(CheckCloudConfig("#cloud-config\nhostname: \"5\"\n").empty());
  EXPECT_FALSE(CheckCloudConfig("#cloud-config\nhostname: 5\n").empty());
}

}  // namespace
}  // namespace orch::tmpl
