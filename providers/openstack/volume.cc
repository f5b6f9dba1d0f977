// The volume kind: a Cinder v3 volume (tags in its metadata) attached to its
// server through Nova, re-attached in place.
#include "providers/openstack/os_provider.h"

namespace orch::providers::openstack {

using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

class VolumeHandler final : public common::ResourceHandler {
 public:
  explicit VolumeHandler(OpenStackProvider* p) : p_(p) {}
  model::Kind kind() const override { return model::Kind::kVolume; }
  std::vector<common::AttributeSpec> Attributes() const override {
    return {
        {"size_gb", false, common::OnChange::kReplace, "a new volume"},
        {"type", false, common::OnChange::kReplace, "a new volume"},
        {"zone", false, common::OnChange::kReplace, "a new volume"},
        {"region", false, common::OnChange::kReplace, "another region is another cloud"},
        {"instance", false, common::OnChange::kReplace, "another member"},
        {"instance_id", true, common::OnChange::kInPlace,
         "detached (`DELETE /servers/{id}/os-volume_attachments/{volume}`), attached (`POST "
         "/servers/{id}/os-volume_attachments`)"},
    };
  }
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  // Attaches volume `id` to `server` (awaiting in-use) unless it is.
  Status AttachVolume(const std::string& id, const std::string& name, const std::string& server,
                      engine::ApplyContext& ctx);
  // Detaches the volume from every server but `server` ("" for none), then
  // attaches it to `server`.
  Status ReattachVolume(const state::ResourceState& prior, const std::string& server, engine::ApplyContext& ctx);
  OpenStackProvider* p_;
};

Result<ObservedResource> VolumeHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  if (!p_->volume_) return Status::NotSupported("the service catalog has no block-storage (volumev3) endpoint");
  const json& a = r.attributes;
  json metadata = json::object();
  for (const auto& [k, v] : r.tags) metadata[k] = v;
  json vol = {{"name", r.cloud_name}, {"size", a.value("size_gb", 1)}, {"metadata", metadata}};
  if (!Str(a, "type").empty()) vol["volume_type"] = Str(a, "type");
  if (!Str(a, "zone").empty()) vol["availability_zone"] = Str(a, "zone");
  const std::string address = r.address.ToString();
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = p_->volume_->List("/volumes/detail?name=" + UrlEncode(r.cloud_name), "volumes");
    if (!l.ok()) return l.status();
    for (json& v : *l)
      if (Str(v.value("metadata", json::object()), std::string(model::kTagAddress)) == address &&
          Str(v, "status") != "deleting" && Str(v, "status") != "error")
        return std::optional<json>(std::move(v));
    return std::optional<json>();
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = p_->volume_->Post("/volumes", {{"volume", vol}}, o);
    if (!res.ok()) return res.status();
    return (*res)["volume"];
  };
  Result<json> v = p_->CreateOnce("volume " + r.cloud_name, lookup, post, ctx.attempt > 1, ctx);
  if (!v.ok()) return v.status();
  const std::string id = Str(*v, "id");
  if (ctx.record_operation) ctx.record_operation("volume:" + id);
  json last = *v;
  auto status_is = [&](std::initializer_list<const char*> want) -> Result<bool> {
    Result<json> g = p_->volume_->Get("/volumes/" + id);
    if (!g.ok()) return g.status();
    last = (*g)["volume"];
    std::string s = Str(last, "status");
    if (s == "error" || s == "error_attaching") return Status::Internal("volume " + r.cloud_name + " went to " + s);
    for (const char* w : want)
      if (s == w) return true;
    return false;
  };
  if (Str(last, "status") != "available" && Str(last, "status") != "in-use")
    ORCH_RETURN_IF_ERROR(
        p_->WaitFor("volume " + r.cloud_name + " to become available", p_->tuning_.volume_timeout_ms, ctx, [&] {
          return status_is({"available", "in-use"});
        }));
  ObservedResource out;
  out.id = id;
  out.cloud_name = r.cloud_name;

  const std::string server = Str(a, "instance_id");
  if (server.empty()) return out;
  ORCH_RETURN_IF_ERROR(AttachVolume(id, r.cloud_name, server, ctx));
  return out;
}

Status VolumeHandler::AttachVolume(const std::string& id, const std::string& name, const std::string& server,
                                   engine::ApplyContext& ctx) {
  auto status_is = [&](std::initializer_list<const char*> want) -> Result<bool> {
    Result<json> g = p_->volume_->Get("/volumes/" + id);
    if (!g.ok()) return g.status();
    std::string s = Str((*g)["volume"], "status");
    if (s == "error" || s == "error_attaching") return Status::Internal("volume " + name + " went to " + s);
    for (const char* w : want)
      if (s == w) return true;
    return false;
  };
  auto attached = [&]() -> Result<bool> {
    auto l = p_->compute_->List("/servers/" + server + "/os-volume_attachments", "volumeAttachments");
    if (!l.ok()) return l.status();
    for (const json& at : *l)
      if (Str(at, "volumeId") == id) return true;
    return false;
  };
  Result<bool> is = attached();
  if (!is.ok()) return is.status();
  if (!*is) {
    Status st = p_->RetryBusy(
        [&]() -> Status {
          http::SendOutcome o;
          Result<json> at = p_->compute_->Post("/servers/" + server + "/os-volume_attachments",
                                               {{"volumeAttachment", {{"volumeId", id}}}}, &o);
          if (at.ok()) return Status::OK();
          Result<bool> again = attached();  // lost answer, or attached meanwhile
          if (again.ok() && *again) return Status::OK();
          if (Uncertain(at.status())) return Status::Conflict("retrying the attachment");
          // A volume still settling answers 400 "Invalid volume": wait on it like a 409.
          if (at.status().code() == StatusCode::kInvalidArgument &&
              at.status().message().find("Invalid volume") != std::string::npos)
            return Status::Conflict(at.status().message());
          return at.status();
        },
        ctx, "volume " + name + " to attach");
    if (!st.ok()) return st.WithPrefix("attaching the volume");
  }
  return p_->WaitFor("volume " + name + " to be in use", p_->tuning_.volume_timeout_ms, ctx,
                     [&] { return status_is({"in-use"}); });
}

Status VolumeHandler::ReattachVolume(const state::ResourceState& prior, const std::string& server,
                                     engine::ApplyContext& ctx) {
  if (!p_->volume_) return Status::NotSupported("no block-storage endpoint");
  Result<json> v = p_->volume_->Get("/volumes/" + prior.id);
  if (!v.ok()) return v.status();
  bool detached = false;
  for (const json& at : (*v)["volume"].value("attachments", json::array())) {
    const std::string other = Str(at, "server_id");
    if (other.empty() || other == server) continue;
    Status st =
        p_->RetryBusy([&] { return p_->compute_->Delete("/servers/" + other + "/os-volume_attachments/" + prior.id); },
                      ctx, "volume " + prior.cloud_name + " to detach");
    if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("detaching the volume");
    detached = true;
  }
  if (detached)
    ORCH_RETURN_IF_ERROR(p_->WaitFor("volume " + prior.cloud_name + " to detach", p_->tuning_.volume_timeout_ms, ctx,
                                     [&]() -> Result<bool> {
                                       Result<json> g = p_->volume_->Get("/volumes/" + prior.id);
                                       if (!g.ok()) return g.status();
                                       return Str((*g)["volume"], "status") == "available";
                                     }));
  if (server.empty()) return Status::OK();
  return AttachVolume(prior.id, prior.cloud_name, server, ctx);
}

Status VolumeHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  if (!p_->volume_) return Status::NotSupported("no block-storage endpoint");
  Result<json> v = p_->volume_->Get("/volumes/" + prior.id);
  if (!v.ok()) return v.status();
  for (const json& at : (*v)["volume"].value("attachments", json::array())) {
    std::string server = Str(at, "server_id");
    if (server.empty()) continue;
    Status st =
        p_->RetryBusy([&] { return p_->compute_->Delete("/servers/" + server + "/os-volume_attachments/" + prior.id); },
                      ctx, "volume " + prior.cloud_name + " to detach");
    if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("detaching the volume");
  }
  ORCH_RETURN_IF_ERROR(p_->WaitFor("volume " + prior.cloud_name + " to detach", p_->tuning_.volume_timeout_ms, ctx,
                                   [&]() -> Result<bool> {
                                     Result<json> g = p_->volume_->Get("/volumes/" + prior.id);
                                     if (!g.ok()) return g.status();
                                     std::string s = Str((*g)["volume"], "status");
                                     return s == "available" || s == "error";
                                   }));
  Status st = p_->RetryBusy(
      [&]() -> Status {
        Status d = p_->volume_->Delete("/volumes/" + prior.id);
        if (d.code() == StatusCode::kInvalidArgument) return Status::Conflict(d.message());  // still settling
        return d;
      },
      ctx, "volume " + prior.cloud_name);
  if (!st.ok()) return st;
  return p_->WaitFor("volume " + prior.cloud_name + " to be deleted", p_->tuning_.volume_timeout_ms, ctx,
                     [&]() -> Result<bool> {
                       Result<json> g = p_->volume_->Get("/volumes/" + prior.id);
                       if (g.ok()) return false;
                       if (g.status().IsNotFound()) return true;
                       return g.status();
                     });
}

Result<ObservedResource> VolumeHandler::Update(const model::Resource& r, const state::ResourceState& prior,
                                               engine::ApplyContext& ctx) {
  ORCH_RETURN_IF_ERROR(ReattachVolume(prior, Str(r.attributes, "instance_id"), ctx));
  ObservedResource o;
  o.address = r.address.ToString();
  o.kind = "volume";
  o.id = prior.id;
  o.cloud_name = prior.cloud_name;
  o.tags = r.tags;
  o.outputs = prior.outputs;
  return o;
}

std::unique_ptr<common::ResourceHandler> NewVolumeHandler(OpenStackProvider* p) {
  return std::make_unique<VolumeHandler>(p);
}

}  // namespace orch::providers::openstack
