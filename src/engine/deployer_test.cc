#include "engine/deployer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "engine/test_support.h"
#include "state/memory_state_store.h"
#include "testing/fake_provider.h"
#include "testing/recording_observer.h"

namespace orch::engine {
namespace {

using json = nlohmann::json;
using test::Res;

Result<plan::Plan> TestPlanner(const PlanRequest& req) {
  if (req.teardown) return test::TeardownPlan(req.state);
  return test::SimplePlan(req.desired, req.state, req.observed.by_address);
}

class DeployerTest : public ::testing::Test {
 protected:
  Deployer MakeDeployer() {
    DeployerOptions o;
    o.deployment = test::kDeployment;
    o.parallelism = 4;
    o.observer = &observer_;
    o.cancelled = &cancelled_;
    o.planner = TestPlanner;
    return Deployer(o, &store_, {{"cloud", &cloud_}});
  }

  std::vector<model::Resource> Desired() {
    return {Res("db.instance[0]", {{"size", "s"}}),
            Res("api.instance[0]", {{"db", "${ref:db.instance[0].private_ip}"}}, {"db.instance[0]"})};
  }

  test::RecordingStore store_;
  orch::testing::FakeProvider cloud_;
  orch::testing::RecordingObserver observer_;
  std::atomic<bool> cancelled_{false};
};

TEST_F(DeployerTest, PlanThenApplyAndLocksAreAlwaysReleased) {
  Deployer d = MakeDeployer();
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "sha256:abc");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->state_serial, 0u);
  EXPECT_EQ(p->spec_digest, "sha256:abc");
  EXPECT_EQ(p->deployment, "demo");
  EXPECT_FALSE(store_.locked());
  ApplyResult r = d.Apply(*p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.succeeded, 2);
  EXPECT_FALSE(store_.locked());
  EXPECT_EQ(store_.lock_calls(), 2);
  EXPECT_EQ(store_.unlock_calls(), 2);
  EXPECT_EQ(store_.current().resources.size(), 2u);
}

TEST_F(DeployerTest, AProviderThatThrowsFailsOneChangeNotTheProcess) {
  // A cloud answer of an unexpected shape can make provider code throw (a
  // JSON accessor on a missing field); the change fails with a clear message.
  cloud_.SetCallHook([](const std::string& op, const std::string& address) {
    if (op == "create" && address == "db.instance[0]") throw std::runtime_error("type must be string, but is null");
  });
  Deployer d = MakeDeployer();
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "sha256:abc");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ApplyResult r = d.Apply(*p);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(r.skipped, 1);  // api depends on db
  std::string text;
  for (const Diagnostic& diag : r.diags.items()) text += FormatDiagnosticLine(diag) + "\n";
  EXPECT_NE(text.find("db.instance[0]"), std::string::npos) << text;
  EXPECT_NE(text.find("could not be read (type must be string, but is null)"), std::string::npos) << text;
  EXPECT_FALSE(store_.locked());
  cloud_.SetCallHook(nullptr);
  Result<plan::Plan> again = d.PlanDeploy(Desired(), "sha256:abc");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(d.Apply(*again).ok());
}

TEST_F(DeployerTest, ApplyRefusesAPlanMadeAgainstAnotherSerial) {
  Deployer d = MakeDeployer();
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  store_.ExternalWrite(store_.current());  // someone else deployed meanwhile
  ApplyResult r = d.Apply(*p);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diags.size(), 1u);
  EXPECT_EQ(r.diags.items()[0].message, "state changed since this plan was made (serial 0, now 1); run plan again");
  EXPECT_EQ(cloud_.mutating_calls(), 0);
  EXPECT_FALSE(store_.locked());
}

TEST_F(DeployerTest, ApplyRefusesAPlanOfAnotherLineage) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(d.Apply(*d.PlanDeploy(Desired(), "")).ok());
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  plan::Plan other = *p;
  other.state_lineage = "0123";
  ApplyResult r = d.Apply(other);
  ASSERT_EQ(r.diags.size(), 1u);
  EXPECT_NE(r.diags.items()[0].message.find("it is a different state"), std::string::npos);
}

TEST_F(DeployerTest, ApplyFailsWhenTheStateIsLocked) {
  Deployer d = MakeDeployer();
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  Result<state::LockInfo> held = store_.Lock("deploy", 0);
  ASSERT_TRUE(held.ok());
  ApplyResult r = d.Apply(*p);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diags.size(), 1u);
  EXPECT_EQ(r.diags.items()[0].message, "state is locked by deploy");
  EXPECT_EQ(cloud_.mutating_calls(), 0);
  EXPECT_TRUE(store_.Unlock(held->id).ok());
}

TEST_F(DeployerTest, ProviderSettingsAreWrittenOnlyWhenTheyChange) {
  Deployer d = MakeDeployer();
  json settings = {{"cloud", {{"type", "fake"}, {"region", "r1"}}}};
  ASSERT_TRUE(d.RecordProviderSettings(settings).ok());
  ASSERT_EQ(store_.writes().size(), 1u);
  EXPECT_EQ(store_.writes()[0].providers, settings);
  EXPECT_EQ(store_.writes()[0].deployment, "demo");
  EXPECT_FALSE(store_.writes()[0].lineage.empty());
  EXPECT_FALSE(store_.locked());
  int locks = store_.lock_calls();
  ASSERT_TRUE(d.RecordProviderSettings(settings).ok());
  EXPECT_EQ(store_.writes().size(), 1u);
  EXPECT_EQ(store_.lock_calls(), locks);  // unchanged settings take no lock
  Result<state::LockInfo> held = store_.Lock("deploy", 0);
  ASSERT_TRUE(held.ok());
  Status st = d.RecordProviderSettings(json{{"cloud", {{"type", "fake"}, {"region", "r2"}}}});
  EXPECT_EQ(st.message(), "state is locked by deploy");
  EXPECT_TRUE(store_.Unlock(held->id).ok());
}

TEST_F(DeployerTest, SecondDeployMakesNoMutatingCall) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(d.Apply(*d.PlanDeploy(Desired(), "")).ok());
  cloud_.ResetCounters();
  const size_t writes = store_.writes().size();
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  ApplyResult r = d.Apply(*p);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.succeeded, 0);
  EXPECT_EQ(cloud_.mutating_calls(), 0);
  EXPECT_EQ(cloud_.discovers(), 1);  // the plan's refresh only
  EXPECT_EQ(store_.writes().size(), writes);
}

TEST_F(DeployerTest, ApplyUsesOutputsChangedOutsideTheOrchestrator) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(d.Apply(*d.PlanDeploy(Desired(), "")).ok());
  const json old_ip = store_.current().resources["db.instance[0]"].outputs["private_ip"];
  ASSERT_TRUE(old_ip.is_string());
  ASSERT_NE(old_ip, "10.7.7.7");
  cloud_.TEST_SetOutput("db.instance[0]", "private_ip", "10.7.7.7");
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  // The planner saw the new IP (refreshed in memory): api must be replaced.
  int replaces = 0;
  for (const plan::Change& c : p->changes) replaces += c.action == plan::Action::kReplace ? 1 : 0;
  EXPECT_EQ(replaces, 1);
  EXPECT_EQ(store_.current().resources["db.instance[0]"].outputs["private_ip"], old_ip);  // plan writes nothing
  ApplyResult r = d.Apply(*p);
  ASSERT_TRUE(r.ok());
  state::State s = store_.current();
  EXPECT_EQ(s.resources["db.instance[0]"].outputs["private_ip"], "10.7.7.7");
  EXPECT_EQ(s.resources["api.instance[0]"].attributes["db"], "10.7.7.7");
  // And the next plan is clean.
  Result<plan::Plan> again = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(again.ok());
  for (const plan::Change& c : again->changes) EXPECT_EQ(c.action, plan::Action::kNoop) << c.address;
}

TEST_F(DeployerTest, TeardownDeletesEverythingAndTheState) {
  Deployer d = MakeDeployer();
  ASSERT_TRUE(d.Apply(*d.PlanDeploy(Desired(), "")).ok());
  Result<plan::Plan> p = d.PlanTeardown();
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->teardown);
  ApplyResult r = d.Apply(*p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.succeeded, 2);
  EXPECT_TRUE(cloud_.Resources().empty());
  EXPECT_EQ(store_.deletes(), 1);
  EXPECT_FALSE(store_.locked());
}

TEST_F(DeployerTest, PlanFailsWhenDiscoverFails) {
  Deployer d = MakeDeployer();
  cloud_.FailDiscover(Status::Transient("503 from API"));
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().ToString(), "Transient: discovering resources of provider 'cloud': 503 from API");
  EXPECT_FALSE(store_.locked());
}

TEST_F(DeployerTest, PlanChecksProvidersAndCapabilities) {
  engine::Capabilities caps;
  caps.kinds = {model::Kind::kInstance};
  cloud_.SetCapabilities(caps);
  Deployer d = MakeDeployer();
  std::vector<model::Resource> desired = Desired();
  desired.push_back(Res("api.lb", {{"port", 80}}, {"api.instance[0]"}));
  desired.push_back(Res("web.instance[0]", {{"size", "s"}}, {}, "gce"));
  Result<plan::Plan> p = d.PlanDeploy(desired, "");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().ToString(),
            "InvalidArgument: api.lb: provider 'cloud' (fake) cannot create load_balancer resources; "
            "web.instance[0]: provider 'gce' is not configured");
  EXPECT_EQ(cloud_.discovers(), 0);
}

TEST_F(DeployerTest, OfflinePlanDoesNotAskProviders) {
  DeployerOptions o;
  o.deployment = test::kDeployment;
  o.planner = TestPlanner;
  o.refresh = false;
  Deployer d(o, &store_, {{"cloud", &cloud_}});
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(d.Apply(*p).ok());
  EXPECT_EQ(cloud_.discovers(), 0);
  EXPECT_EQ(cloud_.creates(), 2);
}

TEST_F(DeployerTest, ApplyRefusesAPlanOfAnotherDeployment) {
  Deployer d = MakeDeployer();
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  p->deployment = "prod";
  ApplyResult r = d.Apply(*p);
  ASSERT_EQ(r.diags.size(), 1u);
  EXPECT_EQ(r.diags.items()[0].message, "this plan is for deployment 'prod', not 'demo'");
  EXPECT_EQ(store_.lock_calls(), 1);
}

}  // namespace
}  // namespace orch::engine

namespace orch::engine {
namespace {

TEST(UserDataTest, TemplatesAreRenderedForTheProviderButStateKeepsTheSpecForm) {
  char dir_template[] = "/tmp/engine-ud-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/web.tmpl";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("#!/bin/sh\necho ${vars.greeting} > /etc/motd\nnet=${ref:network.main.id}\n", f);
    std::fclose(f);
  }
  test::RecordingStore store;
  orch::testing::FakeProvider cloud;
  DeployerOptions o;
  o.deployment = test::kDeployment;
  o.planner = TestPlanner;
  Deployer d(o, &store, {{"cloud", &cloud}});
  const json user_data = {{"template", path}, {"vars", {{"greeting", "${ref:network.main.name}"}}}};
  std::vector<model::Resource> desired = {
      test::Res("network.main", {{"cidr", "10.0.0.0/16"}}),
      test::Res("web.instance[0]", {{"size", "s"}, {"user_data", user_data}}, {"network.main"})};
  Result<plan::Plan> p = d.PlanDeploy(desired, "");
  ASSERT_TRUE(p.ok());
  ApplyResult r = d.Apply(*p);
  ASSERT_TRUE(r.ok()) << FormatDiagnosticLine(r.diags.items()[0]);

  state::State s = store.current();
  const std::string net_id = s.resources["network.main"].id;
  std::string sent;
  for (const ObservedResource& res : cloud.Resources()) {
    if (res.address == "web.instance[0]") sent = res.attributes["user_data"].get<std::string>();
  }
  EXPECT_EQ(sent, "#!/bin/sh\necho demo-network-main > /etc/motd\nnet=" + net_id + "\n");
  json recorded = s.resources["web.instance[0]"].attributes["user_data"];
  EXPECT_EQ(recorded["template"], path);
  EXPECT_EQ(recorded["vars"]["greeting"], "demo-network-main");
  std::remove(path.c_str());
  rmdir(dir_template);
}

// A template recorded by its spec-relative path is read below spec_dir, and
// a record from before (absolute path, no digest) of the same file is the
// same record: moving to the new form replaces nothing.
TEST(DeployerUserDataTest, RelativeTemplateIsReadBelowTheSpecDirAndOldAbsoluteRecordsMatch) {
  char dir_template[] = "/tmp/engine-ud-rel-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/web.tmpl";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("#!/bin/sh\necho ${vars.greeting}\n", f);
    std::fclose(f);
  }
  test::RecordingStore store;
  orch::testing::FakeProvider cloud;
  DeployerOptions o;
  o.deployment = test::kDeployment;
  o.planner = TestPlanner;
  o.spec_dir = dir;
  {
    // Recorded the old way: the absolute path, no digest.
    Deployer d(o, &store, {{"cloud", &cloud}});
    const json old_ud = {{"template", path}, {"vars", {{"greeting", "hi"}}}};
    Result<plan::Plan> p = d.PlanDeploy({test::Res("web.instance[0]", {{"size", "s"}, {"user_data", old_ud}})}, "");
    ASSERT_TRUE(p.ok());
    ASSERT_TRUE(d.Apply(*p).ok());
  }
  const json new_ud = {{"template", "web.tmpl"}, {"digest", "sha256:abc"}, {"vars", {{"greeting", "hi"}}}};
  Deployer d(o, &store, {{"cloud", &cloud}});
  Result<plan::Plan> same = d.PlanDeploy({test::Res("web.instance[0]", {{"size", "s"}, {"user_data", new_ud}})}, "");
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(same->HasChanges()) << "the old absolute record of the same template replaces nothing";

  // Another template of the same name elsewhere is another template.
  o.spec_dir = "/somewhere/else";
  Deployer elsewhere(o, &store, {{"cloud", &cloud}});
  Result<plan::Plan> moved =
      elsewhere.PlanDeploy({test::Res("web.instance[0]", {{"size", "s"}, {"user_data", new_ud}})}, "");
  ASSERT_TRUE(moved.ok());
  EXPECT_TRUE(moved->HasChanges());

  // A new instance renders the relative template from spec_dir.
  o.spec_dir = dir;
  Deployer fresh(o, &store, {{"cloud", &cloud}});
  Result<plan::Plan> add = fresh.PlanDeploy({test::Res("web.instance[0]", {{"size", "s"}, {"user_data", new_ud}}),
                                             test::Res("web.instance[1]", {{"size", "s"}, {"user_data", new_ud}})},
                                            "");
  ASSERT_TRUE(add.ok());
  ApplyResult r = fresh.Apply(*add);
  ASSERT_TRUE(r.ok()) << FormatDiagnosticLine(r.diags.items()[0]);
  std::string sent;
  for (const ObservedResource& res : cloud.Resources())
    if (res.address == "web.instance[1]") sent = res.attributes["user_data"].get<std::string>();
  EXPECT_EQ(sent, "#!/bin/sh\necho hi\n");
  EXPECT_EQ(store.current().resources["web.instance[1]"].attributes["user_data"]["template"], "web.tmpl");
  std::remove(path.c_str());
  rmdir(dir_template);
}

}  // namespace
}  // namespace orch::engine

namespace orch::engine {
namespace {

class DeployerMemoryStoreTest : public ::testing::Test {
 protected:
  Deployer MakeDeployer(int64_t lock_timeout_ms) {
    DeployerOptions o;
    o.deployment = test::kDeployment;
    o.planner = TestPlanner;
    o.lock_timeout_ms = lock_timeout_ms;
    return Deployer(o, &store_, {{"cloud", &cloud_}});
  }
  std::vector<model::Resource> Desired() {
    return {test::Res("network.main", {{"cidr", "10.0.0.0/16"}}),
            test::Res("web.instance[0]", {{"net", "${ref:network.main.id}"}}, {"network.main"})};
  }
  state::MemoryStateStore store_{test::kDeployment};
  orch::testing::FakeProvider cloud_;
};

TEST_F(DeployerMemoryStoreTest, DeployAndTeardown) {
  Deployer d = MakeDeployer(0);
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  ApplyResult r = d.Apply(*p);
  ASSERT_TRUE(r.ok());
  state::State s = store_.Read().value();
  EXPECT_EQ(s.serial, 4u);  // intent + record, twice
  EXPECT_EQ(store_.WriteCount(), 4);
  EXPECT_EQ(s.resources["web.instance[0]"].attributes["net"], s.resources["network.main"].id);
  EXPECT_FALSE(store_.Holder().has_value());

  Result<plan::Plan> down = d.PlanTeardown();
  ASSERT_TRUE(down.ok());
  EXPECT_EQ(down->state_serial, 4u);
  EXPECT_EQ(down->state_lineage, s.lineage);
  ASSERT_TRUE(d.Apply(*down).ok());
  EXPECT_TRUE(cloud_.Resources().empty());
  EXPECT_EQ(store_.Read().value().serial, 0u);  // deleted
  EXPECT_FALSE(store_.Holder().has_value());
}

TEST_F(DeployerMemoryStoreTest, ApplyWaitsForTheLockUpToTheTimeout) {
  Deployer d = MakeDeployer(0);
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  Result<state::LockInfo> held = store_.Lock("deploy", 0);
  ASSERT_TRUE(held.ok());
  ApplyResult refused = d.Apply(*p);
  ASSERT_EQ(refused.diags.size(), 1u);
  EXPECT_NE(refused.diags.items()[0].message.find("locked by pid"), std::string::npos)
      << refused.diags.items()[0].message;
  EXPECT_EQ(cloud_.creates(), 0);

  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(store_.Unlock(held->id).ok());
  });
  Deployer patient = MakeDeployer(5000);
  ApplyResult r = patient.Apply(*p);
  releaser.join();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(cloud_.creates(), 2);
}

TEST_F(DeployerMemoryStoreTest, WriteFailureIsReportedAndStopsTheRun) {
  Deployer d = MakeDeployer(0);
  Result<plan::Plan> p = d.PlanDeploy(Desired(), "");
  ASSERT_TRUE(p.ok());
  store_.TEST_FailWrites(Status::Internal("no space left on device"), 1);
  ApplyResult r = d.Apply(*p);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(cloud_.creates(), 0);  // the intent could not be journaled: nothing was sent
  EXPECT_EQ(r.skipped, 1);
  EXPECT_FALSE(store_.Holder().has_value());
}

}  // namespace
}  // namespace orch::engine
