// Running Packer for `orchestrator image build` and reading what it reports:
// its -machine-readable output, its manifest post-processor's file, and the
// mapping from a Packer artifact id to the id a provider looks an image up by.
// Pure functions except RunPacker; no state, safe from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace orch::image {

// One line of `packer build -machine-readable`:
//   timestamp,target,type,data...
// with commas inside data written as %!(PACKER_COMMA) and newlines as "\n".
struct MachineLine {
  int64_t timestamp = 0;
  std::string target;  // build name ("digitalocean"), empty for global lines
  std::string type;    // ui, artifact, artifact-count, error-count, ...
  std::vector<std::string> data;
};
std::optional<MachineLine> ParseMachineLine(const std::string& line);

// What a build reported, folded from its machine-readable lines.
struct PackerReport {
  struct Artifact {
    std::string build;       // target of the artifact lines
    size_t index = 0;        // artifact number within its build
    std::string builder_id;  // e.g. "pearkes.digitalocean"
    std::string id;          // artifact id as printed
    std::string text;        // its human description
  };
  std::vector<Artifact> artifacts;
  std::vector<std::string> errors;  // "ui,error" messages
  int error_count = 0;              // from the error-count line

  // Folds one parsed line in. Returns the text worth showing as progress
  // (ui say/message/error), or nullopt.
  std::optional<std::string> Add(const MachineLine& line);
};

// The id the provider of `provider_type` looks the built image up by, from
// Packer's artifact id: digitalocean "nyc3:1234" (or "nyc3,sfo3:1234") ->
// "1234"; openstack image UUID and googlecompute image name as is.
Result<std::string> ImageIdFromArtifact(const std::string& provider_type, const std::string& artifact_id);

// Packer builder type for a provider type ("gce" -> "googlecompute").
std::string BuilderType(const std::string& provider_type);

// One build of a manifest written by Packer's manifest post-processor.
struct ManifestBuild {
  std::string name;
  std::string builder_type;
  int64_t build_time = 0;
  std::string artifact_id;
  std::string run_uuid;
  std::map<std::string, std::string> custom_data;
};
// The builds of the manifest's last run (packer_run_uuid == last_run_uuid),
// newest first. Errors name what is wrong with the file.
Result<std::vector<ManifestBuild>> LastRunBuilds(const nlohmann::json& manifest);

// Runs `argv` (argv[0] searched in PATH) with the current environment plus
// `extra_env`, feeding each stdout line to `on_line`; stderr is passed
// through. The child runs in its own process group; while it runs, a set
// `*cancel` sends SIGINT to that group once.
// Returns the exit status (128+signal when killed by one).
Result<int> RunPacker(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra_env,
                      const std::function<void(const std::string&)>& on_line, const std::atomic<bool>* cancel);

}  // namespace orch::image
