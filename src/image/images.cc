#include "image/images.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "env/clock.h"
#include "image/packer_run.h"
#include "model/expand.h"
#include "state/file_state_store.h"
#include "state/lock_message.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace orch::image {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


std::string Setting(const spec::ProviderSpec& p, const char* key) {
  auto it = p.settings.find(key);
  return it != p.settings.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string BuildCommandFor(const spec::Spec& spec, const spec::ImageSpec& img) {
  std::vector<std::string> tiers = TiersUsing(spec, img.name);
  return "orchestrator image build " + (tiers.empty() ? std::string("TIER") : tiers.front()) + " --provider " +
         img.provider + " --spec " + (spec.path.empty() ? std::string("SPEC") : spec.path);
}

}  // namespace

std::vector<std::string> TiersUsing(const spec::Spec& spec, const std::string& image) {
  std::vector<std::string> out;
  for (const spec::TierSpec& t : spec.tiers)
    if (t.image == image) out.push_back(t.name);
  return out;
}


void ApplyImageRecords(spec::Spec* spec, const state::State& st, Diagnostics* diags,
                       std::vector<std::string>* notes) {
  for (auto& [name, img] : spec->images) {
    if (img.packer.empty()) continue;
    auto rec = st.images.find(name);
    if (rec == st.images.end() || rec->second.provider != img.provider) {
      std::string why = rec == st.images.end()
                            ? "no build of it is recorded for deployment '" + spec->deployment + "'"
                            : "its recorded build was made on provider '" + rec->second.provider + "', not '" +
                                  img.provider + "'";
      diags->Error(img.where, "image '" + name + "' is built by Packer (" + img.packer + ") but " + why +
                                  "; build it first: " + BuildCommandFor(*spec, img));
      continue;
    }
    const state::ImageRecord& r = rec->second;
    std::string note = "image '" + name + "': using Packer build " + r.id;
    if (r.artifact != r.id && !r.artifact.empty()) note += " (artifact " + r.artifact + ")";
    note += " of " + state::FormatUtcMicros(r.built_micros);
    if (!r.tier.empty()) note += ", tier " + r.tier;
    if (!r.base.empty()) note += ", from " + r.base;
    notes->push_back(note);
    auto text = ReadFile(img.packer);
    if (text && !r.template_digest.empty() && Sha256Hex(*text) != r.template_digest)
      notes->push_back("warning: the template " + img.packer + " changed since image '" + name +
                       "' was built; rebuild with: " + BuildCommandFor(*spec, img));
    // From here on the image is a lookup of the built id, like any named
    // image: the planner trusts the state for it, and a new build changes
    // `source` (a replaced image, so the tiers using it are replaced).
    img.source = r.id;
    img.packer.clear();
  }
}

void UseBuiltImages(spec::Spec* spec, const std::string& state_dir, Diagnostics* diags,
                    std::vector<std::string>* notes) {
  bool any = false;
  for (const auto& [name, img] : spec->images) any = any || !img.packer.empty();
  if (!any) return;
  state::FileStateStore store(state_dir, spec->deployment, env::Clock::Real());
  auto st = store.Read();
  if (!st.ok()) {
    diags->Error({}, "reading the recorded images of deployment '" + spec->deployment +
                         "': " + st.status().message());
    return;
  }
  ApplyImageRecords(spec, *st, diags, notes);
}

Result<PackerInvocation> MakePackerInvocation(const BuildRequest& r) {
  const spec::ProviderSpec& p = *r.provider;
  const spec::ImageSpec& img = *r.image_spec;
  PackerInvocation out;
  // Names: DigitalOcean/OpenStack allow much, GCE [a-z]([-a-z0-9]*[a-z0-9])?, <= 63.
  out.image_name = model::CloudName({r.deployment, r.image, std::to_string(r.now_seconds)});
  std::map<std::string, std::string> vars = {{"image_name", out.image_name},
                                             {"tier", r.tier},
                                             {"script", r.script},
                                             {"deployment", r.deployment},
                                             {"image", r.image},
                                             {"manifest", r.manifest}};
  auto env = [&](const char* k) { return r.getenv ? r.getenv(k) : std::string(); };
  if (p.type == "digitalocean") {
    vars["region"] = p.region;
    vars["base_image"] = img.source;
    std::string api = p.endpoint.empty() ? env("DIGITALOCEAN_API_URL") : p.endpoint;
    while (!api.empty() && api.back() == '/') api.pop_back();
    if (EndsWith(api, "/v2")) api.resize(api.size() - 3);
    if (!api.empty()) vars["api_url"] = api + "/";
    std::string token = Setting(p, "token");
    for (const char* k : {"DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DIGITALOCEAN_API_TOKEN"})
      if (token.empty()) token = env(k);
    if (token.empty())
      return Status::Unauthenticated("provider '" + p.name +
                                     "': no DigitalOcean token (set `token` in the spec or DIGITALOCEAN_TOKEN)");
    out.env["DIGITALOCEAN_API_TOKEN"] = token;
  } else if (p.type == "openstack") {
    if (!p.region.empty()) vars["region"] = p.region;
    vars["base_image"] = img.source;
    // Credentials and endpoints as the standard OS_* variables; those the
    // spec does not set are inherited from the environment.
    static const std::pair<const char*, const char*> kOs[] = {
        {"auth_url", "OS_AUTH_URL"},
        {"username", "OS_USERNAME"},
        {"password", "OS_PASSWORD"},
        {"project_name", "OS_PROJECT_NAME"},
        {"user_domain_name", "OS_USER_DOMAIN_NAME"},
        {"project_domain_name", "OS_PROJECT_DOMAIN_NAME"},
        {"cloud", "OS_CLOUD"},
        {"application_credential_id", "OS_APPLICATION_CREDENTIAL_ID"},
        {"application_credential_secret", "OS_APPLICATION_CREDENTIAL_SECRET"},
        {"interface", "OS_INTERFACE"},
        {"cacert", "OS_CACERT"}};
    for (const auto& [key, var] : kOs) {
      std::string v = Setting(p, key);
      if (!v.empty()) out.env[var] = v;
    }
    if (!p.endpoint.empty() && Setting(p, "auth_url").empty()) out.env["OS_AUTH_URL"] = p.endpoint;
    if (!p.region.empty()) out.env["OS_REGION_NAME"] = p.region;
  } else if (p.type == "gce") {
    vars["project_id"] = Setting(p, "project");
    vars["zone"] = p.zones.empty() ? p.region + "-a" : p.zones.front();
    if (StartsWith(img.source, "family:")) {
      vars["base_image_family"] = img.source.substr(7);
      vars["base_image"] = "";
    } else {
      vars["base_image"] = img.source;
    }
    std::string creds = Setting(p, "credentials");
    if (!creds.empty()) vars["account_file"] = creds;  // a path, not the key itself
  } else {
    return Status::InvalidArgument("provider '" + p.name + "' has type '" + p.type + "', which has no Packer builder");
  }
  for (const std::string& kv : r.packer_vars) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return Status::InvalidArgument("--packer-var '" + kv + "': expected NAME=VALUE");
    std::string k = kv.substr(0, eq);
    if (!r.declared.count(k))
      return Status::InvalidArgument("--packer-var " + k + ": the template " + r.template_path +
                                     " declares no variable '" + k + "'");
    vars[k] = kv.substr(eq + 1);
  }
  out.argv = {r.packer, "build", "-machine-readable"};
  std::string only = r.only;
  if (only.empty() && r.builds.count(BuilderType(p.type))) only = BuilderType(p.type);
  if (!only.empty()) {
    if (!r.builds.count(only))
      return Status::InvalidArgument("the template " + r.template_path + " has no build named '" + only +
                                     "' (builds: " + Join(std::vector<std::string>(r.builds.begin(), r.builds.end()), ", ") + ")");
    out.argv.push_back("-only=" + only);
  }
  for (const auto& [k, v] : vars)
    if (r.declared.count(k)) out.argv.push_back("-var=" + k + "=" + v);
  out.argv.push_back(r.template_path);
  if (!out.env.count("CHECKPOINT_DISABLE")) out.env["CHECKPOINT_DISABLE"] = "1";  // no version check calls
  return out;
}

Status RecordImage(state::StateStore* store, const std::string& deployment, const std::string& name,
                   const state::ImageRecord& rec, int64_t timeout_ms, std::string* unlock_warning) {
  auto lock = store->Lock("image", timeout_ms);
  if (!lock.ok()) return lock.status();
  Status result;
  auto st = store->Read();
  if (!st.ok()) {
    result = st.status().WithPrefix("reading the state of deployment '" + deployment + "'");
  } else {
    state::State next = *st;
    next.deployment = deployment;
    next.images[name] = rec;
    result = store->Write(next, st->serial).WithPrefix("recording image '" + name + "'");
  }
  Status u = store->Unlock(lock->id);
  if (!u.ok() && unlock_warning) *unlock_warning = "unlocking state: " + u.message();
  return result;
}

std::set<std::string> DeclaredVariables(const nlohmann::json& tmpl) {
  std::set<std::string> out;
  auto it = tmpl.find("variables");
  if (it != tmpl.end() && it->is_object())
    for (const auto& [k, v] : it->items()) out.insert(k);
  return out;
}

// The provisioning script for `tier`: <template dir>/scripts/<tier>.sh, else
// the part of the tier name before its first '-' (cassandra-do -> cassandra).
std::optional<std::string> FindScript(const std::string& template_path, const std::string& tier,
                                      std::vector<std::string>* tried) {
  fs::path dir = fs::path(template_path).parent_path() / "scripts";
  std::vector<std::string> names = {tier};
  if (tier.find('-') != std::string::npos) names.push_back(tier.substr(0, tier.find('-')));
  for (const std::string& n : names) {
    fs::path p = dir / (n + ".sh");
    tried->push_back(p.string());
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return std::nullopt;
}

// Build names: a builder's "name", else its "type".
std::set<std::string> BuildNames(const nlohmann::json& tmpl) {
  std::set<std::string> out;
  auto it = tmpl.find("builders");
  if (it == tmpl.end() || !it->is_array()) return out;
  for (const auto& b : *it) {
    if (!b.is_object()) continue;
    std::string name = b.value("name", "");
    out.insert(name.empty() ? b.value("type", "") : name);
  }
  return out;
}

Result<state::ImageRecord> NewImageRecord(const spec::ProviderSpec& prov, const spec::ImageSpec& img,
                                          const std::string& artifact) {
  auto id = ImageIdFromArtifact(prov.type, artifact);
  if (!id.ok()) return id.status();
  state::ImageRecord rec;
  rec.provider = prov.name;
  rec.provider_type = prov.type;
  rec.id = *id;
  rec.artifact = artifact;
  rec.template_path = img.packer;
  if (auto t = ReadFile(img.packer)) rec.template_digest = Sha256Hex(*t);
  rec.base = img.source;
  return rec;
}

Result<nlohmann::json> LoadPackerTemplate(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return Status::NotFound("cannot read the Packer template " + path);
  auto tmpl = nlohmann::json::parse(*text, nullptr, false);
  if (tmpl.is_discarded() || !tmpl.is_object())
    return Status::InvalidArgument("the Packer template " + path +
                                   " is not a JSON object (only JSON templates are supported)");
  return tmpl;
}

Result<std::vector<ManifestBuild>> ReadManifest(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return Status::NotFound("cannot read the manifest " + path);
  auto j = nlohmann::json::parse(*text, nullptr, false);
  auto builds = j.is_discarded() ? Result<std::vector<ManifestBuild>>(Status::InvalidArgument("not JSON"))
                                 : LastRunBuilds(j);
  if (!builds.ok()) return builds.status().WithPrefix("manifest " + path);
  return builds;
}

}  // namespace orch::image
