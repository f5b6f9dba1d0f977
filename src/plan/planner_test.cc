#include "plan/planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "plan/plan_test_util.h"

namespace orch::plan {
namespace {

using nlohmann::json;
using testutil::Actions;
using testutil::DemoSpec;
using testutil::Desired;
using testutil::Find;
using testutil::Input;
using testutil::SimCloud;

class PlannerTest : public ::testing::Test {
 protected:
  // State after deploying `spec` from scratch.
  state::State Deployed(const spec::Spec& s) {
    state::State st;
    st.deployment = "demo";
    st.lineage = "lin-1";
    auto p = MakePlan(Input(Desired(s), st));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    cloud_.Apply(*p, &st);
    return st;
  }

  Plan MustPlan(const PlanInput& in) {
    auto p = MakePlan(in);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : Plan{};
  }

  SimCloud cloud_;
};

TEST_F(PlannerTest, EverythingIsCreatedFromNothing) {
  std::vector<model::Resource> desired = Desired(DemoSpec());
  state::State empty;
  empty.lineage = "lin-0";
  empty.serial = 4;
  Plan p = MustPlan(Input(desired, empty));
  EXPECT_EQ(p.deployment, "demo");
  EXPECT_EQ(p.state_lineage, "lin-0");
  EXPECT_EQ(p.state_serial, 4u);
  EXPECT_EQ(p.spec_digest, "digest");
  EXPECT_FALSE(p.teardown);
  ASSERT_EQ(p.changes.size(), desired.size());
  for (const Change& c : p.changes) {
    // The image is looked up by its source: a read, not a create.
    EXPECT_EQ(c.action, c.address == "image.ubuntu" ? Action::kRead : Action::kCreate) << c.address;
    EXPECT_EQ(c.reason, "not in state");
  }
  EXPECT_TRUE(std::is_sorted(p.changes.begin(), p.changes.end(),
                             [](const Change& a, const Change& b) { return a.address < b.address; }));
  EXPECT_EQ(Find(p, "db.volume.data[1]")->depends_on, (std::vector<std::string>{"db.instance[1]"}));
  EXPECT_EQ(Find(p, "api.instance[0]")->depends_on,
            (std::vector<std::string>{"db.instance[0]", "db.instance[1]", "db.instance[2]", "image.ubuntu",
                                      "network.main"}));
  EXPECT_EQ(p.Summarize().create, static_cast<int>(desired.size()) - 1);
  EXPECT_EQ(p.Summarize().read, 1);
}

// What the cloud already holds and a create would reuse (an account key with
// the same fingerprint) is planned as a read, with what was found.
TEST_F(PlannerTest, ReusableResourceIsARead) {
  std::vector<model::Resource> desired = Desired(DemoSpec());
  const model::Resource* net = nullptr;
  for (const model::Resource& r : desired)
    if (r.address.ToString() == "network.main") net = &r;
  ASSERT_TRUE(net);
  PlanInput in = Input(desired, state::State{});
  in.reusable["network.main"] = "found by its name";
  Plan p = MustPlan(in);
  ASSERT_TRUE(Find(p, "network.main"));
  EXPECT_EQ(Find(p, "network.main")->action, Action::kRead);
  EXPECT_EQ(Find(p, "network.main")->reason, "found by its name");
  EXPECT_EQ(p.Summarize().read, 2);
  EXPECT_EQ(p.Summarize().create, static_cast<int>(desired.size()) - 2);
}

TEST_F(PlannerTest, ReplanAfterApplyIsAllNoop) {
  spec::Spec s = DemoSpec();
  state::State st = Deployed(s);
  ASSERT_EQ(st.resources.size(), Desired(s).size());
  Plan p = MustPlan(Input(Desired(s), st));
  for (const Change& c : p.changes) EXPECT_EQ(c.action, Action::kNoop) << c.address << ": " << c.reason;
  EXPECT_FALSE(p.HasChanges());
  EXPECT_EQ(p.Summarize().noop, static_cast<int>(st.resources.size()));
  EXPECT_EQ(p.state_serial, st.serial);
}

TEST_F(PlannerTest, DiffDecidesUpdateOrReplaceWithChangedKeys) {
  state::State st = Deployed(DemoSpec());
  spec::Spec s = DemoSpec();
  s.tiers[1].size = "l";                                  // api instances: size
  s.tiers[1].load_balancer->listeners[0].target_port = 9090;  // api.lb: listeners
  PlanInput in = Input(Desired(s), st);
  in.diff = [](const model::Resource& d, const state::ResourceState& prior) {
    if (d.attributes == prior.attributes) return DiffDecision::kNoop;
    return d.address.kind == model::Kind::kLoadBalancer ? DiffDecision::kUpdate : DiffDecision::kReplace;
  };
  Plan p = MustPlan(in);
  const Change* lb = Find(p, "api.lb");
  EXPECT_EQ(lb->action, Action::kUpdate);
  // It also targets api's private IPs, known only after the api instances
  // are replaced.
  EXPECT_EQ(lb->changed_keys, (std::vector<std::string>{"listeners", "targets"}));
  EXPECT_EQ(lb->reason,
            "listeners, targets changed (known after apply: api.instance[0] is replaced, api.instance[1] is "
            "replaced)");
  const Change* api = Find(p, "api.instance[1]");
  EXPECT_EQ(api->action, Action::kReplace);
  EXPECT_EQ(api->changed_keys, (std::vector<std::string>{"size"}));
  EXPECT_EQ(api->reason, "size changed");
  EXPECT_EQ(api->prior.id, st.resources.at("api.instance[1]").id);
  EXPECT_EQ(Find(p, "db.instance[0]")->action, Action::kNoop);
  auto s2 = p.Summarize();
  EXPECT_EQ(s2.replace, 2);
  EXPECT_EQ(s2.update, 1);
  EXPECT_EQ(s2.create + s2.destroy + s2.adopt, 0);
  // Applying it converges.
  cloud_.Apply(p, &st);
  EXPECT_FALSE(MustPlan(Input(Desired(s), st)).HasChanges());
}

// Values a tier's user_data takes from other resources are creation inputs:
// when only they change, the referrer is stale, not replaced (docs/spec.md).
TEST_F(PlannerTest, ReplacementMakesReferrersStaleNotReplaced) {
  state::State st = Deployed(DemoSpec());
  Plan p = MustPlan(Input(Desired(DemoSpec(3, "xl")), st));  // every db instance replaced
  auto a = Actions(p);
  EXPECT_EQ(a["db.instance[0]"], Action::kReplace);
  // Volumes follow their instance's id: re-attached, in place per the diff.
  const Change* vol = Find(p, "db.volume.data[0]");
  EXPECT_EQ(vol->action, Action::kReplace);  // this test's diff replaces whatever differs
  EXPECT_EQ(vol->reason, "DATA: instance_id changed (known after apply: db.instance[0] is replaced)");
  const Change* api = Find(p, "api.instance[0]");
  EXPECT_EQ(api->action, Action::kNoop);
  EXPECT_EQ(api->stale, "db.instance[0] is replaced, db.instance[1] is replaced, db.instance[2] is replaced");
  // It keeps the seeds it booted with.
  EXPECT_EQ(api->desired.attributes["user_data"]["vars"]["seeds"],
            st.resources.at("api.instance[0]").attributes["user_data"]["vars"]["seeds"]);
  EXPECT_EQ(a["api.lb"], Action::kNoop);  // its targets, api's ids, are unchanged
  EXPECT_EQ(a["network.main"], Action::kNoop);
  EXPECT_EQ(a["db.firewall"], Action::kNoop);
  EXPECT_EQ(p.Summarize().stale, 2);
  cloud_.Apply(p, &st);
  // Converged, and still stale: the db addresses differ from the seeds api booted with.
  Plan again = MustPlan(Input(Desired(DemoSpec(3, "xl")), st));
  EXPECT_FALSE(again.HasChanges());
  EXPECT_EQ(Find(again, "api.instance[1]")->stale,
            "db.instance[0] private_ip changed, db.instance[1] private_ip changed, db.instance[2] private_ip changed");
}

TEST_F(PlannerTest, ReplaceRequestedRebuildsOneMemberAtATime) {
  spec::Spec s = DemoSpec();
  state::State st = Deployed(s);
  PlanInput in = Input(Desired(DemoSpec(3, "xl")), st);
  cloud_.Apply(MustPlan(in), &st);  // api is now stale
  in = Input(Desired(DemoSpec(3, "xl")), st);
  in.replace = {"api.instance[0]", "api.instance[1]"};
  Plan p = MustPlan(in);
  const Change* api0 = Find(p, "api.instance[0]");
  const Change* api1 = Find(p, "api.instance[1]");
  EXPECT_EQ(api0->action, Action::kReplace);
  EXPECT_EQ(api0->reason, "user_data changed (replacement requested with --replace)");
  EXPECT_TRUE(api0->stale.empty());
  EXPECT_EQ(api0->desired.attributes["user_data"]["vars"]["seeds"], "${tiers.db.private_ips}");  // current values
  EXPECT_NE(std::find(api1->depends_on.begin(), api1->depends_on.end(), "api.instance[0]"), api1->depends_on.end());
  EXPECT_EQ(Find(p, "db.instance[0]")->action, Action::kNoop);
  EXPECT_EQ(Find(p, "api.lb")->action, Action::kReplace);  // this test's diff: its targets are new ids
  EXPECT_EQ(p.Summarize().replace, 3);
  cloud_.Apply(p, &st);
  Plan after = MustPlan(Input(Desired(DemoSpec(3, "xl")), st));
  EXPECT_FALSE(after.HasChanges());
  EXPECT_EQ(after.Summarize().stale, 0);

  // Unchanged and requested: replaced all the same.
  in = Input(Desired(DemoSpec(3, "xl")), st);
  in.replace = {"db.instance[2]"};
  Plan forced = MustPlan(in);
  EXPECT_EQ(Find(forced, "db.instance[2]")->action, Action::kReplace);
  EXPECT_EQ(Find(forced, "db.instance[2]")->reason, "replacement requested with --replace");
  EXPECT_EQ(Find(forced, "db.instance[1]")->action, Action::kNoop);
  EXPECT_EQ(Find(forced, "api.instance[0]")->stale, "db.instance[2] is replaced");
}

// A change of the template itself, or of a literal var, still replaces.
TEST_F(PlannerTest, TemplateOrLiteralVarChangeStillReplaces) {
  state::State st = Deployed(DemoSpec());
  spec::Spec s = DemoSpec();
  s.tiers[1].user_data->vars["port"] = "8081";
  Plan p = MustPlan(Input(Desired(s), st));
  EXPECT_EQ(Find(p, "api.instance[0]")->action, Action::kReplace);
  EXPECT_EQ(Find(p, "api.instance[0]")->reason, "user_data changed");
  s = DemoSpec(3, "xl");
  s.tiers[1].user_data->template_path = "/t/api2.tmpl";
  p = MustPlan(Input(Desired(s), st));
  const Change* api = Find(p, "api.instance[0]");
  EXPECT_EQ(api->action, Action::kReplace);
  EXPECT_TRUE(api->stale.empty());
  EXPECT_NE(api->reason.find("known after apply: db.instance[0] is replaced"), std::string::npos);
  EXPECT_EQ(api->desired.attributes["user_data"]["vars"]["seeds"], "${tiers.db.private_ips}");
}

TEST_F(PlannerTest, ScalingATierMakesItsReferrersStale) {
  state::State st = Deployed(DemoSpec(3));
  PlanInput in = Input(Desired(DemoSpec(4)), st);
  in.diff = [](const model::Resource& d, const state::ResourceState& prior) {
    return d.attributes == prior.attributes ? DiffDecision::kNoop : DiffDecision::kUpdate;
  };
  Plan up = MustPlan(in);
  auto a = Actions(up);
  EXPECT_EQ(a["db.instance[3]"], Action::kCreate);
  EXPECT_EQ(a["db.volume.data[3]"], Action::kCreate);
  EXPECT_EQ(a["db.instance[0]"], Action::kNoop);
  EXPECT_EQ(a["api.instance[0]"], Action::kNoop);
  EXPECT_EQ(Find(up, "api.instance[0]")->stale, "db.instance[3] is created");
  EXPECT_EQ(a["api.lb"], Action::kNoop);

  in = Input(Desired(DemoSpec(2)), st);
  in.diff = [](const model::Resource& d, const state::ResourceState& prior) {
    return d.attributes == prior.attributes ? DiffDecision::kNoop : DiffDecision::kUpdate;
  };
  Plan down = MustPlan(in);
  a = Actions(down);
  EXPECT_EQ(a["db.instance[2]"], Action::kDelete);
  EXPECT_EQ(Find(down, "db.instance[2]")->reason, "not in the spec");
  EXPECT_EQ(a["db.volume.data[2]"], Action::kDelete);
  EXPECT_EQ(a["api.instance[1]"], Action::kNoop);
  EXPECT_EQ(Find(down, "api.instance[1]")->stale, "db.instance[2] is deleted");
  EXPECT_EQ(Find(down, "db.instance[2]")->depends_on, (std::vector<std::string>{"db.volume.data[2]"}));
  cloud_.Apply(down, &st);
  EXPECT_FALSE(MustPlan(Input(Desired(DemoSpec(2)), st)).HasChanges());
  EXPECT_EQ(st.resources.count("db.instance[2]"), 0u);
}

// A key found by fingerprint and reused carries another deployment's name
// and tags: Discover never reports it, and state is trusted for it.
TEST_F(PlannerTest, ReusedResourceIsNotDeletedOutsideWhenUnlisted) {
  state::State st = Deployed(DemoSpec());
  st.resources.at("ssh_key.ops@cloud").outputs["reused"] = true;
  PlanInput in = Input(Desired(DemoSpec()), st);
  for (auto& [provider, list] : in.observed)
    list.erase(std::remove_if(list.begin(), list.end(), [](const auto& o) { return o.address == "ssh_key.ops@cloud"; }),
               list.end());
  Plan p = MustPlan(in);
  EXPECT_EQ(Find(p, "ssh_key.ops@cloud")->action, Action::kNoop);
  EXPECT_FALSE(p.HasChanges());
  // Not reused and unlisted: deleted outside, made again.
  in.state.resources.at("ssh_key.ops@cloud").outputs.erase("reused");
  EXPECT_EQ(Find(MustPlan(in), "ssh_key.ops@cloud")->action, Action::kCreate);
}

// A Cassandra node made again seeds from the surviving members, never from
// itself alone; the others' seeds are kept as they booted with, not stale.
TEST_F(PlannerTest, ANodeMadeAgainSeedsFromTheSurvivors) {
  spec::Spec s = DemoSpec();
  s.tiers[0].user_data = spec::UserDataSpec{"/t/db.tmpl", {{"seeds", "${self.seeds:2}"}}, {}};
  state::State st = Deployed(s);
  auto seeds = [&](const state::State& in, int i) {
    return in.resources.at("db.instance[" + std::to_string(i) + "]").attributes["user_data"]["vars"]["seeds"];
  };
  auto ip = [&](int i) {
    return st.resources.at("db.instance[" + std::to_string(i) + "]").outputs["private_ip"].get<std::string>();
  };
  EXPECT_EQ(seeds(st, 0), "");
  EXPECT_EQ(seeds(st, 1), ip(0));
  EXPECT_EQ(seeds(st, 2), ip(0) + "," + ip(1));
  EXPECT_FALSE(MustPlan(Input(Desired(s), st)).HasChanges());

  PlanInput in = Input(Desired(s), st);
  for (auto& [provider, list] : in.observed)
    list.erase(std::remove_if(list.begin(), list.end(), [](const auto& o) { return o.address == "db.instance[0]"; }),
               list.end());
  Plan p = MustPlan(in);
  EXPECT_EQ(Find(p, "db.instance[0]")->action, Action::kCreate);
  EXPECT_EQ(Find(p, "db.instance[1]")->action, Action::kNoop);
  EXPECT_TRUE(Find(p, "db.instance[1]")->stale.empty());
  EXPECT_TRUE(Find(p, "db.instance[2]")->stale.empty());
  std::string one = ip(1), two = ip(2);
  cloud_.Apply(p, &st);
  EXPECT_EQ(seeds(st, 0), one + "," + two);
  EXPECT_EQ(Find(MustPlan(Input(Desired(s), st)), "db.instance[2]")->action, Action::kNoop);
}

TEST_F(PlannerTest, AVolumesDeleteSaysItsDataGoes) {
  state::State st = Deployed(DemoSpec(3));
  Plan down = MustPlan(Input(Desired(DemoSpec(2)), st));
  EXPECT_EQ(Find(down, "db.volume.data[2]")->reason, "DATA: not in the spec");
  EXPECT_EQ(Find(down, "db.instance[2]")->reason, "not in the spec");
  PlanInput td = Input({}, st);
  auto t = MakeTeardownPlan(td);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(Find(*t, "db.volume.data[0]")->reason, "teardown");
}

TEST_F(PlannerTest, UnknownButUnchangedReferenceKeepsPriorValue) {
  state::State st = Deployed(DemoSpec());
  // db.instance[1] lost its private_ip output (e.g. refreshed while
  // rebooting); nothing about it changes in this plan.
  st.resources.at("db.instance[1]").outputs.erase("private_ip");
  Plan p = MustPlan(Input(Desired(DemoSpec()), st));
  EXPECT_FALSE(p.HasChanges()) << Find(p, "api.instance[0]")->reason;
}

TEST_F(PlannerTest, DeletedOutsideIsRecreated) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input(Desired(DemoSpec()), st);
  auto& list = in.observed["cloud"];
  list.erase(std::remove_if(list.begin(), list.end(), [](const auto& o) { return o.address == "api.lb"; }),
             list.end());
  Plan p = MustPlan(in);
  const Change* lb = Find(p, "api.lb");
  EXPECT_EQ(lb->action, Action::kCreate);
  EXPECT_EQ(lb->reason, "deleted outside orchestrator");
  EXPECT_EQ(lb->prior.id, st.resources.at("api.lb").id);
  EXPECT_EQ(p.Summarize().create, 1);
  EXPECT_EQ(p.Summarize().noop, static_cast<int>(st.resources.size()) - 1);

  // Offline (not refreshed): the state is trusted.
  in.refreshed = false;
  EXPECT_FALSE(MustPlan(in).HasChanges());
}

// The observed attributes of a resource laid over what state records: a
// live value the provider's diff tells from the recorded one is drift.
state::ResourceState* ObservedAt(PlanInput* in, const std::string& addr) {
  for (auto& o : in->observed["cloud"])
    if (o.address == addr) return &o;
  return nullptr;
}

TEST_F(PlannerTest, DriftOnAReportedAttributeIsPlannedBack) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input(Desired(DemoSpec()), st);
  in.diff = [](const model::Resource& d, const state::ResourceState& prior) {
    if (d.attributes == prior.attributes) return DiffDecision::kNoop;
    return d.address.kind == model::Kind::kFirewall ? DiffDecision::kUpdate : DiffDecision::kReplace;
  };
  state::ResourceState* fw = ObservedAt(&in, "db.firewall");
  ASSERT_NE(fw, nullptr);
  json opened = json::array({{{"protocol", "tcp"}, {"ports", "all"}, {"sources", {"0.0.0.0/0"}}}});
  fw->attributes = {{"rules", opened}};  // the provider reports only the rules
  Plan p = MustPlan(in);
  const Change* c = Find(p, "db.firewall");
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_EQ(c->reason, "drift: rules changed outside orchestrator");
  EXPECT_EQ(c->changed_keys, (std::vector<std::string>{"rules"}));
  EXPECT_EQ(c->drift, json({{"rules", opened}}));
  EXPECT_TRUE(c->outside);
  EXPECT_EQ(c->prior.attributes, st.resources.at("db.firewall").attributes);  // the recorded state, for apply
  EXPECT_EQ(p.Summarize().update, 1);
  EXPECT_EQ(p.Summarize().noop, static_cast<int>(st.resources.size()) - 1);
  // Only the drifted resource is outside; --refresh-only shows it alone.
  Plan outside = p.OutsideOnly();
  ASSERT_EQ(outside.changes.size(), 1u);
  EXPECT_EQ(outside.changes[0].address, "db.firewall");
}

TEST_F(PlannerTest, NoDriftWhenLiveMatchesRecordOrDiffersOnlyInForm) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input(Desired(DemoSpec()), st);
  // The provider compares rules ignoring their order.
  in.diff = [](const model::Resource& d, const state::ResourceState& prior) {
    auto sorted = [](json a) {
      if (a.is_object() && a.contains("rules") && a["rules"].is_array()) std::sort(a["rules"].begin(), a["rules"].end());
      return a;
    };
    return sorted(d.attributes) == sorted(prior.attributes) ? DiffDecision::kNoop : DiffDecision::kUpdate;
  };
  json rules = st.resources.at("db.firewall").attributes["rules"];
  json extra = {{"protocol", "udp"}, {"ports", "53"}, {"sources", json::array()}, {"source_tags", json::array()}};
  rules.push_back(extra);
  st.resources.at("db.firewall").attributes["rules"] = rules;  // recorded: two rules
  json reversed = json::array({rules[1], rules[0]});
  in.state = st;
  in.observed = SimCloud::Observe(st);
  ObservedAt(&in, "db.firewall")->attributes = {{"rules", reversed}, {"not_recorded", "x"}};
  Plan p = MustPlan(in);
  const Change* c = Find(p, "db.firewall");
  // The spec wants one rule: a spec change, with no drift (order only; an
  // attribute state does not record is not compared).
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_EQ(c->reason, "rules changed");
  EXPECT_TRUE(c->drift.empty());
  EXPECT_FALSE(c->outside);
  EXPECT_TRUE(p.OutsideOnly().changes.empty());
}

TEST_F(PlannerTest, SpecChangeAndDriftTogetherGiveBothReasons) {
  state::State st = Deployed(DemoSpec());
  spec::Spec s = DemoSpec();
  s.tiers[1].size = "l";
  PlanInput in = Input(Desired(s), st);
  in.diff = [](const model::Resource& d, const state::ResourceState& prior) {
    return d.attributes == prior.attributes ? DiffDecision::kNoop : DiffDecision::kUpdate;
  };
  ObservedAt(&in, "api.instance[0]")->attributes["target_tag"] = "";
  Plan p = MustPlan(in);
  const Change* c = Find(p, "api.instance[0]");
  EXPECT_EQ(c->action, Action::kUpdate);
  EXPECT_EQ(c->reason, "size changed; drift: target_tag changed outside orchestrator");
  EXPECT_EQ(c->changed_keys, (std::vector<std::string>{"size", "target_tag"}));
  EXPECT_EQ(c->drift, json({{"target_tag", ""}}));
  // Put back outside: no drift, only the spec change.
  ObservedAt(&in, "api.instance[0]")->attributes = st.resources.at("api.instance[0]").attributes;
  p = MustPlan(in);
  EXPECT_EQ(Find(p, "api.instance[0]")->reason, "size changed");
  EXPECT_TRUE(p.OutsideOnly().changes.empty());
}

TEST_F(PlannerTest, DeletedOutsideAndOrphansAreOutsideChanges) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input(Desired(DemoSpec()), st);
  auto& list = in.observed["cloud"];
  list.erase(std::remove_if(list.begin(), list.end(), [](const auto& o) { return o.address == "api.lb"; }),
             list.end());
  state::ResourceState stray = st.resources.at("db.instance[0]");
  stray.id = "stray-1";
  list.push_back(stray);
  Plan p = MustPlan(in);
  Plan outside = p.OutsideOnly();
  std::vector<std::string> addrs;
  for (const Change& c : outside.changes) addrs.push_back(c.address + " " + std::string(ActionName(c.action)));
  EXPECT_EQ(addrs.size(), 2u);
  EXPECT_EQ(Find(outside, "api.lb")->action, Action::kCreate);
  EXPECT_EQ(Find(p, "db.instance[0]")->action, Action::kNoop);
  EXPECT_FALSE(Find(p, "db.instance[0]")->outside);
}

TEST_F(PlannerTest, UnobservableResourcesTrustTheState) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input(Desired(DemoSpec()), st);
  // The image is a lookup (not ours, never tagged) and this cloud cannot tag
  // ssh keys: Discover reports neither.
  auto& obs = in.observed["cloud"];
  obs.erase(std::remove_if(obs.begin(), obs.end(),
                           [](const auto& o) { return o.address == "image.ubuntu" || o.address == "ssh_key.ops@cloud"; }),
            obs.end());
  Plan p = MustPlan(in);
  EXPECT_EQ(Find(p, "image.ubuntu")->action, Action::kNoop);
  EXPECT_EQ(Find(p, "ssh_key.ops@cloud")->action, Action::kCreate);  // by default every kind is expected
  in.observable = [](const std::string& provider, model::Kind kind) {
    return !(provider == "cloud" && kind == model::Kind::kSshKey);
  };
  EXPECT_FALSE(MustPlan(in).HasChanges());
}

TEST_F(PlannerTest, ExistingNetworkIsALookupNeverExpectedInDiscover) {
  spec::Spec s = DemoSpec();
  s.networks["main"].cidr.clear();
  s.networks["main"].existing = "project-net";
  state::State st = Deployed(s);
  PlanInput in = Input(Desired(s), st);
  auto& obs = in.observed["cloud"];
  obs.erase(std::remove_if(obs.begin(), obs.end(), [](const auto& o) { return o.address == "network.main"; }),
            obs.end());
  EXPECT_FALSE(MustPlan(in).HasChanges());
  // A created network missing from Discover is recreated, as before.
  PlanInput created = Input(Desired(DemoSpec()), Deployed(DemoSpec()));
  auto& cobs = created.observed["cloud"];
  cobs.erase(std::remove_if(cobs.begin(), cobs.end(), [](const auto& o) { return o.address == "network.main"; }),
             cobs.end());
  EXPECT_EQ(Find(MustPlan(created), "network.main")->action, Action::kCreate);
}

TEST_F(PlannerTest, ObservedButNotInStateIsAdopted) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input(Desired(DemoSpec()), st);
  // A run died after creating network.main and db.instance[0] but before
  // recording them: the cloud has them, the state does not.
  in.state.resources.erase("network.main");
  in.state.resources.erase("db.instance[0]");
  Plan p = MustPlan(in);
  const Change* net = Find(p, "network.main");
  EXPECT_EQ(net->action, Action::kAdopt);
  EXPECT_EQ(net->prior.id, st.resources.at("network.main").id);
  EXPECT_EQ(Find(p, "db.instance[0]")->action, Action::kAdopt);
  // Everything referring to them resolves against the adopted outputs.
  EXPECT_EQ(p.Summarize().adopt, 2);
  EXPECT_EQ(p.Summarize().noop, static_cast<int>(st.resources.size()) - 2);
  EXPECT_EQ(p.Summarize().create, 0);
}

TEST_F(PlannerTest, IntentOfAKilledRunIsAdoptedOrCreated) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input(Desired(DemoSpec()), st);
  // Killed after sending both creates: api.lb reached the cloud, api.instance[1] did not.
  for (const char* addr : {"api.lb", "api.instance[1]"}) {
    in.state.resources.erase(addr);
    in.state.intents[addr] = state::Intent{addr, "create", "cloud", "", {}, "", 1, 0};
  }
  auto& obs = in.observed["cloud"];
  obs.erase(std::remove_if(obs.begin(), obs.end(), [](const auto& o) { return o.address == "api.instance[1]"; }),
            obs.end());
  Plan p = MustPlan(in);
  const Change* lb = Find(p, "api.lb");
  EXPECT_EQ(lb->action, Action::kAdopt);
  EXPECT_EQ(lb->reason, "created by an interrupted run; found in the cloud by its tags (id " +
                            st.resources.at("api.lb").id + ") but not in state");
  const Change* api = Find(p, "api.instance[1]");
  EXPECT_EQ(api->action, Action::kCreate);
  EXPECT_EQ(api->reason, "not in state");
  // Adopting still waits for the LB's dependencies.
  EXPECT_EQ(lb->depends_on, (std::vector<std::string>{"api.instance[0]", "api.instance[1]", "network.main"}));
}

// A scaling deploy killed after its new instance reached the cloud, before
// that instance had an address: the next plan adopts it, and what lists the
// tier's addresses changes once apply has finished the create, not one
// deploy later.
TEST_F(PlannerTest, InterruptedCreateMakesReferrersStale) {
  state::State scaled = Deployed(DemoSpec(4));
  state::State st = Deployed(DemoSpec(3));
  PlanInput in = Input(Desired(DemoSpec(4)), st);
  in.state.intents["db.instance[3]"] = state::Intent{"db.instance[3]", "create", "cloud", "", {}, "", 1, 0};
  state::ResourceState booting = scaled.resources.at("db.instance[3]");
  booting.outputs = json::object();  // listed by the cloud, no address yet
  in.observed["cloud"].push_back(booting);
  in.diff = [](const model::Resource& d, const state::ResourceState& prior) {
    return d.attributes == prior.attributes ? DiffDecision::kNoop : DiffDecision::kUpdate;
  };
  Plan p = MustPlan(in);
  EXPECT_EQ(Find(p, "db.instance[3]")->action, Action::kAdopt);
  const Change* api = Find(p, "api.instance[0]");
  EXPECT_EQ(api->action, Action::kNoop);
  EXPECT_EQ(api->stale, "db.instance[3] is still being created by an interrupted run");
  EXPECT_NE(std::find(api->depends_on.begin(), api->depends_on.end(), "db.instance[3]"), api->depends_on.end());
  EXPECT_EQ(Find(p, "db.instance[0]")->action, Action::kNoop);

  // Found without an intent (e.g. the state was restored from a backup),
  // the observed outputs are all there is: referrers resolve against them.
  in.state.intents.clear();
  Plan found = MustPlan(in);
  EXPECT_EQ(Find(found, "db.instance[3]")->action, Action::kAdopt);
  EXPECT_EQ(Find(found, "api.instance[0]")->action, Action::kNoop);
}

TEST_F(PlannerTest, RecordedIdGoneButTaggedResourceFound) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input(Desired(DemoSpec()), st);
  for (auto& o : in.observed["cloud"])
    if (o.address == "db.firewall") o.id = "id-new";
  Plan p = MustPlan(in);
  const Change* fw = Find(p, "db.firewall");
  EXPECT_EQ(fw->action, Action::kAdopt);
  EXPECT_EQ(fw->prior.id, "id-new");
}

TEST_F(PlannerTest, OrphansAndDuplicatesAreDeleted) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input(Desired(DemoSpec()), st);
  auto tagged = [](const std::string& addr, const std::string& kind, const std::string& id,
                   const std::string& deployment = "demo") {
    state::ResourceState o;
    o.address = addr;
    o.kind = kind;
    o.id = id;
    o.tags = {{std::string(model::kTagDeployment), deployment}, {std::string(model::kTagAddress), addr}};
    return o;
  };
  auto& obs = in.observed["cloud"];
  obs.push_back(tagged("old.instance[0]", "instance", "id-old"));         // removed tier, state lost
  obs.push_back(tagged("db.instance[0]", "instance", "id-dup"));          // a second db.instance[0]
  obs.push_back(tagged("garbage!", "volume", "id-garbage"));              // unparsable address tag
  obs.push_back(tagged("web.instance[0]", "instance", "id-x", "other"));  // another deployment: not ours
  Plan p = MustPlan(in);
  const Change* old = Find(p, "old.instance[0]");
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(old->action, Action::kDelete);
  EXPECT_EQ(old->reason, "orphan: carries the deployment tag but is neither in state nor in the spec");
  EXPECT_EQ(old->provider, "cloud");
  const Change* dup = Find(p, "orphan/cloud/instance/id-dup");
  ASSERT_NE(dup, nullptr);
  EXPECT_EQ(dup->action, Action::kDelete);
  EXPECT_EQ(dup->reason, "orphan: a second resource claiming address db.instance[0]");
  EXPECT_EQ(Find(p, "db.instance[0]")->action, Action::kNoop);
  const Change* garbage = Find(p, "orphan/cloud/volume/id-garbage");
  ASSERT_NE(garbage, nullptr);
  EXPECT_EQ(garbage->kind, model::Kind::kVolume);
  EXPECT_EQ(Find(p, "web.instance[0]"), nullptr);
  EXPECT_EQ(p.Summarize().destroy, 3);
  // The orphan volume (rank 2) goes before the orphan instance (rank 3).
  EXPECT_EQ(old->depends_on, (std::vector<std::string>{"orphan/cloud/volume/id-garbage"}));
}

TEST_F(PlannerTest, RemovedTierIsDeletedInReverseDependencyOrder) {
  state::State st = Deployed(DemoSpec());
  spec::Spec s = DemoSpec();
  s.tiers.pop_back();  // drop api, and the firewall rule naming it
  s.tiers[0].firewall[0].sources = {"10.0.0.0/8"};
  Plan p = MustPlan(Input(Desired(s), st));
  auto a = Actions(p);
  for (const char* addr : {"api.instance[0]", "api.instance[1]", "api.lb"}) EXPECT_EQ(a[addr], Action::kDelete);
  EXPECT_EQ(Find(p, "api.instance[0]")->depends_on, (std::vector<std::string>{"api.lb"}));
  EXPECT_TRUE(Find(p, "api.lb")->depends_on.empty());
  // db's firewall rule changed.
  EXPECT_EQ(a["db.firewall"], Action::kReplace);
  EXPECT_EQ(Find(p, "db.firewall")->changed_keys, (std::vector<std::string>{"rules"}));
}

TEST_F(PlannerTest, ProviderChangeReplaces) {
  state::State st = Deployed(DemoSpec());
  std::vector<model::Resource> desired = Desired(DemoSpec());
  for (auto& r : desired)
    if (r.address.ToString() == "image.ubuntu") r.provider = "cloud2";
  PlanInput in = Input(desired, st);
  in.diff = [](const model::Resource&, const state::ResourceState&) { return DiffDecision::kNoop; };
  Plan p = MustPlan(in);
  const Change* img = Find(p, "image.ubuntu");
  EXPECT_EQ(img->action, Action::kReplace);
  EXPECT_EQ(img->reason, "provider changed from 'cloud' to 'cloud2'");
}

TEST_F(PlannerTest, TeardownDeletesEverythingInReverseOrder) {
  state::State st = Deployed(DemoSpec());
  PlanInput in = Input({}, st);
  state::ResourceState orphan_net;
  orphan_net.address = "network.old";
  orphan_net.kind = "network";
  orphan_net.id = "id-oldnet";
  in.observed["cloud"].push_back(orphan_net);
  auto p = MakeTeardownPlan(in);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->teardown);
  EXPECT_EQ(p->spec_digest, "");
  ASSERT_EQ(p->changes.size(), st.resources.size() + 1);
  for (const Change& c : p->changes) {
    EXPECT_EQ(c.action, Action::kDelete);
    EXPECT_EQ(c.reason, c.address == "network.old" ? "orphan: carries the deployment tag but is neither in state "
                                                      "nor in the spec"
                                                    : "teardown");
  }
  // Every recorded dependency is deleted after what depends on it.
  for (const auto& [addr, rs] : st.resources)
    for (const std::string& dep : rs.depends_on) {
      const auto& waits = Find(*p, dep)->depends_on;
      EXPECT_NE(std::find(waits.begin(), waits.end(), addr), waits.end()) << dep << " must wait for " << addr;
    }
  // The observed-only network waits for every instance (by kind).
  const auto& net_waits = Find(*p, "network.old")->depends_on;
  EXPECT_NE(std::find(net_waits.begin(), net_waits.end(), "db.instance[0]"), net_waits.end());
  EXPECT_NE(std::find(net_waits.begin(), net_waits.end(), "image.ubuntu"), net_waits.end());
  // Applying it leaves nothing.
  cloud_.Apply(*p, &st);
  EXPECT_TRUE(st.resources.empty());
}

TEST_F(PlannerTest, InvalidDesiredSetsAreRejected) {
  std::vector<model::Resource> desired = Desired(DemoSpec());
  state::State empty;
  // A cycle.
  for (auto& r : desired)
    if (r.address.ToString() == "network.main") r.depends_on.push_back(*model::Address::Parse("api.lb"));
  auto p = MakePlan(Input(desired, empty));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(p.status().message().rfind("dependency cycle: ", 0), 0u) << p.status().message();
  EXPECT_NE(p.status().message().find("network.main"), std::string::npos);

  desired = Desired(DemoSpec());
  desired.push_back(desired.front());
  p = MakePlan(Input(desired, empty));
  EXPECT_EQ(p.status().message(), "duplicate desired address " + desired.front().address.ToString());

  desired = Desired(DemoSpec());
  desired.front().depends_on.push_back(*model::Address::Parse("ghost.lb"));
  p = MakePlan(Input(desired, empty));
  EXPECT_NE(p.status().message().find("depends on ghost.lb, which is not part of the deployment"),
            std::string::npos);
}

}  // namespace
}  // namespace orch::plan

namespace orch::plan {
namespace {

// Hundreds of instances, each api instance depending on every db instance:
// replanning after applying is all no-op (the CPU time is printed).
TEST(PlannerScaleTest, LargeDeploymentReplansAsNoop) {
  spec::Spec s = testutil::DemoSpec(200);
  s.tiers[1].count = 200;
  std::vector<model::Resource> desired = testutil::Desired(s);
  ASSERT_EQ(desired.size(), 200u * 3 + 5);  // db+volumes+api instances; network, image, key, lb, firewall
  testutil::SimCloud cloud;
  state::State st;
  std::clock_t t0 = std::clock();
  auto first = MakePlan(testutil::Input(desired, st));
  std::clock_t t1 = std::clock();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->Summarize().create, static_cast<int>(desired.size()) - 1);  // and the image, read
  cloud.Apply(*first, &st);
  std::clock_t t2 = std::clock();
  auto again = MakePlan(testutil::Input(desired, st));
  std::clock_t t3 = std::clock();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->HasChanges());
  auto ms = [](std::clock_t a, std::clock_t b) { return (b - a) * 1000 / CLOCKS_PER_SEC; };
  std::printf("%zu resources: first plan %lld ms CPU, replan against state %lld ms CPU\n", desired.size(),
              static_cast<long long>(ms(t0, t1)), static_cast<long long>(ms(t2, t3)));
}

}  // namespace
}  // namespace orch::plan
