#include "cli/image_command.h"

#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "cli/signals.h"
#include "image/images.h"
#include "image/packer_run.h"
#include "util/strings.h"

namespace orch::cli {
namespace {

namespace fs = std::filesystem;

void Fail(const std::string& message) { std::fprintf(stderr, "error: %s\n", message.c_str()); }

std::optional<int64_t> LockTimeoutMs(const std::string& text) {
  auto ms = ParseDurationMs(text);
  if (!ms) Fail("--lock-timeout '" + text + "': expected a duration such as 30s, 5m or 250ms");
  return ms;
}

// Records `rec` in the deployment's state; prints what went wrong.
bool RecordImage(const GlobalOptions& g, const std::string& deployment, const std::string& name,
                 const state::ImageRecord& rec, int64_t timeout_ms) {
  auto store = OpenStateStore(g, deployment);
  std::string unlock_warning;
  Status st = image::RecordImage(store.get(), deployment, name, rec, timeout_ms, &unlock_warning);
  if (!st.ok()) Fail(st.message());
  if (!unlock_warning.empty()) std::fprintf(stderr, "warning: %s\n", unlock_warning.c_str());
  return st.ok();
}

// A record of `artifact`, or nullopt after printing why it does not fit.
std::optional<state::ImageRecord> NewRecord(const spec::ProviderSpec& prov, const spec::ImageSpec& img,
                                            const std::string& artifact) {
  auto rec = image::NewImageRecord(prov, img, artifact);
  if (!rec.ok()) {
    Fail(rec.status().message());
    return std::nullopt;
  }
  return std::move(rec).value();
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
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
  std::vector<std::string> others = image::TiersUsing(*spec, img.name);
  if (others.size() > 1)
    std::fprintf(stderr, "warning: image '%s' is shared by tiers %s; this build uses tier '%s''s script\n",
                 img.name.c_str(), Join(others, ", ").c_str(), a.tier.c_str());

  auto tmpl = image::LoadPackerTemplate(img.packer);
  if (!tmpl.ok()) {
    Fail(tmpl.status().message());
    return kExitError;
  }
  image::BuildRequest req;
  if (!a.script.empty()) {
    req.script = fs::absolute(a.script).lexically_normal().string();
    if (!fs::is_regular_file(req.script)) {
      Fail("provisioning script " + req.script + " does not exist");
      return kExitError;
    }
  } else {
    std::vector<std::string> tried;
    auto found = image::FindScript(img.packer, a.tier, &tried);
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
  req.declared = image::DeclaredVariables(*tmpl);
  req.builds = image::BuildNames(*tmpl);
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
  auto inv = image::MakePackerInvocation(req);
  if (!inv.ok()) {
    fs::remove_all(tmpdir);
    Fail(inv.status().message());
    return kExitError;
  }
  std::fprintf(stderr, "Building image '%s' for tier '%s' on provider '%s' (%s) with %s from %s...\n",
               img.name.c_str(), a.tier.c_str(), prov.name.c_str(), prov.type.c_str(), img.packer.c_str(),
               img.source.c_str());
  InstallSignalHandlers();
  image::PackerReport report;
  auto started = std::chrono::steady_clock::now();
  auto rc = image::RunPacker(
      inv->argv, inv->env,
      [&](const std::string& line) {
        auto m = image::ParseMachineLine(line);
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
  const image::PackerReport::Artifact* art = nullptr;
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
  auto builds = image::ReadManifest(a.manifest);
  if (!builds.ok()) {
    Fail(builds.status().message());
    return kExitError;
  }
  auto spec = LoadSpecOrPrint(a.spec, a.vars);
  if (!spec) return kExitError;
  const image::ManifestBuild& b = builds->front();
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
  if (b.builder_type != image::BuilderType(prov.type)) {
    Fail("the manifest's build was made by the '" + b.builder_type + "' builder but image '" + name +
         "' lives on provider '" + prov.name + "' (" + prov.type + ", builder '" + image::BuilderType(prov.type) +
         "')");
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
