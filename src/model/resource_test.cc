#include "model/resource.h"

#include <gtest/gtest.h>

namespace orch::model {
namespace {

TEST(KindTest, NamesRoundTrip) {
  for (Kind k : {Kind::kNetwork, Kind::kFirewall, Kind::kSshKey, Kind::kImage, Kind::kInstance,
                 Kind::kInstanceGroup, Kind::kVolume, Kind::kFloatingIp, Kind::kLoadBalancer}) {
    auto back = KindFromName(KindName(k));
    ASSERT_TRUE(back.has_value()) << KindName(k);
    EXPECT_EQ(*back, k);
  }
  EXPECT_EQ(KindName(Kind::kInstanceGroup), "instance_group");
  EXPECT_EQ(KindName(Kind::kLoadBalancer), "load_balancer");
  EXPECT_FALSE(KindFromName("droplet").has_value());
  EXPECT_FALSE(KindFromName("group").has_value());
}

TEST(AddressTest, ToStringOfEveryForm) {
  EXPECT_EQ((Address{"", Kind::kNetwork, "main", -1}).ToString(), "network.main");
  EXPECT_EQ((Address{"", Kind::kImage, "ubuntu", -1}).ToString(), "image.ubuntu");
  EXPECT_EQ((Address{"", Kind::kSshKey, "ops@do", -1}).ToString(), "ssh_key.ops@do");
  EXPECT_EQ((Address{"api", Kind::kInstance, "", 2}).ToString(), "api.instance[2]");
  EXPECT_EQ((Address{"api", Kind::kInstanceGroup, "", -1}).ToString(), "api.group");
  EXPECT_EQ((Address{"api", Kind::kLoadBalancer, "", -1}).ToString(), "api.lb");
  EXPECT_EQ((Address{"api", Kind::kFirewall, "", -1}).ToString(), "api.firewall");
  EXPECT_EQ((Address{"db", Kind::kVolume, "data", 1}).ToString(), "db.volume.data[1]");
  EXPECT_EQ((Address{"api", Kind::kFloatingIp, "", 0}).ToString(), "api.fip[0]");
}

TEST(AddressTest, ParseRoundTrips) {
  for (const char* text : {"network.main", "image.ubuntu", "ssh_key.ops@do", "api.instance[0]", "api.instance[12]",
                           "api.group", "api.lb", "api.firewall", "cassandra.volume.data[1]", "web-2.fip[3]",
                           "my_tier.instance[999]"}) {
    auto a = Address::Parse(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.status().ToString();
    EXPECT_EQ(a->ToString(), text);
    auto again = Address::Parse(a->ToString());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *a);
  }
  auto a = Address::Parse("cassandra.volume.data[1]");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->tier, "cassandra");
  EXPECT_EQ(a->kind, Kind::kVolume);
  EXPECT_EQ(a->name, "data");
  EXPECT_EQ(a->index, 1);
  auto k = Address::Parse("ssh_key.ops@gcp");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->kind, Kind::kSshKey);
  EXPECT_EQ(k->tier, "");
  EXPECT_EQ(k->name, "ops@gcp");
}

TEST(AddressTest, ParseRejectsMalformed) {
  for (const char* text : {"", "api", "api.instance", "api.instance[]", "api.instance[x]", "api.instance[-1]",
                           "api.instance[01]", "api.group[0]", "api.lb[1]", "api.droplet[0]", "api.volume[0]",
                           "api.volume.data", "network.main[0]", "network", "network.a.b", "ssh_key.ops",
                           "ssh_key.@do", "api.instance[0", "api.fip", "a b.lb", "api.lb.x",
                           "api.instance[99999999999]"}) {
    auto a = Address::Parse(text);
    EXPECT_FALSE(a.ok()) << "accepted '" << text << "'";
    if (!a.ok()) {
      EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(AddressTest, ParseErrorIsHelpful) {
  auto a = Address::Parse("api.droplet[0]");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("'api.droplet[0]'"), std::string::npos);
  EXPECT_NE(a.status().message().find("unknown kind 'droplet'"), std::string::npos);
  EXPECT_NE(a.status().message().find("api.instance[2]"), std::string::npos);
}

TEST(AddressTest, OrderingFollowsText) {
  Address a{"api", Kind::kInstance, "", 1};
  Address b{"api", Kind::kLoadBalancer, "", -1};
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, (Address{"api", Kind::kInstance, "", 1}));
}

}  // namespace
}  // namespace orch::model
