#include "state/references.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/resource.h"

namespace orch::state {
namespace {

using nlohmann::json;

ResourceState Rs(const std::string& addr, const std::string& cloud_name, json outputs, std::string id = "") {
  ResourceState rs;
  rs.address = addr;
  rs.cloud_name = cloud_name;
  rs.outputs = std::move(outputs);
  rs.id = std::move(id);
  return rs;
}

State StateWithRing() {
  State st;
  st.deployment = "demo";
  // Inserted out of index order; [10] sorts after [2] numerically.
  for (int i : {10, 0, 2, 1}) {
    std::string a = "db.instance[" + std::to_string(i) + "]";
    json out = {{"private_ip", "10.0.0." + std::to_string(i)}, {"public_ip", "203.0.113." + std::to_string(i)}};
    if (i == 2) out.erase("private_ip");  // no private network on this one
    st.resources[a] = Rs(a, "demo-db-" + std::to_string(i), out);
  }
  st.resources["network.main"] = Rs("network.main", "demo-main", json::object(), "net-42");
  st.resources["web.lb"] = Rs("web.lb", "demo-web-lb", {{"ip", "198.51.100.7"}});
  st.resources["api.group"] = Rs("api.group", "demo-api", {{"instances", json::array({
      {{"name", "demo-api-a"}, {"private_ip", "10.1.0.5"}, {"public_ip", "1.2.3.4"}},
      {{"name", "demo-api-b"}, {"private_ip", "10.1.0.6"}, {"public_ip", "1.2.3.5"}}})}});
  return st;
}

TEST(ResolveReferencesTest, TierAttributesInIndexOrder) {
  State st = StateWithRing();
  auto r = ResolveReferences(json{{"names", "${tiers.db.names}"},
                                  {"count", "n=${tiers.db.count}"},
                                  {"ips", "${tiers.db.ips}"},
                                  {"pub", "${tiers.db.public_ips}"},
                                  {"lb", "http://${tiers.web.lb_ip}:80/"}},
                             st);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["names"], "demo-db-0,demo-db-1,demo-db-2,demo-db-10");
  EXPECT_EQ((*r)["count"], "n=4");
  EXPECT_EQ((*r)["ips"], "10.0.0.0,10.0.0.1,203.0.113.2,10.0.0.10");
  EXPECT_EQ((*r)["pub"], "203.0.113.0,203.0.113.1,203.0.113.2,203.0.113.10");
  EXPECT_EQ((*r)["lb"], "http://198.51.100.7:80/");
}

// Seeds: the other members with an address, by index, up to N. A node made
// again (here 0) seeds from the survivors; at the first deploy only the
// prior ones exist.
TEST(ResolveReferencesTest, SeedsAreTheOtherMembersInState) {
  State st = StateWithRing();  // db 0, 1, 2 (no private IP), 10
  EXPECT_EQ(*ResolveReference("seeds:db.instance[0]:2", st), "10.0.0.1,10.0.0.10");
  EXPECT_EQ(*ResolveReference("seeds:db.instance[1]:2", st), "10.0.0.0,10.0.0.10");
  EXPECT_EQ(*ResolveReference("seeds:db.instance[10]:2", st), "10.0.0.0,10.0.0.1");
  EXPECT_EQ(*ResolveReference("seeds:db.instance[10]:1", st), "10.0.0.0");
  State first;
  first.resources["db.instance[0]"] = Rs("db.instance[0]", "demo-db-0", {{"private_ip", "10.0.0.0"}});
  EXPECT_EQ(*ResolveReference("seeds:db.instance[1]:2", first), "10.0.0.0");
  EXPECT_EQ(*ResolveReference("seeds:db.instance[0]:2", State{}), "");
  EXPECT_FALSE(ResolveReference("seeds:db.lb:2", st).ok());
  EXPECT_FALSE(ResolveReference("seeds:db.instance[0]:x", st).ok());
}

TEST(ResolveReferencesTest, MissingPrivateIpIsKnownAfterApply) {
  auto r = ResolveReferences(json("${tiers.db.private_ips}"), StateWithRing());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_NE(r.status().message().find("instance 2 of tier 'db' has no private_ip"), std::string::npos)
      << r.status().message();
}

TEST(ResolveReferencesTest, GroupInstancesOutput) {
  auto r = ResolveReferences(json("${tiers.api.private_ips} ${tiers.api.names} ${tiers.api.count}"),
                             StateWithRing());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "10.1.0.5,10.1.0.6 demo-api-a,demo-api-b 2");
}

TEST(ResolveReferencesTest, RefOutputsAndFallbacks) {
  State st = StateWithRing();
  auto r = ResolveReferences(json::array({"${ref:network.main.id}", "${ref:db.instance[1].private_ip}",
                                          "name=${ref:web.lb.name}", "${ref:api.group.instances}",
                                          "x${ref:api.group.count}"}),
                             st);
  ASSERT_FALSE(r.ok());  // api.group has no "count" output
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_NE(r.status().message().find("${ref:api.group.count}"), std::string::npos);

  r = ResolveReferences(json::array({"${ref:network.main.id}", "${ref:db.instance[1].private_ip}",
                                     "name=${ref:web.lb.name}", "${ref:api.group.instances}"}),
                        st);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0], "net-42");
  EXPECT_EQ((*r)[1], "10.0.0.1");
  EXPECT_EQ((*r)[2], "name=demo-web-lb");
  // A whole-string reference keeps the JSON value.
  ASSERT_TRUE((*r)[3].is_array());
  EXPECT_EQ((*r)[3].size(), 2u);
}

TEST(ResolveReferencesTest, NotInStateIsNotFound) {
  State st;
  auto r = ResolveReferences(json{{"a", {{"b", "${ref:image.ubuntu.id}"}}}}, st);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_NE(r.status().message().find("image.ubuntu is not in state yet"), std::string::npos);
  r = ResolveReferences(json("${tiers.db.private_ips}"), st);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  r = ResolveReferences(json("${tiers.web.lb_ip}"), st);
  EXPECT_TRUE(r.status().IsNotFound());
}

TEST(ResolveReferencesTest, BadReferencesAreInvalid) {
  State st = StateWithRing();
  auto r = ResolveReferences(json("${tiers.db.colour}"), st);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("unknown tier attribute 'colour'"), std::string::npos);
  r = ResolveReferences(json("${ref:db.droplet[0].id}"), st);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(ResolveReferencesTest, EscapesAndForeignFormsAreLiteral) {
  State st = StateWithRing();
  auto r = ResolveReferences(json{{"s", "$${tiers.db.names} ${HOME} ${vars.x} ${unterminated"}, {"n", 3},
                                  {"b", true}, {"z", nullptr}},
                             st);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["s"], "${tiers.db.names} ${HOME} ${vars.x} ${unterminated");
  EXPECT_EQ((*r)["n"], 3);
  EXPECT_EQ((*r)["b"], true);
  EXPECT_TRUE((*r)["z"].is_null());
}

TEST(ResolveReferencesTest, FirstInstanceAddress) {
  State st = StateWithRing();
  auto r = ResolveReferences(json{{"p", "${tiers.db.private_ip}"}, {"q", "${tiers.db.public_ip}"},
                                  {"g", "${tiers.api.private_ip}"}},
                             st);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["p"], "10.0.0.0");
  EXPECT_EQ((*r)["q"], "203.0.113.0");
  EXPECT_EQ((*r)["g"], "10.1.0.5");
  std::vector<model::Address> known = {{"db", model::Kind::kInstance, "", 0},
                                       {"db", model::Kind::kInstance, "", 1}};
  EXPECT_EQ(model::ReferencedAddresses(json("${tiers.db.private_ip}"), known),
            std::vector<std::string>{"db.instance[0]"});
}

}  // namespace
}  // namespace orch::state
