#include "engine/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "engine/refresh.h"
#include "engine/state_writer.h"
#include "engine/test_support.h"
#include "testing/fake_provider.h"
#include "testing/recording_observer.h"

namespace orch::engine {
namespace {

using test::CreatePlan;
using test::Res;
using json = nlohmann::json;

class ExecutorTest : public ::testing::Test {
 protected:
  ApplyResult ApplyPlan(const plan::Plan& p, int parallelism = 10) {
    StateWriter writer(&store_, store_.Read().value());
    Executor executor(providers_, &writer);
    ApplyOptions options;
    options.parallelism = parallelism;
    options.provider_limits = limits_;
    options.observer = &observer_;
    options.cancelled = &cancelled_;
    return executor.Apply(p, options);
  }

  // Refresh + the test planner against the current store.
  plan::Plan Replan(const std::vector<model::Resource>& desired) {
    state::State s = store_.Read().value();
    Result<RefreshResult> r = Refresh(providers_, test::kDeployment, &s, nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return test::SimplePlan(desired, s, r.ok() ? r->by_address : std::map<std::string, ObservedResource>{});
  }

  int Position(const std::vector<std::string>& log, const std::string& entry) {
    auto it = std::find(log.begin(), log.end(), entry);
    return it == log.end() ? -1 : static_cast<int>(it - log.begin());
  }

  test::RecordingStore store_;
  orch::testing::FakeProvider cloud_;
  ProviderSet providers_{{"cloud", &cloud_}};
  std::map<std::string, int> limits_;
  orch::testing::RecordingObserver observer_;
  std::atomic<bool> cancelled_{false};
};

std::vector<model::Resource> ThreeTier() {
  return {
      Res("network.main", {{"cidr", "10.0.0.0/16"}}),
      Res("db.instance[0]", {{"size", "s"}, {"network", "${ref:network.main.id}"}}, {"network.main"}),
      Res("db.instance[1]", {{"size", "s"}, {"network", "${ref:network.main.id}"}}, {"network.main"}),
      Res("api.instance[0]", {{"size", "s"}, {"db", "${tiers.db.private_ips}"}},
          {"network.main", "db.instance[0]", "db.instance[1]"}),
      Res("api.lb", {{"target", "${ref:api.instance[0].private_ip}"}}, {"api.instance[0]"}),
  };
}

TEST_F(ExecutorTest, CreatesDependenciesFirstAndResolvesReferencesFromState) {
  cloud_.SetLatencyMicros(2000);
  ApplyResult r = ApplyPlan(CreatePlan(ThreeTier()));
  ASSERT_TRUE(r.ok()) << (r.diags.empty() ? "" : FormatDiagnosticLine(r.diags.items()[0]));
  EXPECT_EQ(r.succeeded, 5);

  std::vector<std::string> log = cloud_.CallLog();
  ASSERT_EQ(log.size(), 5u);
  const int net = Position(log, "create network.main");
  const int db0 = Position(log, "create db.instance[0]");
  const int db1 = Position(log, "create db.instance[1]");
  const int api = Position(log, "create api.instance[0]");
  const int lb = Position(log, "create api.lb");
  EXPECT_EQ(net, 0);
  EXPECT_GT(api, std::max(db0, db1));
  EXPECT_EQ(lb, 4);

  state::State s = store_.current();
  ASSERT_EQ(s.resources.size(), 5u);
  EXPECT_TRUE(s.intents.empty());
  const std::string net_id = s.resources["network.main"].id;
  EXPECT_FALSE(net_id.empty());
  EXPECT_EQ(s.resources["db.instance[0]"].attributes["network"], net_id);
  EXPECT_EQ(s.resources["api.instance[0]"].attributes["db"],
            s.resources["db.instance[0]"].outputs["private_ip"].get<std::string>() + "," +
                s.resources["db.instance[1]"].outputs["private_ip"].get<std::string>());
  EXPECT_EQ(s.resources["api.lb"].attributes["target"], s.resources["api.instance[0]"].outputs["private_ip"]);
  EXPECT_EQ(s.resources["api.lb"].kind, "load_balancer");
  EXPECT_EQ(s.resources["api.lb"].provider_type, "fake");
  EXPECT_EQ(s.resources["api.lb"].depends_on, std::vector<std::string>{"api.instance[0]"});
  EXPECT_FALSE(s.lineage.empty());
}

TEST_F(ExecutorTest, TeardownDeletesDependentsBeforeTheirDependencies) {
  ASSERT_TRUE(ApplyPlan(CreatePlan(ThreeTier())).ok());
  cloud_.ResetCounters();
  ApplyResult r = ApplyPlan(test::TeardownPlan(store_.current()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.succeeded, 5);
  std::vector<std::string> log = cloud_.CallLog();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(Position(log, "delete api.lb"), 0);
  EXPECT_LT(Position(log, "delete api.instance[0]"), Position(log, "delete db.instance[0]"));
  EXPECT_EQ(Position(log, "delete network.main"), 4);
  EXPECT_TRUE(cloud_.Resources().empty());
  EXPECT_TRUE(store_.current().resources.empty());
  EXPECT_TRUE(store_.current().intents.empty());
}

// The tier's timeouts reach the provider with each change: `create` for a
// create, `delete` (as recorded) for a delete; none set is 0.
TEST_F(ExecutorTest, EachChangeCarriesItsTiersTimeout) {
  std::vector<model::Resource> desired = {
      Res("db.instance[0]", {{"size", "s"}, {"timeouts", {{"create_ms", 120000}, {"delete_ms", 30000}}}}),
      Res("api.instance[0]", {{"size", "s"}}),
  };
  ASSERT_TRUE(ApplyPlan(CreatePlan(desired)).ok());
  EXPECT_EQ(cloud_.LastTimeoutMs("create db.instance[0]"), 120000);
  EXPECT_EQ(cloud_.LastTimeoutMs("create api.instance[0]"), 0);
  ASSERT_TRUE(ApplyPlan(test::TeardownPlan(store_.current())).ok());
  EXPECT_EQ(cloud_.LastTimeoutMs("delete db.instance[0]"), 30000);
  EXPECT_EQ(cloud_.LastTimeoutMs("delete api.instance[0]"), 0);
}

std::vector<model::Resource> Independent(int n, const std::string& provider = "cloud",
                                         const std::string& tier = "web") {
  std::vector<model::Resource> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Res(tier + ".instance[" + std::to_string(i) + "]", {{"size", "s"}}, {}, provider));
  }
  return out;
}

TEST_F(ExecutorTest, ParallelismBoundIsRespected) {
  cloud_.SetLatencyMicros(20000);
  ApplyResult r = ApplyPlan(CreatePlan(Independent(20)), 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.succeeded, 20);
  EXPECT_EQ(cloud_.max_in_flight(), 3);
}

TEST_F(ExecutorTest, HigherParallelismRunsMoreAtOnce) {
  cloud_.SetLatencyMicros(20000);
  ApplyResult r = ApplyPlan(CreatePlan(Independent(20)), 10);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(cloud_.max_in_flight(), 3);
  EXPECT_LE(cloud_.max_in_flight(), 10);
}

TEST_F(ExecutorTest, PerProviderLimit) {
  orch::testing::FakeProvider other("other");
  providers_["slow"] = &other;
  cloud_.SetLatencyMicros(20000);
  other.SetLatencyMicros(20000);
  limits_["slow"] = 2;
  std::vector<model::Resource> all = Independent(10, "cloud", "web");
  for (model::Resource& r : Independent(10, "slow", "api")) all.push_back(r);
  ApplyResult r = ApplyPlan(CreatePlan(all), 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.succeeded, 20);
  EXPECT_EQ(other.max_in_flight(), 2);
  EXPECT_EQ(other.creates(), 10);
  EXPECT_GT(cloud_.max_in_flight(), 2);
}

TEST_F(ExecutorTest, FailedBranchSkipsItsDependentsOnly) {
  cloud_.FailCreate("a.instance[0]", Status::QuotaExceeded("droplet limit reached"));
  std::vector<model::Resource> desired = {
      Res("network.main", {{"cidr", "10.0.0.0/16"}}),
      Res("a.instance[0]", {{"size", "s"}}, {"network.main"}),
      Res("a.lb", {{"ip", "${ref:a.instance[0].private_ip}"}}, {"a.instance[0]"}),
      Res("a.fip[0]", {{"lb", "${ref:a.lb.ip}"}}, {"a.lb"}),
      Res("b.instance[0]", {{"size", "s"}}, {"network.main"}),
      Res("b.lb", {{"ip", "${ref:b.instance[0].private_ip}"}}, {"b.instance[0]"}),
  };
  ApplyResult r = ApplyPlan(CreatePlan(desired));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.succeeded, 3);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(r.skipped, 2);
  EXPECT_FALSE(r.cancelled);

  state::State s = store_.current();
  EXPECT_EQ(s.resources.count("network.main"), 1u);
  EXPECT_EQ(s.resources.count("b.instance[0]"), 1u);
  EXPECT_EQ(s.resources.count("b.lb"), 1u);
  EXPECT_EQ(s.resources.count("a.instance[0]"), 0u);
  EXPECT_EQ(s.resources.count("a.lb"), 0u);
  EXPECT_EQ(cloud_.CountAddress("a.lb"), 0);

  std::map<std::string, std::string> by_address;
  for (const Diagnostic& d : r.diags.items()) by_address[d.address] = FormatDiagnosticLine(d);
  EXPECT_EQ(by_address["a.instance[0]"],
            "a.instance[0]: error: create failed: QuotaExceeded: droplet limit reached");
  EXPECT_EQ(by_address["a.lb"], "a.lb: warning: skipped because a.instance[0] failed");
  EXPECT_EQ(by_address["a.fip[0]"], "a.fip[0]: warning: skipped because a.instance[0] failed");
  std::vector<std::string> skipped = observer_.Subjects("skipped");
  std::sort(skipped.begin(), skipped.end());
  EXPECT_EQ(skipped, (std::vector<std::string>{"a.fip[0]", "a.lb"}));
  EXPECT_EQ(observer_.IndexOf("started", "a.lb"), -1);
}

TEST_F(ExecutorTest, LostCreateResponseLeavesIntentAndNextRunAdopts) {
  cloud_.SetAdoptExistingOnCreate(false);  // the engine alone must avoid the duplicate
  cloud_.LoseCreateResponse("api.instance[0]");
  std::vector<model::Resource> desired = {Res("network.main", {{"cidr", "10.0.0.0/16"}}),
                                          Res("api.instance[0]", {{"size", "s"}}, {"network.main"})};
  ApplyResult first = ApplyPlan(CreatePlan(desired));
  EXPECT_EQ(first.failed, 1);
  state::State s = store_.current();
  ASSERT_EQ(s.intents.count("api.instance[0]"), 1u);
  EXPECT_EQ(s.intents["api.instance[0]"].action, "create");
  EXPECT_EQ(s.intents["api.instance[0]"].attempt, 1);
  EXPECT_EQ(s.intents["api.instance[0]"].cloud_name, "demo-api-instance-0-");
  EXPECT_EQ(s.resources.count("api.instance[0]"), 0u);
  EXPECT_EQ(cloud_.CountAddress("api.instance[0]"), 1);

  plan::Plan again = Replan(desired);
  const plan::Change* change = nullptr;
  for (const plan::Change& c : again.changes) {
    if (c.address == "api.instance[0]") change = &c;
  }
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(change->action, plan::Action::kAdopt);
  ApplyResult second = ApplyPlan(again);
  ASSERT_TRUE(second.ok());
  // network, the lost response, and the finishing call that found it by tags
  EXPECT_EQ(cloud_.creates(), 3);
  EXPECT_EQ(cloud_.LastAttempt("api.instance[0]"), 2);
  EXPECT_EQ(cloud_.CountAddress("api.instance[0]"), 1);
  s = store_.current();
  EXPECT_TRUE(s.intents.empty());
  ASSERT_EQ(s.resources.count("api.instance[0]"), 1u);
  EXPECT_EQ(s.resources["api.instance[0]"].id, cloud_.Resources().back().id);
  EXPECT_EQ(s.resources["api.instance[0]"].attributes, (json{{"size", "s"}}));

  // And now everything is in order: nothing left to do.
  cloud_.ResetCounters();
  plan::Plan third = Replan(desired);
  EXPECT_FALSE(std::any_of(third.changes.begin(), third.changes.end(),
                           [](const plan::Change& c) { return c.action != plan::Action::kNoop; }));
}

TEST_F(ExecutorTest, RetriedCreateResumesTheJournaledOperation) {
  cloud_.SetRecordOperations(true);
  cloud_.FailCreate("api.instance[0]", Status::Timeout("operation still running"));
  std::vector<model::Resource> desired = {Res("api.instance[0]", {{"size", "s"}})};
  ApplyResult first = ApplyPlan(CreatePlan(desired));
  EXPECT_EQ(first.failed, 1);
  state::State s = store_.current();
  ASSERT_EQ(s.intents.count("api.instance[0]"), 1u);
  EXPECT_EQ(s.intents["api.instance[0]"].operation, "op-api.instance[0]");
  EXPECT_EQ(cloud_.LastAttempt("api.instance[0]"), 1);
  EXPECT_EQ(cloud_.LastResumeOperation("api.instance[0]"), "");

  ApplyResult second = ApplyPlan(CreatePlan(desired, s.serial));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(cloud_.LastAttempt("api.instance[0]"), 2);
  EXPECT_EQ(cloud_.LastResumeOperation("api.instance[0]"), "op-api.instance[0]");
  EXPECT_TRUE(store_.current().intents.empty());
}

TEST_F(ExecutorTest, SecondApplyOfTheSameDesiredSetMakesNoMutatingCall) {
  ASSERT_TRUE(ApplyPlan(CreatePlan(ThreeTier())).ok());
  cloud_.ResetCounters();
  const size_t writes_before = store_.writes().size();
  plan::Plan again = Replan(ThreeTier());
  ApplyResult r = ApplyPlan(again);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.succeeded, 0);
  EXPECT_EQ(cloud_.mutating_calls(), 0);
  EXPECT_EQ(cloud_.discovers(), 1);
  EXPECT_EQ(store_.writes().size(), writes_before);
}

TEST_F(ExecutorTest, CancellationStopsNewWork) {
  cloud_.SetLatencyMicros(10000);
  observer_.OnFinished([this](const plan::Change&, const Status&) { cancelled_ = true; });
  ApplyResult r = ApplyPlan(CreatePlan(Independent(12)), 2);
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.ok());
  // The first change to finish cancels; at most the other in-flight one also completes.
  EXPECT_GE(r.succeeded, 1);
  EXPECT_LE(r.succeeded, 2);
  EXPECT_EQ(r.failed, 0);
  EXPECT_EQ(r.succeeded + r.skipped, 12);
  EXPECT_EQ(cloud_.creates(), r.succeeded);
  state::State s = store_.current();
  EXPECT_EQ(static_cast<int>(s.resources.size()), r.succeeded);
  EXPECT_TRUE(s.intents.empty());
  EXPECT_EQ(static_cast<int>(observer_.Subjects("skipped").size()), r.skipped);
  ASSERT_FALSE(r.diags.empty());
  EXPECT_NE(FormatDiagnosticLine(r.diags.items().back()).find("apply cancelled: "), std::string::npos);
}

TEST_F(ExecutorTest, PersistsAfterEveryChange) {
  const int n = 6;
  std::vector<model::Resource> chain;
  for (int i = 0; i < n; ++i) {
    std::vector<std::string> deps;
    if (i > 0) deps.push_back("web.instance[" + std::to_string(i - 1) + "]");
    chain.push_back(Res("web.instance[" + std::to_string(i) + "]", {{"size", "s"}}, deps));
  }
  // When a change is reported finished, the store already holds it.
  std::atomic<int> checked{0};
  observer_.OnFinished([&](const plan::Change& c, const Status& st) {
    if (st.ok() && store_.current().resources.count(c.address) == 1) ++checked;
  });
  ApplyResult r = ApplyPlan(CreatePlan(chain), 4);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(checked.load(), n);

  // Two writes per create: the journaled intent, then the recorded result.
  std::vector<state::State> writes = store_.writes();
  ASSERT_EQ(static_cast<int>(writes.size()), 2 * n);
  for (size_t i = 0; i < writes.size(); ++i) {
    EXPECT_EQ(writes[i].serial, i + 1);
    const std::string addr = "web.instance[" + std::to_string(i / 2) + "]";
    if (i % 2 == 0) {
      EXPECT_EQ(writes[i].intents.count(addr), 1u) << i;
      EXPECT_EQ(writes[i].resources.count(addr), 0u) << i;
    } else {
      EXPECT_EQ(writes[i].intents.count(addr), 0u) << i;
      EXPECT_EQ(writes[i].resources.count(addr), 1u) << i;
    }
    EXPECT_EQ(writes[i].lineage, writes[0].lineage);
  }
}

TEST_F(ExecutorTest, PersistFailureStopsTheRun) {
  store_.FailWritesFrom(3);  // intent+record of the first, intent of the second, then nothing
  std::vector<model::Resource> chain = {Res("web.instance[0]", {{"size", "s"}}),
                                        Res("web.instance[1]", {{"size", "s"}}, {"web.instance[0]"}),
                                        Res("web.instance[2]", {{"size", "s"}}, {"web.instance[1]"}),
                                        Res("web.instance[3]", {{"size", "s"}}, {"web.instance[2]"})};
  ApplyResult r = ApplyPlan(CreatePlan(chain), 1);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.succeeded, 1);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(r.skipped, 2);
  EXPECT_EQ(cloud_.creates(), 2);
  bool reported = false;
  for (const Diagnostic& d : r.diags.items()) {
    if (d.message.find("state could not be saved") != std::string::npos) reported = true;
  }
  EXPECT_TRUE(reported);
  // The journaled intent of the unrecorded create is on disk for the next run.
  EXPECT_EQ(store_.current().intents.count("web.instance[1]"), 1u);
}

TEST_F(ExecutorTest, UpdateReplaceAndAdopt) {
  std::vector<model::Resource> desired = {Res("a.instance[0]", {{"size", "s"}}),
                                          Res("b.instance[0]", {{"size", "s"}})};
  ASSERT_TRUE(ApplyPlan(CreatePlan(desired)).ok());
  state::State s = store_.current();
  const std::string old_b = s.resources["b.instance[0]"].id;
  std::string orphan_id = cloud_.TEST_Insert(
      {"c.instance[0]", "instance", "", "demo-c-0",
       {{std::string(model::kTagDeployment), "demo"}, {std::string(model::kTagAddress), "c.instance[0]"}},
       {{"size", "m"}}, {{"private_ip", "10.9.9.9"}}});
  cloud_.ResetCounters();

  plan::Plan p;
  p.deployment = "demo";
  p.state_serial = s.serial;
  plan::Change update = test::CreateOf(Res("a.instance[0]", {{"size", "m"}}));
  update.action = plan::Action::kUpdate;
  update.prior = s.resources["a.instance[0]"];
  plan::Change replace = test::CreateOf(Res("b.instance[0]", {{"size", "l"}}));
  replace.action = plan::Action::kReplace;
  replace.prior = s.resources["b.instance[0]"];
  plan::Change adopt = test::CreateOf(Res("c.instance[0]", {{"size", "m"}}));
  adopt.action = plan::Action::kAdopt;
  adopt.prior.id = orphan_id;
  adopt.prior.attributes = {{"size", "m"}};
  adopt.prior.outputs = {{"private_ip", "10.9.9.9"}};
  p.changes = {update, replace, adopt};
  ApplyResult r = ApplyPlan(p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.succeeded, 3);
  EXPECT_EQ(cloud_.updates(), 1);
  EXPECT_EQ(cloud_.deletes(), 1);
  EXPECT_EQ(cloud_.creates(), 1);
  std::vector<std::string> log = cloud_.CallLog();
  EXPECT_LT(Position(log, "delete b.instance[0]"), Position(log, "create b.instance[0]"));

  s = store_.current();
  EXPECT_EQ(s.resources["a.instance[0]"].attributes["size"], "m");
  EXPECT_EQ(s.resources["b.instance[0]"].attributes["size"], "l");
  EXPECT_NE(s.resources["b.instance[0]"].id, old_b);
  EXPECT_EQ(cloud_.CountAddress("b.instance[0]"), 1);
  EXPECT_EQ(s.resources["c.instance[0]"].id, orphan_id);
  EXPECT_EQ(s.resources["c.instance[0]"].outputs["private_ip"], "10.9.9.9");
  EXPECT_EQ(s.resources["c.instance[0]"].kind, "instance");
}

TEST_F(ExecutorTest, UnconfiguredProviderFailsTheChange) {
  ApplyResult r = ApplyPlan(CreatePlan({Res("x.instance[0]", {{"size", "s"}}, {}, "nowhere")}));
  EXPECT_EQ(r.failed, 1);
  ASSERT_EQ(r.diags.size(), 1u);
  EXPECT_EQ(r.diags.items()[0].message,
            "create failed: InvalidArgument: provider 'nowhere' is not configured");
}

TEST_F(ExecutorTest, UnresolvableReferenceFailsBeforeAnyCall) {
  ApplyResult r = ApplyPlan(CreatePlan({Res("x.instance[0]", {{"net", "${ref:network.gone.id}"}})}));
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(cloud_.creates(), 0);
  EXPECT_TRUE(store_.writes().empty());
}

TEST_F(ExecutorTest, DependencyCycleIsRejected) {
  plan::Plan p = CreatePlan({Res("a.instance[0]", {{"size", "s"}}, {"b.instance[0]"}),
                             Res("b.instance[0]", {{"size", "s"}}, {"a.instance[0]"}),
                             Res("c.instance[0]", {{"size", "s"}})});
  ApplyResult r = ApplyPlan(p);
  EXPECT_EQ(r.failed, 2);
  EXPECT_EQ(r.succeeded, 1);
  EXPECT_EQ(cloud_.creates(), 1);
}

}  // namespace
}  // namespace orch::engine
