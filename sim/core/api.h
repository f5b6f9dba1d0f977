// The pieces every emulated API (digitalocean/, gce/, openstack/) plugs into.
//
// An Api registers routes on a Router, keeps its own model of resources, and
// reports its live resources for the admin API (/_sim/resources). All
// simulated latencies go through SimContext::Latency so --time-scale and
// --seed apply everywhere. Api methods may be called from many server
// threads at once: each Api guards its own model with its own mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/http.h"

namespace cloudsim {

// Path parameters captured by a route pattern: "/v2/droplets/{id}" -> {"id": "42"}.
using PathParams = std::map<std::string, std::string>;
using RouteHandler = std::function<HttpResponse(const HttpRequest&, const PathParams&)>;

class Router {
 public:
  // pattern segments in braces capture one path segment; a final "{name*}"
  // captures the rest of the path. `api` names the API for stats and faults.
  void Add(const std::string& api, const std::string& method, const std::string& pattern, RouteHandler handler);

  struct Match {
    const RouteHandler* handler = nullptr;
    std::string api;
    std::string pattern;  // for stats: "/v2/droplets/{id}"
    PathParams params;
    bool method_mismatch = false;  // path matched, method did not (405)
  };
  Match Find(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::string api, method, pattern;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  std::vector<Route> routes_;
};

// Simulated time. Real time since start, so latencies scaled by --time-scale
// elapse in real time; all timestamps handed to clients derive from it.
class SimClock {
 public:
  virtual ~SimClock() = default;
  virtual double NowSeconds() const;  // Unix time, fractional
};

class SimContext {
 public:
  SimContext(double time_scale, uint64_t seed, SimClock* clock);

  double time_scale() const { return time_scale_; }
  SimClock& clock() { return *clock_; }
  double Now() const { return clock_->NowSeconds(); }

  // A real-world latency in seconds (e.g. 30 for a droplet) scaled by the
  // time scale with +-20% seeded jitter. Thread-safe.
  double Latency(double real_seconds);
  // Seeded uniform [0,1). Thread-safe.
  double Uniform();
  // Seeded random hex string / decimal id helpers. Thread-safe.
  std::string RandomHex(int length);
  uint64_t RandomInt(uint64_t lo, uint64_t hi);

  // Where the server is reachable ("http://127.0.0.1:PORT"); set before use.
  std::string base_url;
  // A directory cloudsim may write files into (service-account key...).
  std::string data_dir;

 private:
  double time_scale_;
  SimClock* clock_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

// One live resource as the admin API lists it.
struct SimResource {
  std::string api;    // digitalocean | gce | openstack
  std::string kind;   // droplet | instance | server | volume | ...
  std::string id;
  std::string name;
  std::vector<std::string> tags;
  std::map<std::string, std::string> labels;
  std::string status;
};

class Api {
 public:
  virtual ~Api() = default;
  virtual std::string Name() const = 0;  // "digitalocean" | "gce" | "openstack"
  virtual void RegisterRoutes(Router& router) = 0;
  // Adds this API's variables to the "env" object of the startup line and
  // its endpoints to the top level (e.g. "digitalocean": ".../v2").
  virtual void Describe(nlohmann::json* top, nlohmann::json* env) = 0;
  // Errors in this API's real form, used by fault injection.
  virtual HttpResponse QuotaError(const HttpRequest& req) = 0;
  virtual HttpResponse RateLimitError(const HttpRequest& req) = 0;
  virtual HttpResponse ServerError(const HttpRequest& req, int status) = 0;
  virtual void ListResources(std::vector<SimResource>* out) = 0;
  virtual nlohmann::json Save() = 0;
  virtual void Load(const nlohmann::json& saved) = 0;
  virtual void Reset() = 0;
};

}  // namespace cloudsim
