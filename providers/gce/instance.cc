// Instances: one VM in its zone; a change of its ssh keys only is set with
// setMetadata, any other change makes a new one. Drift: the tier's network
// tag is put back with setTags, the ssh-keys item and a deleted user-data
// item with setMetadata.
#include "providers/gce/api.h"

namespace orch::providers::gce {

using common::AttributeSpec;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

namespace {

class InstanceHandler final : public GceHandler {
 public:
  using GceHandler::GceHandler;
  model::Kind kind() const override { return model::Kind::kInstance; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
      {"ssh_keys", true, OnChange::kInPlace, "`POST zones/{zone}/instances/{name}/setMetadata` (`ssh-keys` item, current fingerprint)"},
      {"size", true, OnChange::kReplace, "the instance is made again"},
      {"zone", true, OnChange::kReplace, "the instance is made again"},
      {"image", false, OnChange::kReplace, "the instance is made again"},
      {"region", false, OnChange::kReplace, "the instance is made again"},
      {"network", false, OnChange::kReplace, "the instance is made again"},
      {"user_data", true, OnChange::kReplace, "the instance is made again; the `user-data` item deleted outside: put back with `POST zones/{zone}/instances/{name}/setMetadata`"},
      {"target_tag", true, OnChange::kInPlace, "`POST zones/{zone}/instances/{name}/setTags` (the tier's tag added to the others, current tags fingerprint)"},
      {"group", false, OnChange::kReplace, "the instance is made again"},
      {"service_account", false, OnChange::kReplace, "the instance is made again (`serviceAccounts`; GCE changes it only on a stopped instance)"},
    };
  }
  void Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const override;
  // By the attributes; a user-data item deleted outside (the live value
  // UserDataMissing) is put back in place. Only the keys changed is
  // setMetadata also before the id is recorded (the update finds the
  // instance by its name).
  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override {
    state::ResourceState p = prior;
    const bool restore = p.attributes.is_object() && desired.attributes.is_object() &&
                         IsUserDataMissing(p.attributes.value("user_data", json())) &&
                         desired.attributes.contains("user_data");
    if (restore) p.attributes["user_data"] = desired.attributes["user_data"];
    plan::DiffDecision by = DiffByAttributes(desired, p);
    if (restore && by == plan::DiffDecision::kNoop) by = plan::DiffDecision::kUpdate;
    if (by != plan::DiffDecision::kReplace || !p.id.empty() || !desired.attributes.is_object() ||
        !p.attributes.is_object())
      return by;
    json d = desired.attributes, pa = p.attributes;
    d.erase("ssh_keys");
    pa.erase("ssh_keys");
    return d == pa ? plan::DiffDecision::kUpdate : by;
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;
};

}  // namespace

void InstanceHandler::Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const {
  if (resource.attributes.contains("user_data") && resource.attributes["user_data"].is_string() &&
      resource.attributes["user_data"].get<std::string>().size() > 256 * 1024)
    diags->Error(where, resource.address.ToString() + ": GCE metadata values are limited to 256 KiB");
}

Result<ObservedResource> InstanceHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  const std::string zone = Zone(r.attributes);
  if (zone.empty()) return Status::InvalidArgument("no zone: give the provider 'zone' or 'zones'");
  Result<std::string> subnetwork = SubnetworkFor(r.attributes);
  if (!subnetwork.ok()) return subnetwork.status();
  json body = InstanceProperties(r, zone, *subnetwork);
  body["name"] = r.cloud_name;
  body["labels"] = EncodeLabels(r.tags);
  Result<json> i = Ensure({"zones/" + zone + "/instances", r.cloud_name, body, "instance", "instance " + r.cloud_name},
                          r, ctx);
  if (!i.ok()) return i.status();
  // Adopted while it was still booting: wait for it.
  Result<json> inst = WaitStatus(*i, "/zones/" + zone + "/instances/" + r.cloud_name, "RUNNING", ctx);
  if (!inst.ok()) return inst.status();
  return ObserveInstance(*inst);
}

Result<ObservedResource> InstanceHandler::Update(const model::Resource& r, const state::ResourceState& prior,
                                                engine::ApplyContext& ctx) {
  const std::string path =
      "/" + (prior.id.empty() ? "zones/" + Zone(r.attributes) + "/instances/" + r.cloud_name : prior.id);
  const std::string want = SshKeysValue(r.attributes);
  // What the plan found changed outside (the live values in `prior`): the
  // tier's tag gone, the user-data item deleted.
  const std::string tag = Str(r.attributes, "target_tag");
  const std::string old_tag = Str(prior.attributes, "target_tag");
  const bool set_tag = !tag.empty() && old_tag != tag;
  const std::string user_data = Str(r.attributes, "user_data");
  const bool put_user_data =
      !user_data.empty() && prior.attributes.is_object() && IsUserDataMissing(prior.attributes.value("user_data", json()));
  // The fingerprints guard against a concurrent change: on 412 read again.
  // The last round only reads back what the previous one set.
  constexpr int kRounds = 4;
  for (int round = 1; round <= kRounds; ++round) {
    Result<json> inst = client_->Get(path);
    if (!inst.ok()) return inst.status();
    json md = inst->value("metadata", json::object());
    json items = json::array();
    std::string have;
    bool has_user_data = false;
    for (const json& item : md.value("items", json::array())) {
      if (Str(item, "key") == "ssh-keys") {
        have = Str(item, "value");
        continue;
      }
      if (Str(item, "key") == "user-data") has_user_data = true;
      items.push_back(item);
    }
    const bool md_needed = have != want || (put_user_data && !has_user_data);
    json tags = inst->value("tags", json::object());
    json tag_items = json::array();
    bool has_tag = false;
    for (const json& t : common::StringItems(tags.value("items", json::array()))) {
      if (t.get<std::string>() == tag) has_tag = true;
      if (t.get<std::string>() != old_tag || old_tag.empty()) tag_items.push_back(t);
    }
    const bool tags_needed = set_tag && !has_tag;
    if (!md_needed && !tags_needed) return ObserveInstance(*inst);
    if (round == kRounds) break;
    if (md_needed) {
      if (put_user_data && !has_user_data) items.push_back({{"key", "user-data"}, {"value", user_data}});
      if (!want.empty()) items.push_back({{"key", "ssh-keys"}, {"value", want}});
      json body = {{"fingerprint", Str(md, "fingerprint")}, {"items", items}};
      Status st = client_->MutateAndWait("POST", path + "/setMetadata", body,
                                         RequestId(request_scope_, r.address.ToString(), "ssh-keys", ctx.attempt, body),
                                         ctx, "setting metadata on instance " + LastSegment(path));
      if (!st.ok() && st.message().find("conditionNotMet") == std::string::npos) return st;
    }
    if (tags_needed) {
      tag_items.push_back(tag);
      json body = {{"fingerprint", Str(tags, "fingerprint")}, {"items", tag_items}};
      Status st = client_->MutateAndWait("POST", path + "/setTags", body,
                                         RequestId(request_scope_, r.address.ToString(), "tags", ctx.attempt, body),
                                         ctx, "setting network tag " + tag + " on instance " + LastSegment(path));
      if (!st.ok() && st.message().find("conditionNotMet") == std::string::npos) return st;
    }
  }
  return Status::Conflict("the metadata or tags of instance " + LastSegment(path) +
                          " kept changing under setMetadata/setTags; run deploy again");
}

Status InstanceHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  return client_->DeleteAndWait("/" + prior.id, ctx, prior.kind + " " + prior.cloud_name);
}

std::unique_ptr<common::ResourceHandler> NewInstanceHandler(Api* api) { return std::make_unique<InstanceHandler>(api); }

}  // namespace orch::providers::gce
