#include "providers/openstack/cloud_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "providers/common/json_read.h"

namespace orch::providers::openstack {

using common::Str;
using nlohmann::json;

namespace {

json NodeToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.Scalar()] = NodeToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& v : n) a.push_back(NodeToJson(v));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() != "!" && (s == "true" || s == "True")) return true;
      if (n.Tag() != "!" && (s == "false" || s == "False")) return false;
      return s;
    }
    default:
      return nullptr;
  }
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// The first existing file of `names` in the standard directories.
std::string FindFile(const ConfigSources& src, const std::string& env_override, const std::string& name) {
  std::vector<std::string> candidates;
  std::string e = src.getenv(env_override);
  if (!e.empty()) candidates.push_back(e);
  candidates.push_back(src.cwd + "/" + name);
  if (!src.home.empty()) candidates.push_back(src.home + "/.config/openstack/" + name);
  for (const std::string& d : src.system_dirs) candidates.push_back(d + "/" + name);
  for (const std::string& c : candidates) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(c, ec)) return c;
  }
  return "";
}

void MergeInto(json* base, const json& over) {
  for (auto it = over.begin(); it != over.end(); ++it) {
    if (it->is_object() && base->contains(it.key()) && (*base)[it.key()].is_object())
      MergeInto(&(*base)[it.key()], *it);
    else
      (*base)[it.key()] = *it;
  }
}

void Set(std::string* field, const std::string& value) {
  if (!value.empty()) *field = value;
}

// Fills `c` from a clouds.yaml entry (auth: {...} plus top-level keys).
void FromEntry(const json& entry, CloudConfig* c) {
  json auth = entry.value("auth", json::object());
  Set(&c->auth_url, Str(auth, "auth_url"));
  Set(&c->username, Str(auth, "username"));
  Set(&c->user_id, Str(auth, "user_id"));
  Set(&c->password, Str(auth, "password"));
  Set(&c->project_name, Str(auth, "project_name"));
  Set(&c->project_name, Str(auth, "tenant_name"));
  Set(&c->project_id, Str(auth, "project_id"));
  Set(&c->project_id, Str(auth, "tenant_id"));
  Set(&c->user_domain_name, Str(auth, "user_domain_name"));
  Set(&c->user_domain_id, Str(auth, "user_domain_id"));
  Set(&c->project_domain_name, Str(auth, "project_domain_name"));
  Set(&c->project_domain_id, Str(auth, "project_domain_id"));
  // domain_name / domain_id apply to both when the specific ones are absent.
  if (c->user_domain_name.empty() && c->user_domain_id.empty()) {
    Set(&c->user_domain_name, Str(auth, "domain_name"));
    Set(&c->user_domain_id, Str(auth, "domain_id"));
  }
  if (c->project_domain_name.empty() && c->project_domain_id.empty()) {
    Set(&c->project_domain_name, Str(auth, "domain_name"));
    Set(&c->project_domain_id, Str(auth, "domain_id"));
  }
  Set(&c->application_credential_id, Str(auth, "application_credential_id"));
  Set(&c->application_credential_name, Str(auth, "application_credential_name"));
  Set(&c->application_credential_secret, Str(auth, "application_credential_secret"));
  Set(&c->region, Str(entry, "region_name"));
  if (c->region.empty() && entry.contains("regions") && entry["regions"].is_array() && !entry["regions"].empty()) {
    const json& r0 = entry["regions"][0];
    c->region = r0.is_string() ? r0.get<std::string>() : Str(r0, "name");
  }
  Set(&c->interface, Str(entry, "interface"));
  Set(&c->interface, Str(entry, "endpoint_type"));
  Set(&c->cacert, Str(entry, "cacert"));
}

}  // namespace

Result<json> YamlToJson(const std::string& text, const std::string& what) {
  try {
    return NodeToJson(YAML::Load(text));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(what + " is not valid YAML: " + e.what());
  }
}

ConfigSources RealConfigSources() {
  ConfigSources s;
  s.getenv = [](const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v ? std::string(v) : std::string();
  };
  s.home = s.getenv("HOME");
  return s;
}

Result<CloudConfig> LoadCloudConfig(const json& settings, const std::string& region, const ConfigSources& src) {
  CloudConfig c;
  std::string cloud = Str(settings, "cloud");
  if (cloud.empty() || cloud == "envvars") cloud = src.getenv("OS_CLOUD");
  const bool explicit_auth = !Str(settings, "auth_url").empty();

  if (!cloud.empty()) {
    std::string path = FindFile(src, "OS_CLIENT_CONFIG_FILE", "clouds.yaml");
    if (path.empty())
      return Status::InvalidArgument("cloud '" + cloud +
                                     "' requested but no clouds.yaml was found (looked at $OS_CLIENT_CONFIG_FILE, "
                                     "./clouds.yaml, ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml)");
    std::string text;
    if (!ReadFile(path, &text)) return Status::InvalidArgument("cannot read " + path);
    Result<json> doc = YamlToJson(text, path);
    if (!doc.ok()) return doc.status();
    if (!doc->is_object() || !(*doc)["clouds"].is_object() || !(*doc)["clouds"].contains(cloud)) {
      std::string known;
      if (doc->is_object() && (*doc)["clouds"].is_object())
        for (auto it = (*doc)["clouds"].begin(); it != (*doc)["clouds"].end(); ++it)
          known += (known.empty() ? "" : ", ") + it.key();
      return Status::InvalidArgument("cloud '" + cloud + "' is not in " + path +
                                     (known.empty() ? std::string(" (it defines no clouds)") : " (it has: " + known + ")"));
    }
    json entry = (*doc)["clouds"][cloud];
    std::string secure = FindFile(src, "OS_CLIENT_SECURE_FILE", "secure.yaml");
    if (!secure.empty() && ReadFile(secure, &text)) {
      Result<json> sdoc = YamlToJson(text, secure);
      if (!sdoc.ok()) return sdoc.status();
      if (sdoc->is_object() && (*sdoc)["clouds"].is_object() && (*sdoc)["clouds"].contains(cloud))
        MergeInto(&entry, (*sdoc)["clouds"][cloud]);
    }
    if (!entry.is_object()) return Status::InvalidArgument("cloud '" + cloud + "' in " + path + " is not a map");
    FromEntry(entry, &c);
    c.source = "clouds.yaml entry '" + cloud + "' (" + path + ")";
  } else if (!explicit_auth || src.getenv("OS_AUTH_URL") == Str(settings, "auth_url")) {
    json auth = json::object();
    const std::pair<const char*, const char*> vars[] = {
        {"OS_AUTH_URL", "auth_url"},
        {"OS_USERNAME", "username"},
        {"OS_USER_ID", "user_id"},
        {"OS_PASSWORD", "password"},
        {"OS_PROJECT_NAME", "project_name"},
        {"OS_TENANT_NAME", "tenant_name"},
        {"OS_PROJECT_ID", "project_id"},
        {"OS_TENANT_ID", "tenant_id"},
        {"OS_USER_DOMAIN_NAME", "user_domain_name"},
        {"OS_USER_DOMAIN_ID", "user_domain_id"},
        {"OS_PROJECT_DOMAIN_NAME", "project_domain_name"},
        {"OS_PROJECT_DOMAIN_ID", "project_domain_id"},
        {"OS_DOMAIN_NAME", "domain_name"},
        {"OS_APPLICATION_CREDENTIAL_ID", "application_credential_id"},
        {"OS_APPLICATION_CREDENTIAL_NAME", "application_credential_name"},
        {"OS_APPLICATION_CREDENTIAL_SECRET", "application_credential_secret"}};
    for (const auto& [var, key] : vars) {
      std::string v = src.getenv(var);
      if (!v.empty()) auth[key] = v;
    }
    json entry = {{"auth", auth}};
    for (const auto& [var, key] : {std::pair<const char*, const char*>{"OS_REGION_NAME", "region_name"},
                                   {"OS_INTERFACE", "interface"},
                                   {"OS_CACERT", "cacert"}}) {
      std::string v = src.getenv(var);
      if (!v.empty()) entry[key] = v;
    }
    FromEntry(entry, &c);
    if (!c.auth_url.empty()) c.source = "OS_* environment variables";
  }

  // The spec's explicit settings win.
  Set(&c.auth_url, Str(settings, "auth_url"));
  Set(&c.username, Str(settings, "username"));
  Set(&c.password, Str(settings, "password"));
  if (!Str(settings, "project_name").empty()) {
    c.project_name = Str(settings, "project_name");
    c.project_id.clear();
  }
  Set(&c.user_domain_name, Str(settings, "user_domain_name"));
  Set(&c.project_domain_name, Str(settings, "project_domain_name"));
  if (!Str(settings, "application_credential_id").empty()) {
    c.application_credential_id = Str(settings, "application_credential_id");
    c.application_credential_name.clear();
  }
  Set(&c.application_credential_secret, Str(settings, "application_credential_secret"));
  Set(&c.interface, Str(settings, "interface"));
  Set(&c.cacert, Str(settings, "cacert"));
  Set(&c.region, region);
  if (explicit_auth && c.source.empty()) c.source = "provider settings";
  if (c.interface.size() > 3 && c.interface.substr(c.interface.size() - 3) == "URL")
    c.interface = c.interface.substr(0, c.interface.size() - 3);  // publicURL -> public

  if (c.auth_url.empty())
    return Status::Unauthenticated(
        "no OpenStack credentials: name a clouds.yaml entry with the provider setting 'cloud' (or OS_CLOUD), "
        "source an openrc file (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME...), or set 'auth_url' "
        "and credentials in the spec");
  bool password = (!c.username.empty() || !c.user_id.empty()) && !c.password.empty();
  if (!c.UsesApplicationCredential() && !password)
    return Status::Unauthenticated("OpenStack credentials from " + c.source +
                                   " have neither a username and password nor an application credential id and "
                                   "secret");
  if (c.UsesApplicationCredential()) {
    // Mixing both methods loses the project scope: the credential wins.
    c.password.clear();
  } else if (c.user_domain_name.empty() && c.user_domain_id.empty()) {
    c.user_domain_id = "default";
  }
  if (!c.UsesApplicationCredential() && c.project_domain_name.empty() && c.project_domain_id.empty())
    c.project_domain_id = "default";
  return c;
}

}  // namespace orch::providers::openstack
