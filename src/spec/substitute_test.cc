#include "spec/substitute.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orch::spec::internal {
namespace {

using ::testing::ElementsAre;

class SubstituterTest : public ::testing::Test {
 protected:
  SubstituterTest()
      : subst_("/nonexistent-dir",
               [this](const std::string& n) -> std::optional<std::string> {
                 auto it = env_.find(n);
                 if (it == env_.end()) return std::nullopt;
                 return it->second;
               },
               &vars_, &tiers_) {}

  std::optional<Substituter::Result> Run(const std::string& text,
                                         Substituter::Allow allow = Substituter::Allow::kAll) {
    diags_ = Diagnostics();
    SourceRange where;
    where.filename = "s.yaml";
    where.start = {2, 3};
    return subst_.Run(text, where, allow, &diags_);
  }
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    for (const auto& d : diags_.items()) out.push_back(FormatDiagnosticLine(d));
    return out;
  }

  std::map<std::string, std::string> env_;
  std::map<std::string, VarValue> vars_;
  std::vector<std::string> tiers_ = {"api", "db"};
  Substituter subst_;
  Diagnostics diags_;
};

TEST_F(SubstituterTest, PlainTextIsUnchanged) {
  auto r = Run("hello $ world {x} $x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, "hello $ world {x} $x");
  EXPECT_FALSE(r->tainted);
}

TEST_F(SubstituterTest, EnvMarksTainted) {
  env_["A"] = "1";
  auto r = Run("x${env:A}y");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, "x1y");
  EXPECT_TRUE(r->tainted);
}

TEST_F(SubstituterTest, EnvDefaultWhenUnsetOrEmpty) {
  auto unset = Run("${env:NOPE:-fallback}");
  ASSERT_TRUE(unset) << ::testing::PrintToString(Lines());
  EXPECT_EQ(unset->value, "fallback");
  EXPECT_TRUE(unset->tainted);
  EXPECT_EQ(Run("[${env:NOPE:-}]")->value, "[]");
  env_["EMPTY"] = "";
  EXPECT_EQ(Run("${env:EMPTY:-d}")->value, "d");
  env_["SET"] = "v";
  EXPECT_EQ(Run("${env:SET:-d}")->value, "v");
  EXPECT_FALSE(Run("${env:BAD NAME:-d}"));
}

TEST_F(SubstituterTest, VarsCarryTaint) {
  vars_["plain"] = {"p", false};
  vars_["secret"] = {"s", true};
  auto r = Run("${var.plain}");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->tainted);
  r = Run("${var.plain}${var.secret}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, "ps");
  EXPECT_TRUE(r->tainted);
  EXPECT_THAT(subst_.used_vars(), ElementsAre("plain", "secret"));
}

TEST_F(SubstituterTest, TierRefsAreKeptAndRecorded) {
  auto r = Run("$${x} ${tiers.db.ips} ${tiers.api.count}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value, "${x} ${tiers.db.ips} ${tiers.api.count}");
  EXPECT_THAT(r->refs, ElementsAre(TierRef{"db", "ips"}, TierRef{"api", "count"}));
}

TEST_F(SubstituterTest, ReportsEveryProblemInOneString) {
  EXPECT_FALSE(Run("${env:NOPE} ${var.nope} ${what}"));
  EXPECT_THAT(Lines(),
              ElementsAre("s.yaml:2:3: error: environment variable NOPE is not set (used by ${env:NOPE}); set NOPE "
                          "in the environment or change the spec",
                          "s.yaml:2:3: error: unknown variable 'nope' in ${var.nope}; no variables are defined: add "
                          "it under 'variables:' or pass --var nope=VALUE",
                          "s.yaml:2:3: error: unknown substitution '${what}'; expected ${env:NAME}, ${file:PATH}, "
                          "${var.NAME} or ${tiers.TIER.ATTRIBUTE} (write '$${' for a literal '${')"));
}

TEST_F(SubstituterTest, ModesRestrictForms) {
  vars_["a"] = {"1", false};
  EXPECT_FALSE(Run("${var.a}", Substituter::Allow::kEnvFile));
  EXPECT_THAT(Lines(), ElementsAre("s.yaml:2:3: error: ${var.a} cannot be used here: variable defaults may use only "
                                   "${env:...} and ${file:...}"));
  EXPECT_FALSE(Run("${tiers.db.ips}", Substituter::Allow::kNoTierRefs));
  EXPECT_THAT(Lines(), ElementsAre("s.yaml:2:3: error: ${tiers.db.ips} cannot be used here: tier references are "
                                   "allowed only in user_data vars"));
}

TEST_F(SubstituterTest, InvalidEnvName) {
  EXPECT_FALSE(Run("${env:A-B}"));
  EXPECT_THAT(Lines(), ElementsAre("s.yaml:2:3: error: invalid environment variable name in ${env:A-B}"));
}

TEST(ResolvePathTest, RelativeAndAbsolute) {
  EXPECT_EQ(ResolvePath("/a/b", "c/../d.txt"), "/a/b/d.txt");
  EXPECT_EQ(ResolvePath("/a/b", "../t/x"), "/a/t/x");
  EXPECT_EQ(ResolvePath("/a/b", "/etc/x"), "/etc/x");
}

}  // namespace
}  // namespace orch::spec::internal
