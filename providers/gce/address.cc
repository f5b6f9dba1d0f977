// Floating IPs: a static regional address made from the instance's external
// IP (GCE's promotion of an ephemeral IP).
#include "providers/gce/api.h"

namespace orch::providers::gce {

using common::AttributeSpec;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

namespace {

class AddressHandler final : public GceHandler {
 public:
  using GceHandler::GceHandler;
  model::Kind kind() const override { return model::Kind::kFloatingIp; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
      {"region", false, OnChange::kReplace, "a new static address from the instance's IP"},
      {"instance", false, OnChange::kReplace, "a new static address from the instance's IP"},
      {"instance_id", false, OnChange::kReplace, "a new static address from the instance's IP"},
    };
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;
};

}  // namespace

Result<ObservedResource> AddressHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  // Promotes the instance's ephemeral external IP to a static address, so
  // the instance keeps it (GCE's way to give a running instance a fixed IP).
  std::string instance = Str(r.attributes, "instance_id");
  Result<json> inst = client_->Get("/" + instance);
  if (!inst.ok()) return inst.status().WithPrefix("reading " + instance);
  std::string ip;
  if ((*inst).contains("networkInterfaces") && !(*inst)["networkInterfaces"].empty()) {
    const json& ni = (*inst)["networkInterfaces"][0];
    if (ni.contains("accessConfigs") && !ni["accessConfigs"].empty()) ip = Str(ni["accessConfigs"][0], "natIP");
  }
  if (ip.empty()) return Status::InvalidArgument(instance + " has no external IP to make static");
  json body = {{"name", r.cloud_name}, {"address", ip}, {"addressType", "EXTERNAL"}, {"labels", EncodeLabels(r.tags)}};
  Result<json> a = Ensure({"regions/" + Region(r.attributes) + "/addresses", r.cloud_name, body, "address",
                           "address " + r.cloud_name},
                          r, ctx);
  if (!a.ok()) return a.status();
  ObservedResource o;
  o.id = RelativeLink(Str(*a, "selfLink"));
  o.outputs = {{"ip", Str(*a, "address")}};
  return o;
}

Status AddressHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  return client_->DeleteAndWait("/" + prior.id, ctx, prior.kind + " " + prior.cloud_name);
}

std::unique_ptr<common::ResourceHandler> NewAddressHandler(Api* api) { return std::make_unique<AddressHandler>(api); }

}  // namespace orch::providers::gce
