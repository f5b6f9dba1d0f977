// volume -> block storage volume: attached to its droplet, grown in place,
// moved (detach, attach) when its droplet is replaced, so the data outlives
// the droplet.
#include <algorithm>

#include "providers/common/observed.h"
#include "providers/digitalocean/handlers.h"
#include "providers/digitalocean/tags.h"

namespace orch::providers::digitalocean {
namespace {

using common::AttributeSpec;
using common::Observed;
using common::OnChange;
using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

int64_t SizeGb(const json& a) {
  return a.contains("size_gb") && a["size_gb"].is_number() ? a["size_gb"].get<int64_t>() : 0;
}

bool AttachedTo(const json& vol, const std::string& droplet) {
  if (!vol.contains("droplet_ids") || !vol["droplet_ids"].is_array()) return false;
  for (const auto& d : vol["droplet_ids"])
    if (IdText(d) == droplet) return true;
  return false;
}

class VolumeHandler final : public common::ResourceHandler {
 public:
  explicit VolumeHandler(Api* api) : api_(api) {}
  model::Kind kind() const override { return model::Kind::kVolume; }
  std::vector<AttributeSpec> Attributes() const override {
    return {{"instance_id", true, OnChange::kInPlace, "volume actions detach, attach"},
            {"instance", false, OnChange::kInPlace, "recorded only (follows instance_id)"},
            {"size_gb", false, OnChange::kInPlace, "volume action resize; a smaller size replaces (volumes only grow)"},
            {"region", false, OnChange::kReplace, "a volume stays in its region"},
            {"type", false, OnChange::kReplace, "create-only input"},
            {"zone", false, OnChange::kReplace, "create-only input"}};
  }

  plan::DiffDecision Diff(const model::Resource& desired, const state::ResourceState& prior) const override {
    plan::DiffDecision d = DiffByAttributes(desired, prior);
    if (d == plan::DiffDecision::kUpdate && SizeGb(desired.attributes) < SizeGb(prior.attributes))
      return plan::DiffDecision::kReplace;  // volumes only grow
    return d;
  }

  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override {
    const json& a = r.attributes;
    const std::string region = api_->Region(a);
    json body = {{"name", r.cloud_name}, {"region", region}, {"tags", EncodeTags(r.tags)}};
    body["size_gigabytes"] = a.contains("size_gb") && a["size_gb"].is_number() ? a["size_gb"].get<int64_t>() : 10;
    auto lookup = [&]() -> Result<std::optional<json>> {
      auto l = api_->rest->List("/volumes?name=" + UrlEncode(r.cloud_name) + "&region=" + UrlEncode(region), "volumes");
      if (!l.ok()) return l.status();
      if (l->empty()) return std::optional<json>();
      return std::optional<json>((*l)[0]);
    };
    auto post = [&](http::SendOutcome* o) -> Result<json> {
      Result<json> res = api_->rest->Post("/volumes", body, o);
      if (!res.ok()) {
        if (res.status().IsConflict()) {  // same name: ours from a lost answer
          auto found = lookup();
          if (found.ok() && found->has_value()) return **found;
        }
        return res.status();
      }
      return (*res)["volume"];
    };
    Result<json> v = api_->CreateOnce("volume " + r.cloud_name, lookup, post, ctx.attempt > 1, ctx);
    if (!v.ok()) return v.status();
    const std::string id = Str(*v, "id");
    ObservedResource out = Observed(id, r.cloud_name, {{"name", r.cloud_name}});
    std::string droplet = Str(a, "instance_id");
    if (droplet.empty()) return out;
    ORCH_RETURN_IF_ERROR(Attach(id, r.cloud_name, droplet, region, ctx, &*v));
    return out;
  }

  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override {
    const int64_t size = SizeGb(r.attributes);
    const std::string region = Str(r.attributes, "region", api_->config.region);
    const std::string droplet = Str(r.attributes, "instance_id");
    if (droplet != Str(prior.attributes, "instance_id")) {
      // Moved to another droplet (its droplet was replaced): keep the data.
      if (ctx.progress) ctx.progress("moving volume " + prior.cloud_name + " to droplet " + droplet);
      ORCH_RETURN_IF_ERROR(Detach(prior.id, prior.cloud_name, droplet, ctx));
      if (!droplet.empty()) ORCH_RETURN_IF_ERROR(Attach(prior.id, prior.cloud_name, droplet, region, ctx));
    }
    int64_t backoff = api_->tuning.poll_initial_ms;
    for (int attempt = 0; attempt < api_->tuning.create_attempts * 2; ++attempt) {
      Result<json> v = api_->rest->Get("/volumes/" + prior.id);
      if (!v.ok()) return v.status();
      if ((*v)["volume"].value("size_gigabytes", int64_t{0}) >= size) {
        ObservedResource o;
        o.id = prior.id;
        o.cloud_name = prior.cloud_name;
        o.outputs = prior.outputs.is_object() ? prior.outputs : json::object();
        return o;
      }
      http::SendOutcome o;
      Result<json> act = api_->rest->Post("/volumes/" + prior.id + "/actions",
                                          {{"type", "resize"}, {"size_gigabytes", size}, {"region", region}}, &o);
      if (act.ok()) {
        ORCH_RETURN_IF_ERROR(api_->WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx,
                                              "volume " + prior.cloud_name + " to grow to " + std::to_string(size) +
                                                  " GB"));
        continue;
      }
      if (!Uncertain(act.status()) && !act.status().IsConflict()) return act.status().WithPrefix("resizing volume");
      ORCH_RETURN_IF_ERROR(api_->Sleep(backoff, ctx));
      backoff = std::min(backoff * 2, api_->tuning.poll_max_ms);
    }
    return Status::Transient("volume " + prior.cloud_name + " did not grow to " + std::to_string(size) + " GB");
  }

  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override {
    ORCH_RETURN_IF_ERROR(Detach(prior.id, prior.cloud_name, "", ctx));
    return api_->RetryBusy([&] { return api_->rest->Delete("/volumes/" + prior.id); }, ctx,
                           "volume " + prior.cloud_name);
  }

 private:
  // Attaches volume `id` to `droplet` unless it already is (checked before
  // each try, so a lost answer is not sent twice; `known` is the volume as
  // just read, saving the first check).
  Status Attach(const std::string& id, const std::string& name, const std::string& droplet, const std::string& region,
                engine::ApplyContext& ctx, const json* known = nullptr) {
    json action = {{"type", "attach"}, {"droplet_id", NumericOrString(droplet)}, {"region", region}};
    for (int attempt = 0; attempt < api_->tuning.create_attempts; ++attempt) {
      if (attempt == 0 && known) {
        if (AttachedTo(*known, droplet)) return Status::OK();
      } else {
        Result<json> now = api_->rest->Get("/volumes/" + id);
        if (!now.ok()) return now.status();
        if (AttachedTo((*now)["volume"], droplet)) return Status::OK();
      }
      http::SendOutcome o;
      Result<json> act = api_->rest->Post("/volumes/" + id + "/actions", action, &o);
      if (act.ok()) {
        std::string aid = IdText((*act)["action"]["id"]);
        if (ctx.record_operation) ctx.record_operation("action:" + aid);
        return api_->WaitAction("/actions/" + aid, ctx, "volume " + name + " to attach");
      }
      if (!Uncertain(act.status()) && !act.status().IsConflict()) return act.status().WithPrefix("attaching volume");
      ORCH_RETURN_IF_ERROR(api_->Sleep(api_->tuning.poll_initial_ms * (attempt + 1), ctx));
    }
    return Status::Transient("attaching volume " + name + " kept failing");
  }

  // Detaches volume `id` from every droplet but `keep` ("" = all). Re-reads
  // the volume after an uncertain answer: a detach that never arrived must
  // be sent again.
  Status Detach(const std::string& id, const std::string& name, const std::string& keep, engine::ApplyContext& ctx) {
    for (int round = 0; round < api_->tuning.create_attempts * 2; ++round) {
      Result<json> v = api_->rest->Get("/volumes/" + id);
      if (!v.ok()) return v.status();
      const json& vol = (*v)["volume"];
      std::string region = vol.contains("region") ? Str(vol["region"], "slug") : api_->config.region;
      json others = json::array();
      for (const auto& d : vol.value("droplet_ids", json::array()))
        if (IdText(d) != keep) others.push_back(d);
      if (others.empty()) return Status::OK();
      for (const auto& d : others) {
        json action = {{"type", "detach"}, {"droplet_id", d}, {"region", region}};
        http::SendOutcome o;
        Result<json> act = api_->rest->Post("/volumes/" + id + "/actions", action, &o);
        if (act.ok()) {
          ORCH_RETURN_IF_ERROR(
              api_->WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx, "volume " + name + " to detach"));
        } else if (!Uncertain(act.status()) && !act.status().IsNotFound() && !act.status().IsConflict() &&
                   act.status().code() != StatusCode::kInvalidArgument) {
          return act.status().WithPrefix("detaching volume");
        } else {
          ORCH_RETURN_IF_ERROR(api_->Sleep(api_->tuning.poll_initial_ms, ctx));
        }
      }
    }
    return Status::OK();  // the delete that follows retries while it is still attached
  }

  Api* api_;
};

}  // namespace

std::unique_ptr<common::ResourceHandler> NewVolumeHandler(Api* api) { return std::make_unique<VolumeHandler>(api); }

}  // namespace orch::providers::digitalocean
