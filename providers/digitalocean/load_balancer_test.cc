// load_balancer.cc
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "providers/digitalocean/drift.h"
#include "providers/digitalocean/test_fixture.h"

namespace orch::providers::digitalocean {
namespace {

using namespace test;  // NOLINT: the fixture's helpers
using nlohmann::json;

TEST_F(DoProviderTest, LoadBalancerIgnoresMemberIpsButNotListeners) {
  model::Resource lb;
  lb.address = *model::Address::Parse("api.lb");
  lb.attributes = {{"listeners", {{{"port", 80}}}}, {"targets", {{"tag", "demo-api"}, {"private_ips", "10.0.0.1,10.0.0.2"}}}};
  state::ResourceState prior;
  prior.attributes = lb.attributes;
  prior.attributes["targets"]["private_ips"] = "10.0.0.1";
  EXPECT_EQ(provider_->Diff(lb, prior), plan::DiffDecision::kNoop);
  prior.id = "lb1";
  prior.attributes["listeners"][0]["port"] = 81;
  EXPECT_EQ(provider_->Diff(lb, prior), plan::DiffDecision::kUpdate);
  prior.attributes["region"] = "fra1";
  EXPECT_EQ(provider_->Diff(lb, prior), plan::DiffDecision::kReplace);
}

TEST_F(DoProviderTest, LoadBalancerRulesAndHealthCheckAreUpdatedWithPut) {
  model::Resource lb;
  lb.address = *model::Address::Parse("api.lb");
  lb.cloud_name = "demo-api-lb";
  lb.attributes = {{"region", "nyc3"}, {"listeners", {{{"protocol", "http"}, {"port", 8000}, {"target_port", 8080}}}},
                   {"health_check", {{"protocol", "http"}, {"port", 8080}, {"path", "/ready"}}},
                   {"targets", {{"tag", "demo-api"}}}, {"network", "vpc-1"}};
  state::ResourceState prior;
  prior.address = "api.lb";
  prior.id = "lb1";
  prior.cloud_name = "demo-api-lb";
  transport_.ExpectReply("GET", std::string(kBase) + "/tags/demo-api", 200, R"({"tag":{"name":"demo-api"}})");
  transport_.ExpectReply("PUT", std::string(kBase) + "/load_balancers/lb1", 200,
                         R"({"load_balancer":{"id":"lb1","name":"demo-api-lb","ip":"5.5.5.5","status":"active"}})");
  auto r = provider_->Update(lb, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outputs["ip"], "5.5.5.5");
  json body = json::parse(transport_.Requests().back().body);
  EXPECT_EQ(body["forwarding_rules"][0]["entry_port"], 8000);
  EXPECT_EQ(body["health_check"]["path"], "/ready");
  EXPECT_EQ(body["tag"], "demo-api");
  EXPECT_EQ(body["vpc_uuid"], "vpc-1");
  EXPECT_TRUE(transport_.Unexpected().empty());
}

}  // namespace
}  // namespace orch::providers::digitalocean
