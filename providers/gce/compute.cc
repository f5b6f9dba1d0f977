// Instances, and instance groups as template + managed instance group +
// autoscaler.
#include <algorithm>

#include "providers/common/operation_poller.h"
#include "providers/gce/gce_provider.h"

namespace orch::providers::gce {

using engine::ObservedResource;
using nlohmann::json;

static std::string ImageLink(const std::string& image) {
  if (image.find('/') != std::string::npos) return image;
  if (image.rfind("family:", 0) == 0) return "global/images/family/" + image.substr(7);
  return "global/images/" + image;
}

// Properties shared by an instance and a template (machineType is the bare
// type name for a template, a zonal partial URL for an instance).
json GceProvider::InstanceProperties(const model::Resource& r, const std::string& zone,
                                     const std::string& subnetwork) const {
  const json& a = r.attributes;
  std::string size = Str(a, "size");
  json props = {{"machineType", zone.empty() ? size : "zones/" + zone + "/machineTypes/" + size}};
  props["disks"] = json::array({{{"boot", true},
                                  {"autoDelete", true},
                                  {"initializeParams", {{"sourceImage", ImageLink(Str(a, "image"))}}}}});
  json ni = {{"accessConfigs", json::array({{{"type", "ONE_TO_ONE_NAT"}, {"name", "External NAT"}}})}};
  std::string network = Str(a, "network");
  if (!network.empty()) {
    ni["network"] = network;
    if (!subnetwork.empty()) ni["subnetwork"] = subnetwork;
  }
  props["networkInterfaces"] = json::array({ni});
  if (!Str(a, "target_tag").empty()) props["tags"] = {{"items", json::array({Str(a, "target_tag")})}};
  json items = json::array();
  if (a.contains("user_data") && a["user_data"].is_string() && !a["user_data"].get<std::string>().empty())
    items.push_back({{"key", "user-data"}, {"value", a["user_data"]}});
  std::string keys = SshKeysValue(a);
  if (!keys.empty()) items.push_back({{"key", "ssh-keys"}, {"value", keys}});
  props["metadata"] = {{"items", items}};
  return props;
}

Result<json> GceProvider::WaitStatus(const json& object, const std::string& path, const std::string& want,
                                     engine::ApplyContext& ctx) {
  json current = object;
  if (Str(current, "status") == want) return current;
  common::PollOptions o;
  o.initial_interval_ms = tuning_.poll_initial_ms;
  o.max_interval_ms = tuning_.poll_max_ms;
  o.cancelled = ctx.cancelled;
  o.what = path + " to be " + want;
  ORCH_RETURN_IF_ERROR(common::Poll(env_.clock, o, [&]() -> Result<bool> {
    Result<json> g = client_->Get(path);
    if (!g.ok()) return g.status();
    current = std::move(*g);
    return Str(current, "status") == want;
  }));
  return current;
}

Result<ObservedResource> GceProvider::CreateInstance(const model::Resource& r, engine::ApplyContext& ctx) {
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

// What decides a template: everything but the scaling numbers.
static json TemplateKey(const json& a) {
  json k = a;
  for (const char* f : {"min", "max", "cpu_target"}) k.erase(f);
  return k;
}

json GceProvider::TemplateBody(const model::Resource& r, const std::string& name,
                               const std::string& subnetwork) const {
  json props = InstanceProperties(r, "", subnetwork);
  std::map<std::string, std::string> labels = r.tags;
  labels.erase(std::string(model::kTagAddress));  // members are not the group
  props["labels"] = EncodeLabels(labels);
  return {{"name", name}, {"properties", props}, {"description", DescriptionFor(r.tags)}};
}

json GceProvider::AutoscalerBody(const model::Resource& r, const std::string& group_link) const {
  const json& a = r.attributes;
  json policy = {{"minNumReplicas", a.value("min", 1)},
                 {"maxNumReplicas", a.value("max", a.value("min", 1))},
                 {"coolDownPeriodSec", 60}};
  double cpu = a.value("cpu_target", 0.0);
  if (cpu > 0) policy["cpuUtilization"] = {{"utilizationTarget", cpu}};
  return {{"name", r.cloud_name}, {"target", group_link}, {"autoscalingPolicy", policy},
          {"description", DescriptionFor(r.tags)}};
}

Result<ObservedResource> GceProvider::ObserveGroup(const std::string& name, const std::string& address,
                                                   engine::ApplyContext* ctx) {
  const std::string path = "/" + GroupScope() + "/instanceGroupManagers/" + name;
  json group;
  common::PollOptions o;
  o.initial_interval_ms = tuning_.poll_initial_ms;
  o.max_interval_ms = tuning_.poll_max_ms;
  o.timeout_ms = tuning_.group_timeout_ms;
  o.cancelled = ctx ? ctx->cancelled : nullptr;
  o.what = "group " + name + " to become stable";
  Status st = common::Poll(env_.clock, o, [&]() -> Result<bool> {
    Result<json> g = client_->Get(path);
    if (!g.ok()) return g.status();
    group = *g;
    bool stable = group.contains("status") && group["status"].is_object() && group["status"].value("isStable", false);
    if (!stable && ctx && ctx->progress) ctx->progress("waiting for group " + name + " to become stable");
    return stable;
  });
  if (!st.ok()) return st;
  // Members carry the deployment and tier labels but no address label.
  std::map<std::string, std::string> tags = TagsOf(group);
  std::string filter = "labels." + std::string(model::kTagDeployment) + "=" + EncodeLabelValue(config_.deployment);
  Result<std::vector<json>> all = ListInstances(filter);
  if (!all.ok()) return all.status();
  json members = MemberList(*all, name);
  ObservedResource out;
  out.id = RelativeLink(Str(group, "selfLink"));
  out.cloud_name = name;
  out.address = address;
  out.tags = tags;
  out.outputs = {{"instances", members},
                 {"target_size", group.value("targetSize", 0)},
                 {"template", LastSegment(Str(group, "instanceTemplate"))}};
  return out;
}

Result<ObservedResource> GceProvider::CreateGroup(const model::Resource& r, engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  const std::string tmpl_name = r.cloud_name + "-" + ShortHash(TemplateKey(a));
  Result<std::string> subnetwork = SubnetworkFor(a);
  if (!subnetwork.ok()) return subnetwork.status();
  json tb = TemplateBody(r, tmpl_name, *subnetwork);
  Result<json> t = Ensure({"global/instanceTemplates", tmpl_name, tb, "template", "instance template " + tmpl_name}, r, ctx);
  if (!t.ok()) return t.status();
  const std::string scope = GroupScope();
  json gb = {{"name", r.cloud_name},
             {"baseInstanceName", r.cloud_name},
             {"instanceTemplate", Str(*t, "selfLink")},
             {"targetSize", a.value("min", 1)},
             {"description", DescriptionFor(r.tags)}};
  if (RegionalGroups()) {
    json zones = json::array();
    for (const std::string& z : config_.zones) zones.push_back({{"zone", "zones/" + z}});
    gb["distributionPolicy"] = {{"zones", zones}};
  }
  Result<json> g = Ensure({scope + "/instanceGroupManagers", r.cloud_name, gb, "group", "instance group " + r.cloud_name},
                          r, ctx);
  if (!g.ok()) return g.status();
  Result<json> as = Ensure({scope + "/autoscalers", r.cloud_name, AutoscalerBody(r, Str(*g, "selfLink")), "autoscaler",
                            "autoscaler " + r.cloud_name},
                           r, ctx);
  if (!as.ok()) return as.status();
  return ObserveGroup(r.cloud_name, r.address.ToString(), &ctx);
}

Result<ObservedResource> GceProvider::UpdateGroup(const model::Resource& r, const state::ResourceState& prior,
                                                  engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  const std::string scope = GroupScope();
  const std::string path = "/" + scope + "/instanceGroupManagers/" + r.cloud_name;
  Result<json> g = client_->Get(path);
  if (!g.ok()) return g.status();
  std::string old_template = LastSegment(Str(*g, "instanceTemplate"));
  const std::string tmpl_name = r.cloud_name + "-" + ShortHash(TemplateKey(a));
  if (TemplateKey(a) != TemplateKey(prior.attributes) || old_template != tmpl_name) {
    // Templates are immutable: make the new one, point the group at it,
    // replace the members, then delete the old template.
    Result<std::string> subnetwork = SubnetworkFor(a);
    if (!subnetwork.ok()) return subnetwork.status();
    Result<json> t = Ensure({"global/instanceTemplates", tmpl_name, TemplateBody(r, tmpl_name, *subnetwork), "template",
                             "instance template " + tmpl_name},
                            r, ctx);
    if (!t.ok()) return t.status();
    if (old_template != tmpl_name) {
      json body = {{"instanceTemplate", Str(*t, "selfLink")}};
      ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
          "POST", path + "/setInstanceTemplate", body,
          RequestId(request_scope_, r.address.ToString(), "set-template", ctx.attempt, body), ctx,
          "setting template " + tmpl_name + " on group " + r.cloud_name));
    }
    Result<json> managed = client_->Mutate("POST", path + "/listManagedInstances", nullptr, "", ctx);
    if (!managed.ok()) return managed.status();
    json instances = json::array();
    for (const json& m : managed->value("managedInstances", json::array())) {
      json version = m.value("version", json::object());
      if (LastSegment(Str(version, "instanceTemplate")) != tmpl_name) instances.push_back(Str(m, "instance"));
    }
    if (!instances.empty()) {
      json body = {{"instances", instances}};
      ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
          "POST", path + "/recreateInstances", body,
          RequestId(request_scope_, r.address.ToString(), "recreate", ctx.attempt, body), ctx,
          "recreating the members of group " + r.cloud_name));
    }
    if (!old_template.empty() && old_template != tmpl_name)
      ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/global/instanceTemplates/" + old_template, ctx,
                                                  "instance template " + old_template));
  }
  json as = AutoscalerBody(r, Str(*g, "selfLink"));
  Result<json> cur = client_->Get("/" + scope + "/autoscalers/" + r.cloud_name);
  if (!cur.ok() && !cur.status().IsNotFound()) return cur.status();
  if (cur.ok()) {
    const json& p = cur->value("autoscalingPolicy", json::object());
    const json& want = as["autoscalingPolicy"];
    bool same = p.value("minNumReplicas", -1) == want.value("minNumReplicas", -2) &&
                p.value("maxNumReplicas", -1) == want.value("maxNumReplicas", -2) &&
                p.value("cpuUtilization", json::object()).value("utilizationTarget", 0.0) ==
                    want.value("cpuUtilization", json::object()).value("utilizationTarget", 0.0);
    if (!same) {
      ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
          "PATCH", "/" + scope + "/autoscalers?autoscaler=" + r.cloud_name, as,
          RequestId(request_scope_, r.address.ToString(), "autoscaler-patch", ctx.attempt, as), ctx,
          "updating autoscaler " + r.cloud_name));
    }
  } else {
    Result<json> created = Ensure({scope + "/autoscalers", r.cloud_name, as, "autoscaler", "autoscaler " + r.cloud_name},
                                  r, ctx);
    if (!created.ok()) return created.status();
  }
  return ObserveGroup(r.cloud_name, r.address.ToString(), &ctx);
}

Status GceProvider::DeleteGroup(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  const std::string name = prior.cloud_name.empty() ? LastSegment(prior.id) : prior.cloud_name;
  std::string scope = prior.id.substr(0, prior.id.find("/instanceGroupManagers/"));
  if (scope.empty() || scope == prior.id) scope = GroupScope();
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/" + scope + "/autoscalers/" + name, ctx, "autoscaler " + name));
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/" + scope + "/instanceGroupManagers/" + name, ctx, "group " + name));
  Result<std::vector<json>> templates = client_->List("/global/instanceTemplates", "name eq " + name + "-[0-9a-f]{8}");
  if (!templates.ok()) return templates.status();
  for (const json& t : *templates)
    ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/global/instanceTemplates/" + Str(t, "name"), ctx,
                                                "instance template " + Str(t, "name")));
  return Status::OK();
}

}  // namespace orch::providers::gce

namespace orch::providers::gce {

// Volumes: a zonal persistent disk, attached to its instance with attachDisk.
Result<ObservedResource> GceProvider::CreateVolume(const model::Resource& r, engine::ApplyContext& ctx) {
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
  if (!instance.empty()) {
    Result<json> inst = client_->Get("/" + instance);
    if (!inst.ok()) return inst.status().WithPrefix("reading " + instance);
    bool attached = false;
    for (const json& d : inst->value("disks", json::array()))
      attached = attached || RelativeLink(Str(d, "source")) == RelativeLink(self);
    if (!attached) {
      json att = {{"source", self}, {"deviceName", r.cloud_name}, {"autoDelete", false}, {"mode", "READ_WRITE"}};
      ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
          "POST", "/" + instance + "/attachDisk", att,
          RequestId(request_scope_, r.address.ToString(), "attach", ctx.attempt, att), ctx,
          "attaching disk " + r.cloud_name + " to " + LastSegment(instance)));
    }
  }
  ObservedResource o;
  o.id = RelativeLink(self);
  o.outputs = {{"device", "/dev/disk/by-id/google-" + r.cloud_name}, {"size_gb", a.value("size_gb", 10)}};
  return o;
}

Status GceProvider::DeleteVolume(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  Result<json> disk = client_->Get("/" + prior.id);
  if (!disk.ok()) return disk.status().IsNotFound() ? Status::OK() : disk.status();
  const std::string self = Str(*disk, "selfLink");
  for (const json& user : disk->value("users", json::array())) {
    std::string inst = RelativeLink(user.get<std::string>());
    Result<json> i = client_->Get("/" + inst);
    if (!i.ok()) {
      if (i.status().IsNotFound()) continue;
      return i.status();
    }
    for (const json& d : i->value("disks", json::array())) {
      if (RelativeLink(Str(d, "source")) != RelativeLink(self)) continue;
      json key = {{"instance", inst}, {"device", Str(d, "deviceName")}};
      Status st = client_->MutateAndWait("POST", "/" + inst + "/detachDisk?deviceName=" + Str(d, "deviceName"),
                                         nullptr, RequestId(request_scope_, prior.address, "detach", 1, key), ctx,
                                         "detaching disk " + LastSegment(prior.id));
      if (!st.ok() && !st.IsNotFound() && st.code() != StatusCode::kInvalidArgument) return st;
    }
  }
  return client_->DeleteAndWait("/" + prior.id, ctx, "disk " + LastSegment(prior.id));
}

}  // namespace orch::providers::gce
