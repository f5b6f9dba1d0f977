// State: what the orchestrator knows it created for one deployment.
// Persisted by a StateStore (state_store.h) as JSON; never holds secrets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace orch::state {

struct ResourceState {
  std::string address;     // model::Address::ToString()
  std::string kind;        // model::KindName
  std::string provider;    // provider instance name
  std::string provider_type;
  std::string id;          // cloud-side id
  std::string cloud_name;
  std::map<std::string, std::string> tags;
  nlohmann::json attributes = nlohmann::json::object();  // resolved desired attributes last applied
  nlohmann::json outputs = nlohmann::json::object();     // observed: ips, status, urls...
  std::vector<std::string> depends_on;                    // addresses
};

// Journaled before a create (or delete) is sent, removed once the result is
// recorded. An intent found at startup means a previous run died in between:
// the engine looks the resource up by its tags and adopts it.
struct Intent {
  std::string address;
  std::string action;     // "create" | "delete"
  std::string provider;
  std::string cloud_name;
  std::map<std::string, std::string> tags;
  std::string operation;  // cloud operation/action id being awaited, if any
  int attempt = 0;        // generation, for deterministic request ids
  int64_t started_micros = 0;
};

// An image built by `orchestrator image build` (or registered from a Packer
// manifest by `orchestrator image register`), by spec image name. Deploys
// use `id` as the source of the spec image that names a `packer:` template.
// Kept across teardown: the cloud image outlives the deployment's machines.
struct ImageRecord {
  std::string provider;         // provider instance name
  std::string provider_type;    // digitalocean | gce | openstack
  std::string id;               // what the provider looks the image up by
  std::string artifact;         // Packer's artifact id as printed (e.g. "nyc3:1234")
  std::string tier;             // tier whose provisioning script built it
  std::string template_path;    // absolute path of the Packer template
  std::string template_digest;  // sha256 hex of the template file
  std::string base;             // the base image it was built from
  int64_t built_micros = 0;     // when the build (or registration) finished
};

struct State {
  int version = 1;
  std::string deployment;
  std::string lineage;      // random id fixed at first write
  uint64_t serial = 0;      // bumped by every successful write
  std::map<std::string, ResourceState> resources;  // by address
  std::map<std::string, Intent> intents;           // by address
  // Non-secret provider settings by provider instance name (type, region,
  // zones, endpoint, project...), so `teardown --deployment NAME` can reach
  // the clouds without the spec. Credentials are never stored here.
  nlohmann::json providers = nlohmann::json::object();
  std::map<std::string, ImageRecord> images;  // by spec image name

  nlohmann::json ToJson() const;
  static Result<State> FromJson(const nlohmann::json& j);
};

}  // namespace orch::state
