#include "util/strings.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

TEST(StringsTest, EditDistance) {
  EXPECT_EQ(EditDistance("count", "count"), 0u);
  EXPECT_EQ(EditDistance("cont", "count"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(StringsTest, DidYouMeanPicksCloseCandidateOnly) {
  std::vector<std::string> keys{"count", "size", "image", "volumes"};
  EXPECT_EQ(DidYouMean("cont", keys), "count");
  EXPECT_EQ(DidYouMean("volume", keys), "volumes");
  EXPECT_EQ(DidYouMean("zzzzzz", keys), "");
}

TEST(StringsTest, SplitJoinTrim) {
  EXPECT_EQ(Join(Split("a,b,,c", ','), "|"), "a|b||c");
  EXPECT_EQ(Trim("  x y \n"), "x y");
}

}  // namespace
}  // namespace orch
