#include "plan/planner.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "graph/graph.h"
#include "model/references.h"
#include "state/references.h"
#include "util/strings.h"

namespace orch::plan {
namespace {

using nlohmann::json;
using model::Address;
using model::Kind;

// Deletion order for resources whose dependencies are not recorded.
int DeleteRank(Kind k) {
  switch (k) {
    case Kind::kFloatingIp: return 0;
    case Kind::kLoadBalancer:
    case Kind::kFirewall: return 1;
    case Kind::kVolume: return 2;
    case Kind::kInstance:
    case Kind::kInstanceGroup: return 3;
    case Kind::kSshKey:
    case Kind::kImage: return 4;
    case Kind::kNetwork: return 5;
  }
  return 3;
}

Kind KindOf(const std::string& address, const std::string& kind_name) {
  if (auto k = model::KindFromName(kind_name)) return *k;
  auto a = Address::Parse(address);
  return a.ok() ? a->kind : Kind::kInstance;
}

bool SameDeployment(const state::ResourceState& o, const std::string& deployment) {
  auto it = o.tags.find(std::string(model::kTagDeployment));
  return it == o.tags.end() || it->second == deployment;
}

std::string OrphanAddress(const state::ResourceState& o) {
  return "orphan/" + o.provider + "/" + o.kind + "/" + (o.id.empty() ? o.cloud_name : o.id);
}

class Planner {
 public:
  explicit Planner(const PlanInput& in) : in_(in), working_(in.state) {}

  Result<Plan> Deploy() {
    ORCH_RETURN_IF_ERROR(IndexDesired());
    IndexObserved();
    graph::Graph g;
    for (const auto& [addr, r] : desired_) {
      g.AddNode(addr);
      for (const Address& d : r->depends_on) {
        std::string dep = d.ToString();
        if (!desired_.count(dep))
          return Status::InvalidArgument(addr + " depends on " + dep + ", which is not part of the deployment");
        g.AddEdge(addr, dep);
      }
    }
    auto order = g.TopologicalOrder();
    if (!order.ok()) return order.status();
    for (const auto& [addr, rs] : in_.state.resources) {
      if (desired_.count(addr)) continue;
      auto a = Address::Parse(addr);
      if (a.ok() && (a->kind == Kind::kInstance || a->kind == Kind::kInstanceGroup)) shrinking_tiers_.insert(a->tier);
    }
    for (const std::string& addr : *order) ORCH_RETURN_IF_ERROR(PlanDesired(*desired_.at(addr)));
    for (const auto& [addr, rs] : in_.state.resources)
      if (!desired_.count(addr)) AddDelete(addr, "not in the spec");
    AddOrphans();
    return Finish(false);
  }

  Result<Plan> Teardown() {
    IndexObserved();
    for (const auto& [addr, rs] : in_.state.resources) AddDelete(addr, "teardown");
    AddOrphans();
    return Finish(true);
  }

 private:
  Status IndexDesired() {
    for (const model::Resource& r : in_.desired) {
      std::string addr = r.address.ToString();
      if (!desired_.emplace(addr, &r).second) return Status::InvalidArgument("duplicate desired address " + addr);
      known_.push_back(r.address);
    }
    return Status::OK();
  }

  // Groups observed resources by address; picks, per address, the one the
  // state records (else the smallest id); the rest are orphans.
  void IndexObserved() {
    if (!in_.refreshed) return;
    std::map<std::string, std::vector<state::ResourceState>> by_address;
    for (const auto& [provider, list] : in_.observed) {
      for (state::ResourceState o : list) {
        if (o.provider.empty()) o.provider = provider;
        if (!SameDeployment(o, in_.deployment)) continue;
        auto a = Address::Parse(o.address);
        if (!a.ok()) {
          orphans_.push_back({std::move(o), "orphan: carries the deployment tag but no valid address tag"});
          continue;
        }
        o.address = a->ToString();
        if (o.kind.empty()) o.kind = std::string(model::KindName(a->kind));
        by_address[o.address].push_back(std::move(o));
      }
    }
    for (auto& [addr, list] : by_address) {
      std::sort(list.begin(), list.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
      size_t pick = 0;
      auto st = in_.state.resources.find(addr);
      if (st != in_.state.resources.end())
        for (size_t i = 0; i < list.size(); ++i)
          if (list[i].id == st->second.id) pick = i;
      for (size_t i = 0; i < list.size(); ++i) {
        if (i == pick) continue;
        orphans_.push_back({list[i], "orphan: a second resource claiming address " + addr});
      }
      observed_[addr] = list[pick];
      // Refresh: recorded resources get the cloud's current id and outputs.
      auto w = working_.resources.find(addr);
      if (w != working_.resources.end() && w->second.id == list[pick].id && !list[pick].outputs.empty())
        w->second.outputs = list[pick].outputs;
    }
  }

  // False when Discover cannot be expected to report this resource. Lookups
  // (an image by source, a network with `existing`) are never owned.
  bool Observable(const std::string& provider, Kind kind, const json& attributes) const {
    if (Lookup(attributes)) return false;
    return !in_.observable || in_.observable(provider, kind);
  }
  // ...nor a resource found and reused (outputs `reused: true`, e.g. an SSH
  // key another deployment uploaded): it carries another owner's name and
  // tags, and state is trusted for it.
  bool Observable(const state::ResourceState& rs, Kind kind) const {
    auto it = rs.outputs.is_object() ? rs.outputs.find("reused") : rs.outputs.end();
    if (rs.outputs.is_object() && it != rs.outputs.end() && it->is_boolean() && it->get<bool>()) return false;
    return Observable(rs.provider, kind, rs.attributes);
  }

  static bool Lookup(const json& attributes) {
    if (!attributes.is_object()) return false;
    auto it = attributes.find("lookup");
    return it != attributes.end() && it->is_boolean() && it->get<bool>();
  }

  const state::ResourceState* Observed(const std::string& addr) const {
    auto it = observed_.find(addr);
    return it == observed_.end() ? nullptr : &it->second;
  }

  Change& NewChange(const std::string& addr, Kind kind, Action action, std::string provider, std::string reason) {
    Change& c = changes_[addr];
    c.address = addr;
    c.kind = kind;
    c.action = action;
    c.provider = std::move(provider);
    c.reason = std::move(reason);
    return c;
  }

  Status PlanDesired(const model::Resource& d) {
    std::string addr = d.address.ToString();
    auto st = working_.resources.find(addr);
    const state::ResourceState* obs = Observed(addr);
    if (st == working_.resources.end()) {
      if (obs) {
        std::string reason = "found in the cloud by its tags (id " + obs->id + ") but not in state";
        auto intent = in_.state.intents.find(addr);
        if (intent != in_.state.intents.end()) reason = "created by an interrupted run; " + reason;
        Change& c = NewChange(addr, d.address.kind, Action::kAdopt, d.provider, reason);
        c.desired = d;
        c.prior = *obs;
        working_.resources[addr] = *obs;  // its outputs resolve references of later resources
        // Apply finishes an interrupted create (waits for the resource, reads
        // its outputs): until then what was observed may lack them (a droplet
        // still booting has no address), so what refers to it is known after apply.
        if (intent != in_.state.intents.end() && intent->second.action == "create")
          changing_[addr] = "still being created by an interrupted run";
      } else {
        auto found = in_.reusable.find(addr);
        bool read = Lookup(d.attributes) || found != in_.reusable.end();
        Change& c = NewChange(addr, d.address.kind, read ? Action::kRead : Action::kCreate, d.provider,
                              found != in_.reusable.end() ? found->second : "not in state");
        c.desired = d;
        changing_[addr] = "created";
      }
      return Status::OK();
    }
    const state::ResourceState& prior = st->second;
    if (in_.refreshed && !obs && Observable(d.provider, d.address.kind, d.attributes) &&
        Observable(prior, d.address.kind)) {
      Change& c = NewChange(addr, d.address.kind, Action::kCreate, d.provider, "deleted outside orchestrator");
      c.desired = d;
      c.prior = prior;
      c.outside = true;
      changing_[addr] = "created";
      return Status::OK();
    }
    if (obs && obs->id != prior.id && !prior.id.empty()) {
      Change& c = NewChange(addr, d.address.kind, Action::kAdopt, d.provider,
                            "recorded id " + prior.id + " is gone; found id " + obs->id + " by its tags");
      c.desired = d;
      c.prior = *obs;
      c.outside = true;
      working_.resources[addr] = *obs;
      return Status::OK();
    }
    if (!prior.provider.empty() && prior.provider != d.provider) {
      Change& c = NewChange(addr, d.address.kind, Action::kReplace, d.provider,
                            "provider changed from '" + prior.provider + "' to '" + d.provider + "'");
      c.desired = d;
      c.prior = prior;
      changing_[addr] = "replaced";
      return Status::OK();
    }

    // Resolve key by key so a value only known after apply is traced to its key.
    model::Resource resolved = d;
    std::set<std::string> after_apply;  // addresses making some value unknown
    if (d.attributes.is_object()) {
      resolved.attributes = json::object();
      for (auto it = d.attributes.begin(); it != d.attributes.end(); ++it) {
        if (it.key() == "user_data") continue;  // var by var, below
        const json* was = prior.attributes.is_object() && prior.attributes.contains(it.key())
                              ? &prior.attributes[it.key()] : nullptr;
        auto v = ResolveKept(it.value(), was, &after_apply);
        if (!v.ok()) return v.status().WithPrefix(addr + " attribute '" + it.key() + "'");
        resolved.attributes[it.key()] = std::move(*v);
      }
    }
    const bool replace_requested = in_.replace.count(addr) > 0;
    std::string stale;
    std::set<std::string> stale_after_apply;  // unknown values of the kept creation inputs
    ORCH_RETURN_IF_ERROR(
        ResolveUserData(d, prior, replace_requested, &resolved, &after_apply, &stale_after_apply, &stale));
    // Diff against the live object: what the cloud reports is laid over
    // what state records, so a change made outside is planned back.
    json drift = obs ? Drift(resolved, prior, *obs) : json::object();
    state::ResourceState live = prior;
    for (auto it = drift.begin(); it != drift.end(); ++it) live.attributes[it.key()] = it.value();
    DiffDecision decision = Decide(resolved, live);
    const bool spec_changed = drift.empty() ? decision != DiffDecision::kNoop
                                            : Decide(resolved, prior) != DiffDecision::kNoop;
    std::vector<std::string> keys = ChangedKeys(resolved.attributes, prior.attributes);
    Action action = decision == DiffDecision::kNoop     ? Action::kNoop
                    : decision == DiffDecision::kUpdate ? Action::kUpdate
                                                        : Action::kReplace;
    if (replace_requested) action = Action::kReplace;
    // A replacement boots with current values: it waits as any create does.
    if (action == Action::kReplace) after_apply.insert(stale_after_apply.begin(), stale_after_apply.end());
    std::string reason;
    if (replace_requested && decision == DiffDecision::kNoop) {
      reason = "replacement requested with --replace";
    } else if (action != Action::kNoop && spec_changed) {
      reason = keys.empty() ? "the provider reports a difference" : Join(keys, ", ") + " changed";
      if (!after_apply.empty()) {
        std::vector<std::string> why;
        for (const std::string& a : after_apply) why.push_back(a + " is " + changing_.at(a));
        reason += " (known after apply: " + Join(why, ", ") + ")";
      }
      if (replace_requested) reason += " (replacement requested with --replace)";
    }
    if (action != Action::kNoop && !drift.empty()) {
      std::vector<std::string> drifted;
      for (auto it = drift.begin(); it != drift.end(); ++it) drifted.push_back(it.key());
      reason += (reason.empty() ? "" : "; ") + std::string("drift: ") + Join(drifted, ", ") +
                " changed outside orchestrator";
      std::set<std::string> all(keys.begin(), keys.end());
      all.insert(drifted.begin(), drifted.end());
      keys.assign(all.begin(), all.end());
    }
    if (action == Action::kReplace && d.address.kind == Kind::kVolume) reason = "DATA: " + reason;
    Change& c = NewChange(addr, d.address.kind, action, d.provider, reason);
    c.desired = d;
    c.prior = prior;
    if (!stale.empty() && action != Action::kReplace) {
      c.stale = stale;
      // Apply keeps the values the resource was created with.
      c.desired.attributes["user_data"] = resolved.attributes["user_data"];
    }
    if (action != Action::kNoop) {
      c.changed_keys = keys;
      c.drift = std::move(drift);
      c.outside = !c.drift.empty();
    }
    // A value that changes because members are deleted is resolved after
    // those deletes.
    if (action != Action::kNoop)
      for (const std::string& a : after_apply)
        if (changing_.at(a) == "deleted") waits_for_deletes_[addr].insert(a);
    if (action == Action::kReplace) changing_[addr] = "replaced";
    return Status::OK();
  }

  // Resolves `value`; a value unknown only because state lacks it (its
  // target is not changing) keeps its prior value `was`.
  Result<json> ResolveKept(const json& value, const json* was, std::set<std::string>* after_apply) {
    bool changing = false, missing = false;
    auto v = model::ResolveReferencesWith(value, [&](std::string_view e) -> Result<json> {
      return ResolveOne(e, &changing, &missing, after_apply);
    });
    if (!v.ok()) return v.status();
    if (missing && !changing && was) return *was;
    return v;
  }

  // user_data, var by var. A var that takes its value from other resources
  // (seeds, contact points, targets) is a creation input: the instance
  // booted with the value it had then, and a new value alone makes it
  // stale, not replaced (`deploy --replace` rebuilds it). The recorded
  // value is kept and the reason returned in `stale`. The template, its
  // digest and the literal vars are compared as they are.
  Status ResolveUserData(const model::Resource& d, const state::ResourceState& prior, bool replace_requested,
                         model::Resource* resolved, std::set<std::string>* after_apply,
                         std::set<std::string>* stale_after_apply, std::string* stale) {
    if (!d.attributes.is_object() || !d.attributes.contains("user_data")) return Status::OK();
    const std::string addr = d.address.ToString();
    const json& ud = d.attributes["user_data"];
    const json* was = prior.attributes.is_object() && prior.attributes.contains("user_data")
                          ? &prior.attributes["user_data"] : nullptr;
    if (!ud.is_object() || !ud.contains("vars") || !ud["vars"].is_object()) {
      auto v = ResolveKept(ud, was, after_apply);
      if (!v.ok()) return v.status().WithPrefix(addr + " attribute 'user_data'");
      resolved->attributes["user_data"] = std::move(*v);
      return Status::OK();
    }
    json out = ud;
    const json* was_vars = was && was->is_object() && was->contains("vars") && (*was)["vars"].is_object()
                               ? &(*was)["vars"] : nullptr;
    std::vector<std::string> why;
    for (auto it = ud["vars"].begin(); it != ud["vars"].end(); ++it) {
      const json* prior_var = was_vars && was_vars->contains(it.key()) ? &(*was_vars)[it.key()] : nullptr;
      std::set<std::string> unknown;
      auto v = ResolveKept(it.value(), prior_var, &unknown);
      if (!v.ok()) return v.status().WithPrefix(addr + " user_data var '" + it.key() + "'");
      bool input = !model::ReferencedAddresses(it.value(), known_).empty();
      // ${self.seeds:N} only means something when the node is made: kept, never stale.
      std::vector<std::string> refs = model::ReferenceExpressions(it.value());
      bool seeds = std::any_of(refs.begin(), refs.end(), [](const std::string& e) { return StartsWith(e, model::kSeedsPrefix); });
      if (prior_var && !replace_requested && seeds) {
        out["vars"][it.key()] = *prior_var;
        continue;
      }
      if (input && prior_var && *v != *prior_var && !replace_requested) {
        for (std::string& w : StaleReasons(it.value(), *prior_var)) why.push_back(std::move(w));
        stale_after_apply->insert(unknown.begin(), unknown.end());
        out["vars"][it.key()] = *prior_var;
        continue;
      }
      after_apply->insert(unknown.begin(), unknown.end());
      out["vars"][it.key()] = std::move(*v);
    }
    resolved->attributes["user_data"] = std::move(out);
    std::set<std::string> seen;
    for (const std::string& w : why)
      if (seen.insert(w).second) *stale += (stale->empty() ? "" : ", ") + w;
    return Status::OK();
  }

  // Why a creation input no longer has the value `was`: per referenced
  // resource, "ADDR private_ip changed", "ADDR is created", "ADDR is gone".
  std::vector<std::string> StaleReasons(const json& raw, const json& was) const {
    std::vector<std::string> out;
    const std::string before = model::ValueText(was);
    for (const std::string& e : model::ReferenceExpressions(raw)) {
      std::string attr = e.substr(e.rfind('.') + 1);
      if (StartsWith(e, "tiers.") && attr.size() > 1 && attr.back() == 's') attr.pop_back();  // private_ips
      for (const std::string& t : model::ReferencedAddresses(json("${" + e + "}"), known_)) {
        auto ch = changing_.find(t);
        if (ch != changing_.end()) {
          out.push_back(t + " is " + ch->second);
          continue;
        }
        auto now = state::ResolveReference("ref:" + t + "." + attr, working_);
        if (!now.ok()) {
          if (!working_.resources.count(t)) out.push_back(t + " is gone");
          continue;
        }
        if (before.find(model::ValueText(*now)) == std::string::npos) out.push_back(t + " " + attr + " changed");
      }
      if (StartsWith(e, "tiers.")) {  // members removed from the tier
        std::string tier = Split(e, '.')[1];
        for (const auto& [t, how] : changing_) {
          auto a = Address::Parse(t);
          if (how == "deleted" && a.ok() && a->tier == tier) out.push_back(t + " is deleted");
        }
      }
    }
    if (out.empty()) out.push_back("its inputs changed");
    return out;
  }

  DiffDecision Decide(const model::Resource& desired, const state::ResourceState& prior) const {
    if (in_.diff) return in_.diff(desired, prior);
    return desired.attributes == prior.attributes ? DiffDecision::kNoop : DiffDecision::kReplace;
  }

  // The recorded attributes the cloud reports otherwise: key -> live value.
  // A provider fills ObservedResource::attributes only with what it reads
  // back, in the form it records; a key counts when state records it too
  // and the provider's diff tells the live value from the recorded one (so
  // a difference of form alone, e.g. rule order, is no drift).
  json Drift(const model::Resource& resolved, const state::ResourceState& prior,
             const state::ResourceState& observed) const {
    json out = json::object();
    if (!observed.attributes.is_object() || !prior.attributes.is_object()) return out;
    model::Resource recorded = resolved;
    recorded.attributes = prior.attributes;
    for (auto it = observed.attributes.begin(); it != observed.attributes.end(); ++it) {
      auto was = prior.attributes.find(it.key());
      if (was == prior.attributes.end() || *was == it.value()) continue;
      state::ResourceState probe = prior;
      probe.attributes[it.key()] = it.value();
      if (Decide(recorded, probe) != DiffDecision::kNoop) out[it.key()] = it.value();
    }
    return out;
  }

  // One reference at plan time: kKnownAfterApply when its target changes in
  // this plan (or is not in state yet), else its current value.
  Result<json> ResolveOne(std::string_view e, bool* changing, bool* missing, std::set<std::string>* after_apply) {
    std::vector<std::string> targets = model::ReferencedAddresses(json("${" + std::string(e) + "}"), known_);
    bool unknown = false;
    for (const std::string& t : targets) {
      if (changing_.count(t)) {
        after_apply->insert(t);
        unknown = true;
      }
    }
    if (StartsWith(e, "tiers.")) {
      std::vector<std::string> parts = Split(e, '.');
      if (parts.size() == 3 && parts[2] != "lb_ip" && shrinking_tiers_.count(parts[1])) {
        // Removed members: the list shrinks once they are deleted.
        for (const auto& [a, rs] : in_.state.resources) {
          auto p = Address::Parse(a);
          if (p.ok() && p->tier == parts[1] && !desired_.count(a) &&
              (p->kind == Kind::kInstance || p->kind == Kind::kInstanceGroup)) {
            changing_.emplace(a, "deleted");
            after_apply->insert(a);
          }
        }
        unknown = true;
      }
    }
    if (unknown) {
      *changing = true;
      return json(std::string(kKnownAfterApply));
    }
    auto r = state::ResolveReference(e, working_);
    if (r.ok()) return r;
    if (r.status().IsNotFound()) {
      *missing = true;
      return json(std::string(kKnownAfterApply));
    }
    return r.status();
  }

  static std::vector<std::string> ChangedKeys(const json& a, const json& b) {
    std::set<std::string> keys;
    if (!a.is_object() || !b.is_object()) return a == b ? std::vector<std::string>{} : std::vector<std::string>{"*"};
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || b[it.key()] != it.value()) keys.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key())) keys.insert(it.key());
    return {keys.begin(), keys.end()};
  }

  void AddDelete(const std::string& addr, std::string reason) {
    const state::ResourceState& rs = working_.resources.at(addr);
    // A volume's data goes with it: said on its own line.
    if (KindOf(addr, rs.kind) == Kind::kVolume && reason != "teardown") reason = "DATA: " + reason;
    bool gone = in_.refreshed && !Observed(addr) && Observable(rs, KindOf(addr, rs.kind));
    if (gone) reason += " (already gone from the cloud)";
    Change& c = NewChange(addr, KindOf(addr, rs.kind), Action::kDelete, rs.provider, std::move(reason));
    c.prior = rs;
    c.outside = gone;
  }

  // Observed resources that nothing desired or recorded accounts for.
  void AddOrphans() {
    for (const auto& [addr, o] : observed_) {
      if (changes_.count(addr)) continue;  // desired (planned) or recorded (deleted above)
      orphans_.push_back({o, "orphan: carries the deployment tag but is neither in state nor in the spec"});
      orphans_.back().use_address = true;
    }
    for (const Orphan& o : orphans_) {
      std::string addr = o.use_address && !changes_.count(o.rs.address) ? o.rs.address : OrphanAddress(o.rs);
      if (changes_.count(addr)) continue;
      Change& c = NewChange(addr, KindOf(o.rs.address, o.rs.kind), Action::kDelete, o.rs.provider, o.reason);
      c.prior = o.rs;
      c.outside = true;
      observed_only_.insert(addr);
    }
  }

  Result<Plan> Finish(bool teardown) {
    // Dependencies of creates/updates/...: the desired ones.
    for (auto& [addr, c] : changes_) {
      if (c.action == Action::kDelete) continue;
      std::set<std::string> deps;
      for (const Address& a : c.desired.depends_on)
        if (changes_.count(a.ToString())) deps.insert(a.ToString());
      auto w = waits_for_deletes_.find(addr);
      if (w != waits_for_deletes_.end()) deps.insert(w->second.begin(), w->second.end());
      c.depends_on.assign(deps.begin(), deps.end());
    }
    // --replace rebuilds a tier one member at a time, in index order.
    std::map<std::string, std::vector<Change*>> requested;
    for (auto& [addr, c] : changes_)
      if (c.action == Action::kReplace && in_.replace.count(addr)) requested[c.desired.address.tier].push_back(&c);
    for (auto& [tier, list] : requested) {
      std::sort(list.begin(), list.end(), [](const Change* x, const Change* y) {
        return std::tie(x->desired.address.kind, x->desired.address.name, x->desired.address.index) <
               std::tie(y->desired.address.kind, y->desired.address.name, y->desired.address.index);
      });
      for (size_t i = 1; i < list.size(); ++i) {
        std::vector<std::string>& deps = list[i]->depends_on;
        if (std::find(deps.begin(), deps.end(), list[i - 1]->address) == deps.end())
          deps.push_back(list[i - 1]->address);
      }
    }
    // Deletes wait for what depended on them.
    std::vector<Change*> deletes;
    for (auto& [addr, c] : changes_)
      if (c.action == Action::kDelete) deletes.push_back(&c);
    auto recorded = [](const Change& from, const std::string& to) {
      return std::find(from.prior.depends_on.begin(), from.prior.depends_on.end(), to) != from.prior.depends_on.end();
    };
    for (Change* x : deletes) {
      std::set<std::string> deps;
      for (Change* y : deletes) {
        if (x == y) continue;
        bool y_needs_x = recorded(*y, x->address);
        bool x_needs_y = recorded(*x, y->address);
        bool guess = (observed_only_.count(x->address) || observed_only_.count(y->address)) && !y_needs_x &&
                     !x_needs_y && x->provider == y->provider && DeleteRank(y->kind) < DeleteRank(x->kind);
        if (y_needs_x || guess) deps.insert(y->address);
      }
      // The old version of a replaced resource may still use it (unless the
      // replacement itself waits for this delete).
      for (auto& [addr, c] : changes_)
        if (c.action == Action::kReplace && recorded(c, x->address) &&
            std::find(c.depends_on.begin(), c.depends_on.end(), x->address) == c.depends_on.end())
          deps.insert(addr);
      x->depends_on.assign(deps.begin(), deps.end());
    }
    graph::Graph g;
    for (const auto& [addr, c] : changes_) {
      g.AddNode(addr);
      for (const std::string& d : c.depends_on) g.AddEdge(addr, d);
    }
    auto order = g.TopologicalOrder();
    if (!order.ok()) return Status::Internal("plan ordering: " + order.status().message());

    Plan plan;
    plan.deployment = in_.deployment;
    plan.teardown = teardown;
    plan.state_lineage = in_.state.lineage;
    plan.state_serial = in_.state.serial;
    plan.spec_digest = teardown ? "" : in_.spec_digest;
    for (auto& [addr, c] : changes_) plan.changes.push_back(std::move(c));
    return plan;
  }

  struct Orphan {
    state::ResourceState rs;
    std::string reason;
    bool use_address = false;
  };

  const PlanInput& in_;
  state::State working_;  // state with refreshed outputs and adopted resources
  std::map<std::string, const model::Resource*> desired_;
  std::vector<Address> known_;
  std::map<std::string, state::ResourceState> observed_;  // picked, by address
  std::vector<Orphan> orphans_;
  std::set<std::string> observed_only_;
  std::set<std::string> shrinking_tiers_;
  std::map<std::string, std::string> changing_;  // address -> "created" | "replaced" | "deleted"
  std::map<std::string, std::set<std::string>> waits_for_deletes_;
  std::map<std::string, Change> changes_;
};

}  // namespace

Result<Plan> MakePlan(const PlanInput& input) { return Planner(input).Deploy(); }

Result<Plan> MakeTeardownPlan(const PlanInput& input) { return Planner(input).Teardown(); }

}  // namespace orch::plan
