#include "util/sensitive.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

using nlohmann::json;

TEST(SensitiveTest, MarkerHoldsOnlyTheDigestAndRevealPutsTheValueBack) {
  SensitiveValues values;
  json vars = {{"token", SensitiveMarker("dop_v1_secret", &values)}, {"port", "9090"}};
  EXPECT_TRUE(IsSensitiveMarker(vars["token"]));
  EXPECT_TRUE(HasSensitive(vars));
  EXPECT_FALSE(HasSensitive(json{{"port", "9090"}, {"list", {"a"}}}));
  EXPECT_EQ(vars.dump().find("dop_v1_secret"), std::string::npos) << vars.dump();
  ASSERT_EQ(values.size(), 1u);

  auto shown = RevealSensitive(vars, values);
  ASSERT_TRUE(shown.ok()) << shown.status().message();
  EXPECT_EQ((*shown)["token"], "dop_v1_secret");
  EXPECT_EQ((*shown)["port"], "9090");
  EXPECT_EQ(MaskSensitive(vars, "(sensitive)")["token"], "(sensitive)");
}

TEST(SensitiveTest, SameValueSameMarkerAndNestedMarkersAreFound) {
  SensitiveValues values;
  EXPECT_EQ(SensitiveMarker("a", &values), SensitiveMarker("a", nullptr));
  EXPECT_NE(SensitiveMarker("a", nullptr), SensitiveMarker("b", nullptr));
  json v = {{"list", {SensitiveMarker("a", &values), "plain"}}};
  auto shown = RevealSensitive(v, values);
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ((*shown)["list"][0], "a");
}

TEST(SensitiveTest, UnknownMarkerIsAnErrorThatShowsNoValue) {
  json v = {{"token", SensitiveMarker("gone", nullptr)}};
  auto shown = RevealSensitive(v, {});
  ASSERT_FALSE(shown.ok());
  EXPECT_EQ(shown.status().message().find("gone"), std::string::npos);
  // An object that merely has a "sensitive" key among others is not a marker.
  EXPECT_FALSE(IsSensitiveMarker(json{{"sensitive", "sha256:x"}, {"other", 1}}));
  EXPECT_FALSE(IsSensitiveMarker(json{{"sensitive", "plain"}}));
}

}  // namespace
}  // namespace orch
