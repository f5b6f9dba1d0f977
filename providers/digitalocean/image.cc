// image -> a distribution slug, an image id or a private snapshot's name:
// looked up, never created or deleted (Packer builds snapshots, see
// src/image).
#include "providers/common/observed.h"
#include "providers/digitalocean/handlers.h"

namespace orch::providers::digitalocean {
namespace {

using common::AttributeSpec;
using common::Observed;
using common::OnChange;
using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

class ImageHandler final : public common::ResourceHandler {
 public:
  explicit ImageHandler(Api* api) : api_(api) {}
  model::Kind kind() const override { return model::Kind::kImage; }
  std::vector<AttributeSpec> Attributes() const override {
    return {{"source", false, OnChange::kReplace, "another image is looked up"},
            {"lookup", false, OnChange::kReplace, "looked up or built"},
            {"packer", false, OnChange::kReplace, "another template builds another snapshot"}};
  }

  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext&) override {
    std::string source = Str(r.attributes, "source");
    if (source.empty()) return Status::InvalidArgument("image has no source");
    // A slug or numeric id first (distribution images, Packer snapshot ids)...
    Result<json> img = api_->rest->Get("/images/" + UrlEncode(source));
    if (img.ok()) {
      const json& i = (*img)["image"];
      return Observed(IdText(i["id"]), Str(i, "name"), {{"slug", Str(i, "slug")}});
    }
    if (!img.status().IsNotFound()) return img.status();
    // ...then a private snapshot by name.
    auto l = api_->rest->List("/images?private=true", "images");
    if (!l.ok()) return l.status();
    for (const json& i : *l)
      if (Str(i, "name") == source) return Observed(IdText(i["id"]), source);
    return Status::NotFound("no DigitalOcean image with slug, id or snapshot name '" + source + "'");
  }

  Status Delete(const state::ResourceState&, engine::ApplyContext&) override { return Status::OK(); }

 private:
  Api* api_;
};

}  // namespace

std::unique_ptr<common::ResourceHandler> NewImageHandler(Api* api) { return std::make_unique<ImageHandler>(api); }

}  // namespace orch::providers::digitalocean
