// OpenStack credentials the way openstacksdk users keep them:
//   1. a clouds.yaml entry, from the first file found among
//      $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml,
//      /etc/openstack/clouds.yaml, with the same entry of secure.yaml
//      ($OS_CLIENT_SECURE_FILE, ./secure.yaml, ~/.config/openstack/secure.yaml,
//      /etc/openstack/secure.yaml) merged over it;
//      the entry is the spec's `cloud:`, or $OS_CLOUD when `cloud:` is
//      "envvars" or absent;
//   2. otherwise the OS_* variables (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
//      OS_PROJECT_NAME / OS_PROJECT_ID, OS_USER_DOMAIN_NAME,
//      OS_PROJECT_DOMAIN_NAME, OS_REGION_NAME, OS_INTERFACE,
//      OS_APPLICATION_CREDENTIAL_ID / _SECRET, OS_CACERT);
//   3. the spec's explicit provider settings (auth_url, username, ...,
//      region) override whatever 1 or 2 gave.
// Pure function of its inputs (environment and files are injected), so it
// is unit-tested without touching the real home directory.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/status.h"

namespace orch::providers::openstack {

struct CloudConfig {
  std::string auth_url;
  std::string username, user_id, password;
  std::string user_domain_name, user_domain_id;
  std::string project_name, project_id, project_domain_name, project_domain_id;
  std::string application_credential_id, application_credential_name, application_credential_secret;
  std::string region;
  std::string interface = "public";
  std::string cacert;
  std::string source;  // "clouds.yaml entry 'lab' (/path)" or "OS_* environment variables"

  bool UsesApplicationCredential() const {
    return !application_credential_secret.empty() &&
           (!application_credential_id.empty() || !application_credential_name.empty());
  }
};

struct ConfigSources {
  std::function<std::string(const std::string& name)> getenv;  // "" when unset
  std::string home;                                              // for ~/.config/openstack
  std::string cwd = ".";
  std::vector<std::string> system_dirs = {"/etc/openstack"};
};

// ConfigSources over the real process environment.
ConfigSources RealConfigSources();

// settings: the spec's provider settings; region: the spec's region ("" = none).
Result<CloudConfig> LoadCloudConfig(const nlohmann::json& settings, const std::string& region,
                                    const ConfigSources& sources);

// YAML text -> JSON (scalars stay strings except true/false); errors as
// InvalidArgument naming `what`.
Result<nlohmann::json> YamlToJson(const std::string& text, const std::string& what);

}  // namespace orch::providers::openstack
