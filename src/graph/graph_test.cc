#include "graph/graph.h"

#include <gtest/gtest.h>

namespace orch::graph {
namespace {

using Strings = std::vector<std::string>;

Graph ThreeTiers() {
  Graph g;
  g.AddNode("network.main");
  g.AddEdge("db.instance[0]", "network.main");
  g.AddEdge("db.instance[1]", "network.main");
  g.AddEdge("db.volume.data[0]", "db.instance[0]");
  g.AddEdge("api.instance[0]", "db.instance[0]");
  g.AddEdge("api.instance[0]", "db.instance[1]");
  g.AddEdge("api.lb", "api.instance[0]");
  g.AddNode("image.ubuntu");
  return g;
}

TEST(GraphTest, TopologicalOrderIsStableAndRespectsEdges) {
  Graph g = ThreeTiers();
  auto order = g.TopologicalOrder();
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  EXPECT_EQ(*order, (Strings{"image.ubuntu", "network.main", "db.instance[0]", "db.instance[1]", "api.instance[0]",
                             "api.lb", "db.volume.data[0]"}));
  // Insertion order does not matter.
  Graph h;
  h.AddEdge("api.lb", "api.instance[0]");
  h.AddEdge("api.instance[0]", "db.instance[1]");
  h.AddEdge("api.instance[0]", "db.instance[0]");
  h.AddEdge("db.volume.data[0]", "db.instance[0]");
  h.AddEdge("db.instance[1]", "network.main");
  h.AddEdge("db.instance[0]", "network.main");
  h.AddEdge("db.instance[0]", "network.main");  // repeated edge
  h.AddNode("image.ubuntu");
  EXPECT_EQ(*h.TopologicalOrder(), *order);
  EXPECT_EQ(h.DependenciesOf("api.instance[0]"), (Strings{"db.instance[0]", "db.instance[1]"}));
  EXPECT_EQ(h.DependentsOf("db.instance[0]"), (Strings{"api.instance[0]", "db.volume.data[0]"}));
}

TEST(GraphTest, ReverseGivesDeletionOrder) {
  Graph g = ThreeTiers();
  Graph r = g.Reverse();
  EXPECT_EQ(r.Nodes(), g.Nodes());
  auto order = r.TopologicalOrder();
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(*order, (Strings{"api.lb", "api.instance[0]", "db.instance[1]", "db.volume.data[0]", "db.instance[0]",
                             "image.ubuntu", "network.main"}));
  EXPECT_EQ(r.DependenciesOf("db.instance[0]"), (Strings{"api.instance[0]", "db.volume.data[0]"}));
}

TEST(GraphTest, CyclesAreNamed) {
  Graph g;
  g.AddEdge("web", "api");
  g.AddEdge("api", "web");
  g.AddEdge("x", "y");
  g.AddEdge("y", "z");
  g.AddEdge("z", "x");
  g.AddEdge("z", "web");
  g.AddEdge("self", "self");
  g.AddEdge("ok", "x");
  auto cycles = g.FindCycles();
  ASSERT_EQ(cycles.size(), 3u);
  EXPECT_EQ(Graph::FormatCycle(cycles[0]), "api -> web -> api");
  EXPECT_EQ(Graph::FormatCycle(cycles[1]), "self -> self");
  EXPECT_EQ(Graph::FormatCycle(cycles[2]), "x -> y -> z -> x");
  auto order = g.TopologicalOrder();
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().message(), "dependency cycle: api -> web -> api");
  EXPECT_TRUE(ThreeTiers().FindCycles().empty());
}

TEST(GraphTest, ShortestCycleThroughSmallestNode) {
  Graph g;
  g.AddEdge("a", "b");
  g.AddEdge("b", "c");
  g.AddEdge("c", "d");
  g.AddEdge("d", "a");
  g.AddEdge("b", "a");
  auto cycles = g.FindCycles();
  ASSERT_EQ(cycles.size(), 1u);
  EXPECT_EQ(Graph::FormatCycle(cycles[0]), "a -> b -> a");
}

TEST(GraphTest, TransitiveDependentsAndDependencies) {
  Graph g = ThreeTiers();
  EXPECT_EQ(g.Dependents("network.main"),
            (std::set<std::string>{"api.instance[0]", "api.lb", "db.instance[0]", "db.instance[1]",
                                   "db.volume.data[0]"}));
  EXPECT_EQ(g.Dependents("db.instance[1]"), (std::set<std::string>{"api.instance[0]", "api.lb"}));
  EXPECT_TRUE(g.Dependents("api.lb").empty());
  EXPECT_TRUE(g.Dependents("not.there").empty());
  EXPECT_EQ(g.Dependencies("api.lb"),
            (std::set<std::string>{"api.instance[0]", "db.instance[0]", "db.instance[1]", "network.main"}));
}

}  // namespace
}  // namespace orch::graph
