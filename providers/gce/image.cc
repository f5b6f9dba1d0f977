// Images: looked up (a family, a name, in the project or the public project
// its prefix names); never created or deleted.
#include "providers/gce/api.h"

namespace orch::providers::gce {

using common::AttributeSpec;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

// Public image projects by name prefix, searched after the project itself.
static std::vector<std::string> ImageProjects(const std::string& name) {
  static const std::vector<std::pair<std::string, std::string>> kKnown = {
      {"debian-", "debian-cloud"},       {"ubuntu-", "ubuntu-os-cloud"},   {"centos-", "centos-cloud"},
      {"rocky-linux-", "rocky-linux-cloud"}, {"cos-", "cos-cloud"},      {"rhel-", "rhel-cloud"},
      {"fedora-coreos-", "fedora-coreos-cloud"}, {"sles-", "suse-cloud"}};
  std::vector<std::string> out;
  for (const auto& [prefix, project] : kKnown)
    if (name.rfind(prefix, 0) == 0) out.push_back(project);
  return out;
}

namespace {

class ImageHandler final : public GceHandler {
 public:
  using GceHandler::GceHandler;
  model::Kind kind() const override { return model::Kind::kImage; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
      {"source", false, OnChange::kReplace, "another image looked up"},
      {"lookup", false, OnChange::kReplace, "looked up or built"},
      {"packer", false, OnChange::kReplace, "another Packer build"},
    };
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState&, engine::ApplyContext&) override { return Status::OK(); }  // never owned
};

}  // namespace

Result<ObservedResource> ImageHandler::Create(const model::Resource& r, engine::ApplyContext&) {
  std::string source = Str(r.attributes, "source");
  if (source.empty()) source = r.cloud_name;
  bool family = source.rfind("family:", 0) == 0;
  std::string name = family ? source.substr(7) : source;
  std::vector<std::string> projects;
  size_t slash = name.find('/');
  if (slash != std::string::npos) {  // "PROJECT/NAME"
    projects.push_back(name.substr(0, slash));
    name = name.substr(slash + 1);
  } else {
    projects.push_back(project_);
    for (const std::string& p : ImageProjects(name)) projects.push_back(p);
  }
  Status last = Status::NotFound("");
  for (const std::string& p : projects) {
    std::string url = endpoint_ + "/projects/" + p + "/global/images/" + (family ? "family/" : "") + name;
    Result<json> img = client_->Get(url);
    if (img.ok()) {
      ObservedResource o;
      std::string link = Str(*img, "selfLink");
      o.id = "projects/" + p + "/global/images/" + LastSegment(link);
      o.cloud_name = Str(*img, "name");
      o.outputs = {{"name", o.cloud_name}, {"project", p}};
      return o;
    }
    if (!img.status().IsNotFound() && img.status().code() != StatusCode::kPermissionDenied) return img.status();
    last = img.status();
  }
  std::string tried;
  for (const std::string& p : projects) tried += (tried.empty() ? "" : ", ") + p;
  return Status::NotFound(std::string(family ? "image family '" : "image '") + name + "' not found in project(s) " +
                          tried);
}

std::unique_ptr<common::ResourceHandler> NewImageHandler(Api* api) { return std::make_unique<ImageHandler>(api); }

}  // namespace orch::providers::gce
