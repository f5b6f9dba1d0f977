#include "cli/user_data.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "model/expand.h"
#include "spec/loader.h"

namespace orch::cli {
namespace {

namespace fs = std::filesystem;

// A spec with one tier "db" of two instances rendering `tmpl`, whose vars
// pass node 1 node 0's address (${self.prior_private_ips:2}).
class UserDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cli_user_data_test." + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "spec.yaml") << "deployment: ud\n"
                                         "providers:\n"
                                         "  do: {type: digitalocean, region: nyc3, token: t}\n"
                                         "tiers:\n"
                                         "  db:\n"
                                         "    provider: do\n"
                                         "    count: 2\n"
                                         "    size: s-1vcpu-1gb\n"
                                         "    image: ubuntu-22-04-x64\n"
                                         "    user_data:\n"
                                         "      template: db.tmpl\n"
                                         "      vars: {peers: \"${self.prior_private_ips:2}\", extra: \"x\"}\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Load(const std::string& tmpl) {
    std::ofstream(dir_ / "db.tmpl") << tmpl;
    Diagnostics diags;
    auto spec = spec::Load((dir_ / "spec.yaml").string(), {}, &diags);
    ASSERT_TRUE(spec.has_value()) << (diags.empty() ? "" : FormatDiagnosticLine(diags.items()[0]));
    spec_ = *spec;
    model::Expansion ex = model::Expand(spec_, [](const std::string&) { return model::ProviderTraits{}; }, &diags);
    ASSERT_FALSE(diags.HasErrors());
    resources_ = ex.resources;
  }
  const model::Resource& Instance(int i) {
    for (const model::Resource& r : resources_)
      if (r.address.ToString() == "db.instance[" + std::to_string(i) + "]") return r;
    ADD_FAILURE() << "no db.instance[" << i << "]";
    return resources_.front();
  }
  std::string Lines(const Diagnostics& d) {
    std::string out;
    for (const Diagnostic& x : d.items()) out += FormatDiagnosticLine(x) + "\n";
    return out;
  }
  std::string Tmpl() { return (dir_ / "db.tmpl").lexically_normal().string(); }

  fs::path dir_;
  spec::Spec spec_;
  std::vector<model::Resource> resources_;
};

TEST(ReferencePlaceholderTest, AddressesCountsAndTheRest) {
  EXPECT_EQ(ReferencePlaceholder("tiers.db.private_ips"), "192.0.2.10");
  EXPECT_EQ(ReferencePlaceholder("ref:db.instance[0].private_ip"), "192.0.2.10");
  EXPECT_EQ(ReferencePlaceholder("tiers.api.lb_ip"), "192.0.2.10");
  EXPECT_EQ(ReferencePlaceholder("tiers.db.count"), "1");
  EXPECT_EQ(ReferencePlaceholder("ref:network.main.id"), "placeholder");
}

TEST_F(UserDataTest, ReferencesComeFromStateWhenKnownElsePlaceholders) {
  Load("#cloud-config\nwrite_files:\n  - path: /etc/peers\n    content: \"${vars.peers}\"\n");
  Diagnostics diags;
  auto none = RenderAndCheckUserData(spec_, Instance(1), nullptr, &diags);
  ASSERT_TRUE(none.has_value()) << Lines(diags);
  EXPECT_NE(none->rendered.text.find("content: \"192.0.2.10\""), std::string::npos) << none->rendered.text;
  EXPECT_EQ(none->placeholders, (std::set<std::string>{"${ref:db.instance[0].private_ip}"}));

  state::State st;
  st.resources["db.instance[0]"].outputs = {{"private_ip", "10.1.0.5"}, {"id", "1"}};
  auto known = RenderAndCheckUserData(spec_, Instance(1), &st, &diags);
  ASSERT_TRUE(known.has_value()) << Lines(diags);
  EXPECT_NE(known->rendered.text.find("content: \"10.1.0.5\""), std::string::npos) << known->rendered.text;
  EXPECT_TRUE(known->placeholders.empty());
  EXPECT_TRUE(diags.empty()) << Lines(diags);
}

TEST_F(UserDataTest, UndefinedVariableNamesTheTemplateAndWhereToSetIt) {
  Load("#cloud-config\nruncmd:\n  - echo ${vars.nope}\n");
  Diagnostics diags;
  CheckUserData(spec_, resources_, &diags);
  EXPECT_EQ(Lines(diags), Tmpl() + ":3:10: error: undefined variable 'nope' in ${vars.nope} (defined: extra, peers, "
                                   "self); set 'nope' under user_data.vars of tier 'db' at " +
                              (dir_ / "spec.yaml").string() + ":10:5, or give a default: ${vars.nope:-DEFAULT}\n");
}

// A wrong value substituted into the YAML is reported at its ${ (and said
// to come from there), once for the two instances.
TEST_F(UserDataTest, SchemaProblemInASubstitutedValueIsAtItsPlaceholder) {
  Load("#cloud-config\npackages:\n  - curl\nruncmd: ${vars.extra}\n");
  Diagnostics diags;
  CheckUserData(spec_, resources_, &diags);
  EXPECT_EQ(Lines(diags), Tmpl() + ":4:9: error: rendered user data is not valid cloud-config: 'runcmd' does not match "
                                   "cloud-init's schema: expected a list, got the string \"x\". (tier 'db'; the "
                                   "value comes from the ${...} here)\n");
}

TEST_F(UserDataTest, SchemaProblemFromAReferenceSaysItWasAPlaceholder) {
  Load("#cloud-config\npackages:\n  - curl\nruncmd: ${vars.peers}\n");
  Diagnostics diags;
  (void)RenderAndCheckUserData(spec_, Instance(1), nullptr, &diags);
  EXPECT_NE(Lines(diags).find(Tmpl() + ":4:9: error: rendered user data is not valid cloud-config: 'runcmd' "),
            std::string::npos) << Lines(diags);
  EXPECT_NE(Lines(diags).find(" (tier 'db'; the value comes from the ${...} here, which holds references to other "
                              "resources, rendered as placeholders)"),
            std::string::npos) << Lines(diags);
}

TEST_F(UserDataTest, ValidTemplateHasNoProblems) {
  Load("#cloud-config\npackages: [curl]\nruncmd:\n  - [echo, \"${vars.peers}\"]\n");
  Diagnostics diags;
  CheckUserData(spec_, resources_, &diags);
  EXPECT_TRUE(diags.empty()) << Lines(diags);
}

}  // namespace
}  // namespace orch::cli
