#include <gtest/gtest.h>

#include "providers/gce/gce_provider.h"

namespace orch::providers::gce {
namespace {

using nlohmann::json;

// Drift of load balancers: the group members the target pool lacks.
TEST(GceDrift, LoadBalancerTargetsNameTheGroupMembersThePoolLacks) {
  const std::string z = "http://gce.test/compute/v1/projects/p1/zones/us-central1-a/instances/";
  std::vector<json> instances = {
      {{"name", "demo-api-aaaa"}, {"status", "RUNNING"}, {"selfLink", z + "demo-api-aaaa"}},
      {{"name", "demo-api-bbbb"}, {"status", "RUNNING"}, {"selfLink", z + "demo-api-bbbb"}},
      {{"name", "demo-api-cccc"}, {"status", "PROVISIONING"}, {"selfLink", z + "demo-api-cccc"}},
      {{"name", "demo-api-0"}, {"status", "RUNNING"}, {"selfLink", z + "demo-api-0"},
       {"labels", {{"orchestrator-address", "api.instance_5b0_5d"}}}},
      {{"name", "demo-web-dddd"}, {"status", "RUNNING"}, {"selfLink", z + "demo-web-dddd"}}};
  json pool = {{"name", "demo-api-lb"}, {"instances", json::array({z + "demo-api-aaaa"})}};
  json targets = LiveTargets("api", pool, "demo-api", instances);
  EXPECT_EQ(targets, json({{"tier", "api"}, {"tag", "demo-api"}, {"missing", {"demo-api-bbbb"}}}));
  pool["instances"].push_back(z + "demo-api-bbbb");
  EXPECT_EQ(LiveTargets("api", pool, "demo-api", instances), json({{"tier", "api"}, {"tag", "demo-api"}}));

  json recorded = {{"region", "us-central1"}, {"targets", {{"tier", "api"}, {"tag", "demo-api"}}},
                   {"health_check", {{"port", 8080}}}};
  json probe = recorded;
  probe["targets"] = targets;
  EXPECT_EQ(DiffLoadBalancer(recorded, recorded), plan::DiffDecision::kNoop);
  EXPECT_EQ(DiffLoadBalancer(recorded, probe), plan::DiffDecision::kUpdate);
  probe["health_check"]["port"] = 80;  // patched in place
  EXPECT_EQ(DiffLoadBalancer(recorded, probe), plan::DiffDecision::kUpdate);
  probe["listeners"] = json::array();
  EXPECT_EQ(DiffLoadBalancer(recorded, probe), plan::DiffDecision::kReplace);
}

TEST(GceDrift, HealthChecksAreComparedByWhatGceCarries) {
  json check = {{"name", "demo-api-lb"}, {"port", 8080}, {"requestPath", "/health"}, {"checkIntervalSec", 5},
                {"timeoutSec", 5}, {"healthyThreshold", 2}, {"unhealthyThreshold", 2}};
  json live = LiveHealthCheck(check);
  EXPECT_EQ(live, json({{"protocol", "http"}, {"port", 8080}, {"path", "/health"}, {"interval_s", 5}, {"timeout_s", 5},
                        {"healthy_threshold", 2}, {"unhealthy_threshold", 2}}));
  json recorded = {{"region", "us-central1"},
                   {"health_check", {{"protocol", "tcp"}, {"port", 8080}, {"path", "/health"}, {"interval_s", 5},
                                     {"timeout_s", 5}, {"healthy_threshold", 2}, {"unhealthy_threshold", 2}}}};
  json probe = recorded;
  probe["health_check"] = live;  // GCE's check is HTTP whatever the spec says
  EXPECT_EQ(DiffLoadBalancer(recorded, probe), plan::DiffDecision::kNoop);
  probe["health_check"]["path"] = "/changed";
  EXPECT_EQ(DiffLoadBalancer(recorded, probe), plan::DiffDecision::kUpdate);
}

}  // namespace
}  // namespace orch::providers::gce

namespace orch::providers::gce {
namespace {

using nlohmann::json;

// Forwarding rules read back as listeners: the spec's form when all are
// there and right, else the live form Diff plans as an in-place update.
TEST(GceDrift, ForwardingRulesAreReadBackAsListeners) {
  const std::string base = "http://gce.test/compute/v1/projects/p1/";
  const std::string pool = "regions/us-central1/targetPools/demo-api-lb";
  auto rule = [&](const std::string& name, int port) {
    return json{{"name", name}, {"IPAddress", "35.200.0.10"}, {"IPProtocol", "TCP"},
                {"portRange", std::to_string(port) + "-" + std::to_string(port)}, {"target", base + pool}};
  };
  const json l8080 = {{"protocol", "tcp"}, {"port", 8080}, {"target_port", 8080}, {"target_protocol", "tcp"}};
  EXPECT_EQ(LiveListeners("demo-api-lb", {rule("demo-api-lb", 8080)}, "35.200.0.10", pool), json::array({l8080}));
  EXPECT_EQ(LiveListeners("demo-api-lb", {}, "35.200.0.10", pool), json({{"found", json::array()}}));
  json other_ip = rule("demo-api-lb", 8080);
  other_ip["IPAddress"] = "34.1.2.3";
  EXPECT_EQ(LiveListeners("demo-api-lb", {other_ip}, "35.200.0.10", pool),
            json({{"found", json::array()}, {"wrong", {"demo-api-lb"}}}));
  json other_pool = rule("demo-api-lb", 8080);
  other_pool["target"] = base + "regions/us-central1/targetPools/else";
  EXPECT_TRUE(LiveListeners("demo-api-lb", {other_pool}, "35.200.0.10", pool).is_object());
  // Two listeners, NAME-0 and NAME-1: one left is incomplete.
  EXPECT_TRUE(LiveListeners("demo-api-lb", {rule("demo-api-lb-0", 80), rule("demo-api-lb-1", 443)}, "35.200.0.10", pool)
                  .is_array());
  EXPECT_EQ(LiveListeners("demo-api-lb", {rule("demo-api-lb-1", 443)}, "35.200.0.10", pool)["found"].size(), 1u);

  json recorded = {{"region", "us-central1"}, {"listeners", {l8080}}, {"targets", {{"tier", "api"}, {"tag", "demo-api"}}}};
  json probe = recorded;
  probe["listeners"] = LiveListeners("demo-api-lb", {rule("demo-api-lb", 8080)}, "35.200.0.10", pool);
  EXPECT_EQ(DiffLoadBalancer(recorded, probe), plan::DiffDecision::kNoop);
  probe["listeners"] = json({{"found", json::array()}});  // the rule deleted outside: made again in place
  EXPECT_EQ(DiffLoadBalancer(recorded, probe), plan::DiffDecision::kUpdate);
  probe["listeners"] = json({{"found", json::array()}, {"wrong", {"demo-api-lb"}}});
  EXPECT_EQ(DiffLoadBalancer(recorded, probe), plan::DiffDecision::kUpdate);
  // A rule left that the spec does not want, or another listener in the spec: a new load balancer.
  probe["listeners"] = json({{"found", {{{"protocol", "tcp"}, {"port", 9090}}}}});
  EXPECT_EQ(DiffLoadBalancer(recorded, probe), plan::DiffDecision::kReplace);
  json desired = recorded;
  desired["listeners"].push_back({{"protocol", "tcp"}, {"port", 9090}, {"target_port", 9090}, {"target_protocol", "tcp"}});
  EXPECT_EQ(DiffLoadBalancer(desired, recorded), plan::DiffDecision::kReplace);
}

// A static address's instance is the one among its users.
TEST(GceDrift, AStaticAddressIsOnTheInstanceAmongItsUsers) {
  const std::string z = "http://gce.test/compute/v1/projects/p1/zones/us-central1-a/instances/";
  EXPECT_EQ(LiveAddressAttributes({{"status", "IN_USE"}, {"users", {z + "demo-mon-0"}}}),
            json({{"instance_id", "zones/us-central1-a/instances/demo-mon-0"}}));
  EXPECT_EQ(LiveAddressAttributes({{"status", "RESERVED"}}), json({{"instance_id", ""}}));
}

}  // namespace
}  // namespace orch::providers::gce
