// The DigitalOcean provider's unit-test fixture: a provider configured
// against a scripted transport (testing/scripted_transport.h) and a fake
// clock, and the droplet documents the tests script.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "providers/digitalocean/do_provider.h"
#include "providers/digitalocean/tags.h"
#include "testing/fake_clock.h"
#include "testing/scripted_transport.h"

namespace orch::providers::digitalocean::test {

using nlohmann::json;
inline const char* kBase = "http://do.test/v2";

inline env::HttpResponse Reply(int status, const json& body) {
  env::HttpResponse r;
  r.status = status;
  r.body = body.is_null() ? "" : body.dump();
  return r;
}

// Named as the model names it: api.instance[2] -> "demo-api-2".
inline std::string NameOf(const std::string& address) {
  auto a = model::Address::Parse(address);
  if (!a.ok() || a->kind != model::Kind::kInstance) return "demo-x";
  return "demo-" + a->tier + "-" + std::to_string(a->index);
}

inline json Droplet(int64_t id, const std::string& address, const std::string& status) {
  return {{"id", id}, {"name", NameOf(address)}, {"status", status}, {"size_slug", "s-1vcpu-1gb"},
          {"region", {{"slug", "nyc3"}}},
          {"networks", {{"v4", {{{"type", "private"}, {"ip_address", "10.0.0." + std::to_string(id)}},
                                {{"type", "public"}, {"ip_address", "1.2.3." + std::to_string(id)}}}}}},
          {"tags", {DeploymentTag("demo"), AddressTag(address), "demo-api"}}};
}

class DoProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Tuning t;
    t.poll_initial_ms = 10;
    t.poll_max_ms = 20;
    t.retry.seed = 1;
    t.retry.initial_backoff_ms = 1;
    t.batch_window_ms = batch_window_ms_;
    provider_ = std::make_unique<DigitalOceanProvider>(engine::ProviderEnv{&clock_, &transport_, ""}, t);
    engine::ProviderConfig c;
    c.name = "do";
    c.type = "digitalocean";
    c.deployment = "demo";
    c.region = "nyc3";
    c.endpoint = kBase;
    c.settings = {{"token", "do-test-token-abcdef"}};
    ASSERT_TRUE(provider_->Configure(c).ok());
  }

  model::Resource Instance(int index) {
    model::Resource r;
    r.address = *model::Address::Parse("api.instance[" + std::to_string(index) + "]");
    r.provider = "do";
    r.cloud_name = "demo-api-" + std::to_string(index);
    r.tags = {{std::string(model::kTagDeployment), "demo"},
              {std::string(model::kTagAddress), r.address.ToString()},
              {std::string(model::kTagTier), "api"}};
    r.attributes = {{"size", "s-1vcpu-1gb"}, {"image", "12345"}, {"region", "nyc3"}, {"network", "vpc-1"},
                    {"ssh_keys", {"77"}}, {"user_data", "#cloud-config\n"}, {"group", "api"}, {"target_tag", "demo-api"}};
    return r;
  }

  size_t Count(const std::string& method, const std::string& prefix) {
    size_t n = 0;
    for (const auto& r : transport_.Requests())
      if (r.method == method && r.url.rfind(std::string(kBase) + prefix, 0) == 0) ++n;
    return n;
  }

  int64_t batch_window_ms_ = 20;
  testing::FakeClock clock_;
  testing::ScriptedTransport transport_;
  std::unique_ptr<DigitalOceanProvider> provider_;
  engine::ApplyContext ctx_;
};

}  // namespace orch::providers::digitalocean::test
