// Networks: a custom-mode VPC + its subnetwork, or an existing network
// looked up (never created, changed or deleted).
#include "providers/gce/api.h"

#include "model/expand.h"

namespace orch::providers::gce {

using common::AttributeSpec;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

namespace {

class NetworkHandler final : public GceHandler {
 public:
  using GceHandler::GceHandler;
  model::Kind kind() const override { return model::Kind::kNetwork; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
      {"cidr", false, OnChange::kReplace, "a new network and subnetwork"},
      {"region", false, OnChange::kReplace, "the subnetwork is regional"},
      {"existing", false, OnChange::kReplace, "another network looked up"},
      {"lookup", false, OnChange::kReplace, "looked up or owned"},
    };
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  Result<ObservedResource> LookupNetwork(const model::Resource& r);
  Result<json> FindNetwork(const std::string& name_or_id);
};

}  // namespace

Result<ObservedResource> NetworkHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  if (r.attributes.value("lookup", json(false)) == json(true)) return LookupNetwork(r);
  const std::string desc = DescriptionFor(r.tags);
  Part net{"global/networks", r.cloud_name,
           {{"name", r.cloud_name}, {"autoCreateSubnetworks", false}, {"description", desc}},
           "network", "network " + r.cloud_name};
  Result<json> n = Ensure(net, r, ctx);
  if (!n.ok()) return n.status();
  const std::string region = Region(r.attributes);
  Part sub{"regions/" + region + "/subnetworks", r.cloud_name,
           {{"name", r.cloud_name},
            {"network", Str(*n, "selfLink")},
            {"ipCidrRange", Str(r.attributes, "cidr")},
            {"description", desc}},
           "subnetwork", "subnetwork " + r.cloud_name};
  Result<json> s = Ensure(sub, r, ctx);
  if (!s.ok()) return s.status();
  ObservedResource o;
  o.id = RelativeLink(Str(*n, "selfLink"));
  o.outputs = {{"subnetwork", RelativeLink(Str(*s, "selfLink"))}};
  return o;
}

Status NetworkHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  if (prior.attributes.is_object() && prior.attributes.value("lookup", json(false)) == json(true))
    return Status::OK();  // an existing network: looked up, never owned
  const std::string name = LastSegment(prior.id);
  std::string region = Str(prior.attributes, "region");
  if (region.empty()) region = config_.region;
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/regions/" + region + "/subnetworks/" + name, ctx, "subnetwork " + name));
  return client_->DeleteAndWait("/" + prior.id, ctx, "network " + name);
}

Result<json> NetworkHandler::FindNetwork(const std::string& want) {
  // A GCE name starts with a letter, so digits alone are the numeric id.
  if (want.find_first_not_of("0123456789") == std::string::npos) {
    Result<std::vector<json>> l = client_->List("/global/networks", "id = " + want);
    if (!l.ok()) return l.status();
    for (json& n : *l)
      if (Str(n, "id") == want) return std::move(n);
    return Status::NotFound("no network with id " + want);
  }
  return client_->Get("/global/networks/" + common::UrlEncode(want));
}

Result<ObservedResource> NetworkHandler::LookupNetwork(const model::Resource& r) {
  const std::string want = Str(r.attributes, "existing");
  const std::string region = Region(r.attributes);
  if (want.empty()) return Status::InvalidArgument("network lookup without a name or id");
  Result<json> n = FindNetwork(want);
  if (!n.ok()) {
    if (!n.status().IsNotFound()) return n.status().WithPrefix("looking up network '" + want + "'");
    return Status::NotFound("no network '" + want + "' in project " + project_ + " of provider '" + config_.name +
                            "'; list them with `gcloud compute networks list --project " + project_ + "`");
  }
  const std::string name = Str(*n, "name");
  if (name.empty()) return Status::Internal("GCE answered the lookup of network '" + want + "' without a name");
  const std::string sub = RegionalSubnetwork(*n, region);
  if (sub.empty())
    return Status::InvalidArgument("network '" + name + "' of project " + project_ + " has no subnetwork in region " +
                                   region + ", where provider '" + config_.name +
                                   "' deploys; add one (`gcloud compute networks subnets create NAME --network " +
                                   name + " --region " + region + " --range CIDR`) or name a network that has one");
  Result<json> s = client_->Get("/" + sub);
  if (!s.ok()) return s.status().WithPrefix("reading subnetwork " + sub + " of network " + name);
  ObservedResource o;
  o.id = RelativeLink(Str(*n, "selfLink"));
  if (o.id.empty()) o.id = "global/networks/" + name;
  o.cloud_name = name;
  o.outputs = {{"subnetwork", sub},
               {"cidr", Str(*s, "ipCidrRange")},
               {"mode", n->is_object() && n->value("autoCreateSubnetworks", json(false)) == json(true) ? "auto" : "custom"}};
  RememberSubnetwork(o.id, region, sub);
  return o;
}

std::unique_ptr<common::ResourceHandler> NewNetworkHandler(Api* api) { return std::make_unique<NetworkHandler>(api); }

}  // namespace orch::providers::gce
