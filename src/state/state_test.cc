#include "state/state.h"

#include <gtest/gtest.h>

#include "state/lock_message.h"
#include "state/state_store.h"

namespace orch::state {
namespace {

State SampleState() {
  State s;
  s.deployment = "demo";
  s.lineage = "abc123";
  s.serial = 7;
  ResourceState r;
  r.address = "api.instance[0]";
  r.kind = "instance";
  r.provider = "do";
  r.provider_type = "digitalocean";
  r.id = "12345";
  r.cloud_name = "demo-api-0";
  r.tags = {{"orchestrator-deployment", "demo"}, {"tier", "api"}};
  r.attributes = {{"size", "s-1vcpu-1gb"}, {"count", 3}, {"nested", {{"a", {1, 2}}}}};
  r.outputs = {{"ipv4", "10.0.0.5"}};
  r.depends_on = {"network.main", "ssh_key.ops"};
  s.resources[r.address] = r;
  ResourceState n;
  n.address = "network.main";
  n.kind = "network";
  n.id = "vpc-1";
  s.resources[n.address] = n;
  Intent in;
  in.address = "api.instance[1]";
  in.action = "create";
  in.provider = "do";
  in.cloud_name = "demo-api-1";
  in.tags = {{"orchestrator-address", "api.instance[1]"}};
  in.operation = "action-77";
  in.attempt = 2;
  in.started_micros = 1795677371000000;
  s.intents[in.address] = in;
  return s;
}

TEST(StateJson, RoundTripKeepsEveryField) {
  State s = SampleState();
  nlohmann::json j = s.ToJson();
  // Through text, as the file store does.
  Result<State> back = State::FromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), j);
  EXPECT_EQ(back->serial, 7u);
  EXPECT_EQ(back->lineage, "abc123");
  const ResourceState& r = back->resources.at("api.instance[0]");
  EXPECT_EQ(r.id, "12345");
  EXPECT_EQ(r.provider_type, "digitalocean");
  EXPECT_EQ(r.tags.at("tier"), "api");
  EXPECT_EQ(r.attributes["nested"]["a"][1], 2);
  EXPECT_EQ(r.depends_on, (std::vector<std::string>{"network.main", "ssh_key.ops"}));
  const Intent& in = back->intents.at("api.instance[1]");
  EXPECT_EQ(in.operation, "action-77");
  EXPECT_EQ(in.attempt, 2);
  EXPECT_EQ(in.started_micros, 1795677371000000);
}

TEST(StateJson, ProviderSettingsRoundTripAndMustBeAnObject) {
  State s;
  s.deployment = "demo";
  s.providers = {{"do", {{"type", "digitalocean"}, {"region", "nyc3"}}}};
  auto back = State::FromJson(s.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->providers, s.providers);
  nlohmann::json bad = s.ToJson();
  bad["providers"] = "digitalocean";
  auto rejected = State::FromJson(bad);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(rejected.status().message().find("state.providers"), std::string::npos);
}

TEST(StateJson, ImageRecordsRoundTripAndAreCheckedForShape) {
  State s;
  s.deployment = "demo";
  EXPECT_FALSE(s.ToJson().contains("images"));  // no images: the file keeps its old shape
  ImageRecord im;
  im.provider = "do";
  im.provider_type = "digitalocean";
  im.id = "1234";
  im.artifact = "nyc3:1234";
  im.tier = "cassandra";
  im.template_path = "/src/packer/digitalocean.json";
  im.template_digest = "ab12";
  im.base = "ubuntu-22-04-x64";
  im.built_micros = 1795677371000000;
  s.images["cass"] = im;
  auto back = State::FromJson(nlohmann::json::parse(s.ToJson().dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->images.size(), 1u);
  const ImageRecord& b = back->images.at("cass");
  EXPECT_EQ(b.provider, "do");
  EXPECT_EQ(b.provider_type, "digitalocean");
  EXPECT_EQ(b.id, "1234");
  EXPECT_EQ(b.artifact, "nyc3:1234");
  EXPECT_EQ(b.tier, "cassandra");
  EXPECT_EQ(b.template_path, "/src/packer/digitalocean.json");
  EXPECT_EQ(b.template_digest, "ab12");
  EXPECT_EQ(b.base, "ubuntu-22-04-x64");
  EXPECT_EQ(b.built_micros, 1795677371000000);
  nlohmann::json bad = s.ToJson();
  bad["images"]["cass"].erase("id");
  EXPECT_EQ(State::FromJson(bad).status().message(), "state.images[\"cass\"].id: missing");
  bad["images"] = nlohmann::json::array();
  EXPECT_EQ(State::FromJson(bad).status().message(), "state.images: expected an object, found array");
}

TEST(StateJson, LargeSerialSurvives) {
  State s = SampleState();
  s.serial = 18446744073709551000ull;
  Result<State> back = State::FromJson(nlohmann::json::parse(s.ToJson().dump()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->serial, 18446744073709551000ull);
}

Status FromText(const std::string& text) {
  return State::FromJson(nlohmann::json::parse(text)).status();
}

TEST(StateJson, RejectsCorruptShapesWithClearMessages) {
  EXPECT_EQ(FromText("[]").message(), "state: expected a JSON object, found array");
  EXPECT_EQ(FromText(R"({"deployment":"d","serial":1,"resources":{}})").message(),
            "state.version: missing");
  EXPECT_EQ(FromText(R"({"version":2,"deployment":"d","serial":1,"resources":{}})").message(),
            "state.version: format version 2 is newer than this orchestrator supports (1); "
            "upgrade orchestrator");
  EXPECT_EQ(FromText(R"({"version":1,"deployment":"d","serial":"3","resources":{}})").message(),
            "state.serial: expected an integer, found string");
  EXPECT_EQ(FromText(R"({"version":1,"deployment":"d","serial":-1,"resources":{}})").message(),
            "state.serial: must not be negative");
  EXPECT_EQ(FromText(R"({"version":1,"deployment":"d","serial":1})").message(),
            "state.resources: missing");
  EXPECT_EQ(FromText(R"({"version":1,"deployment":"d","serial":1,"resources":[]})").message(),
            "state.resources: expected an object, found array");
  EXPECT_EQ(FromText(R"({"version":1,"deployment":"d","serial":1,
                         "resources":{"network.main":{"kind":"network","tags":{"a":1}}}})")
                .message(),
            "state.resources[\"network.main\"].tags.a: expected a string");
  EXPECT_EQ(FromText(R"({"version":1,"deployment":"d","serial":1,
                         "resources":{"network.main":{"address":"network.x","kind":"network"}}})")
                .message(),
            "state.resources[\"network.main\"].address: \"network.x\" does not match its key");
  EXPECT_EQ(FromText(R"({"version":1,"deployment":"d","serial":1,"resources":{},
                         "intents":{"a.instance[0]":{"action":"resize"}}})")
                .message(),
            "state.intents[\"a.instance[0]\"].action: expected \"create\" or \"delete\", found "
            "\"resize\"");
  Status st = FromText(R"({"version":1,"deployment":"d","serial":1,"resources":{"x":{}}})");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "state.resources[\"x\"].kind: missing");
}

TEST(LockInfoTest, JsonRoundTripAndDescribe) {
  LockInfo li;
  li.id = "f00";
  li.operation = "deploy";
  li.who = "root@ci-runner-3";
  li.host = "ci-runner-3";
  li.pid = 4242;
  li.created_micros = 1795677371000000;  // 2026-11-26T07:16:11Z
  LockInfo back = LockInfo::FromJson(nlohmann::json::parse(li.ToJson().dump()));
  EXPECT_EQ(back.ToJson(), li.ToJson());
  EXPECT_EQ(back.Describe(), "pid 4242 on ci-runner-3 (root@ci-runner-3), deploy since 2026-11-26T07:16:11Z");
  // Garbage gives an empty LockInfo, not an exception.
  EXPECT_EQ(LockInfo::FromJson(nlohmann::json::parse("[1]")).pid, 0);
}

TEST(LockInfoTest, HeldMessageNamesHolderAndRemedies) {
  LockInfo li;
  li.operation = "deploy";
  li.who = "root@ci-3";
  li.host = "ci-3";
  li.pid = 4242;
  li.created_micros = 1795677371000000;
  EXPECT_EQ(LockHeldMessage("demo", li),
            "state for deployment 'demo' is locked by pid 4242 on host ci-3 (root@ci-3) running "
            "deploy since 2026-11-26T07:16:11Z; wait for it to finish, rerun with --lock-timeout "
            "5m to wait, or run 'orchestrator state unlock --deployment demo' if that process is "
            "gone");
}

TEST(LockInfoTest, FormatUtc) {
  EXPECT_EQ(FormatUtcMicros(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtcMicros(1795676400999999), "2026-11-26T07:00:00Z");
}

}  // namespace
}  // namespace orch::state
