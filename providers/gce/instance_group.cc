// Instance groups: instance template + managed instance group + autoscaler
// (native scaling). Scaling numbers patch the autoscaler; instance
// attributes roll out a new template.
#include "providers/gce/api.h"

#include "model/expand.h"
#include "providers/common/operation_poller.h"
#include "providers/common/timeouts.h"
#include "util/strings.h"

namespace orch::providers::gce {

using common::AttributeSpec;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

static json WithoutScaling(const json& a) {
  json out = common::WithoutTimeouts(a);
  if (out.is_object())
    for (const char* k : {"min", "max", "cpu_target"}) out.erase(k);
  return out;
}

// What decides a template: everything but the scaling numbers.
static json TemplateKey(const json& a) {
  json k = common::WithoutTimeouts(a);
  for (const char* f : {"min", "max", "cpu_target"}) k.erase(f);
  return k;
}

namespace {

class GroupHandler final : public GceHandler {
 public:
  using GceHandler::GceHandler;
  model::Kind kind() const override { return model::Kind::kInstanceGroup; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
      {"min", false, OnChange::kInPlace, "`PATCH {scope}/autoscalers?autoscaler={name}`"},
      {"max", false, OnChange::kInPlace, "`PATCH {scope}/autoscalers?autoscaler={name}`"},
      {"cpu_target", false, OnChange::kInPlace, "`PATCH {scope}/autoscalers?autoscaler={name}`"},
      {"size", false, OnChange::kInPlace, "a new instance template, `setInstanceTemplate`, `recreateInstances` of the members"},
      {"image", false, OnChange::kInPlace, "a new instance template, `setInstanceTemplate`, `recreateInstances` of the members"},
      {"user_data", false, OnChange::kInPlace, "a new instance template, `setInstanceTemplate`, `recreateInstances` of the members"},
      {"target_tag", false, OnChange::kInPlace, "a new instance template, `setInstanceTemplate`, `recreateInstances` of the members"},
      {"ssh_keys", false, OnChange::kInPlace, "a new instance template, `setInstanceTemplate`, `recreateInstances` of the members"},
      {"zone", false, OnChange::kInPlace, "a new instance template, `setInstanceTemplate`, `recreateInstances` of the members"},
      {"service_account", false, OnChange::kInPlace, "a new instance template, `setInstanceTemplate`, `recreateInstances` of the members"},
      {"network", false, OnChange::kReplace, "a new group"},
      {"region", false, OnChange::kReplace, "a new group"},
    };
  }
  // Network or region: replace; anything else is rolled out in place.
  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override;
  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override;
  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override;
  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override;

 private:
  json TemplateBody(const model::Resource& r, const std::string& name, const std::string& subnetwork) const;
  json AutoscalerBody(const model::Resource& r, const std::string& group_link) const;
  // Deletes the instance templates of `group` ("<group>-<8 hex>") but `keep`.
  Status DeleteTemplates(const std::string& group, const std::string& keep, engine::ApplyContext& ctx);
  // Waits up to `timeout_ms` until the group is stable and reports it with
  // its members; a group that is not says why (UnstableReason).
  Result<ObservedResource> ObserveGroup(const std::string& name, const std::string& address, int64_t timeout_ms,
                                        engine::ApplyContext* ctx);
};

}  // namespace

plan::DiffDecision GroupHandler::Diff(const model::Resource& desired, const state::ResourceState& prior) const {
  if (desired.attributes == prior.attributes) return plan::DiffDecision::kNoop;
  // Network or region changes need a new group; the rest is rolled out.
  json d = WithoutScaling(desired.attributes), p = WithoutScaling(prior.attributes);
  if (Str(d, "network") != Str(p, "network") || Str(d, "region") != Str(p, "region"))
    return plan::DiffDecision::kReplace;
  return plan::DiffDecision::kUpdate;
}

json GroupHandler::TemplateBody(const model::Resource& r, const std::string& name,
                               const std::string& subnetwork) const {
  json props = InstanceProperties(r, "", subnetwork);
  std::map<std::string, std::string> labels = r.tags;
  labels.erase(std::string(model::kTagAddress));  // members are not the group
  props["labels"] = EncodeLabels(labels);
  return {{"name", name}, {"properties", props}, {"description", DescriptionFor(r.tags)}};
}

json GroupHandler::AutoscalerBody(const model::Resource& r, const std::string& group_link) const {
  const json& a = r.attributes;
  json policy = {{"minNumReplicas", a.value("min", 1)},
                 {"maxNumReplicas", a.value("max", a.value("min", 1))},
                 {"coolDownPeriodSec", 60}};
  double cpu = a.value("cpu_target", 0.0);
  if (cpu > 0) policy["cpuUtilization"] = {{"utilizationTarget", cpu}};
  return {{"name", r.cloud_name}, {"target", group_link}, {"autoscalingPolicy", policy},
          {"description", DescriptionFor(r.tags)}};
}

std::string GroupUnstableReason::Text() const {
  std::string out;
  if (!error_code.empty()) {
    out = error_code + (error_message.empty() ? "" : ": " + error_message);
    std::string hint;
    if (error_code == "QUOTA_EXCEEDED") hint = "raise the quota or lower the group size";
    if (error_code == "ZONE_RESOURCE_POOL_EXHAUSTED") hint = "use other zones or another machine type, or try later";
    std::string members = failed > 1 ? std::to_string(failed) + " members failed so; " : "";
    if (!members.empty() || !hint.empty()) {
      std::string note = members + hint;
      if (EndsWith(note, "; ")) note.resize(note.size() - 2);
      out += " (" + note + ")";
    }
  }
  if (!actions.empty()) out = out.empty() ? actions : actions + "; last attempt: " + out;
  return out;
}

// The members still being acted on, as currentActions counts them.
static std::string PendingActions(const json& group) {
  const json& ca = group.contains("currentActions") && group["currentActions"].is_object() ? group["currentActions"]
                                                                                            : json::object();
  std::string out;
  for (auto it = ca.begin(); it != ca.end(); ++it) {
    if (it.key() == "none" || !it->is_number_integer() || it->get<int64_t>() <= 0) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(it->get<int64_t>()) + " " + it.key();
  }
  return out;
}

GroupUnstableReason UnstableReason(const json& group, const json& managed) {
  GroupUnstableReason r;
  r.actions = PendingActions(group);
  const json list = managed.is_object() ? managed.value("managedInstances", json::array()) : json::array();
  if (!list.is_array()) return r;
  for (const json& m : list) {
    if (!m.is_object() || !m.contains("lastAttempt") || !m["lastAttempt"].is_object()) continue;
    const json& errors = m["lastAttempt"].value("errors", json::object());
    if (!errors.is_object() || !errors.contains("errors") || !errors["errors"].is_array() || errors["errors"].empty())
      continue;
    const json& e = errors["errors"][0];
    std::string code = Str(e, "code"), message = common::ClipMessage(Str(e, "message"), 300);
    if (code.empty() && message.empty()) continue;
    if (r.failed == 0) r.error_code = code, r.error_message = message;
    if (code == r.error_code) ++r.failed;
  }
  return r;
}

// Whether the group is making or remaking members, whose lastAttempt
// (listManagedInstances) says why they are not there yet.
static bool Creating(const json& group) {
  const json& ca = group.contains("currentActions") && group["currentActions"].is_object() ? group["currentActions"]
                                                                                            : json::object();
  for (const char* k : {"creating", "creatingWithoutRetries", "recreating"})
    if (ca.value(k, 0) > 0) return true;
  return false;
}

Result<ObservedResource> GroupHandler::ObserveGroup(const std::string& name, const std::string& address,
                                                   int64_t timeout_ms, engine::ApplyContext* ctx) {
  const std::string path = "/" + GroupScope() + "/instanceGroupManagers/" + name;
  json group;
  GroupUnstableReason reason;
  std::string reported;
  common::PollOptions o;
  o.initial_interval_ms = tuning_.poll_initial_ms;
  o.max_interval_ms = tuning_.poll_max_ms;
  o.timeout_ms = timeout_ms;
  o.cancelled = ctx ? ctx->cancelled : nullptr;
  o.what = "group " + name + " to become stable";
  Status st = common::Poll(env_.clock, o, [&]() -> Result<bool> {
    Result<json> g = client_->Get(path);
    if (!g.ok()) return g.status();
    group = *g;
    bool stable = group.contains("status") && group["status"].is_object() && group["status"].value("isStable", false);
    if (stable) return true;
    json managed = json::object();
    if (Creating(group) && ctx) {
      // A failed answer only leaves this round without the reason.
      Result<json> m = client_->PostRead(path + "/listManagedInstances", *ctx);
      if (m.ok()) managed = *m;
    }
    reason = UnstableReason(group, managed);
    // Said once per change, not once per poll.
    std::string text = reason.Text();
    if (ctx && ctx->progress && (reported.empty() || text != reported))
      ctx->progress("waiting for group " + name + " to become stable" + (text.empty() ? "" : ": " + text));
    reported = text.empty() ? " " : text;
    return false;
  });
  if (st.code() == StatusCode::kTimeout) {
    std::string why = reason.Text();
    std::string msg = "group " + name + " did not become stable within " + FormatDuration(timeout_ms) +
                      (why.empty() ? "" : ": " + why);
    return reason.error_code == "QUOTA_EXCEEDED" ? Status::QuotaExceeded(msg) : Status::Timeout(msg);
  }
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

Result<ObservedResource> GroupHandler::Create(const model::Resource& r, engine::ApplyContext& ctx) {
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
  return ObserveGroup(r.cloud_name, r.address.ToString(),
                      common::TimeoutMs(r.attributes, "create", tuning_.group_timeout_ms), &ctx);
}

Result<ObservedResource> GroupHandler::Update(const model::Resource& r, const state::ResourceState& prior,
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
    Result<json> managed = client_->PostRead(path + "/listManagedInstances", ctx);
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
    // The old template, and any an interrupted rollout left (the group
    // already points at the new one then).
    ORCH_RETURN_IF_ERROR(DeleteTemplates(r.cloud_name, tmpl_name, ctx));
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
  return ObserveGroup(r.cloud_name, r.address.ToString(),
                      common::TimeoutMs(r.attributes, "create", tuning_.group_timeout_ms), &ctx);
}

Status GroupHandler::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  const std::string name = prior.cloud_name.empty() ? LastSegment(prior.id) : prior.cloud_name;
  std::string scope = prior.id.substr(0, prior.id.find("/instanceGroupManagers/"));
  if (scope.empty() || scope == prior.id) scope = GroupScope();
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/" + scope + "/autoscalers/" + name, ctx, "autoscaler " + name));
  // Deleting the group deletes its members: the tier's delete timeout.
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/" + scope + "/instanceGroupManagers/" + name, ctx, "group " + name,
                                              common::TimeoutMs(prior.attributes, "delete", 0)));
  return DeleteTemplates(name, "", ctx);
}

Status GroupHandler::DeleteTemplates(const std::string& group, const std::string& keep, engine::ApplyContext& ctx) {
  Result<std::vector<json>> templates = client_->List("/global/instanceTemplates", "name eq " + group + "-[0-9a-f]{8}");
  if (!templates.ok()) return templates.status();
  for (const json& t : *templates) {
    if (Str(t, "name") == keep) continue;
    ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/global/instanceTemplates/" + Str(t, "name"), ctx,
                                                "instance template " + Str(t, "name")));
  }
  return Status::OK();
}

std::unique_ptr<common::ResourceHandler> NewGroupHandler(Api* api) { return std::make_unique<GroupHandler>(api); }

}  // namespace orch::providers::gce
