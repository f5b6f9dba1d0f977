// network -> VPC: created with the deployment and address tags in its
// description (VPCs take no tags), or `existing:` looked up and never owned.
#include "providers/common/observed.h"
#include "providers/digitalocean/handlers.h"
#include "providers/digitalocean/tags.h"

namespace orch::providers::digitalocean {
namespace {

using common::AttributeSpec;
using common::Observed;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

class VpcHandler final : public common::ResourceHandler {
 public:
  explicit VpcHandler(Api* api) : api_(api) {}
  model::Kind kind() const override { return model::Kind::kNetwork; }
  std::vector<AttributeSpec> Attributes() const override {
    return {{"cidr", false, OnChange::kReplace, "a VPC's IP range is fixed"},
            {"region", false, OnChange::kReplace, "a VPC belongs to one region"},
            {"existing", false, OnChange::kReplace, "another VPC is looked up"},
            {"lookup", false, OnChange::kReplace, "created or looked up"}};
  }

  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override {
    if (r.attributes.value("lookup", json(false)) == json(true)) return Lookup(r);
    json body = {{"name", r.cloud_name}, {"region", api_->Region(r.attributes)},
                 {"description", DeploymentTag(api_->config.deployment) + " " + AddressTag(r.address.ToString())}};
    if (!Str(r.attributes, "cidr").empty()) body["ip_range"] = Str(r.attributes, "cidr");
    Result<json> v = api_->CreateNamed("VPC", "/vpcs", "vpcs", "vpc", r.cloud_name, body, ctx);
    if (!v.ok()) return v.status();
    return Observed(Str(*v, "id"), r.cloud_name);
  }

  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override {
    if (prior.id.empty()) return Status::OK();
    if (prior.attributes.is_object() && prior.attributes.value("lookup", json(false)) == json(true)) {
      api_->CleanupTags(api_->config.deployment);  // an existing VPC: looked up, never owned
      return Status::OK();
    }
    Status st = api_->RetryBusy([&] { return api_->rest->Delete("/vpcs/" + prior.id); }, ctx, "VPC " + prior.id);
    if (st.ok() || st.IsNotFound()) api_->CleanupTags(api_->config.deployment);
    return st;
  }

 private:
  // `existing: NAME or id`: a VPC the account already has (VPC names are
  // unique per account), in the provider's region.
  Result<ObservedResource> Lookup(const model::Resource& r) {
    const std::string want = Str(r.attributes, "existing");
    const std::string region = api_->Region(r.attributes);
    auto l = api_->rest->List("/vpcs", "vpcs");
    if (!l.ok()) return l.status().WithPrefix("listing VPCs");
    for (const json& v : *l) {
      if (Str(v, "id") != want && Str(v, "name") != want) continue;
      if (Str(v, "region") != region)
        return Status::InvalidArgument("VPC '" + want + "' is in region " + Str(v, "region") + ", but provider '" +
                                       api_->config.name + "' deploys to " + region +
                                       "; droplets can only join a VPC of their own region");
      return Observed(Str(v, "id"), Str(v, "name"), {{"ip_range", Str(v, "ip_range")}});
    }
    return Status::NotFound("no VPC '" + want + "' in the account of provider '" + api_->config.name +
                            "'; list them with `doctl vpcs list`");
  }

  Api* api_;
};

}  // namespace

std::unique_ptr<common::ResourceHandler> NewVpcHandler(Api* api) { return std::make_unique<VpcHandler>(api); }

}  // namespace orch::providers::digitalocean
