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
