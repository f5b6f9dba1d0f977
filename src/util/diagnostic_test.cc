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

TEST(DiagnosticTest, LongLinesAreShownAsAWindowAroundTheColumn) {
  std::string line = "k: " + std::string(100000, 'a') + "X" + std::string(100000, 'b');
  Diagnostic d{Severity::kError, {"big.yaml", {1, 100004}, {1, 100005}}, "bad", {}};
  std::string out = FormatDiagnostic(d, &line);
  EXPECT_LT(out.size(), 400u);
  std::string shown = out.substr(out.find('\n') + 3, out.rfind('\n') - out.find('\n') - 3);
  std::string caret = out.substr(out.rfind('\n') + 3);
  EXPECT_EQ(shown.substr(0, 3), "...");
  EXPECT_EQ(shown.substr(shown.size() - 3), "...");
  ASSERT_EQ(caret.find('^'), shown.find('X'));  // the caret still points at the column
}

TEST(DiagnosticTest, ShortLineNearTheStartIsNotCut) {
  std::string line = "name: " + std::string(200, 'z');
  Diagnostic d{Severity::kError, {"f.yaml", {1, 7}, {1, 8}}, "bad", {}};
  std::string out = FormatDiagnostic(d, &line);
  EXPECT_NE(out.find("\n  name: zzz"), std::string::npos);
  EXPECT_NE(out.find("zzz...\n        ^ near here"), std::string::npos);
}

TEST(DiagnosticTest, ControlBytesNeverReachTheTerminal) {
  std::string line = "name: \x1b[31mred\x07";
  Diagnostic d{Severity::kError, {"f.yaml", {1, 7}, {1, 8}}, "bad", {}};
  std::string out = FormatDiagnostic(d, &line);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.find('\x07'), std::string::npos);
  EXPECT_NE(out.find("name: ?[31mred?"), std::string::npos);
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
