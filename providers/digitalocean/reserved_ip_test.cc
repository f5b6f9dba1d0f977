// reserved_ip.cc
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

// A reserved IP carries no tag: once its droplet is deleted (a killed
// replace), only its recorded address finds it.
TEST_F(DoProviderTest, RecordedReservedIpIsFoundByItsAddressWhenUnassigned) {
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips/203.0.113.9", 200,
                         R"({"reserved_ip":{"ip":"203.0.113.9","region":{"slug":"nyc3"},"droplet":null}})");
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips/203.0.113.8", 404,
                         R"({"id":"not_found","message":"The resource you were accessing could not be found."})");
  transport_.ExpectReply("GET", std::string(kBase) + "/reserved_ips/203.0.113.7", 200,
                         R"({"reserved_ip":{"ip":"203.0.113.7","droplet":{"id":42}}})");
  std::vector<state::ResourceState> missing(4);
  const char* ips[] = {"203.0.113.9", "203.0.113.8", "203.0.113.7", "vpc-1"};
  const char* kinds[] = {"floating_ip", "floating_ip", "floating_ip", "network"};
  for (int i = 0; i < 4; ++i) {
    missing[i].address = i < 3 ? "web.fip[" + std::to_string(i) + "]" : "network.main";
    missing[i].kind = kinds[i];
    missing[i].id = ips[i];
  }
  auto found = provider_->FindRecorded(missing);
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found->size(), 1u);  // gone (404) and assigned elsewhere are not ours; a network is not asked for
  EXPECT_EQ((*found)[0].address, "web.fip[0]");
  EXPECT_EQ((*found)[0].id, "203.0.113.9");
  EXPECT_EQ(Count("GET", "/reserved_ips/"), 3u);
}

TEST_F(DoProviderTest, ReservedIpIsReassignedAndALostAnswerIsNotResent) {
  model::Resource ip;
  ip.address = *model::Address::Parse("mon.fip[0]");
  ip.attributes = {{"region", "nyc3"}, {"instance_id", "43"}};
  state::ResourceState prior;
  prior.id = "1.2.3.4";
  prior.attributes = {{"region", "nyc3"}, {"instance_id", "42"}};
  const std::string rip = std::string(kBase) + "/reserved_ips/1.2.3.4";
  transport_.ExpectReply("GET", rip, 200, R"({"reserved_ip":{"ip":"1.2.3.4","droplet":null}})");
  transport_.ExpectReset("POST", rip + "/actions");  // applied, answer lost
  transport_.ExpectReply("GET", rip, 200, R"({"reserved_ip":{"ip":"1.2.3.4","droplet":{"id":43}}})");
  auto r = provider_->Update(ip, prior, ctx_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "1.2.3.4");
  EXPECT_EQ(r->outputs["ip"], "1.2.3.4");
  EXPECT_EQ(Count("POST", "/reserved_ips"), 1u);
  json assign = json::parse(transport_.Requests()[1].body);
  EXPECT_EQ(assign["type"], "assign");
  EXPECT_EQ(assign["droplet_id"], 43);
  EXPECT_TRUE(transport_.Unexpected().empty());
}

}  // namespace
}  // namespace orch::providers::digitalocean
