// Volumes: a zonal persistent disk, attached to its instance with attachDisk.
#include "providers/gce/api.h"

namespace orch::providers::gce {

using common::AttributeSpec;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

namespace {

class VolumeHandler final : public GceHandler {
 public:
  using GceHandler::GceHandler;
  model::Kind kind() const override { return model::Kind::kVolume; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
      {"size_gb", false, OnChange::kReplace, "a new disk"},
      {"type", false, OnChange::kReplace, "a new disk"},
      {"zone", false, OnChange::kReplace, "a new disk"},
      {"region", false, OnChange::kReplace, "a new disk"},
      {"instance", false, OnChange::kReplace, "a new disk"},
      {"instance_id", true, OnChange::kInPlace,
       "`POST zones/{zone}/instances/{old}/detachDisk` (when the old instance is still there), `POST "
       "zones/{zone}/instances/{new}/attachDisk`: the disk, and its data, outlive a replaced instance"},
    };
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  // Attaches the disk `self` to `instance` (zones/Z/instances/N) unless it is already.
  Status Attach(const model::Resource& r, const std::string& self, const std::string& instance,
                engine::ApplyContext& ctx);
  // Detaches `disk` from every instance using it but `keep`.
  Status DetachFromUsers(const json& disk, const std::string& address, const std::string& keep,
                         engine::ApplyContext& ctx);
};

}  // namespace

Result<ObservedResource> VolumeHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  const std::string instance = Str(a, "instance_id");  // zones/Z/instances/N
  std::string zone = Str(a, "zone");
  if (instance.rfind("zones/", 0) == 0) zone = instance.substr(6, instance.find('/', 6) - 6);
  if (zone.empty()) zone = Zone(a);
  std::string type = Str(a, "type", "pd-balanced");
  if (type.rfind("pd-", 0) != 0) type = type == "ssd" ? "pd-ssd" : "pd-balanced";
  json body = {{"name", r.cloud_name},
               {"sizeGb", std::to_string(a.value("size_gb", 10))},
               {"type", "zones/" + zone + "/diskTypes/" + type},
               {"labels", EncodeLabels(r.tags)}};
  Result<json> disk = Ensure({"zones/" + zone + "/disks", r.cloud_name, body, "disk", "disk " + r.cloud_name}, r, ctx);
  if (!disk.ok()) return disk.status();
  ORCH_RETURN_IF_ERROR(WaitStatus(*disk, "/zones/" + zone + "/disks/" + r.cloud_name, "READY", ctx).status());
  const std::string self = Str(*disk, "selfLink");
  if (!instance.empty()) ORCH_RETURN_IF_ERROR(Attach(r, self, instance, ctx));
  ObservedResource o;
  o.id = RelativeLink(self);
  o.outputs = {{"device", "/dev/disk/by-id/google-" + r.cloud_name}, {"size_gb", a.value("size_gb", 10)}};
  return o;
}

Status VolumeHandler::Attach(const model::Resource& r, const std::string& self, const std::string& instance,
                             engine::ApplyContext& ctx) {
  Result<json> inst = client_->Get("/" + instance);
  if (!inst.ok()) return inst.status().WithPrefix("reading " + instance);
  for (const json& d : inst->value("disks", json::array()))
    if (RelativeLink(Str(d, "source")) == RelativeLink(self)) return Status::OK();
  json att = {{"source", self}, {"deviceName", r.cloud_name}, {"autoDelete", false}, {"mode", "READ_WRITE"}};
  return client_->MutateAndWait("POST", "/" + instance + "/attachDisk", att,
                                RequestId(request_scope_, r.address.ToString(), "attach", ctx.attempt, att), ctx,
                                "attaching disk " + r.cloud_name + " to " + LastSegment(instance));
}

// The disk moves: off the instance it was on (a replaced instance is
// usually gone already), onto the new one. Its content is untouched.
Result<ObservedResource> VolumeHandler::Update(const model::Resource& r, const state::ResourceState& prior,
                                               engine::ApplyContext& ctx) {
  const std::string instance = Str(r.attributes, "instance_id");
  Result<json> disk = client_->Get("/" + prior.id);
  if (!disk.ok()) return disk.status().WithPrefix("reading disk " + LastSegment(prior.id));
  ORCH_RETURN_IF_ERROR(DetachFromUsers(*disk, prior.address, instance, ctx));
  if (!instance.empty()) ORCH_RETURN_IF_ERROR(Attach(r, Str(*disk, "selfLink"), instance, ctx));
  ObservedResource o;
  o.id = prior.id;
  o.outputs = prior.outputs;
  return o;
}

Status VolumeHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  Result<json> disk = client_->Get("/" + prior.id);
  if (!disk.ok()) return disk.status().IsNotFound() ? Status::OK() : disk.status();
  ORCH_RETURN_IF_ERROR(DetachFromUsers(*disk, prior.address, "", ctx));
  return client_->DeleteAndWait("/" + prior.id, ctx, "disk " + LastSegment(prior.id));
}

Status VolumeHandler::DetachFromUsers(const json& disk, const std::string& address, const std::string& keep,
                                      engine::ApplyContext& ctx) {
  const std::string self = Str(disk, "selfLink");
  for (const json& user : disk.value("users", json::array())) {
    std::string inst = RelativeLink(user.get<std::string>());
    if (inst == keep) continue;
    Result<json> i = client_->Get("/" + inst);
    if (!i.ok()) {
      if (i.status().IsNotFound()) continue;
      return i.status();
    }
    for (const json& d : i->value("disks", json::array())) {
      if (RelativeLink(Str(d, "source")) != RelativeLink(self)) continue;
      json key = {{"instance", inst}, {"device", Str(d, "deviceName")}};
      Status st = client_->MutateAndWait("POST", "/" + inst + "/detachDisk?deviceName=" + Str(d, "deviceName"),
                                         nullptr, RequestId(request_scope_, address, "detach", 1, key), ctx,
                                         "detaching disk " + Str(disk, "name") + " from " + LastSegment(inst));
      if (!st.ok() && !st.IsNotFound() && st.code() != StatusCode::kInvalidArgument) return st;
    }
  }
  return Status::OK();
}

std::unique_ptr<common::ResourceHandler> NewVolumeHandler(Api* api) { return std::make_unique<VolumeHandler>(api); }

}  // namespace orch::providers::gce
