// Cinder volumes attached through Nova, and floating IPs.
#include <algorithm>

#include "providers/openstack/os_provider.h"

namespace orch::providers::openstack {

using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

Result<ObservedResource> OpenStackProvider::CreateVolume(const model::Resource& r, engine::ApplyContext& ctx) {
  if (!volume_) return Status::NotSupported("the service catalog has no block-storage (volumev3) endpoint");
  const json& a = r.attributes;
  json metadata = json::object();
  for (const auto& [k, v] : r.tags) metadata[k] = v;
  json vol = {{"name", r.cloud_name}, {"size", a.value("size_gb", 1)}, {"metadata", metadata}};
  if (!Str(a, "type").empty()) vol["volume_type"] = Str(a, "type");
  if (!Str(a, "zone").empty()) vol["availability_zone"] = Str(a, "zone");
  const std::string address = r.address.ToString();
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = volume_->List("/volumes/detail?name=" + UrlEncode(r.cloud_name), "volumes");
    if (!l.ok()) return l.status();
    for (json& v : *l)
      if (Str(v.value("metadata", json::object()), std::string(model::kTagAddress)) == address &&
          Str(v, "status") != "deleting" && Str(v, "status") != "error")
        return std::optional<json>(std::move(v));
    return std::optional<json>();
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = volume_->Post("/volumes", {{"volume", vol}}, o);
    if (!res.ok()) return res.status();
    return (*res)["volume"];
  };
  Result<json> v = CreateOnce("volume " + r.cloud_name, lookup, post, ctx.attempt > 1, ctx);
  if (!v.ok()) return v.status();
  const std::string id = Str(*v, "id");
  if (ctx.record_operation) ctx.record_operation("volume:" + id);
  json last = *v;
  auto status_is = [&](std::initializer_list<const char*> want) -> Result<bool> {
    Result<json> g = volume_->Get("/volumes/" + id);
    if (!g.ok()) return g.status();
    last = (*g)["volume"];
    std::string s = Str(last, "status");
    if (s == "error" || s == "error_attaching") return Status::Internal("volume " + r.cloud_name + " went to " + s);
    for (const char* w : want)
      if (s == w) return true;
    return false;
  };
  if (Str(last, "status") != "available" && Str(last, "status") != "in-use")
    ORCH_RETURN_IF_ERROR(WaitFor("volume " + r.cloud_name + " to become available", tuning_.volume_timeout_ms, ctx,
                                 [&] { return status_is({"available", "in-use"}); }));
  ObservedResource out;
  out.id = id;
  out.cloud_name = r.cloud_name;

  const std::string server = Str(a, "instance_id");
  if (server.empty()) return out;
  ORCH_RETURN_IF_ERROR(AttachVolume(id, r.cloud_name, server, ctx));
  return out;
}

Status OpenStackProvider::AttachVolume(const std::string& id, const std::string& name, const std::string& server,
                                       engine::ApplyContext& ctx) {
  auto status_is = [&](std::initializer_list<const char*> want) -> Result<bool> {
    Result<json> g = volume_->Get("/volumes/" + id);
    if (!g.ok()) return g.status();
    std::string s = Str((*g)["volume"], "status");
    if (s == "error" || s == "error_attaching") return Status::Internal("volume " + name + " went to " + s);
    for (const char* w : want)
      if (s == w) return true;
    return false;
  };
  auto attached = [&]() -> Result<bool> {
    auto l = compute_->List("/servers/" + server + "/os-volume_attachments", "volumeAttachments");
    if (!l.ok()) return l.status();
    for (const json& at : *l)
      if (Str(at, "volumeId") == id) return true;
    return false;
  };
  Result<bool> is = attached();
  if (!is.ok()) return is.status();
  if (!*is) {
    Status st = RetryBusy(
        [&]() -> Status {
          http::SendOutcome o;
          Result<json> at = compute_->Post("/servers/" + server + "/os-volume_attachments",
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
  return WaitFor("volume " + name + " to be in use", tuning_.volume_timeout_ms, ctx,
                 [&] { return status_is({"in-use"}); });
}

Status OpenStackProvider::ReattachVolume(const state::ResourceState& prior, const std::string& server,
                                         engine::ApplyContext& ctx) {
  if (!volume_) return Status::NotSupported("no block-storage endpoint");
  Result<json> v = volume_->Get("/volumes/" + prior.id);
  if (!v.ok()) return v.status();
  bool detached = false;
  for (const json& at : (*v)["volume"].value("attachments", json::array())) {
    const std::string other = Str(at, "server_id");
    if (other.empty() || other == server) continue;
    Status st = RetryBusy([&] { return compute_->Delete("/servers/" + other + "/os-volume_attachments/" + prior.id); },
                          ctx, "volume " + prior.cloud_name + " to detach");
    if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("detaching the volume");
    detached = true;
  }
  if (detached)
    ORCH_RETURN_IF_ERROR(WaitFor("volume " + prior.cloud_name + " to detach", tuning_.volume_timeout_ms, ctx,
                                 [&]() -> Result<bool> {
                                   Result<json> g = volume_->Get("/volumes/" + prior.id);
                                   if (!g.ok()) return g.status();
                                   return Str((*g)["volume"], "status") == "available";
                                 }));
  if (server.empty()) return Status::OK();
  return AttachVolume(prior.id, prior.cloud_name, server, ctx);
}

Status OpenStackProvider::DeleteVolume(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  if (!volume_) return Status::NotSupported("no block-storage endpoint");
  Result<json> v = volume_->Get("/volumes/" + prior.id);
  if (!v.ok()) return v.status();
  for (const json& at : (*v)["volume"].value("attachments", json::array())) {
    std::string server = Str(at, "server_id");
    if (server.empty()) continue;
    Status st = RetryBusy([&] { return compute_->Delete("/servers/" + server + "/os-volume_attachments/" + prior.id); },
                          ctx, "volume " + prior.cloud_name + " to detach");
    if (!st.ok() && !st.IsNotFound()) return st.WithPrefix("detaching the volume");
  }
  ORCH_RETURN_IF_ERROR(WaitFor("volume " + prior.cloud_name + " to detach", tuning_.volume_timeout_ms, ctx,
                               [&]() -> Result<bool> {
                                 Result<json> g = volume_->Get("/volumes/" + prior.id);
                                 if (!g.ok()) return g.status();
                                 std::string s = Str((*g)["volume"], "status");
                                 return s == "available" || s == "error";
                               }));
  Status st = RetryBusy(
      [&]() -> Status {
        Status d = volume_->Delete("/volumes/" + prior.id);
        if (d.code() == StatusCode::kInvalidArgument) return Status::Conflict(d.message());  // still settling
        return d;
      },
      ctx, "volume " + prior.cloud_name);
  if (!st.ok()) return st;
  return WaitFor("volume " + prior.cloud_name + " to be deleted", tuning_.volume_timeout_ms, ctx, [&]() -> Result<bool> {
    Result<json> g = volume_->Get("/volumes/" + prior.id);
    if (g.ok()) return false;
    if (g.status().IsNotFound()) return true;
    return g.status();
  });
}

Result<ObservedResource> OpenStackProvider::CreateFloatingIp(const model::Resource& r, engine::ApplyContext& ctx) {
  const std::string server = Str(r.attributes, "instance_id");
  Result<std::string> ext = ExternalNetwork();
  if (!ext.ok()) return ext.status();
  std::string port_id;
  if (!server.empty()) {
    auto ports = network_->List("/ports?device_id=" + server, "ports");
    if (!ports.ok()) return ports.status();
    if (ports->empty()) return Status::NotFound("server " + server + " has no port to associate a floating IP with");
    port_id = Str((*ports)[0], "id");
  }
  const std::string owned = OwnedTags(config_.deployment, r.address.ToString());
  const std::string description = OwnerDescription(r.cloud_name, r.address.ToString());
  json body = {{"floating_network_id", *ext}, {"description", description}};
  if (!port_id.empty()) body["port_id"] = port_id;
  Result<json> fip = NeutronCreate("floatingips", "floatingip", body, EncodeTags(r.tags),
                                   [&] { return FindOwned("floatingips", owned, "", description); }, ctx);
  if (!fip.ok()) return fip.status();
  if (!port_id.empty() && Str(*fip, "port_id") != port_id) {  // adopted, associated elsewhere
    Result<json> u = network_->Put("/floatingips/" + Str(*fip, "id"), {{"floatingip", {{"port_id", port_id}}}});
    if (!u.ok()) return u.status().WithPrefix("associating the floating IP");
  }
  ObservedResource o;
  o.id = Str(*fip, "id");
  o.cloud_name = r.cloud_name;
  o.outputs = {{"ip", Str(*fip, "floating_ip_address")}};
  return o;
}

Status OpenStackProvider::AssignFloatingIp(const std::string& id, const std::string& server) {
  json port = nullptr;
  if (!server.empty()) {
    auto ports = network_->List("/ports?device_id=" + server, "ports");
    if (!ports.ok()) return ports.status();
    if (ports->empty()) return Status::NotFound("server " + server + " has no port to associate a floating IP with");
    port = Str((*ports)[0], "id");
  }
  Result<json> u = network_->Put("/floatingips/" + id, {{"floatingip", {{"port_id", port}}}});
  if (!u.ok()) return u.status().WithPrefix(server.empty() ? "disassociating the floating IP" : "associating the floating IP");
  return Status::OK();
}

Status OpenStackProvider::DeleteFloatingIp(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  // Deleting releases it (and disassociates it from its port).
  return RetryBusy([&] { return network_->Delete("/floatingips/" + prior.id); }, ctx, "floating IP " + prior.id);
}

}  // namespace orch::providers::openstack
