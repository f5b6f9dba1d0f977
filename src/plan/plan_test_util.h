// Test helpers for the plan module: a demo spec, and a simulated cloud that
// applies plans to a State the way the engine does (dependencies first,
// references resolved against the state at that moment).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "graph/graph.h"
#include "model/expand.h"
#include "model/references.h"
#include "plan/planner.h"
#include "state/references.h"

namespace orch::plan::testutil {

// db: N instances, each with a data volume, a firewall open to api;
// api: 2 instances whose user_data references db's private IPs, behind an
// LB; network, image and ssh key on provider "cloud".
inline spec::Spec DemoSpec(int db_count = 3, const std::string& db_size = "m") {
  spec::Spec s;
  s.deployment = "demo";
  spec::ProviderSpec p;
  p.name = "cloud";
  p.type = "digitalocean";
  p.region = "r1";
  s.providers["cloud"] = p;
  s.images["ubuntu"] = {"ubuntu", "cloud", "ubuntu-22-04", "", {}};
  s.networks["main"] = {"main", "cloud", "10.10.0.0/16", "", {}};
  s.ssh_keys["ops"] = {"ops", "ssh-ed25519 AAAA ops", {}};
  spec::TierSpec db;
  db.name = "db";
  db.provider = "cloud";
  db.count = db_count;
  db.size = db_size;
  db.image = "ubuntu";
  db.network = "main";
  db.ssh_keys = {"ops"};
  db.volumes = {{"data", 100, "", {}}};
  spec::FirewallRule rule;
  rule.ports = "9042";
  rule.sources = {"tier:api"};
  db.firewall = {rule};
  spec::TierSpec api;
  api.name = "api";
  api.provider = "cloud";
  api.count = 2;
  api.size = "s";
  api.image = "ubuntu";
  api.network = "main";
  api.user_data = spec::UserDataSpec{"/t/api.tmpl", {{"seeds", "${tiers.db.private_ips}"}}, {}};
  api.references = {"db"};
  spec::LoadBalancerSpec lb;
  lb.listeners = {spec::ListenerSpec{"http", 80, 8080, "", {}}};
  api.load_balancer = lb;
  s.tiers = {db, api};
  return s;
}

inline std::vector<model::Resource> Desired(const spec::Spec& s) {
  Diagnostics d;
  model::Expansion e = model::Expand(s, [](const std::string&) { return model::ProviderTraits{}; }, &d);
  EXPECT_FALSE(d.HasErrors());
  return e.resources;
}

class SimCloud {
 public:
  // Applies every change of `plan` to *st in dependency order.
  void Apply(const Plan& plan, state::State* st) {
    graph::Graph g;
    std::map<std::string, const Change*> by_addr;
    for (const Change& c : plan.changes) {
      by_addr[c.address] = &c;
      g.AddNode(c.address);
      for (const std::string& d : c.depends_on) g.AddEdge(c.address, d);
    }
    auto order = g.TopologicalOrder();
    ASSERT_TRUE(order.ok()) << order.status().ToString();
    for (const std::string& addr : *order) {
      const Change& c = *by_addr[addr];
      switch (c.action) {
        case Action::kNoop: break;
        case Action::kDelete: st->resources.erase(addr); break;
        case Action::kAdopt: {
          state::ResourceState rs = c.prior;
          rs.attributes = Resolve(c.desired, *st);
          st->resources[addr] = rs;
          break;
        }
        case Action::kCreate:
        case Action::kRead:
        case Action::kReplace:
        case Action::kUpdate: Record(c.desired, c.action != Action::kUpdate, st); break;
      }
    }
    st->serial++;
  }

  // What Discover would report: exactly what the state records.
  static std::map<std::string, std::vector<state::ResourceState>> Observe(const state::State& st) {
    std::map<std::string, std::vector<state::ResourceState>> out;
    for (const auto& [addr, rs] : st.resources) {
      state::ResourceState o = rs;
      o.depends_on.clear();
      out[rs.provider].push_back(o);
    }
    return out;
  }

  int creates() const { return next_ - 1; }

 private:
  static nlohmann::json Resolve(const model::Resource& r, const state::State& st) {
    auto v = state::ResolveReferences(r.attributes, st);
    EXPECT_TRUE(v.ok()) << r.address.ToString() << ": " << v.status().ToString();
    return v.ok() ? *v : nlohmann::json();
  }

  void Record(const model::Resource& r, bool fresh, state::State* st) {
    std::string addr = r.address.ToString();
    state::ResourceState rs;
    auto old = st->resources.find(addr);
    if (!fresh && old != st->resources.end()) rs = old->second;
    rs.address = addr;
    rs.kind = std::string(model::KindName(r.address.kind));
    rs.provider = r.provider;
    rs.cloud_name = r.cloud_name;
    rs.tags = r.tags;
    rs.attributes = Resolve(r, *st);
    rs.depends_on.clear();
    for (const model::Address& a : r.depends_on) rs.depends_on.push_back(a.ToString());
    if (fresh) {
      int n = next_++;
      rs.id = "id-" + std::to_string(n);
      rs.outputs = nlohmann::json::object();
      if (r.address.kind == model::Kind::kInstance)
        rs.outputs = {{"private_ip", "10.0.0." + std::to_string(n)}, {"public_ip", "203.0.113." + std::to_string(n)}};
      if (r.address.kind == model::Kind::kLoadBalancer) rs.outputs = {{"ip", "198.51.100." + std::to_string(n)}};
    }
    st->resources[addr] = rs;
  }

  int next_ = 1;
};

inline PlanInput Input(const std::vector<model::Resource>& desired, const state::State& st) {
  PlanInput in;
  in.deployment = "demo";
  in.desired = desired;
  in.state = st;
  in.observed = SimCloud::Observe(st);
  in.spec_digest = "digest";
  return in;
}

inline const Change* Find(const Plan& p, const std::string& addr) {
  for (const Change& c : p.changes)
    if (c.address == addr) return &c;
  return nullptr;
}

inline std::map<std::string, Action> Actions(const Plan& p) {
  std::map<std::string, Action> out;
  for (const Change& c : p.changes) out[c.address] = c.action;
  return out;
}

}  // namespace orch::plan::testutil
