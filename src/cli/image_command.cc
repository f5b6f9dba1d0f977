#include "cli/image_command.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/packer_run.h"
#include "cli/signals.h"
#include "model/expand.h"
#include "state/file_state_store.h"
#include "state/lock_message.h"
#include "util/strings.h"

namespace orch::cli {
namespace {

namespace fs = std::filesystem;

void Fail(const std::string& message) { std::fprintf(stderr, "error: %s\n", message.c_str()); }

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Sha256Hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  char two[3];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(two, sizeof two, "%02x", md[i]);
    out += two;
  }
  return out;
}

std::string Setting(const spec::ProviderSpec& p, const char* key) {
  auto it = p.settings.find(key);
  return it != p.settings.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Tiers of the spec whose `image:` names `image`.
std::vector<std::string> TiersUsing(const spec::Spec& spec, const std::string& image) {
  std::vector<std::string> out;
  for (const spec::TierSpec& t : spec.tiers)
    if (t.image == image) out.push_back(t.name);
  return out;
}

std::string BuildCommandFor(const spec::Spec& spec, const spec::ImageSpec& img) {
  std::vector<std::string> tiers = TiersUsing(spec, img.name);
  return "orchestrator image build " + (tiers.empty() ? std::string("TIER") : tiers.front()) + " --provider " +
         img.provider + " --spec " + (spec.path.empty() ? std::string("SPEC") : spec.path);
}

}  // namespace

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

void UseBuiltImages(spec::Spec* spec, const std::string& state_dir, Diagnostics* diags) {
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
  std::vector<std::string> notes;
  ApplyImageRecords(spec, *st, diags, &notes);
  for (const std::string& n : notes) std::fprintf(stderr, "%s\n", n.c_str());
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

namespace {

std::optional<int64_t> LockTimeoutMs(const std::string& text) {
  auto ms = ParseDurationMs(text);
  if (!ms) Fail("--lock-timeout '" + text + "': expected a duration such as 30s, 5m or 250ms");
  return ms;
}

// Records `rec` as the build of spec image `name` in the deployment's state.
bool RecordImage(const GlobalOptions& g, const std::string& deployment, const std::string& name,
                 const state::ImageRecord& rec, int64_t timeout_ms) {
  auto owned = OpenStateStore(g, deployment);
  state::FileStateStore& store = *owned;
  auto lock = store.Lock("image", timeout_ms);
  if (!lock.ok()) {
    Fail(lock.status().message());
    return false;
  }
  bool ok = true;
  auto st = store.Read();
  if (!st.ok()) {
    Fail("reading the state of deployment '" + deployment + "': " + st.status().message());
    ok = false;
  } else {
    state::State next = *st;
    next.deployment = deployment;
    next.images[name] = rec;
    Status w = store.Write(next, st->serial);
    if (!w.ok()) {
      Fail("recording image '" + name + "': " + w.message());
      ok = false;
    }
  }
  Status u = store.Unlock(lock->id);
  if (!u.ok()) std::fprintf(stderr, "warning: unlocking state: %s\n", u.message().c_str());
  return ok;
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

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A record of `artifact` (Packer's artifact id) built for `img` from its
// template; tier and time are the caller's. Prints the error when the
// artifact id does not fit the provider.
std::optional<state::ImageRecord> NewRecord(const spec::ProviderSpec& prov, const spec::ImageSpec& img,
                                            const std::string& artifact) {
  auto id = ImageIdFromArtifact(prov.type, artifact);
  if (!id.ok()) {
    Fail(id.status().message());
    return std::nullopt;
  }
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

}  // namespace

int RunImageBuild(const GlobalOptions& g, const ImageBuildArgs& a) {
  auto timeout = LockTimeoutMs(a.lock_timeout);
  if (!timeout) return kExitError;
  auto spec = LoadSpecOrPrint(a.spec, a.vars);
  if (!spec) return kExitError;
  const spec::TierSpec* tier = spec->FindTier(a.tier);
  if (!tier) {
    std::vector<std::string> names;
    for (const auto& t : spec->tiers) names.push_back(t.name);
    Fail("the spec has no tier '" + a.tier + "'" + DidYouMean(a.tier, names) + " (tiers: " + Join(names, ", ") + ")");
    return kExitError;
  }
  if (!a.provider.empty() && a.provider != tier->provider) {
    Fail("tier '" + a.tier + "' runs on provider '" + tier->provider + "', not '" + a.provider + "'");
    return kExitError;
  }
  auto img_it = spec->images.find(tier->image);
  if (img_it == spec->images.end() || img_it->second.packer.empty()) {
    Fail("tier '" + a.tier + "' uses image '" + tier->image + "', which has no `packer:` template; add one under images." +
         tier->image + " (e.g. packer: ../packer/<cloud>.json) to build it");
    return kExitError;
  }
  const spec::ImageSpec& img = img_it->second;
  const spec::ProviderSpec& prov = spec->providers.at(img.provider);
  std::vector<std::string> others = TiersUsing(*spec, img.name);
  if (others.size() > 1)
    std::fprintf(stderr, "warning: image '%s' is shared by tiers %s; this build uses tier '%s''s script\n",
                 img.name.c_str(), Join(others, ", ").c_str(), a.tier.c_str());

  auto text = ReadFile(img.packer);
  if (!text) {
    Fail("cannot read the Packer template " + img.packer);
    return kExitError;
  }
  auto tmpl = nlohmann::json::parse(*text, nullptr, false);
  if (tmpl.is_discarded() || !tmpl.is_object()) {
    Fail("the Packer template " + img.packer + " is not a JSON object (only JSON templates are supported)");
    return kExitError;
  }
  BuildRequest req;
  if (!a.script.empty()) {
    req.script = fs::absolute(a.script).lexically_normal().string();
    if (!fs::is_regular_file(req.script)) {
      Fail("provisioning script " + req.script + " does not exist");
      return kExitError;
    }
  } else {
    std::vector<std::string> tried;
    auto found = FindScript(img.packer, a.tier, &tried);
    if (!found) {
      Fail("no provisioning script for tier '" + a.tier + "' (looked for " + Join(tried, ", ") +
           "); give one with --script FILE");
      return kExitError;
    }
    req.script = *found;
  }
  char tmpdir[] = "/tmp/orchestrator-image.XXXXXX";
  if (!mkdtemp(tmpdir)) {
    Fail("cannot create a temporary directory");
    return kExitError;
  }
  req.packer = !a.packer.empty() ? a.packer : (std::getenv("PACKER") && *std::getenv("PACKER") ? std::getenv("PACKER") : "packer");
  req.template_path = img.packer;
  req.declared = DeclaredVariables(tmpl);
  req.builds = BuildNames(tmpl);
  req.only = a.packer_build;
  req.deployment = spec->deployment;
  req.image = img.name;
  req.tier = a.tier;
  req.manifest = std::string(tmpdir) + "/packer-manifest.json";
  req.now_seconds = NowMicros() / 1000000;
  req.provider = &prov;
  req.image_spec = &img;
  req.packer_vars = a.packer_vars;
  req.getenv = [](const std::string& k) {
    const char* v = std::getenv(k.c_str());
    return v ? std::string(v) : std::string();
  };
  auto inv = MakePackerInvocation(req);
  if (!inv.ok()) {
    fs::remove_all(tmpdir);
    Fail(inv.status().message());
    return kExitError;
  }
  std::fprintf(stderr, "Building image '%s' for tier '%s' on provider '%s' (%s) with %s from %s...\n",
               img.name.c_str(), a.tier.c_str(), prov.name.c_str(), prov.type.c_str(), img.packer.c_str(),
               img.source.c_str());
  InstallSignalHandlers();
  PackerReport report;
  auto started = std::chrono::steady_clock::now();
  auto rc = RunPacker(
      inv->argv, inv->env,
      [&](const std::string& line) {
        auto m = ParseMachineLine(line);
        if (!m) {
          if (!line.empty()) std::fprintf(stderr, "  %s\n", line.c_str());
          return;
        }
        if (auto shown = report.Add(*m))
          for (const std::string& l : Split(*shown, '\n'))
            if (!Trim(l).empty()) std::fprintf(stderr, "  %s\n", l.c_str());
      },
      CancelFlag());
  fs::remove_all(tmpdir);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!rc.ok()) {
    Fail("running " + req.packer + ": " + rc.status().message());
    return kExitError;
  }
  if (ExitCodeForSignal() != 0) {
    Fail("interrupted; Packer was asked to clean up what it created. No image was recorded.");
    return ExitCodeForSignal();
  }
  if (*rc != 0) {
    std::string why = report.errors.empty() ? "" : ": " + report.errors.back();
    Fail("packer build exited " + std::to_string(*rc) + why + ". No image was recorded.");
    return kExitError;
  }
  const PackerReport::Artifact* art = nullptr;
  for (const auto& x : report.artifacts)
    if (!x.id.empty() && !art) art = &x;
  if (!art) {
    Fail("packer build succeeded but reported no artifact id. No image was recorded.");
    return kExitError;
  }
  auto rec = NewRecord(prov, img, art->id);
  if (!rec) return kExitError;
  rec->tier = a.tier;
  rec->built_micros = NowMicros();
  if (!RecordImage(g, spec->deployment, img.name, *rec, *timeout)) return kExitError;
  std::printf("Image '%s' built in %.0fs: %s (%s). Recorded for deployment '%s'; the next deploy uses it.\n",
              img.name.c_str(), secs, rec->id.c_str(), inv->image_name.c_str(), spec->deployment.c_str());
  return kExitOk;
}

int RunImageRegister(const GlobalOptions& g, const ImageRegisterArgs& a) {
  auto timeout = LockTimeoutMs(a.lock_timeout);
  if (!timeout) return kExitError;
  auto text = ReadFile(a.manifest);
  if (!text) {
    Fail("cannot read the manifest " + a.manifest);
    return kExitError;
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  auto builds = j.is_discarded() ? Result<std::vector<ManifestBuild>>(Status::InvalidArgument("not JSON"))
                                 : LastRunBuilds(j);
  if (!builds.ok()) {
    Fail("manifest " + a.manifest + ": " + builds.status().message());
    return kExitError;
  }
  auto spec = LoadSpecOrPrint(a.spec, a.vars);
  if (!spec) return kExitError;
  const ManifestBuild& b = builds->front();
  std::string name = a.image;
  if (name.empty()) {
    auto it = b.custom_data.find("image");
    if (it != b.custom_data.end()) name = it->second;
  }
  if (name.empty()) {
    Fail("the manifest's build has no custom_data \"image\"; name the spec image with --image NAME");
    return kExitError;
  }
  auto img = spec->images.find(name);
  if (img == spec->images.end()) {
    std::vector<std::string> names;
    for (const auto& [n, i] : spec->images) names.push_back(n);
    Fail("the spec has no image '" + name + "'" + DidYouMean(name, names));
    return kExitError;
  }
  if (img->second.packer.empty()) {
    Fail("image '" + name + "' has no `packer:` template in the spec, so deploys would not use a registered build");
    return kExitError;
  }
  const spec::ProviderSpec& prov = spec->providers.at(img->second.provider);
  if (b.builder_type != BuilderType(prov.type)) {
    Fail("the manifest's build was made by the '" + b.builder_type + "' builder but image '" + name +
         "' lives on provider '" + prov.name + "' (" + prov.type + ", builder '" + BuilderType(prov.type) + "')");
    return kExitError;
  }
  auto rec = NewRecord(prov, img->second, b.artifact_id);
  if (!rec) return kExitError;
  auto tier = b.custom_data.find("tier");
  if (tier != b.custom_data.end()) rec->tier = tier->second;
  auto base = b.custom_data.find("base_image");
  if (base != b.custom_data.end()) rec->base = base->second;
  rec->built_micros = b.build_time > 0 ? b.build_time * 1000000 : NowMicros();
  if (!RecordImage(g, spec->deployment, name, *rec, *timeout)) return kExitError;
  std::printf("Image '%s' registered: %s (artifact %s). Recorded for deployment '%s'; the next deploy uses it.\n",
              name.c_str(), rec->id.c_str(), b.artifact_id.c_str(), spec->deployment.c_str());
  return kExitOk;
}

std::function<std::optional<int>()> AddImageCommands(CLI::App* app, const GlobalOptions* g) {
  auto build_args = std::make_shared<ImageBuildArgs>();
  auto reg_args = std::make_shared<ImageRegisterArgs>();
  auto* image = app->add_subcommand("image", "Build tier images with Packer and record them for deploys");
  image->require_subcommand(1);
  auto* build = image->add_subcommand("build", "Run `packer build` for a tier's image and record the artifact");
  build->add_option("TIER", build_args->tier, "Tier whose image to build")->required();
  build->add_option("--provider", build_args->provider, "The tier's provider (checked)");
  build->add_option("--spec", build_args->spec, "Deployment spec (YAML)")->required();
  build->add_option("--var", build_args->vars, "Set a spec variable: NAME=VALUE (repeatable)");
  build->add_option("--packer-var", build_args->packer_vars,
                    "Set a template variable: NAME=VALUE, never a secret (repeatable)");
  build->add_option("--packer", build_args->packer, "Packer binary (default: $PACKER, else packer in PATH)");
  build->add_option("--script", build_args->script,
                    "Provisioning script (default: scripts/<tier>.sh beside the template)");
  build->add_option("--packer-build", build_args->packer_build,
                    "Run only this build of the template (default: the one named after the builder, e.g. "
                    "digitalocean; the templates' <builder>-bare builds skip SSH provisioning)");
  build->add_option("--lock-timeout", build_args->lock_timeout, "Wait this long for the state lock (default 30s)");
  auto* reg = image->add_subcommand("register", "Record an image from a Packer manifest (post-processor hook)");
  reg->add_option("--manifest", reg_args->manifest, "File written by Packer's manifest post-processor")
      ->required();
  reg->add_option("--spec", reg_args->spec, "Deployment spec (YAML)")->required();
  reg->add_option("--image", reg_args->image, "Spec image name (default: the build's custom_data \"image\")");
  reg->add_option("--var", reg_args->vars, "Set a spec variable: NAME=VALUE (repeatable)");
  reg->add_option("--lock-timeout", reg_args->lock_timeout, "Wait this long for the state lock (default 30s)");
  return [=]() -> std::optional<int> {
    if (build->parsed()) return RunImageBuild(*g, *build_args);
    if (reg->parsed()) return RunImageRegister(*g, *reg_args);
    return std::nullopt;
  };
}

}  // namespace orch::cli
