// The image kind: a lookup of a Glance image (by id, or the newest active
// one with that name); never created or deleted.
#include "providers/common/observed.h"
#include "providers/openstack/os_provider.h"

namespace orch::providers::openstack {

using common::Observed;
using engine::ObservedResource;
using nlohmann::json;

class ImageHandler final : public common::ResourceHandler {
 public:
  explicit ImageHandler(OpenStackProvider* p) : p_(p) {}
  model::Kind kind() const override { return model::Kind::kImage; }
  std::vector<common::AttributeSpec> Attributes() const override {
    return {
        {"source", false, common::OnChange::kReplace, "another image is looked up"},
        {"lookup", false, common::OnChange::kReplace, "looked up or built"},
        {"packer", false, common::OnChange::kReplace, "another build"},
    };
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  // Looked up, never owned.
  Status Delete(const state::ResourceState&, engine::ApplyContext&) override { return Status::OK(); }

 private:
  OpenStackProvider* p_;
};

Result<ObservedResource> ImageHandler::Create(const model::Resource& r, engine::ApplyContext&) {
  std::string source = Str(r.attributes, "source");
  if (source.empty()) return Status::InvalidArgument("image has no source");
  if (LooksLikeUuid(source)) {  // a Packer-built image id
    Result<json> img = p_->image_->Get("/v2/images/" + source);
    if (img.ok()) return Observed(source, Str(*img, "name"));
    if (!img.status().IsNotFound()) return img.status();
  }
  Result<std::string> id = p_->ImageId(source);
  if (!id.ok()) return id.status();
  return Observed(*id, source);
}

std::unique_ptr<common::ResourceHandler> NewImageHandler(OpenStackProvider* p) {
  return std::make_unique<ImageHandler>(p);
}

}  // namespace orch::providers::openstack
