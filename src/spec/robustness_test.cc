// Mutated and truncated specs never crash the loader, and its verdict always
// agrees with the diagnostics it produced.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "spec/loader.h"

namespace orch::spec {
namespace {

std::string ReadConfig(const std::string& name) {
  std::ifstream in(std::string(ORCH_SOURCE_DIR) + "/configs/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

LoadOptions FakeEnv() {
  LoadOptions opts;
  opts.getenv = [](const std::string& name) -> std::optional<std::string> { return "value-of-" + name; };
  return opts;
}

// Loads `text`; checks the verdict matches the diagnostics.
void CheckConsistent(const std::string& text, const LoadOptions& opts) {
  Diagnostics diags;
  auto spec = LoadFromString(text, "spec.yaml", std::string(ORCH_SOURCE_DIR) + "/configs", opts, &diags);
  EXPECT_EQ(spec.has_value(), !diags.HasErrors()) << text;
  for (const auto& d : diags.items()) {
    EXPECT_EQ(d.range.filename, "spec.yaml");
    EXPECT_FALSE(d.message.empty());
    EXPECT_EQ(FormatDiagnosticLine(d).find("value-of-"), std::string::npos) << FormatDiagnosticLine(d);
  }
}

TEST(RobustnessTest, EveryLinePrefixOfTheExamples) {
  LoadOptions opts = FakeEnv();
  for (const char* name : {"quickstart.yaml", "multi-cloud.yaml", "openstack.yaml"}) {
    std::string text = ReadConfig(name);
    ASSERT_FALSE(text.empty()) << name;
    for (size_t pos = text.find('\n'); pos != std::string::npos; pos = text.find('\n', pos + 1)) {
      CheckConsistent(text.substr(0, pos + 1), opts);
    }
  }
}

TEST(RobustnessTest, RandomByteMutations) {
  LoadOptions opts = FakeEnv();
  const std::string base = ReadConfig("quickstart.yaml");
  ASSERT_FALSE(base.empty());
  const std::string alphabet = "{}[]:,-&*!|>'\"#%@`$ \n\t\xff\xc3.0a";
  std::mt19937 rng(12345);
  for (int i = 0; i < 600; ++i) {
    std::string text = base;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: text.erase(at, 1 + rng() % 8); break;
      }
      if (text.empty()) text = "x";
    }
    CheckConsistent(text, opts);
    if (HasFatalFailure() || HasFailure()) break;
  }
}

}  // namespace
}  // namespace orch::spec
