// SPEC parsing and request classification of the fault injector.
#include <gtest/gtest.h>

#include "core/faults.h"

namespace cloudsim {
namespace {

TEST(FaultSpecTest, ParsesGroupsKindsAndScopes) {
  std::vector<FaultGroup> groups;
  std::string error;
  ASSERT_TRUE(ParseFaultSpec("rate=0.1; api=gce, 429=0.2, 5xx=0.1 ;route=/v2/droplets,lost=0.3,quota=0.05,reset=0.01,slow=0.02",
                             &groups, &error))
      << error;
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_DOUBLE_EQ(groups[0].rate, 0.1);
  EXPECT_EQ(groups[0].api, "");
  EXPECT_EQ(groups[1].api, "gce");
  EXPECT_DOUBLE_EQ(groups[1].p429, 0.2);
  EXPECT_DOUBLE_EQ(groups[1].p5xx, 0.1);
  EXPECT_EQ(groups[2].route_prefix, "/v2/droplets");
  EXPECT_DOUBLE_EQ(groups[2].lost, 0.3);
  EXPECT_DOUBLE_EQ(groups[2].quota, 0.05);
  EXPECT_DOUBLE_EQ(groups[2].reset, 0.01);
  EXPECT_DOUBLE_EQ(groups[2].slow, 0.02);
  EXPECT_EQ(groups[2].ToJson()["route"], "/v2/droplets");
}

TEST(FaultSpecTest, EmptyOrNoneClearsFaults) {
  std::vector<FaultGroup> groups;
  std::string error;
  EXPECT_TRUE(ParseFaultSpec("", &groups, &error));
  EXPECT_TRUE(groups.empty());
  EXPECT_TRUE(ParseFaultSpec("none", &groups, &error));
  EXPECT_TRUE(groups.empty());
}

TEST(FaultSpecTest, RejectsBadSpecsWithAReason) {
  struct Case {
    const char* spec;
    const char* fragment;
  } cases[] = {
      {"429=2", "probability"},
      {"429=-0.1", "probability"},
      {"429=abc", "probability"},
      {"bogus=0.1", "unknown fault key 'bogus'"},
      {"api=gce", "names no fault kind"},
      {"rate", "not KEY=VALUE"},
      {"rate=0.6,429=0.6", "summing above 1"},
      {"route=v2,429=0.1", "route="},
  };
  for (const Case& c : cases) {
    std::vector<FaultGroup> groups;
    std::string error;
    EXPECT_FALSE(ParseFaultSpec(c.spec, &groups, &error)) << c.spec;
    EXPECT_NE(error.find(c.fragment), std::string::npos) << c.spec << " -> " << error;
  }
}

TEST(FaultSpecTest, SetSpecKeepsOldFaultsOnError) {
  FaultInjector f(1, 1.0);
  std::string error;
  ASSERT_TRUE(f.SetSpec("429=0.5", &error));
  EXPECT_FALSE(f.SetSpec("429=7", &error));
  EXPECT_EQ(f.spec(), "429=0.5");
  EXPECT_EQ(f.ToJson()["groups"][0]["429"], 0.5);
}

TEST(FaultClassifyTest, CreateLikeRoutes) {
  EXPECT_TRUE(FaultInjector::IsCreateLike("POST", "/v2/droplets"));
  EXPECT_TRUE(FaultInjector::IsCreateLike("POST", "/compute/v1/projects/{project}/zones/{zone}/instances"));
  EXPECT_TRUE(FaultInjector::IsCreateLike("POST", "/compute/v2.1/servers"));
  EXPECT_FALSE(FaultInjector::IsCreateLike("GET", "/v2/droplets"));
  EXPECT_FALSE(FaultInjector::IsCreateLike("POST", "/v2/droplets/{id}/actions"));
  EXPECT_FALSE(FaultInjector::IsCreateLike("POST", "/compute/v2.1/servers/{id}/action"));
  EXPECT_FALSE(FaultInjector::IsCreateLike("POST", "/compute/v1/projects/{p}/zones/{z}/instances/{i}/stop"));
  EXPECT_FALSE(FaultInjector::IsCreateLike("POST", "/compute/v1/projects/{p}/zones/{z}/instances/{i}/setLabels"));
  EXPECT_FALSE(FaultInjector::IsCreateLike("POST", "/x/{id}"));
}

TEST(FaultClassifyTest, MutatingAndAuthPaths) {
  EXPECT_TRUE(FaultInjector::IsMutating("DELETE"));
  EXPECT_TRUE(FaultInjector::IsMutating("PATCH"));
  EXPECT_FALSE(FaultInjector::IsMutating("GET"));
  EXPECT_FALSE(FaultInjector::IsMutating("HEAD"));
  EXPECT_TRUE(FaultInjector::IsAuthPath("/identity/v3/auth/tokens"));
  EXPECT_TRUE(FaultInjector::IsAuthPath("/token"));
  EXPECT_FALSE(FaultInjector::IsAuthPath("/v2/droplets"));
}

TEST(FaultInjectorTest, GetsNeverLostOrQuota) {
  FaultInjector f(7, 1.0);
  std::string error;
  ASSERT_TRUE(f.SetSpec("lost=0.5,quota=0.5", &error));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(f.Decide({"toy", "GET", "/toy/items", "/toy/items"}).kind, FaultKind::kNone);
    EXPECT_NE(f.Decide({"toy", "DELETE", "/toy/items/1", "/toy/items/{id}"}).kind, FaultKind::kQuota);
  }
}

TEST(FaultInjectorTest, RateSplitsOverApplicableKinds) {
  FaultInjector f(3, 1.0);
  std::string error;
  ASSERT_TRUE(f.SetSpec("rate=1", &error));
  std::map<FaultKind, int> seen;
  for (int i = 0; i < 600; ++i) ++seen[f.Decide({"toy", "POST", "/toy/items", "/toy/items"}).kind];
  // Six kinds apply to a create; each should get roughly 100 of 600.
  for (FaultKind k : {FaultKind::kRateLimit, FaultKind::kServerError, FaultKind::kReset, FaultKind::kSlow,
                      FaultKind::kLost, FaultKind::kQuota}) {
    EXPECT_GT(seen[k], 50) << FaultKindName(k);
    EXPECT_LT(seen[k], 150) << FaultKindName(k);
  }
  EXPECT_EQ(seen[FaultKind::kNone], 0);
}

TEST(FaultInjectorTest, SlowDelayScalesWithTimeScale) {
  FaultInjector fast(1, 0.01), real(1, 1.0);
  std::string error;
  ASSERT_TRUE(fast.SetSpec("slow=1", &error));
  ASSERT_TRUE(real.SetSpec("slow=1", &error));
  for (int i = 0; i < 50; ++i) {
    FaultDecision a = fast.Decide({"toy", "GET", "/toy/items", "/toy/items"});
    FaultDecision b = real.Decide({"toy", "GET", "/toy/items", "/toy/items"});
    ASSERT_EQ(a.kind, FaultKind::kSlow);
    EXPECT_GE(a.delay_ms, 25);  // 0.5 s * max(0.01, 0.05)
    EXPECT_LE(a.delay_ms, 150);
    EXPECT_GE(b.delay_ms, 500);
    EXPECT_LE(b.delay_ms, 3000);
  }
}

}  // namespace
}  // namespace cloudsim
