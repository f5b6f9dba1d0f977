#include <gtest/gtest.h>

#include "cli/graph_command.h"
#include "cli/outputs.h"

namespace orch::cli {
namespace {

state::ResourceState Rs(const std::string& addr, const std::string& name, nlohmann::json outputs) {
  state::ResourceState rs;
  rs.address = addr;
  rs.cloud_name = name;
  rs.provider = "do";
  rs.outputs = std::move(outputs);
  return rs;
}

state::State TwoTiers() {
  state::State s;
  s.deployment = "demo-1";
  for (auto rs : {Rs("cassandra-do.instance[0]", "demo-1-cassandra-do-0", {{"private_ip", "10.0.0.2"}, {"public_ip", "203.0.113.2"}}),
                  Rs("cassandra-do.instance[1]", "demo-1-cassandra-do-1", {{"private_ip", "10.0.0.3"}}),
                  Rs("cassandra-do.instance[2]", "demo-1-cassandra-do-2", nlohmann::json::object()),
                  Rs("monitoring.instance[0]", "demo-1-monitoring-0", {{"private_ip", "10.0.0.9"}, {"public_ip", "203.0.113.9"}}),
                  Rs("monitoring.fip[0]", "demo-1-monitoring-fip-0", {{"ip", "198.51.100.4"}})})
    s.resources[rs.address] = rs;
  return s;
}

TEST(AnsibleInventoryTest, GroupsByTierWithHostVars) {
  std::string inv = FormatAnsibleInventory(ComputeOutputs(TwoTiers()));
  EXPECT_EQ(inv,
            "# Ansible inventory of deployment 'demo-1' (orchestrator output --ansible-inventory)\n"
            "\n[cassandra_do]\n"
            "demo-1-cassandra-do-0 ansible_host=203.0.113.2 private_ip=10.0.0.2 public_ip=203.0.113.2 provider=do "
            "address=cassandra-do.instance[0]\n"
            "demo-1-cassandra-do-1 ansible_host=10.0.0.3 private_ip=10.0.0.3 provider=do address=cassandra-do.instance[1]\n"
            "# demo-1-cassandra-do-2 (cassandra-do.instance[2]) has no address yet\n"
            "\n[monitoring]\n"
            "demo-1-monitoring-0 ansible_host=198.51.100.4 private_ip=10.0.0.9 public_ip=203.0.113.9 "
            "floating_ip=198.51.100.4 provider=do address=monitoring.instance[0]\n"
            "\n[demo_1:children]\ncassandra_do\nmonitoring\n");
}

TEST(SshConfigTest, OneHostPerReachableInstance) {
  std::string cfg = FormatSshConfig(ComputeOutputs(TwoTiers()));
  EXPECT_NE(cfg.find("\nHost demo-1-monitoring-0\n  HostName 198.51.100.4\n"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("\nHost demo-1-cassandra-do-1\n  HostName 10.0.0.3\n"), std::string::npos) << cfg;
  EXPECT_EQ(cfg.find("demo-1-cassandra-do-2"), std::string::npos) << cfg;
}

TEST(GraphToDotTest, ClustersPerTierAndDependencyEdges) {
  model::Resource net;
  net.address = {"", model::Kind::kNetwork, "main", -1};
  net.cloud_name = "demo-main";
  model::Resource i0;
  i0.address = {"db", model::Kind::kInstance, "", 0};
  i0.cloud_name = "demo-db-0";
  i0.depends_on = {net.address};
  model::Resource i1 = i0;
  i1.address.index = 1;
  i1.cloud_name = "demo-db-1";
  i1.depends_on = {net.address, i0.address};
  EXPECT_EQ(GraphToDot("demo", {net, i0, i1}),
            "digraph \"demo\" {\n  rankdir=RL;\n  node [shape=box, fontsize=10];\n"
            "  \"network.main\" [label=\"network.main\\ndemo-main\"];\n"
            "  subgraph \"cluster_db\" {\n    label=\"tier db\";\n"
            "    \"db.instance[0]\" [label=\"db.instance[0]\\ndemo-db-0\"];\n"
            "    \"db.instance[1]\" [label=\"db.instance[1]\\ndemo-db-1\"];\n  }\n"
            "  \"db.instance[0]\" -> \"network.main\";\n"
            "  \"db.instance[1]\" -> \"network.main\";\n"
            "  \"db.instance[1]\" -> \"db.instance[0]\";\n}\n");
}

}  // namespace
}  // namespace orch::cli
