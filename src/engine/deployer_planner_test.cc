// The Deployer with the real planner (plan::MakePlan) against FakeProvider.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/deployer.h"
#include "engine/test_support.h"
#include "state/memory_state_store.h"
#include "testing/fake_provider.h"
#include "testing/recording_observer.h"

namespace orch::engine {
namespace {

using json = nlohmann::json;
using test::Res;

class PlannerDeployTest : public ::testing::Test {
 protected:
  Deployer MakeDeployer() {
    DeployerOptions o;
    o.deployment = test::kDeployment;
    o.parallelism = 4;
    o.observer = &observer_;
    return Deployer(o, &store_, {{"cloud", &cloud_}});
  }

  static std::vector<model::Resource> Desired(const std::string& db_size = "s") {
    return {
        Res("network.main", {{"cidr", "10.0.0.0/16"}}),
        Res("db.instance[0]", {{"size", db_size}, {"network", "${ref:network.main.id}"}}, {"network.main"}),
        Res("db.instance[1]", {{"size", db_size}, {"network", "${ref:network.main.id}"}}, {"network.main"}),
        Res("api.instance[0]", {{"size", "s"}, {"db_hosts", "${tiers.db.private_ips}"}},
            {"network.main", "db.instance[0]", "db.instance[1]"}),
        Res("api.lb", {{"backend", "${ref:api.instance[0].private_ip}"}}, {"api.instance[0]"}),
    };
  }

  static std::map<std::string, plan::Action> Actions(const plan::Plan& p) {
    std::map<std::string, plan::Action> out;
    for (const plan::Change& c : p.changes) out[c.address] = c.action;
    return out;
  }

  static bool AllNoop(const plan::Plan& p) {
    return std::all_of(p.changes.begin(), p.changes.end(),
                       [](const plan::Change& c) { return c.action == plan::Action::kNoop; });
  }

  Result<plan::Plan> PlanAndApply(Deployer& d, const std::vector<model::Resource>& desired) {
    Result<plan::Plan> p = d.PlanDeploy(desired, "digest");
    if (!p.ok()) return p;
    ApplyResult r = d.Apply(*p);
    if (!r.ok()) {
      return Status::Internal(r.diags.empty() ? "apply failed" : FormatDiagnosticLine(r.diags.items()[0]));
    }
    return p;
  }

  state::MemoryStateStore store_{test::kDeployment};
  orch::testing::FakeProvider cloud_;
  orch::testing::RecordingObserver observer_;
};

TEST_F(PlannerDeployTest, SecondDeployIsAllNoopAndMakesNoMutatingCall) {
  Deployer d = MakeDeployer();
  Result<plan::Plan> first = PlanAndApply(d, Desired());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->Summarize().create, 5);
  EXPECT_EQ(cloud_.creates(), 5);

  cloud_.ResetCounters();
  const int writes = store_.WriteCount();
  Result<plan::Plan> second = d.PlanDeploy(Desired(), "digest");
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(AllNoop(*second));
  EXPECT_FALSE(second->HasChanges());
  ApplyResult r = d.Apply(*second);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(cloud_.mutating_calls(), 0);
  EXPECT_EQ(store_.WriteCount(), writes);
}

TEST_F(PlannerDeployTest, LostCreateResponseIsAdoptedNotDuplicated) {
  cloud_.SetAdoptExistingOnCreate(false);
  cloud_.LoseCreateResponse("db.instance[1]");
  Deployer d = MakeDeployer();
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "digest");
  ASSERT_TRUE(p.ok());
  ApplyResult r = d.Apply(*p);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(r.skipped, 2);  // api.instance[0] and api.lb
  state::State s = store_.Read().value();
  ASSERT_EQ(s.intents.count("db.instance[1]"), 1u);
  EXPECT_EQ(cloud_.CountAddress("db.instance[1]"), 1);

  Result<plan::Plan> again = d.PlanDeploy(Desired(), "digest");
  ASSERT_TRUE(again.ok());
  std::map<std::string, plan::Action> actions = Actions(*again);
  EXPECT_EQ(actions["db.instance[1]"], plan::Action::kAdopt);
  EXPECT_EQ(actions["api.instance[0]"], plan::Action::kCreate);
  EXPECT_EQ(actions["network.main"], plan::Action::kNoop);
  ApplyResult r2 = d.Apply(*again);
  ASSERT_TRUE(r2.ok()) << FormatDiagnosticLine(r2.diags.items()[0]);
  EXPECT_EQ(cloud_.CountAddress("db.instance[1]"), 1);
  // One Create per resource, plus the call that finished the interrupted one
  // by finding it through its tags (no second db.instance[1], checked above).
  EXPECT_EQ(cloud_.creates(), 6);
  s = store_.Read().value();
  EXPECT_TRUE(s.intents.empty());
  EXPECT_EQ(s.resources.size(), 5u);

  Result<plan::Plan> third = d.PlanDeploy(Desired(), "digest");
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(AllNoop(*third));
}

TEST_F(PlannerDeployTest, ResourceDeletedOutsideIsCreatedAgain) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(PlanAndApply(d, Desired()).ok());
  cloud_.TEST_Remove("api.lb");
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "digest");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Actions(*p)["api.lb"], plan::Action::kCreate);
  ASSERT_TRUE(d.Apply(*p).ok());
  EXPECT_EQ(cloud_.CountAddress("api.lb"), 1);
  Result<plan::Plan> again = d.PlanDeploy(Desired(), "digest");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(AllNoop(*again));
}

TEST_F(PlannerDeployTest, InPlaceUpdateWhenTheProviderSaysSo) {
  cloud_.SetUpdatableKeys({"size"});
  Deployer d = MakeDeployer();
  ASSERT_TRUE(PlanAndApply(d, Desired()).ok());
  cloud_.ResetCounters();
  Result<plan::Plan> p = d.PlanDeploy(Desired("m"), "digest");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Actions(*p)["db.instance[0]"], plan::Action::kUpdate);
  ApplyResult r = d.Apply(*p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(cloud_.updates(), 2);
  EXPECT_EQ(cloud_.creates(), 0);
  EXPECT_EQ(cloud_.deletes(), 0);
  EXPECT_EQ(store_.Read().value().resources["db.instance[1]"].attributes["size"], "m");
}

TEST_F(PlannerDeployTest, ReplacementPropagatesNewOutputsToDependents) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(PlanAndApply(d, Desired()).ok());
  const std::string old_hosts = store_.Read().value().resources["api.instance[0]"].attributes["db_hosts"];
  Result<plan::Plan> p = d.PlanDeploy(Desired("l"), "digest");  // size change: replace
  ASSERT_TRUE(p.ok());
  std::map<std::string, plan::Action> actions = Actions(*p);
  EXPECT_EQ(actions["db.instance[0]"], plan::Action::kReplace);
  EXPECT_EQ(actions["api.instance[0]"], plan::Action::kReplace);  // its db_hosts are known after apply
  ApplyResult r = d.Apply(*p);
  ASSERT_TRUE(r.ok()) << FormatDiagnosticLine(r.diags.items()[0]);
  state::State s = store_.Read().value();
  const std::string hosts = s.resources["api.instance[0]"].attributes["db_hosts"];
  EXPECT_NE(hosts, old_hosts);
  EXPECT_EQ(hosts, s.resources["db.instance[0]"].outputs["private_ip"].get<std::string>() + "," +
                       s.resources["db.instance[1]"].outputs["private_ip"].get<std::string>());
  Result<plan::Plan> again = d.PlanDeploy(Desired("l"), "digest");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(AllNoop(*again));
}

TEST_F(PlannerDeployTest, OrphanWithOurTagIsDeleted) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(PlanAndApply(d, Desired()).ok());
  cloud_.TEST_Insert({"old.instance[0]", "instance", "", "demo-old-0",
                      {{std::string(model::kTagDeployment), test::kDeployment},
                       {std::string(model::kTagAddress), "old.instance[0]"}},
                      {{"size", "s"}}, json::object()});
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "digest");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Actions(*p)["old.instance[0]"], plan::Action::kDelete);
  ASSERT_TRUE(d.Apply(*p).ok());
  EXPECT_EQ(cloud_.CountAddress("old.instance[0]"), 0);
  EXPECT_EQ(cloud_.Resources().size(), 5u);
}

TEST_F(PlannerDeployTest, TeardownDeletesInReverseDependencyOrder) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(PlanAndApply(d, Desired()).ok());
  cloud_.ResetCounters();
  cloud_.SetLatencyMicros(1000);
  Result<plan::Plan> p = d.PlanTeardown();
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->Summarize().destroy, 5);
  ApplyResult r = d.Apply(*p);
  ASSERT_TRUE(r.ok());
  std::vector<std::string> log = cloud_.CallLog();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log.front(), "delete api.lb");
  EXPECT_EQ(log[1], "delete api.instance[0]");
  EXPECT_EQ(log.back(), "delete network.main");
  EXPECT_TRUE(cloud_.Resources().empty());
  EXPECT_EQ(store_.Read().value().serial, 0u);
}

// A tier renamed with a move: the state moves, the cloud keeps its
// resources (found at the new addresses by id), nothing is made or deleted.
TEST_F(PlannerDeployTest, MovedTierKeepsItsResources) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(PlanAndApply(d, Desired()).ok());
  const state::State first = store_.Read().value();
  std::map<std::string, std::string> ids;
  for (const auto& [a, r] : first.resources) ids[a] = r.id;
  const uint64_t serial = first.serial;
  std::vector<model::Resource> renamed = {
      Res("network.main", {{"cidr", "10.0.0.0/16"}}),
      Res("data.instance[0]", {{"size", "s"}, {"network", "${ref:network.main.id}"}}, {"network.main"}),
      Res("data.instance[1]", {{"size", "s"}, {"network", "${ref:network.main.id}"}}, {"network.main"}),
      Res("api.instance[0]", {{"size", "s"}, {"db_hosts", "${tiers.data.private_ips}"}},
          {"network.main", "data.instance[0]", "data.instance[1]"}),
      Res("api.lb", {{"backend", "${ref:api.instance[0].private_ip}"}}, {"api.instance[0]"}),
  };
  cloud_.ResetCounters();
  DeployerOptions o;
  o.deployment = test::kDeployment;
  o.observer = &observer_;
  o.moves = {{"db", "data", {}}};
  Deployer moving(o, &store_, {{"cloud", &cloud_}});
  Result<plan::Plan> p = moving.PlanDeploy(renamed, "digest");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(AllNoop(*p)) << "no create, no delete: " << p->ToJson().dump();
  EXPECT_EQ(p->moved, (std::vector<state::MovedAddress>{{"db.instance[0]", "data.instance[0]"},
                                                        {"db.instance[1]", "data.instance[1]"}}));
  EXPECT_TRUE(p->HasChanges());
  EXPECT_EQ(store_.Read().value().serial, serial) << "planning writes nothing";
  ApplyResult r = moving.Apply(*p);
  ASSERT_TRUE(r.ok()) << (r.diags.empty() ? "" : FormatDiagnosticLine(r.diags.items()[0]));
  EXPECT_EQ(cloud_.mutating_calls(), 0);
  state::State after = store_.Read().value();
  EXPECT_GT(after.serial, serial);
  EXPECT_EQ(after.resources.at("data.instance[0]").id, ids.at("db.instance[0]"));
  EXPECT_EQ(after.resources.at("data.instance[1]").id, ids.at("db.instance[1]"));
  EXPECT_FALSE(after.resources.count("db.instance[0]"));
  EXPECT_EQ(after.resources.at("api.instance[0]").depends_on,
            (std::vector<std::string>{"data.instance[0]", "data.instance[1]", "network.main"}));

  // Once applied, with the entry kept or dropped: no changes.
  for (Deployer* again : {&moving, &d}) {
    Result<plan::Plan> next = again->PlanDeploy(renamed, "digest");
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    EXPECT_FALSE(next->HasChanges()) << next->ToJson().dump();
  }
}

TEST_F(PlannerDeployTest, MoveOntoARecordedAddressFailsThePlan) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(PlanAndApply(d, Desired()).ok());
  DeployerOptions o;
  o.deployment = test::kDeployment;
  o.moves = {{"db.instance[1]", "db.instance[0]", SourceRange{"spec.yaml", {30, 5}, {30, 5}}}};
  Deployer moving(o, &store_, {{"cloud", &cloud_}});
  Result<plan::Plan> p = moving.PlanDeploy(Desired(), "digest");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message().rfind("spec.yaml:30:5: moved from 'db.instance[1]' to 'db.instance[0]': cannot "
                                       "move 'db.instance[1]' to 'db.instance[0]': the state already records id ",
                                       0),
            0u)
      << p.status().message();
}

}  // namespace
}  // namespace orch::engine

namespace orch::engine {
namespace {

TEST_F(PlannerDeployTest, StaleIntentOfAnUnwantedFailedCreateIsDropped) {
  cloud_.FailCreate("api.lb", Status::QuotaExceeded("no more load balancers"));
  Deployer d = MakeDeployer();
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "digest");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(d.Apply(*p).failed, 1);
  ASSERT_EQ(store_.Read().value().intents.count("api.lb"), 1u);

  // The spec no longer has a load balancer; another change triggers an apply.
  std::vector<model::Resource> desired = Desired();
  desired.pop_back();
  desired.push_back(Res("api.fip[0]", {{"instance", "${ref:api.instance[0].id}"}}, {"api.instance[0]"}));
  Result<plan::Plan> next = d.PlanDeploy(desired, "digest");
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(d.Apply(*next).ok());
  state::State s = store_.Read().value();
  EXPECT_TRUE(s.intents.empty());
  EXPECT_EQ(s.resources.count("api.fip[0]"), 1u);
}

}  // namespace
}  // namespace orch::engine
