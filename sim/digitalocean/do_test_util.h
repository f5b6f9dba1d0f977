// Test fixture for the DigitalOcean API: an in-process Router, a controllable
// clock and helpers to call routes with hand-built requests.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/api.h"
#include "digitalocean/api.h"

namespace cloudsim::digitalocean {

class ManualClock : public SimClock {
 public:
  double NowSeconds() const override { return now_; }
  void Advance(double seconds) { now_ += seconds; }

 private:
  double now_ = 1700000000.0;
};

struct Reply {
  int status = 0;
  nlohmann::json body;
  HttpResponse raw;
  std::string Header(const std::string& name) const;
};

class DoApiTest : public ::testing::Test {
 protected:
  // time_scale 1: latencies are real-world seconds on the manual clock.
  explicit DoApiTest(DigitalOceanOptions options = Permissive());
  static DigitalOceanOptions Permissive();

  Reply Call(const std::string& method, const std::string& target, const nlohmann::json& body = nullptr,
             const std::string& token = "");
  Reply Get(const std::string& target) { return Call("GET", target); }
  Reply Post(const std::string& target, const nlohmann::json& body) { return Call("POST", target, body); }
  Reply Delete(const std::string& target, const nlohmann::json& body = nullptr) {
    return Call("DELETE", target, body);
  }
  // Creates a droplet and returns its id (asserts 202).
  int64_t CreateDroplet(const std::string& name, const std::string& region = "nyc3",
                        const nlohmann::json& extra = nlohmann::json::object());
  void Advance(double seconds) { clock_.Advance(seconds); }

  ManualClock clock_;
  SimContext ctx_;
  std::unique_ptr<Api> api_;
  Router router_;
  std::string token_;
};

}  // namespace cloudsim::digitalocean
