// vpc.cc
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "providers/digitalocean/test_fixture.h"

namespace orch::providers::digitalocean {
namespace {

using namespace test;  // NOLINT: the fixture's helpers
using nlohmann::json;

TEST_F(DoProviderTest, ExistingVpcIsLookedUpByNameOrIdInTheRegionAndNeverDeleted) {
  const std::string vpcs =
      json{{"vpcs",
            {{{"id", "v-1"}, {"name", "team-net"}, {"region", "nyc3"}, {"ip_range", "10.116.0.0/20"}},
             {{"id", "v-2"}, {"name", "far-net"}, {"region", "ams3"}, {"ip_range", "10.9.0.0/20"}}}},
           {"links", json::object()},
           {"meta", {{"total", 2}}}}
          .dump();
  model::Resource r;
  r.address = {"", model::Kind::kNetwork, "app", -1};
  r.provider = "do";
  r.cloud_name = "demo-app";
  auto lookup = [&](const std::string& existing) {
    transport_.ExpectReply("GET", std::string(kBase) + "/vpcs", 200, vpcs);
    r.attributes = {{"existing", existing}, {"lookup", true}, {"region", "nyc3"}};
    return provider_->Create(r, ctx_);
  };
  for (const char* existing : {"team-net", "v-1"}) {
    auto o = lookup(existing);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_EQ(o->id, "v-1");
    EXPECT_EQ(o->cloud_name, "team-net");
    EXPECT_EQ(o->outputs["ip_range"], "10.116.0.0/20");
  }
  auto far = lookup("far-net");
  EXPECT_EQ(far.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(far.status().message(), "network.app: VPC 'far-net' is in region ams3, but provider 'do' deploys to nyc3; "
                                    "droplets can only join a VPC of their own region");
  auto none = lookup("nope");
  EXPECT_TRUE(none.status().IsNotFound());
  EXPECT_EQ(none.status().message(),
            "network.app: no VPC 'nope' in the account of provider 'do'; list them with `doctl vpcs list`");
  EXPECT_EQ(Count("POST", "/vpcs"), 0u);

  // Teardown forgets it: only the deployment's unused tags are cleaned up.
  transport_.ExpectReply("GET", std::string(kBase) + "/tags", 200, R"({"tags":[],"links":{},"meta":{"total":0}})");
  state::ResourceState prior;
  prior.address = "network.app";
  prior.kind = "network";
  prior.id = "v-1";
  prior.attributes = {{"existing", "team-net"}, {"lookup", true}, {"region", "nyc3"}};
  EXPECT_TRUE(provider_->Delete(prior, ctx_).ok());
  EXPECT_EQ(Count("DELETE", "/vpcs"), 0u);
  EXPECT_TRUE(transport_.Unexpected().empty()) << transport_.Unexpected()[0];
}

}  // namespace
}  // namespace orch::providers::digitalocean
