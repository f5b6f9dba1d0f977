#include "plan/plan_file.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace orch::plan {
namespace {

namespace fs = std::filesystem;

fs::path TempPath(const std::string& name) {
  return fs::temp_directory_path() / ("orch-plan-file-" + std::to_string(::getpid()) + "-" + name);
}

TEST(PlanFileTest, WrittenPlanReadsBackWithSpecAndTargets) {
  Plan p;
  p.deployment = "demo";
  p.spec_digest = "abc";
  p.state_serial = 3;
  fs::path path = TempPath("saved.json");
  ASSERT_TRUE(WritePlanFile(path.string(), "deploy.yaml", {"api"}, p).ok());
  auto f = ReadPlanFile(path.string());
  fs::remove(path);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->spec, "deploy.yaml");
  EXPECT_EQ(f->targets, std::vector<std::string>{"api"});
  auto back = Plan::FromJson(f->plan);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->deployment, "demo");
  EXPECT_EQ(back->spec_digest, "abc");
  EXPECT_EQ(back->state_serial, 3u);
  EXPECT_TRUE(back->changes.empty());
}

TEST(PlanFileTest, OtherFilesAreNotPlanFiles) {
  fs::path yaml = TempPath("spec.yaml");
  std::ofstream(yaml) << "deployment: demo\n";
  fs::path json = TempPath("other.json");
  std::ofstream(json) << "{\"plan\": {}}\n";  // no format_version
  EXPECT_FALSE(ReadPlanFile(yaml.string()).has_value());
  EXPECT_FALSE(ReadPlanFile(json.string()).has_value());
  EXPECT_FALSE(ReadPlanFile(TempPath("missing").string()).has_value());
  fs::remove(yaml);
  fs::remove(json);
}

TEST(PlanFileTest, UnwritablePathIsAnError) {
  Status st = WritePlanFile("/nonexistent-dir/plan.json", "s.yaml", {}, Plan{});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "cannot write plan file '/nonexistent-dir/plan.json'");
}

}  // namespace
}  // namespace orch::plan
