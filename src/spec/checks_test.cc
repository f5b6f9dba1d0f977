#include "spec/checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace orch::spec::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(NamesTest, Rule) {
  EXPECT_TRUE(IsValidName("a"));
  EXPECT_TRUE(IsValidName("cassandra-2"));
  EXPECT_TRUE(IsValidName(std::string(31, 'a')));
  EXPECT_FALSE(IsValidName(std::string(32, 'a')));
  EXPECT_FALSE(IsValidName(""));
  EXPECT_FALSE(IsValidName("2a"));
  EXPECT_FALSE(IsValidName("-a"));
  EXPECT_FALSE(IsValidName("a_b"));
  EXPECT_FALSE(IsValidName("Api"));
}

TEST(CidrTest, Valid) {
  EXPECT_EQ(CheckCidr("10.0.0.0/8"), "");
  EXPECT_EQ(CheckCidr("0.0.0.0/0"), "");
  EXPECT_EQ(CheckCidr("192.168.1.7/32"), "");
  EXPECT_EQ(CheckCidr("172.16.0.0/12"), "");
}

TEST(CidrTest, Invalid) {
  EXPECT_EQ(CheckCidr("10.0.0.0"), "expected a.b.c.d/n, e.g. 10.0.0.0/16 (the /n is required)");
  EXPECT_EQ(CheckCidr("10.0.0/8"), "expected a.b.c.d/n, e.g. 10.0.0.0/16");
  EXPECT_EQ(CheckCidr("10.0.0.0.0/8"), "expected a.b.c.d/n, e.g. 10.0.0.0/16");
  EXPECT_EQ(CheckCidr("10.0.0.-1/8"), "expected a.b.c.d/n, e.g. 10.0.0.0/16");
  EXPECT_EQ(CheckCidr("10.0.0.256/32"), "'256' is not an octet (0-255)");
  EXPECT_EQ(CheckCidr("10.0.0.0/"), "the prefix length must be a number from 0 to 32");
  EXPECT_EQ(CheckCidr("10.0.0.0/08"), "the prefix length must be a number from 0 to 32");
  EXPECT_EQ(CheckCidr("1.2.3.4/0"), "host bits are set (1.2.3.4 lies outside the /0 prefix); did you mean 0.0.0.0/0?");
  EXPECT_EQ(CheckCidr("10.1.2.3/12"),
            "host bits are set (0.1.2.3 lies outside the /12 prefix); did you mean 10.0.0.0/12?");
  EXPECT_EQ(CheckCidr("10.31.0.0/12"),
            "host bits are set (0.15.0.0 lies outside the /12 prefix); did you mean 10.16.0.0/12?");
}

TEST(PortsTest, Ranges) {
  EXPECT_EQ(CheckPorts("22"), "");
  EXPECT_EQ(CheckPorts("1-65535"), "");
  EXPECT_EQ(CheckPorts("0"), "ports must be between 1 and 65535");
  EXPECT_EQ(CheckPorts("65536"), "ports must be between 1 and 65535");
  EXPECT_EQ(CheckPorts("80-22"), "the range's first port is greater than its last");
  EXPECT_EQ(CheckPorts("http"), "expected a port such as 22 or a range such as 8000-8100");
  EXPECT_EQ(CheckPorts("22,80"), "expected a port such as 22 or a range such as 8000-8100");
  EXPECT_EQ(CheckPorts("-22"), "expected a port such as 22 or a range such as 8000-8100");
}

TEST(CyclesTest, NoneInADag) {
  EXPECT_THAT(FindCycles({{1, 2}, {2}, {}}), IsEmpty());
}

TEST(CyclesTest, SelfLoopAndLongCycles) {
  EXPECT_THAT(FindCycles({{0}}), ElementsAre(ElementsAre(0)));
  EXPECT_THAT(FindCycles({{1}, {2}, {0}}), ElementsAre(ElementsAre(0, 1, 2)));
  // 0 -> 1 -> 0 and 0 -> 2 -> 1 -> 0, plus 2 -> 3 -> 2.
  EXPECT_THAT(FindCycles({{1, 2}, {0}, {1, 3}, {2}}),
              ElementsAre(ElementsAre(0, 1), ElementsAre(0, 2, 1), ElementsAre(2, 3)));
}

TEST(CyclesTest, DenseGraphIsBounded) {
  std::vector<std::vector<int>> edges(40);
  for (int i = 0; i < 40; ++i) {
    for (int j = 0; j < 40; ++j) {
      if (i != j) edges[i].push_back(j);
    }
  }
  auto cycles = FindCycles(edges);
  EXPECT_EQ(cycles.size(), 100u);  // capped
}

TEST(CyclesTest, LongChainIsCheapAndExact) {
  const int n = 30000;
  std::vector<std::vector<int>> edges(n);
  for (int i = 0; i + 1 < n; ++i) edges[i].push_back(i + 1);
  EXPECT_THAT(FindCycles(edges), IsEmpty());
  edges[n - 1].push_back(n - 3);  // closes n-3 -> n-2 -> n-1 -> n-3
  EXPECT_THAT(FindCycles(edges), ElementsAre(ElementsAre(n - 3, n - 2, n - 1)));
}

TEST(CyclesTest, EveryCyclicComponentIsNamedEvenWhenTheSearchIsCut) {
  // A dense component exhausts the search budget; a later, separate cycle
  // must still be reported.
  std::vector<std::vector<int>> edges(24);
  for (int i = 0; i < 20; ++i) {
    for (int j = 0; j < 20; ++j) {
      if (i != j && j != 0) edges[i].push_back(j);
    }
  }
  edges[19].push_back(0);
  edges[20] = {21};
  edges[21] = {20};
  auto cycles = FindCycles(edges);
  EXPECT_LE(cycles.size(), 100u);
  EXPECT_THAT(cycles, ::testing::Contains(ElementsAre(20, 21)));
}

}  // namespace
}  // namespace orch::spec::internal
