// In-process harness for the OpenStack API tests: a Router with the Api's
// routes, a controllable clock, and helpers to call routes and log in.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/api.h"
#include "openstack/api.h"

namespace cloudsim::openstack::testing {

using json = nlohmann::json;

class FakeClock : public SimClock {
 public:
  double NowSeconds() const override { return now_; }
  void Advance(double s) { now_ += s; }

 private:
  double now_ = 1790000000.0;
};

struct Reply {
  int status = 0;
  json body;
  std::string raw;
  std::map<std::string, std::string> headers;  // names lower-cased
};

class Harness {
 public:
  Harness();
  Reply Call(const std::string& method, const std::string& target, const json& body = nullptr,
             std::map<std::string, std::string> headers = {});
  Reply CallRaw(const std::string& method, const std::string& target, const std::string& body,
                std::map<std::string, std::string> headers);
  // Password login; returns the token (empty on failure) and remembers it.
  std::string Login(const std::string& user = "admin", const std::string& password = "cloudsim-admin",
                    const std::string& project = "admin");
  void Advance(double seconds) { clock_.Advance(seconds); }
  Api& api() { return *api_; }
  json Env();
  std::string project_id() const { return project_id_; }
  std::string token;
  // Default compute microversion header sent on /compute calls ("" = none).
  std::string nova_version = "2.79";

  // Convenience: a network with a /24 subnet; returns {network_id, subnet_id}.
  std::pair<std::string, std::string> MakeNetwork(const std::string& name, const std::string& cidr);
  std::string ImageId(const std::string& name);

 private:
  FakeClock clock_;
  SimContext ctx_;
  std::unique_ptr<Api> api_;
  Router router_;
  std::string project_id_;
};

}  // namespace cloudsim::openstack::testing
