#include <gtest/gtest.h>

#include "cli/app.h"
#include "cli/outputs.h"

namespace orch::cli {
namespace {

TEST(CliDuration, ParsesUnitsAndRejectsGarbage) {
  EXPECT_EQ(ParseDurationMs("0"), 0);
  EXPECT_EQ(ParseDurationMs("30s"), 30000);
  EXPECT_EQ(ParseDurationMs("5m"), 300000);
  EXPECT_EQ(ParseDurationMs("1h"), 3600000);
  EXPECT_EQ(ParseDurationMs("250ms"), 250);
  EXPECT_EQ(ParseDurationMs("12"), 12000);
  EXPECT_FALSE(ParseDurationMs("soon").has_value());
  EXPECT_FALSE(ParseDurationMs("5x").has_value());
  EXPECT_FALSE(ParseDurationMs("-1s").has_value());
}

TEST(CliProviderSettings, StateKeepsNoCredentials) {
  engine::ProviderConfig c;
  c.name = "do";
  c.type = "digitalocean";
  c.region = "nyc3";
  c.settings = {{"token", "dop_v1_secret"}, {"project", "p1"}, {"password", "hunter2"},
                {"application_credential_secret", "s3cr3t"}};
  nlohmann::json j = ProviderConfigsToJson({{"do", c}});
  std::string text = j.dump();
  EXPECT_EQ(text.find("dop_v1_secret"), std::string::npos);
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(text.find("s3cr3t"), std::string::npos);
  auto back = ProviderConfigsFromJson(j);
  ASSERT_EQ(back.count("do"), 1u);
  EXPECT_EQ(back["do"].type, "digitalocean");
  EXPECT_EQ(back["do"].region, "nyc3");
  EXPECT_EQ(back["do"].settings["project"], "p1");
}

TEST(CliOutputs, GroupsAddressesByTier) {
  state::State s;
  s.deployment = "demo";
  state::ResourceState i0;
  i0.address = "api.instance[0]";
  i0.cloud_name = "demo-api-0";
  i0.outputs = {{"private_ip", "10.0.0.2"}, {"public_ip", "203.0.113.5"}};
  s.resources[i0.address] = i0;
  state::ResourceState lb;
  lb.address = "api.lb";
  lb.outputs = {{"ip", "198.51.100.7"}};
  s.resources[lb.address] = lb;
  state::ResourceState net;
  net.address = "network.main";
  s.resources[net.address] = net;
  nlohmann::json out = ComputeOutputs(s);
  EXPECT_EQ(out["tiers"]["api"]["load_balancer_ip"], "198.51.100.7");
  ASSERT_EQ(out["tiers"]["api"]["instances"].size(), 1u);
  EXPECT_EQ(out["tiers"]["api"]["instances"][0]["public_ip"], "203.0.113.5");
  EXPECT_FALSE(out["tiers"].contains("network"));
  EXPECT_NE(FormatOutputs(out).find("load balancer: 198.51.100.7"), std::string::npos);
}

}  // namespace
}  // namespace orch::cli
