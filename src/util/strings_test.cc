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

TEST(StringsTest, ParseDurationReadsUnitsLargestFirst) {
  EXPECT_EQ(ParseDuration("90s"), 90000);
  EXPECT_EQ(ParseDuration("10m"), 600000);
  EXPECT_EQ(ParseDuration("1h30m"), 5400000);
  EXPECT_EQ(ParseDuration("2m500ms"), 120500);
  EXPECT_EQ(ParseDuration("0s"), 0);
  for (const char* bad : {"", "10", "m", "-5m", "1.5m", "10 m", "5d", "30s1m", "1m1m", "10m ", "99999999999999999h"})
    EXPECT_EQ(ParseDuration(bad), std::nullopt) << bad;
}

TEST(StringsTest, FormatDurationIsReadBackByParseDuration) {
  EXPECT_EQ(FormatDuration(600000), "10m");
  EXPECT_EQ(FormatDuration(5400000), "1h30m");
  EXPECT_EQ(FormatDuration(90000), "1m30s");
  EXPECT_EQ(FormatDuration(1500), "1s500ms");
  EXPECT_EQ(FormatDuration(0), "0s");
  for (int64_t ms : {1, 999, 61000, 3600000, 3723004}) EXPECT_EQ(ParseDuration(FormatDuration(ms)), ms) << ms;
}

}  // namespace
}  // namespace orch
