// Test fixture for the spec loader: a temporary spec directory with
// templates, a fake environment, and helpers that format diagnostics.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "spec/loader.h"

namespace orch::spec::testing {

class SpecFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "spec_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    Write("templates/app.tmpl", "#cloud-config\n");
    opts_.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Write(const std::string& rel, const std::string& content) {
    std::filesystem::path p = std::filesystem::path(dir_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }

  std::optional<Spec> LoadText(const std::string& text) {
    diags_ = Diagnostics();
    return LoadFromString(text, "spec.yaml", dir_, opts_, &diags_);
  }

  // Every diagnostic, formatted, in order.
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    for (const auto& d : diags_.items()) out.push_back(FormatDiagnosticLine(d));
    return out;
  }

  // The formatted errors (warnings left out) of `text`, which must fail to
  // load.
  std::vector<std::string> Errors(const std::string& text) {
    auto spec = LoadText(text);
    EXPECT_FALSE(spec.has_value()) << text;
    std::vector<std::string> out;
    for (const auto& d : diags_.items()) {
      if (d.severity == Severity::kError) out.push_back(FormatDiagnosticLine(d));
    }
    return out;
  }

  std::string dir_;
  std::map<std::string, std::string> env_;
  LoadOptions opts_;
  Diagnostics diags_;
};

// A valid prelude (8 lines): one DigitalOcean provider and a tier 'api'
// whose further keys can be appended at 4 spaces of indentation (line 9 on).
inline constexpr const char* kPrelude =
    "deployment: demo\n"                           // 1
    "providers:\n"                                 // 2
    "  do: {type: digitalocean, region: nyc3}\n"   // 3
    "tiers:\n"                                     // 4
    "  api:\n"                                     // 5
    "    provider: do\n"                           // 6
    "    size: s-1vcpu-1gb\n"                      // 7
    "    image: ubuntu-22-04-x64\n";               // 8

}  // namespace orch::spec::testing
