#include "template/render.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "state/references.h"

namespace orch::tmpl {
namespace {

using nlohmann::json;

state::State RingState() {
  state::State st;
  for (int i = 0; i < 2; ++i) {
    state::ResourceState rs;
    rs.address = "db.instance[" + std::to_string(i) + "]";
    rs.cloud_name = "demo-db-" + std::to_string(i);
    rs.outputs = {{"private_ip", "10.0.0." + std::to_string(i + 5)}};
    st.resources[rs.address] = rs;
  }
  state::ResourceState lb;
  lb.address = "api.lb";
  lb.outputs = {{"ip", "198.51.100.1"}};
  st.resources["api.lb"] = lb;
  return st;
}

// References resolve against the state as at apply time (state::Resolver).
model::ReferenceResolver Ring() {
  static const state::State st = RingState();
  return state::Resolver(st);
}
model::ReferenceResolver NoState() {
  static const state::State st;
  return state::Resolver(st);
}

TEST(RenderTest, SubstitutesVarsAndReferences) {
  std::string text =
      "#cloud-config\n"
      "write_files:\n"
      "  - content: cluster=${vars.cluster} seeds=${tiers.db.private_ips}\n"
      "    port: ${var.port} lb=${ref:api.lb.ip} list=${vars.list}\n"
      "runcmd: [echo \"$${HOME} ${HOME} $$ $x\"]\n";
  auto r = RenderString(text, "db.tmpl", json{{"cluster", "ring"}, {"port", 9042}, {"list", {"a", "b"}}},
                        Ring());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r,
            "#cloud-config\n"
            "write_files:\n"
            "  - content: cluster=ring seeds=10.0.0.5,10.0.0.6\n"
            "    port: 9042 lb=198.51.100.1 list=a,b\n"
            "runcmd: [echo \"${HOME} ${HOME} $$ $x\"]\n");
}

TEST(RenderTest, MissingVariableNamesFileLineAndName) {
  auto r = RenderString("a\nb\nport=${vars.port}\n", "api.tmpl", json{{"b", 1}, {"a", 2}}, Ring());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "api.tmpl:3:6: undefined variable 'port' in ${vars.port} (defined: a, b)");
  r = RenderString("x ${var.none}", "t", json::object(), Ring());
  EXPECT_EQ(r.status().message(), "t:1:3: undefined variable 'none' in ${var.none} (none defined)");
}

// The structured error and the origin of every rendered byte: what
// validate uses to report a problem at the template's line and column.
TEST(RenderTest, TrackedRenderingMapsOutputBackToTheTemplate) {
  const std::string tmpl = "#cloud-config\nname: ${vars.name}\nkeys: ${vars.keys}\nruncmd: []\n";
  auto r = RenderTracked(tmpl, "t.tmpl", json{{"name", "ring"}, {"keys", "|\n  a\n  b"}}, Ring());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->text, "#cloud-config\nname: ring\nkeys: |\n  a\n  b\nruncmd: []\n");
  ASSERT_EQ(r->origin.size(), r->text.size());
  auto at = [&](int line, int column) {
    TemplatePos p = PositionOf(tmpl, r->OriginOffset(line, column));
    return std::to_string(p.line) + ":" + std::to_string(p.column);
  };
  EXPECT_EQ(at(2, 1), "2:1");   // copied text
  EXPECT_EQ(at(2, 7), "2:7");   // the value of ${vars.name}: its ${
  EXPECT_EQ(at(4, 3), "3:7");   // a line the multi-line value added
  EXPECT_EQ(at(6, 1), "4:1");   // the lines after it
  RenderError e;
  auto bad = RenderTracked("a\n  x: ${vars.nope}\n", "t.tmpl", json::object(), Ring(), &e);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 6);
  EXPECT_EQ(e.problem, "undefined variable 'nope' in ${vars.nope} (none defined)");
  EXPECT_EQ(e.undefined, "nope");
  EXPECT_EQ(bad.status().message(), "t.tmpl:2:6: " + e.problem);
}

TEST(RenderTest, UnterminatedAndUnresolvedReferences) {
  auto r = RenderString("ok\n${vars.x\n}", "t.tmpl", json{{"x", 1}}, Ring());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "t.tmpl:2:1: unterminated '${' (missing '}')");
  r = RenderString("\n\n\nseeds=${tiers.cache.private_ips}", "t.tmpl", json::object(), Ring());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_EQ(r.status().message().rfind("t.tmpl:4:7: ${tiers.cache.private_ips}", 0), 0u) << r.status().message();
  r = RenderString("${tiers.db.colour}", "t.tmpl", json::object(), Ring());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(RenderTest, ReadsTheFile) {
  std::filesystem::path p = std::filesystem::temp_directory_path() /
                            ("render_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                             "_" + std::to_string(reinterpret_cast<uintptr_t>(&p)) + ".tmpl");
  {
    std::ofstream f(p);
    f << "name=${vars.name}\n";
  }
  auto r = Render(p.string(), json{{"name", "api"}}, NoState());
  std::filesystem::remove(p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "name=api\n");
  auto missing = Render(p.string(), json::object(), NoState());
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find(p.string()), std::string::npos);
}

}  // namespace
}  // namespace orch::tmpl

namespace orch::tmpl {
namespace {

TEST(RenderTest, DefaultsApplyOnlyToUnsetOrNullVariables) {
  auto r = RenderString("a=${vars.a:-x} b=${vars.b:-x} c=${vars.c:-} d=${vars.d:-9042}\n", "t.tmpl",
                        nlohmann::json{{"a", "set"}, {"c", nullptr}}, NoState());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "a=set b=x c= d=9042\n");
}

TEST(RenderTest, SelfValuesComeFromVarsSelf) {
  nlohmann::json vars = {{"self", {{"index", "2"}, {"provider", "do"}, {"region", "nyc3"}}}};
  auto r = RenderString("n=${self.index} dc=${self.provider}-${self.region} z=${self.zone:-rack1}\n", "db.tmpl",
                        vars, NoState());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "n=2 dc=do-nyc3 z=rack1\n");

  auto group = RenderString("#cloud-config\nx: ${self.index}\n", "api.tmpl",
                            nlohmann::json{{"self", {{"name", "demo-api"}}}}, NoState());
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(group.status().message(),
            "api.tmpl:2:4: ${self.index} is not known here: a native instance group's members have no index");

  auto none = RenderString("${self.prior_private_ips:2}", "db.tmpl", nlohmann::json::object(), NoState());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(),
            "db.tmpl:1:1: ${self.prior_private_ips:2} is not known here: per-instance values are added when the spec "
            "is expanded; ${self.prior_private_ips:N} works in user_data vars only");
}

}  // namespace
}  // namespace orch::tmpl
