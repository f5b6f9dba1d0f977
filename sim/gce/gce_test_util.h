// Test fixtures for the GCE model: a controllable clock and a harness that
// routes hand-built requests through a Router, as the server would.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/api.h"
#include "gce/gce_api.h"

namespace cloudsim::gce::testing {

class FakeClock : public SimClock {
 public:
  double NowSeconds() const override { return now_.load(); }
  void Advance(double seconds) { now_ = now_.load() + seconds; }

 private:
  std::atomic<double> now_{1790000000.0};
};

struct Reply {
  int status = 0;
  nlohmann::json body;
  std::string text;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Harness {
 public:
  // time_scale 1 with the fake clock: Advance() moves simulated time.
  // real_clock: SimContext on the real clock with the given scale.
  explicit Harness(Options options = Options(), double time_scale = 1.0, bool real_clock = false);

  // `target` may carry a query string. An empty token sends no Authorization.
  Reply Call(const std::string& method, const std::string& target, const nlohmann::json& body = nullptr);
  Reply Raw(const std::string& method, const std::string& target, const std::string& body,
            const std::map<std::string, std::string>& headers);
  // Shorthand for "/compute/v1/projects/<project>/" + rel.
  std::string P(const std::string& rel) const;
  // Polls GET on an operation's selfLink, advancing fake time, until DONE.
  nlohmann::json Finish(const nlohmann::json& op);

  FakeClock clock;
  std::unique_ptr<SimContext> ctx;
  std::unique_ptr<GceApi> api;
  Router router;
  std::string token;
  std::string data_dir;
};

std::string PathOf(const std::string& url);  // strips scheme://host

}  // namespace cloudsim::gce::testing
