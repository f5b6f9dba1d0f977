// Floating IPs: a static regional address made from the instance's external
// IP (GCE's promotion of an ephemeral IP). The address outlives its
// instance: one made again (lost or replaced), or one whose access config
// was removed outside, gets it back with addAccessConfig.
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
      {"instance_id", true, OnChange::kInPlace, "`POST zones/{zone}/instances/{name}/deleteAccessConfig` (the ephemeral IP, and the address on another instance), `POST zones/{zone}/instances/{name}/addAccessConfig` (`natIP` = the address): the address outlives a replaced instance"},
    };
  }
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  // Takes `address` off every instance among its users but `keep`.
  Status Release(const json& address, const std::string& keep, const std::string& owner, engine::ApplyContext& ctx);
  Status RemoveAccessConfig(const std::string& instance, const std::string& nic, const json& ac,
                            const std::string& owner, engine::ApplyContext& ctx);
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

namespace {

// The first interface's name and access config of `inst` (nullptr: none).
const json* AccessConfigOf(const json& inst, std::string* nic) {
  const json nis = inst.value("networkInterfaces", json::array());
  if (!nis.is_array() || nis.empty() || !nis[0].is_object()) return nullptr;
  *nic = Str(nis[0], "name", "nic0");
  const json& ni = inst["networkInterfaces"][0];
  if (!ni.contains("accessConfigs") || !ni["accessConfigs"].is_array() || ni["accessConfigs"].empty()) return nullptr;
  return &ni["accessConfigs"][0];
}

}  // namespace

json LiveAddressAttributes(const json& address) {
  const json users = address.is_object() ? address.value("users", json::array()) : json::array();
  std::string user;
  for (const json& u : common::StringItems(users))
    if (u.get<std::string>().find("/instances/") != std::string::npos) user = RelativeLink(u.get<std::string>());
  return {{"instance_id", user}};
}

Status AddressHandler::Release(const json& address, const std::string& keep, const std::string& owner,
                               engine::ApplyContext& ctx) {
  const std::string ip = Str(address, "address");
  for (const json& u : common::StringItems(address.value("users", json::array()))) {
    const std::string user = RelativeLink(u.get<std::string>());
    if (user == keep || user.find("/instances/") == std::string::npos) continue;
    Result<json> inst = client_->Get("/" + user);
    if (!inst.ok()) {
      if (inst.status().IsNotFound()) continue;
      return inst.status().WithPrefix("reading " + user);
    }
    std::string nic;
    const json* ac = AccessConfigOf(*inst, &nic);
    if (ac && Str(*ac, "natIP") == ip) ORCH_RETURN_IF_ERROR(RemoveAccessConfig(user, nic, *ac, owner, ctx));
  }
  return Status::OK();
}

Status AddressHandler::RemoveAccessConfig(const std::string& instance, const std::string& nic, const json& ac,
                                          const std::string& owner, engine::ApplyContext& ctx) {
  const std::string path = "/" + instance + "/deleteAccessConfig?accessConfig=" + common::UrlEncode(Str(ac, "name")) +
                           "&networkInterface=" + common::UrlEncode(nic);
  return client_->MutateAndWait(
      "POST", path, json::object(),
      RequestId(request_scope_, owner, "delete-access-config " + instance, ctx.attempt, json(Str(ac, "natIP"))), ctx,
      "removing access config " + Str(ac, "name") + " of instance " + LastSegment(instance));
}

Result<ObservedResource> AddressHandler::Update(const model::Resource& r, const state::ResourceState& prior,
                                                engine::ApplyContext& ctx) {
  Result<json> a = client_->Get("/" + prior.id);
  if (!a.ok()) return a.status().WithPrefix("reading address " + prior.cloud_name);
  const std::string ip = Str(*a, "address");
  const std::string want = Str(r.attributes, "instance_id");
  if (ip.empty() || want.empty()) return Status::Internal("address " + prior.cloud_name + " or its instance has no id");
  // Still held by another instance (the one replaced, if it is still there).
  ORCH_RETURN_IF_ERROR(Release(*a, want, r.address.ToString(), ctx));
  Result<json> inst = client_->Get("/" + want);
  if (!inst.ok()) return inst.status().WithPrefix("reading " + want);
  std::string nic;
  const json* ac = AccessConfigOf(*inst, &nic);
  if (!ac || Str(*ac, "natIP") != ip) {
    // One access config per interface: the ephemeral one goes first.
    if (ac) ORCH_RETURN_IF_ERROR(RemoveAccessConfig(want, nic, *ac, r.address.ToString(), ctx));
    json body = {{"type", "ONE_TO_ONE_NAT"}, {"name", "External NAT"}, {"natIP", ip}};
    ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
        "POST", "/" + want + "/addAccessConfig?networkInterface=" + common::UrlEncode(nic), body,
        RequestId(request_scope_, r.address.ToString(), "add-access-config", ctx.attempt, body), ctx,
        "assigning address " + ip + " to instance " + LastSegment(want)));
  }
  ObservedResource o;
  o.id = prior.id;
  o.outputs = {{"ip", ip}};
  return o;
}

Status AddressHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  // GCE refuses to delete an address in use: its instance lets go first.
  Result<json> a = client_->Get("/" + prior.id);
  if (!a.ok() && !a.status().IsNotFound()) return a.status().WithPrefix("reading address " + prior.cloud_name);
  if (a.ok()) ORCH_RETURN_IF_ERROR(Release(*a, "", prior.address, ctx));
  return client_->DeleteAndWait("/" + prior.id, ctx, prior.kind + " " + prior.cloud_name);
}

std::unique_ptr<common::ResourceHandler> NewAddressHandler(Api* api) { return std::make_unique<AddressHandler>(api); }

}  // namespace orch::providers::gce
