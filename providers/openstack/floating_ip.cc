// The floating_ip kind: a floating IP of the external network, associated
// with its server's port (again, in place, when that changed).
#include "providers/openstack/os_provider.h"

namespace orch::providers::openstack {

using engine::ObservedResource;
using nlohmann::json;

class FloatingIpHandler final : public common::ResourceHandler {
 public:
  explicit FloatingIpHandler(OpenStackProvider* p) : p_(p) {}
  model::Kind kind() const override { return model::Kind::kFloatingIp; }
  std::vector<common::AttributeSpec> Attributes() const override {
    return {
        {"region", false, common::OnChange::kReplace, "another region is another cloud"},
        {"instance", false, common::OnChange::kReplace, "another member"},
        {"instance_id", true, common::OnChange::kInPlace, "`PUT /v2.0/floatingips/{id}` with the server's port"},
    };
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  // Associates floating IP `id` with `server`'s port (none for "").
  Status AssignFloatingIp(const std::string& id, const std::string& server);
  OpenStackProvider* p_;
};

Result<ObservedResource> FloatingIpHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  const std::string server = Str(r.attributes, "instance_id");
  Result<std::string> ext = p_->ExternalNetwork();
  if (!ext.ok()) return ext.status();
  std::string port_id;
  if (!server.empty()) {
    auto ports = p_->network_->List("/ports?device_id=" + server, "ports");
    if (!ports.ok()) return ports.status();
    if (ports->empty()) return Status::NotFound("server " + server + " has no port to associate a floating IP with");
    port_id = Str((*ports)[0], "id");
  }
  const std::string owned = OwnedTags(p_->config_.deployment, r.address.ToString());
  const std::string description = p_->OwnerDescription(r.cloud_name, r.address.ToString());
  json body = {{"floating_network_id", *ext}, {"description", description}};
  if (!port_id.empty()) body["port_id"] = port_id;
  Result<json> fip = p_->NeutronCreate(
      "floatingips", "floatingip", body, EncodeTags(r.tags),
      [&] { return p_->FindOwned("floatingips", owned, "", description); }, ctx);
  if (!fip.ok()) return fip.status();
  if (!port_id.empty() && Str(*fip, "port_id") != port_id) {  // adopted, associated elsewhere
    Result<json> u = p_->network_->Put("/floatingips/" + Str(*fip, "id"), {{"floatingip", {{"port_id", port_id}}}});
    if (!u.ok()) return u.status().WithPrefix("associating the floating IP");
  }
  ObservedResource o;
  o.id = Str(*fip, "id");
  o.cloud_name = r.cloud_name;
  o.outputs = {{"ip", Str(*fip, "floating_ip_address")}};
  return o;
}

Status FloatingIpHandler::AssignFloatingIp(const std::string& id, const std::string& server) {
  json port = nullptr;
  if (!server.empty()) {
    auto ports = p_->network_->List("/ports?device_id=" + server, "ports");
    if (!ports.ok()) return ports.status();
    if (ports->empty()) return Status::NotFound("server " + server + " has no port to associate a floating IP with");
    port = Str((*ports)[0], "id");
  }
  Result<json> u = p_->network_->Put("/floatingips/" + id, {{"floatingip", {{"port_id", port}}}});
  if (!u.ok())
    return u.status().WithPrefix(server.empty() ? "disassociating the floating IP" : "associating the floating IP");
  return Status::OK();
}

Status FloatingIpHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  // Deleting releases it (and disassociates it from its port).
  return p_->RetryBusy([&] { return p_->network_->Delete("/floatingips/" + prior.id); }, ctx,
                       "floating IP " + prior.id);
}

Result<ObservedResource> FloatingIpHandler::Update(const model::Resource& r, const state::ResourceState& prior,
                                                   engine::ApplyContext& ctx) {
  ORCH_RETURN_IF_ERROR(AssignFloatingIp(prior.id, Str(r.attributes, "instance_id")));
  ObservedResource o;
  o.address = r.address.ToString();
  o.kind = "floating_ip";
  o.id = prior.id;
  o.cloud_name = prior.cloud_name;
  o.tags = r.tags;
  o.outputs = prior.outputs;
  return o;
}

std::unique_ptr<common::ResourceHandler> NewFloatingIpHandler(OpenStackProvider* p) {
  return std::make_unique<FloatingIpHandler>(p);
}

}  // namespace orch::providers::openstack
