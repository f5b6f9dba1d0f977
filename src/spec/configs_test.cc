// Every example in configs/ must load without errors or warnings.
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "spec/loader.h"

namespace orch::spec {
namespace {

TEST(ConfigsTest, EveryExampleLoads) {
  const std::filesystem::path root = ORCH_SOURCE_DIR;
  const std::filesystem::path creds = std::filesystem::temp_directory_path() / "spec_configs_test_sa.json";
  std::ofstream(creds) << "{}";
  std::map<std::string, std::string> env = {
      {"DIGITALOCEAN_TOKEN", "do-token"},
      {"GOOGLE_APPLICATION_CREDENTIALS", creds.string()},
      {"GOOGLE_CLOUD_PROJECT", "demo-project"},
      {"OS_AUTH_URL", "http://127.0.0.1:5000/identity/v3"},
      {"OS_USERNAME", "demo"},
      {"OS_PASSWORD", "secret"},
      {"OS_PROJECT_NAME", "demo"},
  };
  LoadOptions opts;
  opts.getenv = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root / "configs")) {
    if (entry.path().extension() != ".yaml") continue;
    Diagnostics diags;
    auto spec = Load(entry.path().string(), opts, &diags);
    std::string text;
    for (const auto& d : diags.items()) text += FormatDiagnosticLine(d) + "\n";
    EXPECT_TRUE(spec.has_value()) << entry.path() << "\n" << text;
    EXPECT_TRUE(diags.empty()) << entry.path() << "\n" << text;
    if (spec) {
      EXPECT_FALSE(spec->tiers.empty()) << entry.path();
      for (const auto& t : spec->tiers) {
        ASSERT_TRUE(t.user_data) << entry.path() << " tier " << t.name;
        EXPECT_TRUE(std::filesystem::is_regular_file(t.user_data->template_path)) << t.user_data->template_path;
      }
    }
    ++loaded;
  }
  EXPECT_GE(loaded, 3);
  std::filesystem::remove(creds);
}

TEST(ConfigsTest, QuickstartShape) {
  LoadOptions opts;
  opts.getenv = [](const std::string&) -> std::optional<std::string> { return "x"; };
  Diagnostics diags;
  auto spec = Load(std::string(ORCH_SOURCE_DIR) + "/configs/quickstart.yaml", opts, &diags);
  ASSERT_TRUE(spec);
  ASSERT_EQ(spec->tiers.size(), 3u);
  EXPECT_EQ(spec->tiers[0].name, "cassandra");
  EXPECT_EQ(spec->tiers[0].count, 3);
  ASSERT_TRUE(spec->tiers[1].group);
  EXPECT_TRUE(spec->tiers[1].load_balancer);
  EXPECT_EQ(spec->tiers[2].count, 1);
  // Two clouds: the ring and the API on DigitalOcean, monitoring on GCE.
  ASSERT_EQ(spec->providers.size(), 2u);
  EXPECT_EQ(spec->providers.at(spec->tiers[0].provider).type, "digitalocean");
  EXPECT_EQ(spec->providers.at(spec->tiers[1].provider).type, "digitalocean");
  EXPECT_EQ(spec->providers.at(spec->tiers[2].provider).type, "gce");
}

}  // namespace
}  // namespace orch::spec

namespace orch::spec {
namespace {

std::optional<Spec> LoadWithFakeEnv(const std::string& rel) {
  LoadOptions opts;
  opts.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "GOOGLE_APPLICATION_CREDENTIALS") return std::string(ORCH_SOURCE_DIR) + "/configs/quickstart.yaml";
    return name == "PR_NUMBER" ? "42" : "x";
  };
  Diagnostics diags;
  auto spec = Load(std::string(ORCH_SOURCE_DIR) + "/" + rel, opts, &diags);
  std::string text;
  for (const auto& d : diags.items()) text += FormatDiagnosticLine(d) + "\n";
  EXPECT_TRUE(diags.empty()) << rel << "\n" << text;
  return spec;
}

// One ring over two clouds: a DigitalOcean data centre seeding itself, a GCE
// one joining through it (so created after it), the API as a GCE group that
// pushes to monitoring, and monitoring scraping only the fixed tiers.
TEST(ConfigsTest, MultiCloudShape) {
  auto spec = LoadWithFakeEnv("configs/multi-cloud.yaml");
  ASSERT_TRUE(spec);
  std::set<std::string> types;
  for (const auto& [name, p] : spec->providers) types.insert(p.type);
  EXPECT_EQ(types, (std::set<std::string>{"digitalocean", "gce"}));
  const TierSpec* do_ring = spec->FindTier("cassandra-do");
  const TierSpec* gce_ring = spec->FindTier("cassandra-gce");
  const TierSpec* api = spec->FindTier("api");
  const TierSpec* mon = spec->FindTier("monitoring");
  ASSERT_TRUE(do_ring && gce_ring && api && mon);
  EXPECT_NE(spec->providers.at(do_ring->provider).type, spec->providers.at(gce_ring->provider).type);
  EXPECT_EQ(do_ring->user_data->vars["seeds"], "${self.seeds:2}");
  EXPECT_EQ(gce_ring->references, std::vector<std::string>{"cassandra-do"});
  ASSERT_TRUE(api->group);
  EXPECT_EQ(api->user_data->vars["monitoring"], "${tiers.monitoring.private_ip}");
  // Monitoring discovers the rings itself: it refers to no tier.
  EXPECT_TRUE(mon->references.empty()) << ::testing::PrintToString(mon->references);
  EXPECT_EQ(mon->user_data->vars["scrape_tiers"], "cassandra-gce,cassandra-do");
}

// The CI example's preview spec takes its deployment name from the environment.
TEST(ConfigsTest, PreviewExampleLoads) {
  auto spec = LoadWithFakeEnv("docs/examples/preview.yaml");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->deployment, "pr-42");
  ASSERT_EQ(spec->tiers.size(), 2u);
  EXPECT_TRUE(std::filesystem::is_regular_file(spec->tiers[0].user_data->template_path));
}

}  // namespace
}  // namespace orch::spec
