#include "util/diagnostic.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

TEST(DiagnosticTest, FormatsLocationSourceLineAndCaret) {
  Diagnostic d{Severity::kError, {"deploy.yaml", {2, 3}, {2, 7}}, "unknown key 'cont'; did you mean 'count'?", {}};
  std::string src = "tiers:\n  cont: 3\n";
  EXPECT_EQ(FormatDiagnostic(d, &src),
            "deploy.yaml:2:3: error: unknown key 'cont'; did you mean 'count'?\n"
            "    cont: 3\n"
            "    ^ near here");
}

TEST(DiagnosticTest, AddressWhenNoFile) {
  Diagnostic d{Severity::kError, {}, "quota exceeded", "api.instance[2]"};
  EXPECT_EQ(FormatDiagnosticLine(d), "api.instance[2]: error: quota exceeded");
}

TEST(DiagnosticTest, WarningsDoNotCountAsErrors) {
  Diagnostics ds;
  ds.Warning({}, "w");
  EXPECT_FALSE(ds.HasErrors());
  ds.Error({}, "e");
  EXPECT_TRUE(ds.HasErrors());
}

}  // namespace
}  // namespace orch
