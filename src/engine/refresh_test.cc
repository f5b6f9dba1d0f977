#include "engine/refresh.h"

#include <gtest/gtest.h>

#include "engine/test_support.h"
#include "testing/fake_provider.h"
#include "testing/recording_observer.h"

namespace orch::engine {
namespace {

using json = nlohmann::json;
using test::Res;

ApplyContext NoContext() { return ApplyContext{}; }

TEST(RefreshTest, SortsObservedResourcesAndUpdatesOutputs) {
  orch::testing::FakeProvider a("fake"), b("fake");
  ApplyContext ctx = NoContext();
  ObservedResource web = a.Create(Res("web.instance[0]", {{"size", "s"}}), ctx).value();
  ObservedResource db = b.Create(Res("db.instance[0]", {{"size", "s"}}, {}, "b"), ctx).value();
  ASSERT_TRUE(a.Create(Res("other.instance[0]", {{"size", "s"}}), ctx).ok());
  // Carries our deployment tag, but no address.
  a.TEST_Insert({"", "volume", "", "demo-stray",
                 {{std::string(model::kTagDeployment), test::kDeployment}}, json::object(), json::object()});
  // Another deployment's: not ours at all.
  a.TEST_Insert({"web.instance[0]", "instance", "", "prod-web-0",
                 {{std::string(model::kTagDeployment), "prod"}}, json::object(), json::object()});

  state::State s;
  s.resources["web.instance[0]"].address = "web.instance[0]";
  s.resources["web.instance[0]"].id = web.id;
  s.resources["web.instance[0]"].outputs = web.outputs;
  s.resources["db.instance[0]"].id = db.id;
  s.resources["db.instance[0]"].outputs = db.outputs;
  s.resources["gone.instance[0]"].id = "fake-999";
  a.TEST_SetOutput("web.instance[0]", "public_ip", "203.0.113.77");

  orch::testing::RecordingObserver observer;
  ProviderSet providers{{"a", &a}, {"b", &b}};
  Result<RefreshResult> r = Refresh(providers, test::kDeployment, &s, &observer);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(a.discovers(), 1);
  EXPECT_EQ(b.discovers(), 1);
  EXPECT_EQ(r->by_address.size(), 3u);
  EXPECT_EQ(r->by_address.count("other.instance[0]"), 1u);
  ASSERT_EQ(r->unknown.size(), 1u);
  EXPECT_EQ(r->unknown[0].cloud_name, "demo-stray");
  EXPECT_EQ(r->by_provider["a"].size(), 3u);
  EXPECT_EQ(r->by_provider["b"].size(), 1u);
  EXPECT_EQ(r->missing, std::vector<std::string>{"gone.instance[0]"});
  EXPECT_EQ(r->outputs_updated, 1);
  EXPECT_EQ(s.resources["web.instance[0]"].outputs["public_ip"], "203.0.113.77");
  EXPECT_EQ(s.resources["db.instance[0]"].outputs, db.outputs);
  std::vector<std::string> started = observer.Subjects("refresh_started");
  std::sort(started.begin(), started.end());
  EXPECT_EQ(started, (std::vector<std::string>{"a", "b"}));
}

TEST(RefreshTest, DuplicateAddressKeepsTheRecordedOne) {
  orch::testing::FakeProvider a;
  a.SetAdoptExistingOnCreate(false);
  ApplyContext ctx = NoContext();
  ObservedResource first = a.Create(Res("web.instance[0]", {{"size", "s"}}), ctx).value();
  ObservedResource second = a.Create(Res("web.instance[0]", {{"size", "s"}}), ctx).value();
  state::State s;
  s.resources["web.instance[0]"].id = second.id;
  Result<RefreshResult> r = Refresh({{"a", &a}}, test::kDeployment, &s, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->by_address["web.instance[0]"].id, second.id);
  ASSERT_EQ(r->duplicates.size(), 1u);
  EXPECT_EQ(r->duplicates[0].id, first.id);
}

TEST(RefreshTest, DiscoverFailureFailsTheRefresh) {
  orch::testing::FakeProvider a, b;
  b.FailDiscover(Status::Unauthenticated("token rejected"));
  Result<RefreshResult> r = Refresh({{"a", &a}, {"b", &b}}, test::kDeployment, nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().ToString(),
            "Unauthenticated: discovering resources of provider 'b': token rejected");
}

}  // namespace
}  // namespace orch::engine
