// The one HttpHandler of a cloudsim process: routes each request to the Api
// that registered its path, injects faults, counts stats, and serves the
// admin API under /_sim. Holds requests a test names until it releases
// them (holds.h). Owns the Apis.
//
// Thread-safe once set up: AddApi is called before the server starts;
// Handle runs on many server threads at once.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/api.h"
#include "core/faults.h"
#include "core/holds.h"
#include "core/stats.h"

namespace cloudsim {

class Dispatcher {
 public:
  struct Options {
    uint64_t seed = 1;
    double time_scale = 1.0;
    std::string state_file;  // for POST /_sim/save; empty = none
  };

  Dispatcher(SimContext* ctx, Options options);
  ~Dispatcher();

  // Takes ownership and registers the API's routes.
  void AddApi(std::unique_ptr<Api> api);
  const std::vector<std::unique_ptr<Api>>& apis() const { return apis_; }

  // Replaces the active faults (SPEC grammar in faults.h).
  bool SetFaults(const std::string& spec, std::string* error) { return faults_.SetSpec(spec, error); }

  // Until SetReady(true), every request is answered 503 (the base URL the
  // Apis build links from may not be known yet).
  void SetReady(bool ready) { ready_.store(ready); }

  // The HttpHandler.
  HttpResponse Handle(const HttpRequest& req);

  // The startup object: every Api's Describe() output plus "base", "admin"
  // and "env". Uses ctx->base_url.
  nlohmann::json Describe() const;

  // {"cloudsim_state":1,"apis":{name: Api::Save()}} written atomically.
  bool SaveState(const std::string& path, std::string* error);
  // Loads a file written by SaveState into the Apis it names. A missing
  // file is not an error (*loaded = false).
  bool LoadState(const std::string& path, bool* loaded, std::string* error);

  Stats& stats() { return stats_; }
  FaultInjector& faults() { return faults_; }
  HoldTable& holds() { return holds_; }

 private:
  HttpResponse HandleAdmin(const HttpRequest& req);
  HttpResponse HandleHolds(const HttpRequest& req);
  Api* FindApi(const std::string& name) const;

  SimContext* ctx_;
  Options options_;
  Router router_;
  std::vector<std::unique_ptr<Api>> apis_;
  FaultInjector faults_;
  HoldTable holds_;
  Stats stats_;
  std::atomic<bool> ready_{true};
  std::mutex save_mu_;
  double started_at_;
};

// Writes `contents` to `path` through a temporary file in the same
// directory, fsync and rename, so readers never see a partial file.
bool WriteFileAtomically(const std::string& path, const std::string& contents, std::string* error);

// `export KEY='VALUE'` lines for every entry of `env` (strings as is, other
// JSON values dumped), single quotes escaped; keys that are not shell
// identifiers are skipped.
std::string EnvFileText(const nlohmann::json& env);

}  // namespace cloudsim
