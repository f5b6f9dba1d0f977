// What the handlers share: Neutron creates with tags (at create or after),
// lookups of the deployment's objects by tag or owner description, the
// external network, subnets, the tiers' membership security groups, the
// teardown sweep, flavors and images.
#include <algorithm>
#include <set>
#include <tuple>

#include "providers/common/observed.h"
#include "providers/openstack/os_provider.h"
#include "util/strings.h"

namespace orch::providers::openstack {

using common::Observed;
using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

bool LooksLikeUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool OpenStackProvider::NeutronTagsOnCreate() {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (neutron_tags_on_create_ < 0) {
    // Neutron takes tags in a create body only with the tag-creation
    // extension (newer than Zed); without it, tags are PUT afterwards.
    Result<json> ext = network_->Get("/extensions/tag-creation");
    neutron_tags_on_create_ = ext.ok() ? 1 : 0;
  }
  return neutron_tags_on_create_ == 1;
}

Result<std::optional<json>> OpenStackProvider::FindOwned(const std::string& collection, const std::string& tags,
                                                         const std::string& name, const std::string& description) {
  std::string key = collection;
  std::replace(key.begin(), key.end(), '-', '_');
  std::string path = "/" + collection + "?tags=" + UrlEncode(tags);
  if (!name.empty()) path += "&name=" + UrlEncode(name);
  auto tagged = network_->List(path, key);
  if (!tagged.ok()) return tagged.status();
  if (!tagged->empty()) return std::optional<json>((*tagged)[0]);
  auto l = network_->List("/" + collection + "?description=" + UrlEncode(description), key);
  if (!l.ok()) return l.status();
  for (json& o : *l)
    if (!DecodeTags(o.value("tags", json::array())).count(std::string(model::kTagDeployment)))
      return std::optional<json>(std::move(o));
  return std::optional<json>();
}

Status OpenStackProvider::EnsureNeutronTags(const std::string& collection, const json& obj,
                                            const std::vector<std::string>& tags) {
  std::set<std::string> have;
  for (const json& t : obj.value("tags", json::array()))
    if (t.is_string()) have.insert(t.get<std::string>());
  bool missing = false;
  for (const std::string& t : tags) missing |= !have.count(t);
  if (!missing) return Status::OK();
  json all = json::array();
  std::set<std::string> merged = have;
  merged.insert(tags.begin(), tags.end());
  for (const std::string& t : merged) all.push_back(t);
  return network_->Put("/" + collection + "/" + Str(obj, "id") + "/tags", {{"tags", all}}).status();
}

Result<json> OpenStackProvider::NeutronCreate(const std::string& collection, const std::string& singular, json body,
                                              const std::vector<std::string>& tags, const Lookup& lookup,
                                              engine::ApplyContext& ctx) {
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    json b = body;
    bool with_tags = NeutronTagsOnCreate();
    if (with_tags) b["tags"] = tags;
    Result<json> r = network_->Post("/" + collection, {{singular, b}}, o);
    if (!r.ok() && with_tags && r.status().code() == StatusCode::kInvalidArgument &&
        r.status().message().find("tags") != std::string::npos) {
      {
        std::lock_guard<std::mutex> lock(cache_mu_);
        neutron_tags_on_create_ = 0;  // older Neutron: tag afterwards
      }
      r = network_->Post("/" + collection, {{singular, body}}, o);
    }
    if (!r.ok()) return r.status();
    return (*r)[singular];
  };
  Result<json> obj = CreateOnce(singular + " " + Str(body, "name"), lookup, post, ctx.attempt > 1, ctx);
  if (!obj.ok()) return obj.status();
  ORCH_RETURN_IF_ERROR(EnsureNeutronTags(collection, *obj, tags));
  return obj;
}

Result<std::string> OpenStackProvider::ExternalNetwork() {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (!external_network_.empty()) return external_network_;
  }
  auto l = network_->List("/networks?router%3Aexternal=true", "networks");
  if (!l.ok()) return l.status().WithPrefix("looking for the external network");
  if (l->empty())
    return Status::NotFound("the cloud has no external network (router:external) for routers and floating IPs");
  std::string id = Str((*l)[0], "id");
  for (const json& n : *l)
    if (Str(n, "name") == "public") id = Str(n, "id");
  std::lock_guard<std::mutex> lock(cache_mu_);
  external_network_ = id;
  return id;
}

Result<std::optional<json>> OpenStackProvider::Ipv4Subnet(const std::string& network_id) {
  auto subnets = network_->List("/subnets?network_id=" + UrlEncode(network_id), "subnets");
  if (!subnets.ok()) return subnets.status();
  for (const json& s : *subnets)
    if (s.contains("ip_version") && s["ip_version"] == 4) return std::optional<json>(s);
  return std::optional<json>();
}

std::string OpenStackProvider::OwnerDescription(const std::string& text, const std::string& address) const {
  return text + " [" + DeploymentTag(config_.deployment) + " " + AddressTag(address) + "]";
}

std::string OpenStackProvider::ProjectDescription() {
  std::string project = !cloud_.project_name.empty() ? cloud_.project_name
                        : !cloud_.project_id.empty() ? cloud_.project_id
                                                     : (keystone_ ? keystone_->project_id() : "");
  std::string out = "project '" + project + "'";
  if (!cloud_.region.empty()) out += " in region " + cloud_.region;
  return out + " (provider '" + config_.name + "', credentials from " + cloud_.source + ")";
}

void OpenStackProvider::SweepDeployment(engine::ApplyContext& ctx) {
  // Servers of an interrupted batch that never got their address tag.
  auto servers = compute_->List("/servers/detail?tags=" + UrlEncode(DeploymentTag(config_.deployment)), "servers");
  if (servers.ok())
    for (const json& s : *servers) {
      if (DecodeTags(s.value("tags", json::array())).count(std::string(model::kTagAddress))) continue;
      if (compute_->Delete("/servers/" + Str(s, "id")).ok()) {
        Result<json> gone = poller_->Wait(Str(s, "id"), true, ctx);
        (void)gone;
      }
    }
  auto sgs = network_->List("/security-groups?tags=" + UrlEncode(DeploymentTag(config_.deployment)), "security_groups");
  if (sgs.ok())
    for (const json& g : *sgs) {
      if (DecodeTags(g.value("tags", json::array())).count(std::string(model::kTagAddress))) continue;  // a firewall's
      Status st = RetryBusy([&] { return network_->Delete("/security-groups/" + Str(g, "id")); }, ctx,
                            "security group " + Str(g, "name"));
      (void)st;
    }
  // Security groups and floating IPs a killed run created but never tagged
  // (without tag-creation, tags follow the create): their description
  // carries the deployment from the create on (OwnerDescription).
  const std::string mine = " [" + DeploymentTag(config_.deployment) + " ";
  for (auto [collection, key] : {std::pair{"floatingips", "floatingips"}, {"security-groups", "security_groups"}}) {
    auto all = network_->List(std::string("/") + collection, key);
    if (!all.ok()) continue;
    for (const json& o : *all) {
      if (Str(o, "description").find(mine) == std::string::npos) continue;
      if (DecodeTags(o.value("tags", json::array())).count(std::string(model::kTagDeployment))) continue;
      const std::string path = std::string("/") + collection + "/" + Str(o, "id");
      Status st = RetryBusy([&] { return network_->Delete(path); }, ctx, Str(o, "id"));
      (void)st;
    }
  }
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    tier_groups_.clear();
    server_groups_.clear();
  }
  auto groups = compute_->List("/os-server-groups", "server_groups");
  if (groups.ok())
    for (const json& g : *groups)
      if (OwnServerGroup(Str(g, "name"), config_.deployment) && g.value("members", json::array()).empty()) {
        Status st = compute_->Delete("/os-server-groups/" + Str(g, "id"));
        (void)st;
      }
}

Result<std::string> OpenStackProvider::TierSecurityGroup(const std::string& target_tag, engine::ApplyContext& ctx) {
  std::lock_guard<std::mutex> create(create_mu_);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = tier_groups_.find(target_tag);
    if (it != tier_groups_.end()) return it->second;
  }
  const std::string dep_tag = DeploymentTag(config_.deployment);
  const std::string description = OwnerDescription("members of " + target_tag, target_tag);
  auto lookup = [&]() { return FindOwned("security-groups", dep_tag, target_tag, description); };
  Result<std::optional<json>> found = lookup();
  if (!found.ok()) return found.status();
  std::string id;
  if (found->has_value()) {
    id = Str(**found, "id");
    Status tagged = EnsureNeutronTags("security-groups", **found, {dep_tag});
    if (!tagged.ok()) return tagged.WithPrefix("tagging security group " + target_tag);
  } else {
    json body = {{"name", target_tag}, {"description", description}};
    Result<json> g = NeutronCreate("security-groups", "security_group", body, {dep_tag}, lookup, ctx);
    if (!g.ok()) return g.status().WithPrefix("creating security group " + target_tag);
    id = Str(*g, "id");
  }
  std::lock_guard<std::mutex> lock(cache_mu_);
  tier_groups_[target_tag] = id;
  return id;
}

Result<std::string> OpenStackProvider::ImageId(const std::string& image) {
  if (LooksLikeUuid(image)) return image;
  auto l = image_->List("/v2/images?name=" + UrlEncode(image), "images");
  if (!l.ok()) return l.status().WithPrefix("looking up image '" + image + "'");
  for (const json& i : *l)
    if (Str(i, "status") == "active") return Str(i, "id");
  return Status::NotFound("no active Glance image named '" + image + "'");
}

Result<std::string> OpenStackProvider::FlavorId(const std::string& size) {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = flavors_.find(size);
    if (it != flavors_.end()) return it->second;
  }
  auto l = compute_->List("/flavors", "flavors");
  if (!l.ok()) return l.status().WithPrefix("listing flavors");
  std::lock_guard<std::mutex> lock(cache_mu_);
  std::string names;
  for (const json& f : *l) {
    flavors_[Str(f, "name")] = Str(f, "id");
    flavors_[Str(f, "id")] = Str(f, "id");
    flavor_names_[Str(f, "name")] = Str(f, "name");
    flavor_names_[Str(f, "id")] = Str(f, "name");
    names += (names.empty() ? "" : ", ") + Str(f, "name");
  }
  auto it = flavors_.find(size);
  if (it == flavors_.end()) return Status::InvalidArgument("no flavor '" + size + "' (the cloud has: " + names + ")");
  return it->second;
}

std::string OpenStackProvider::FlavorName(const std::string& size) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = flavor_names_.find(size);
  return it == flavor_names_.end() ? size : it->second;
}

}  // namespace orch::providers::openstack
