// The instance kind: a Nova server, alone or coalesced with the rest of its
// group into one min_count/max_count request in a server group; tagged and
// named once ACTIVE.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <set>

#include "providers/common/timeouts.h"
#include "providers/openstack/os_provider.h"
#include "util/strings.h"

namespace orch::providers::openstack {

using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

namespace {

std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string RandomHex(int bytes) {
  std::vector<unsigned char> b(static_cast<size_t>(bytes));
  RAND_bytes(b.data(), bytes);
  std::string out;
  for (unsigned char c : b) {
    const char* h = "0123456789abcdef";
    out += h[c >> 4];
    out += h[c & 15];
  }
  return out;
}

// Nova's multi-create suffix ("name-3" -> 3), 0 when absent.
int NameSuffix(const std::string& name) {
  size_t dash = name.rfind('-');
  if (dash == std::string::npos) return 0;
  try {
    return std::stoi(name.substr(dash + 1));
  } catch (...) {
    return 0;
  }
}

bool Deleting(const json& s) { return Str(s, "OS-EXT-STS:task_state") == "deleting" || Str(s, "status") == "DELETED"; }

}  // namespace

class InstanceHandler final : public common::ResourceHandler {
 public:
  explicit InstanceHandler(OpenStackProvider* p) : p_(p) {}
  model::Kind kind() const override { return model::Kind::kInstance; }
  std::vector<common::AttributeSpec> Attributes() const override {
    return {
        {"size", true, common::OnChange::kReplace, "flavor of a new server (compared by name)"},
        {"image", false, common::OnChange::kReplace, "image of a new server"},
        {"region", false, common::OnChange::kReplace, "another region is another cloud"},
        {"zone", false, common::OnChange::kReplace, "availability zone of a new server"},
        {"network", false, common::OnChange::kReplace, "follows the network"},
        {"ssh_keys", false, common::OnChange::kReplace, "key_name is set at boot"},
        {"user_data", false, common::OnChange::kReplace, "user_data is read at boot"},
        {"target_tag", false, common::OnChange::kReplace, "the tier's security group, set at boot"},
        {"group", false, common::OnChange::kReplace, "server group, set at boot"},
    };
  }
  // A flavor given by id compares equal to its name (the server list names it).
  json Canonical(const json& attributes) const override {
    json a = attributes;
    if (a.is_object() && a.contains("size") && a["size"].is_string()) a["size"] = p_->FlavorName(a["size"]);
    return a;
  }
  void Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const override;
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  // On resuming a killed run: a server of this deployment's tier `tier` that
  // a batch create made but never tagged with its member's address (not
  // from a batch this run sent, not claimed by another member), or none.
  Result<std::optional<json>> ClaimUntaggedMember(const std::string& tier);
  std::vector<Result<json>> CreateServers(const json& body, const std::vector<ServerBatcher::Member>& members,
                                          const std::map<std::string, std::string>& tags, engine::ApplyContext& ctx);
  OpenStackProvider* p_;
  std::set<std::string> own_batches_;      // batch tags this run sent (under the provider's cache lock)
  std::set<std::string> claimed_members_;  // ids of untagged batch members adopted
};

void InstanceHandler::Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const {
  for (const std::string& t : EncodeTags(resource.tags)) {
    if (t.size() > 60)
      diags->Error(where, resource.address.ToString() + ": Nova tag '" + t + "' is longer than 60 characters");
  }
  if (resource.attributes.contains("user_data") && resource.attributes["user_data"].is_string() &&
      resource.attributes["user_data"].get<std::string>().size() > 49152)
    diags->Error(where, resource.address.ToString() + ": Nova user_data is limited to 64 KiB after base64");
}

Result<ObservedResource> InstanceHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  Result<std::string> flavor = p_->FlavorId(Str(a, "size"));
  if (!flavor.ok()) return flavor.status();
  Result<std::string> image = p_->ImageId(Str(a, "image"));
  if (!image.ok()) return image.status();
  json server = {{"imageRef", *image}, {"flavorRef", *flavor}};
  server["networks"] = Str(a, "network").empty() ? json("auto") : json::array({{{"uuid", Str(a, "network")}}});
  if (a.contains("ssh_keys") && a["ssh_keys"].is_array() && !a["ssh_keys"].empty() && a["ssh_keys"][0].is_string())
    server["key_name"] = a["ssh_keys"][0];
  if (!Str(a, "target_tag").empty()) {
    Result<std::string> sg = p_->TierSecurityGroup(Str(a, "target_tag"), ctx);
    if (!sg.ok()) return sg.status();
    server["security_groups"] = json::array({{{"name", *sg}}});
  }
  if (a.contains("user_data") && a["user_data"].is_string() && !a["user_data"].get<std::string>().empty())
    server["user_data"] = Base64(a["user_data"].get<std::string>());
  if (!Str(a, "zone").empty()) server["availability_zone"] = Str(a, "zone");
  json metadata = json::object();
  for (const auto& [k, v] : r.tags)
    if (k != model::kTagAddress) metadata[k] = v;
  server["metadata"] = metadata;
  json body = {{"server", server}};
  const std::string group = Str(a, "group");
  if (!group.empty()) {
    Result<std::string> sg = p_->ServerGroup(ServerGroupName(p_->config_.deployment, group), ctx);
    if (!sg.ok()) return sg.status();
    body["os:scheduler_hints"] = {{"group", *sg}};
  }

  const std::string address = r.address.ToString();
  const std::string address_tag = AddressTag(address);
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l =
        p_->compute_->List("/servers/detail?tags=" + UrlEncode(OwnedTags(p_->config_.deployment, address)), "servers");
    if (!l.ok()) return l.status();
    for (json& s : *l)
      if (!Deleting(s)) return std::optional<json>(std::move(s));
    return std::optional<json>();
  };
  bool resume = ctx.attempt > 1 || !ctx.resume_operation.empty();
  Result<json> created = Status::Internal("");
  if (resume) {
    Result<std::optional<json>> found = lookup();
    if (!found.ok()) return found.status();
    if (!found->has_value() && !group.empty()) {
      // A killed run's batch member that never got its address tag.
      auto tier = r.tags.find(std::string(model::kTagTier));
      found = ClaimUntaggedMember(tier == r.tags.end() ? "" : tier->second);
      if (!found.ok()) return found.status();
      if (found->has_value()) (**found)["_untagged"] = true;
    }
    if (found->has_value()) created = **found;
  }
  if (!created.ok()) {
    ServerBatcher::Member me{address, r.address.index, r.cloud_name};
    if (group.empty()) {
      std::vector<Result<json>> one = CreateServers(body, {me}, r.tags, ctx);
      created = one[0];
    } else {
      // Members with the same request (apart from name/address) share one POST.
      std::string key = group + "|" + body.dump();
      std::map<std::string, std::string> tags = r.tags;
      created = p_->batcher_->Join(key, me, [&, body, tags](const std::vector<ServerBatcher::Member>& members) {
        return CreateServers(body, members, tags, ctx);
      });
    }
  }
  if (!created.ok()) return created.status();
  std::string id = Str(*created, "id");
  if (id.empty()) return Status::Internal("server create answered without an id");
  if (ctx.record_operation) ctx.record_operation("server:" + id);
  Result<json> active = p_->poller_->Wait(id, false, ctx, common::TimeoutMs(r.attributes, "create", 0));
  if (!active.ok()) return active.status();
  if (created->value("_untagged", false)) {
    // A batch member: its address tag first (it is how a later run finds it).
    Status st = p_->RetryBusy(
        [&] { return p_->compute_->Put("/servers/" + id + "/tags/" + UrlEncode(address_tag), nullptr).status(); }, ctx,
        "server " + id);
    if (!st.ok()) return st.WithPrefix("tagging server " + id);
  }
  if (Str(*active, "name") != r.cloud_name) {
    // A batch member's own name: Nova's "-1", "-2" suffixes clash with the
    // names of other members. Also done when a run killed between the tag
    // and the rename is resumed (the server is then found by its tag).
    Status st = p_->compute_->Put("/servers/" + id, {{"server", {{"name", r.cloud_name}}}}).status();
    if (!st.ok()) return st.WithPrefix("naming server " + id);
    (*active)["name"] = r.cloud_name;
  }
  ObservedResource o = p_->ObserveServer(*active);
  o.tags = r.tags;
  return o;
}

Result<std::optional<json>> InstanceHandler::ClaimUntaggedMember(const std::string& tier) {
  if (tier.empty()) return std::optional<json>();
  auto l = p_->compute_->List(
      "/servers/detail?tags=" + UrlEncode(DeploymentTag(p_->config_.deployment) + "," + TierTag(tier)), "servers");
  if (!l.ok()) return l.status();
  std::lock_guard<std::mutex> lock(p_->cache_mu_);
  for (json& s : *l) {
    if (Deleting(s) || claimed_members_.count(Str(s, "id"))) continue;
    const json& tags = s.value("tags", json::array());
    if (DecodeTags(tags).count(std::string(model::kTagAddress))) continue;
    bool ours_now = false;  // from a batch this run sent
    for (const json& t : tags) ours_now |= t.is_string() && own_batches_.count(t.get<std::string>());
    if (ours_now) continue;
    claimed_members_.insert(Str(s, "id"));
    return std::optional<json>(std::move(s));
  }
  return std::optional<json>();
}

std::vector<Result<json>> InstanceHandler::CreateServers(const json& body_in,
                                                         const std::vector<ServerBatcher::Member>& members,
                                                         const std::map<std::string, std::string>& tags,
                                                         engine::ApplyContext& ctx) {
  std::vector<Result<json>> out(members.size(), Status::Internal("not created"));
  std::map<std::string, std::string> shared = tags;
  shared.erase(std::string(model::kTagAddress));
  const std::string dep_tag = DeploymentTag(p_->config_.deployment);

  if (members.size() == 1) {
    json body = body_in;
    body["server"]["name"] = members[0].cloud_name;
    std::map<std::string, std::string> all = shared;
    all[std::string(model::kTagAddress)] = members[0].address;
    body["server"]["tags"] = EncodeTags(all);
    auto lookup = [&]() -> Result<std::optional<json>> {
      auto l = p_->compute_->List(
          "/servers/detail?tags=" + UrlEncode(OwnedTags(p_->config_.deployment, members[0].address)), "servers");
      if (!l.ok()) return l.status();
      for (json& s : *l)
        if (!Deleting(s)) return std::optional<json>(std::move(s));
      return std::optional<json>();
    };
    auto post = [&](http::SendOutcome* o) -> Result<json> {
      Result<json> res = p_->compute_->Post("/servers", body, o);
      if (!res.ok()) return res.status();
      return (*res)["server"];
    };
    out[0] = p_->CreateOnce("server " + members[0].cloud_name, lookup, post, false, ctx);
    return out;
  }

  // Several: one POST with min_count = max_count = n, all tagged with a
  // batch tag; then each server gets its member's address tag (ordered by
  // Nova's -1, -2... name suffixes, matched to members by index).
  std::vector<size_t> order(members.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return members[x].index < members[y].index; });
  const std::string batch_tag = "orchestrator-batch=" + RandomHex(8);
  {
    std::lock_guard<std::mutex> lock(p_->cache_mu_);
    own_batches_.insert(batch_tag);
  }
  json body = body_in;
  std::string tier = shared.count(std::string(model::kTagTier)) ? shared[std::string(model::kTagTier)] : "group";
  body["server"]["name"] = p_->config_.deployment + "-" + tier;
  std::vector<std::string> t = EncodeTags(shared);
  t.push_back(batch_tag);
  body["server"]["tags"] = t;
  body["server"]["min_count"] = static_cast<int>(members.size());
  body["server"]["max_count"] = static_cast<int>(members.size());
  auto list_batch = [&]() -> Result<std::vector<json>> {
    auto l = p_->compute_->List("/servers/detail?tags=" + UrlEncode(batch_tag), "servers");
    if (!l.ok()) return l.status();
    std::vector<json> live;
    for (json& s : *l)
      if (!Deleting(s)) live.push_back(std::move(s));
    return live;
  };
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = list_batch();
    if (!l.ok()) return l.status();
    if (l->empty()) return std::optional<json>();
    return std::optional<json>((*l)[0]);
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = p_->compute_->Post("/servers", body, o);
    if (!res.ok()) return res.status();
    return (*res)["server"];
  };
  Result<json> first = p_->CreateOnce(
      std::to_string(members.size()) + " servers " + p_->config_.deployment + "-" + tier, lookup, post, false, ctx);
  if (!first.ok()) {
    for (auto& r : out) r = first.status();
    return out;
  }
  Result<std::vector<json>> servers = list_batch();
  if (!servers.ok()) {
    for (auto& r : out) r = servers.status();
    return out;
  }
  std::sort(servers->begin(), servers->end(),
            [](const json& x, const json& y) { return NameSuffix(Str(x, "name")) < NameSuffix(Str(y, "name")); });
  for (size_t k = 0; k < order.size(); ++k) {
    size_t m = order[k];
    if (k >= servers->size()) {
      out[m] = Status::Internal("Nova created only " + std::to_string(servers->size()) + " of " +
                                std::to_string(members.size()) + " servers");
      continue;
    }
    // Nova refuses tag changes while a server is building: the member tags
    // and names it once ACTIVE (InstanceHandler::Create).
    (*servers)[k]["_untagged"] = true;
    out[m] = (*servers)[k];
  }
  return out;
}

Status InstanceHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  Status st =
      p_->RetryBusy([&] { return p_->compute_->Delete("/servers/" + prior.id); }, ctx, "server " + prior.cloud_name);
  if (st.IsNotFound()) return Status::OK();
  if (!st.ok()) return st;
  Result<json> gone = p_->poller_->Wait(prior.id, true, ctx, common::TimeoutMs(prior.attributes, "delete", 0));
  return gone.status();
}

std::unique_ptr<common::ResourceHandler> NewInstanceHandler(OpenStackProvider* p) {
  return std::make_unique<InstanceHandler>(p);
}

}  // namespace orch::providers::openstack
