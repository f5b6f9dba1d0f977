// The network kind: a Neutron network, its IPv4 subnet and a router with
// the external gateway and an interface on the subnet, or (existing:) the
// lookup of a network the project already has.
#include "providers/common/observed.h"
#include "providers/openstack/os_provider.h"
#include "util/strings.h"

namespace orch::providers::openstack {

using common::Observed;
using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

namespace {

// `lookup: true`: the spec names something the cloud already has (a network
// with `existing`); it is found, never owned.
bool IsLookup(const json& attributes) {
  if (!attributes.is_object()) return false;
  auto it = attributes.find("lookup");
  return it != attributes.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

class NetworkHandler final : public common::ResourceHandler {
 public:
  explicit NetworkHandler(OpenStackProvider* p) : p_(p) {}
  model::Kind kind() const override { return model::Kind::kNetwork; }
  std::vector<common::AttributeSpec> Attributes() const override {
    return {
        {"cidr", false, common::OnChange::kReplace, "the subnet is created with it"},
        {"region", false, common::OnChange::kReplace, "another region is another cloud"},
        {"existing", false, common::OnChange::kReplace, "another network is looked up"},
        {"lookup", false, common::OnChange::kReplace, "created or looked up"},
    };
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  // The existing network named by `existing` (name or id): exactly one must
  // be visible, with an IPv4 subnet; it is never tagged, changed or deleted.
  Result<ObservedResource> LookupNetwork(const model::Resource& r);
  OpenStackProvider* p_;
};

Result<ObservedResource> NetworkHandler::LookupNetwork(const model::Resource& r) {
  const std::string want = Str(r.attributes, "existing");
  if (want.empty()) return Status::InvalidArgument("the network has no 'existing' name or id");
  std::vector<json> found;
  if (LooksLikeUuid(want)) {  // an id, unless no network has it (then a name that looks like one)
    auto l = p_->network_->List("/networks?id=" + UrlEncode(want), "networks");
    if (!l.ok()) return l.status().WithPrefix("looking up network '" + want + "'");
    found = std::move(*l);
  }
  if (found.empty()) {
    auto l = p_->network_->List("/networks?name=" + UrlEncode(want), "networks");
    if (!l.ok()) return l.status().WithPrefix("looking up network '" + want + "'");
    found = std::move(*l);
  }
  if (found.empty())
    return Status::NotFound("no network '" + want + "' is visible to " + p_->ProjectDescription() +
                            "; list them with `openstack network list`");
  if (found.size() > 1) {
    std::vector<std::string> ids;
    for (const json& n : found) ids.push_back(Str(n, "id"));
    return Status::InvalidArgument(std::to_string(found.size()) + " networks named '" + want + "' are visible to " +
                                   p_->ProjectDescription() + " (ids " + Join(ids, ", ") +
                                   "); give the id of one in 'existing' instead");
  }
  const json& net = found[0];
  const std::string id = Str(net, "id");
  Result<std::optional<json>> subnet = p_->Ipv4Subnet(id);
  if (!subnet.ok()) return subnet.status().WithPrefix("listing the subnets of network '" + want + "'");
  if (subnet->has_value())
    return Observed(id, Str(net, "name"), {{"subnet_id", Str(**subnet, "id")}, {"cidr", Str(**subnet, "cidr")}});
  // An external network's subnets are usually hidden from projects.
  return Status::InvalidArgument("network '" + want + "' (" + id + ") has no IPv4 subnet visible to " +
                                 p_->ProjectDescription() +
                                 " for the servers; add one (`openstack subnet create "
                                 "--network " +
                                 id + " ...`) or name another network");
}

Result<ObservedResource> NetworkHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  if (IsLookup(r.attributes)) return LookupNetwork(r);
  const std::vector<std::string> tags = EncodeTags(r.tags);
  const std::string owned = OwnedTags(p_->config_.deployment, r.address.ToString());
  const std::string description = p_->OwnerDescription("network", r.address.ToString());
  auto find = [&](const char* collection) {
    return [this, collection, &owned, &description] { return p_->FindOwned(collection, owned, "", description); };
  };
  Result<json> net = p_->NeutronCreate("networks", "network",
                                       {{"name", r.cloud_name}, {"admin_state_up", true}, {"description", description}},
                                       tags, find("networks"), ctx);
  if (!net.ok()) return net.status().WithPrefix("creating the network");
  const std::string net_id = Str(*net, "id");

  Result<std::optional<json>> existing_subnet = find("subnets")();
  if (!existing_subnet.ok()) return existing_subnet.status();
  json subnet;
  if (existing_subnet->has_value()) {
    subnet = **existing_subnet;
    ORCH_RETURN_IF_ERROR(p_->EnsureNeutronTags("subnets", subnet, tags));  // found untagged by description
  } else {
    json body = {{"name", r.cloud_name},
                 {"network_id", net_id},
                 {"ip_version", 4},
                 {"cidr", Str(r.attributes, "cidr", "10.0.0.0/24")},
                 {"description", description}};
    Result<json> s = p_->NeutronCreate("subnets", "subnet", body, tags, find("subnets"), ctx);
    if (!s.ok()) return s.status().WithPrefix("creating the subnet");
    subnet = *s;
  }
  const std::string subnet_id = Str(subnet, "id");

  Result<std::string> ext = p_->ExternalNetwork();
  if (!ext.ok()) return ext.status();
  Result<std::optional<json>> existing_router = find("routers")();
  if (!existing_router.ok()) return existing_router.status();
  json router;
  if (existing_router->has_value()) {
    router = **existing_router;
    ORCH_RETURN_IF_ERROR(p_->EnsureNeutronTags("routers", router, tags));
  } else {
    json body = {{"name", r.cloud_name},
                 {"admin_state_up", true},
                 {"external_gateway_info", {{"network_id", *ext}}},
                 {"description", description}};
    Result<json> rt = p_->NeutronCreate("routers", "router", body, tags, find("routers"), ctx);
    if (!rt.ok()) return rt.status().WithPrefix("creating the router");
    router = *rt;
  }
  const std::string router_id = Str(router, "id");

  // The router interface on the subnet (PUT is idempotent only in effect:
  // check for the port first).
  auto has_interface = [&]() -> Result<bool> {
    auto ports = p_->network_->List("/ports?device_id=" + router_id + "&network_id=" + net_id, "ports");
    if (!ports.ok()) return ports.status();
    for (const json& p : *ports)
      for (const json& ip : p.value("fixed_ips", json::array()))
        if (Str(ip, "subnet_id") == subnet_id) return true;
    return false;
  };
  Result<bool> has = has_interface();
  if (!has.ok()) return has.status();
  if (!*has) {
    Result<json> add = p_->network_->Put("/routers/" + router_id + "/add_router_interface", {{"subnet_id", subnet_id}});
    // A retried PUT whose first try went through answers 400 "Router
    // already has a port on subnet": attached, as wanted.
    if (!add.ok() && add.status().message().find("already has a port on subnet") != std::string::npos)
      add = json::object();
    if (!add.ok()) {
      Result<bool> again = has_interface();  // lost answer, or already attached
      if (!again.ok() || !*again) return add.status().WithPrefix("attaching the subnet to the router");
    }
  }
  return Observed(net_id, r.cloud_name, {{"subnet_id", subnet_id}, {"router_id", router_id}});
}

Status NetworkHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  if (IsLookup(prior.attributes)) {
    // Not ours: only what the deployment left behind on it goes.
    p_->SweepDeployment(ctx);
    return Status::OK();
  }
  auto routers =
      p_->network_->List("/routers?tags=" + UrlEncode(OwnedTags(p_->config_.deployment, prior.address)), "routers");
  if (!routers.ok()) return routers.status();
  if (routers->empty()) {  // one a killed run created but never tagged
    Result<std::optional<json>> untagged = p_->FindOwned("routers", OwnedTags(p_->config_.deployment, prior.address),
                                                         "", p_->OwnerDescription("network", prior.address));
    if (!untagged.ok()) return untagged.status();
    if (untagged->has_value()) routers->push_back(**untagged);
  }
  auto subnets = p_->network_->List("/subnets?network_id=" + prior.id, "subnets");
  if (!subnets.ok()) return subnets.status();
  for (const json& rt : *routers) {
    const std::string rid = Str(rt, "id");
    for (const json& s : *subnets) {
      Result<json> rm =
          p_->network_->Put("/routers/" + rid + "/remove_router_interface", {{"subnet_id", Str(s, "id")}});
      if (!rm.ok() && !rm.status().IsNotFound()) {
        Status st = p_->RetryBusy(
            [&] {
              Result<json> again =
                  p_->network_->Put("/routers/" + rid + "/remove_router_interface", {{"subnet_id", Str(s, "id")}});
              return again.status();
            },
            ctx, "router interface " + rid);
        if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("removing the router interface");
      }
    }
    Status st = p_->RetryBusy([&] { return p_->network_->Delete("/routers/" + rid); }, ctx, "router " + rid);
    if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("deleting the router");
  }
  p_->SweepDeployment(ctx);
  for (const json& s : *subnets) {
    Status st =
        p_->RetryBusy([&] { return p_->network_->Delete("/subnets/" + Str(s, "id")); }, ctx, "subnet " + Str(s, "id"));
    if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("deleting the subnet");
  }
  return p_->RetryBusy([&] { return p_->network_->Delete("/networks/" + prior.id); }, ctx, "network " + prior.id);
}

std::unique_ptr<common::ResourceHandler> NewNetworkHandler(OpenStackProvider* p) {
  return std::make_unique<NetworkHandler>(p);
}

}  // namespace orch::providers::openstack
