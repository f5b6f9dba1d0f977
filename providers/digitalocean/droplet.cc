// instance -> droplet: created alone or with others in one multi-create
// (DropletBatcher), waited for by the shared list poller (DropletPoller),
// resized and re-tagged in place.
#include <algorithm>

#include "model/expand.h"
#include "providers/common/timeouts.h"
#include "providers/digitalocean/handlers.h"
#include "providers/digitalocean/tags.h"

namespace orch::providers::digitalocean {

using common::AttributeSpec;
using common::OnChange;
using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

std::string BatchedDropletAddress(const std::string& name, const std::string& deployment,
                                  const std::map<std::string, std::string>& tags) {
  auto dep = tags.find(std::string(model::kTagDeployment));
  auto tier = tags.find(std::string(model::kTagTier));
  if (dep == tags.end() || dep->second != deployment || tier == tags.end() || tier->second.empty()) return "";
  size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash + 1 >= name.size() || name.size() - dash > 7) return "";
  std::string digits = name.substr(dash + 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return "";
  if (model::CloudName({deployment, tier->second, digits}) != name) return "";
  return model::Address{tier->second, model::Kind::kInstance, "", std::stoi(digits)}.ToString();
}

ObservedResource ObserveDroplet(const json& d, const std::string& deployment) {
  ObservedResource o;
  o.kind = "instance";
  o.id = IdText(d.value("id", json()));
  o.cloud_name = Str(d, "name");
  o.tags = DecodeTags(TagList(d));
  auto a = o.tags.find(std::string(model::kTagAddress));
  if (a != o.tags.end()) {
    o.address = a->second;
  } else {
    o.address = BatchedDropletAddress(o.cloud_name, deployment, o.tags);
    if (!o.address.empty()) o.tags[std::string(model::kTagAddress)] = o.address;
  }
  std::string priv, pub;
  if (d.contains("networks") && d["networks"].contains("v4"))
    for (const auto& n : d["networks"]["v4"]) {
      if (Str(n, "type") == "private" && priv.empty()) priv = Str(n, "ip_address");
      if (Str(n, "type") == "public" && pub.empty()) pub = Str(n, "ip_address");
    }
  o.outputs = {{"id", o.id}, {"private_ip", priv}, {"public_ip", pub}, {"status", Str(d, "status")}};
  o.attributes = {{"size", Str(d, "size_slug")}, {"region", d.contains("region") ? Str(d["region"], "slug") : ""}};
  // The tier tag the firewall and load balancer select on ("" once taken off).
  if (Result<model::Address> a = model::Address::Parse(o.address); a.ok()) {
    std::string tier_tag = model::CloudName({deployment, a->tier});
    std::vector<std::string> live = TagList(d);
    o.attributes["target_tag"] = std::find(live.begin(), live.end(), tier_tag) != live.end() ? tier_tag : "";
  }
  return o;
}

namespace {

class DropletHandler final : public common::ResourceHandler {
 public:
  explicit DropletHandler(Api* api) : api_(api) {}
  model::Kind kind() const override { return model::Kind::kInstance; }
  std::vector<AttributeSpec> Attributes() const override {
    return {
        {"size", true, OnChange::kInPlace,
         "droplet actions power_off, resize (disk kept as is), power_on: a reboot"},
        {"target_tag", true, OnChange::kInPlace, "POST/DELETE /v2/tags/{tag}/resources"},
        {"group", false, OnChange::kInPlace, "recorded only (the tier's group name)"},
        {"region", true, OnChange::kReplace, "a droplet stays in its region"},
        {"image", false, OnChange::kReplace, "create-only input (a rebuild would lose the disk)"},
        {"network", false, OnChange::kReplace, "create-only input (the VPC)"},
        {"ssh_keys", false, OnChange::kReplace, "create-only input (keys are injected at boot)"},
        {"user_data", false, OnChange::kReplace, "create-only input (runs at first boot)"},
    };
  }

  void Validate(const model::Resource& resource, const SourceRange& where, Diagnostics* diags) const override {
    const json& a = resource.attributes;
    if (a.contains("user_data") && a["user_data"].is_string() && a["user_data"].get<std::string>().size() > 65536)
      diags->Error(where, resource.address.ToString() + ": DigitalOcean user_data is limited to 64 KiB");
  }

  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override {
    const json& a = r.attributes;
    json body = {{"size", Str(a, "size")}, {"monitoring", true}};
    if (!Str(a, "region").empty()) body["region"] = Str(a, "region");
    else if (!api_->config.region.empty()) body["region"] = api_->config.region;
    body["image"] = NumericOrString(Str(a, "image"));
    if (!Str(a, "network").empty()) body["vpc_uuid"] = Str(a, "network");
    json keys = json::array();
    if (a.contains("ssh_keys") && a["ssh_keys"].is_array())
      for (const auto& k : a["ssh_keys"])
        keys.push_back(NumericOrString(k.is_string() ? k.get<std::string>() : IdText(k)));
    body["ssh_keys"] = keys;
    if (a.contains("user_data") && a["user_data"].is_string() && !a["user_data"].get<std::string>().empty())
      body["user_data"] = a["user_data"];
    // Tags shared by every droplet of a batch; the address tag is added only
    // to a droplet created alone (`names` shares one tag list), so batched
    // droplets are recognised by name (see ObserveDroplet).
    std::map<std::string, std::string> shared = r.tags;
    shared.erase(std::string(model::kTagAddress));
    std::vector<std::string> tags = EncodeTags(shared);
    if (!Str(a, "target_tag").empty()) tags.push_back(Str(a, "target_tag"));
    body["tags"] = tags;

    BatchMember me{r.cloud_name, r.address.ToString(), ctx.attempt > 1 || !ctx.resume_operation.empty()};
    Result<json> d = api_->batcher->Join(body.dump(), me, [&](const std::vector<BatchMember>& members) {
      return CreateDroplets(body, members, ctx);
    });
    if (!d.ok()) return d.status();
    int64_t id = d->value("id", int64_t{0});
    if (id == 0) return Status::Internal("droplet create answered without an id");
    if (ctx.record_operation) ctx.record_operation("droplet:" + std::to_string(id));
    Result<json> active = api_->WaitActive(id, ctx, common::TimeoutMs(a, "create", 0));
    if (!active.ok()) return active.status();
    ObservedResource o = ObserveDroplet(*active, api_->config.deployment);
    o.address = r.address.ToString();
    o.tags[std::string(model::kTagAddress)] = o.address;
    return o;
  }

  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override {
    const json& a = r.attributes;
    const json& p = prior.attributes;
    const std::string& id = prior.id;
    std::string size = Str(a, "size");
    if (!size.empty() && size != Str(p, "size")) {
      // DigitalOcean resizes a powered-off droplet: this reboots it. The disk
      // is left as it is (disk: false), so the size can go back down later.
      if (ctx.progress) ctx.progress("resizing droplet " + id + " to " + size + " (power off, resize, power on)");
      ORCH_RETURN_IF_ERROR(Action(id, {{"type", "power_off"}}, [&](const json& d) {
        return Str(d, "status") == "off" || Str(d, "size_slug") == size;
      }, ctx));
      ORCH_RETURN_IF_ERROR(Action(id, {{"type", "resize"}, {"size", size}, {"disk", false}},
                                  [&](const json& d) { return Str(d, "size_slug") == size; }, ctx));
      ORCH_RETURN_IF_ERROR(Action(id, {{"type", "power_on"}},
                                  [&](const json& d) { return Str(d, "status") == "active"; }, ctx));
    }
    std::string tag = Str(a, "target_tag"), old_tag = Str(p, "target_tag");
    if (tag != old_tag) {
      if (!tag.empty()) ORCH_RETURN_IF_ERROR(api_->TagResource(tag, id, "droplet", true));
      if (!old_tag.empty()) ORCH_RETURN_IF_ERROR(api_->TagResource(old_tag, id, "droplet", false));
    }
    Result<json> d = api_->rest->Get("/droplets/" + id);
    if (!d.ok()) return d.status();
    ObservedResource o = ObserveDroplet((*d)["droplet"], api_->config.deployment);
    o.address = r.address.ToString();
    o.tags = prior.tags.empty() ? r.tags : prior.tags;
    return o;
  }

  Status Delete(const state::ResourceState& prior, engine::ApplyContext&) override {
    if (prior.id.empty()) return Status::OK();
    Status st = api_->rest->Delete("/droplets/" + prior.id);
    if (st.ok() || st.IsNotFound()) {
      Status t = api_->rest->Delete("/tags/" + UrlEncode(AddressTag(prior.address)));
      (void)t;  // best effort: the tag only names this droplet
    }
    return st;
  }

 private:
  // Creates `members` (one request per try: `name` plus the address tag for
  // one, `names` for more), adopting after an uncertain answer what a list
  // by the deployment tag shows under the same names. One result per member.
  std::vector<Result<json>> CreateDroplets(const json& body, const std::vector<BatchMember>& members,
                                           engine::ApplyContext& ctx) {
    std::map<std::string, json> got;  // name -> droplet
    std::vector<std::string> missing;
    bool look = false;
    for (const BatchMember& m : members) {
      missing.push_back(m.name);
      look |= m.resume;
    }
    Status last;
    int64_t backoff = api_->tuning.poll_initial_ms;
    for (int attempt = 0; attempt < api_->tuning.create_attempts && !missing.empty(); ++attempt) {
      if (look) {
        // Names are deterministic per address; the list is by the deployment tag.
        auto l = api_->rest->List("/droplets?tag_name=" + UrlEncode(DeploymentTag(api_->config.deployment)),
                                  "droplets");
        if (!l.ok()) {
          last = l.status().WithPrefix("looking for droplets after an uncertain create");
          break;
        }
        for (json& d : *l) {
          std::string name = Str(d, "name");
          if (std::find(missing.begin(), missing.end(), name) == missing.end() || got.count(name)) continue;
          if (ctx.progress) ctx.progress("adopting droplet " + name + " created by an earlier request");
          got[name] = std::move(d);
        }
        missing.erase(
            std::remove_if(missing.begin(), missing.end(), [&](const std::string& n) { return got.count(n) > 0; }),
            missing.end());
        if (missing.empty()) break;
      }
      json req = body;
      if (missing.size() == 1) {
        req["name"] = missing[0];
        for (const BatchMember& m : members)
          if (m.name == missing[0]) req["tags"].push_back(AddressTag(m.address));
      } else {
        req["names"] = missing;
      }
      http::SendOutcome outcome;
      Result<json> r = api_->rest->Post("/droplets", req, &outcome);
      if (r.ok()) {
        if (r->contains("droplet")) got[Str((*r)["droplet"], "name")] = (*r)["droplet"];
        for (const json& d : r->value("droplets", json::array())) got[Str(d, "name")] = d;
        last = Status::Internal("the create answer did not list this droplet");
        break;
      }
      last = r.status();
      if (!Uncertain(last)) break;
      look = true;
      if (Status st = api_->Sleep(backoff, ctx); !st.ok()) {
        last = st;
        break;
      }
      backoff = std::min(backoff * 2, api_->tuning.poll_max_ms);
    }
    std::vector<Result<json>> out;
    for (const BatchMember& m : members) {
      auto it = got.find(m.name);
      if (it != got.end()) out.push_back(it->second);
      else out.push_back(last.ok() ? Status::Internal("droplet " + m.name + " was not created") : last);
    }
    return out;
  }

  // Posts a droplet action unless `done(droplet)` already holds, waits for
  // it; after an uncertain answer or a busy droplet, checks again first.
  Status Action(const std::string& id, const json& action, const std::function<bool(const json&)>& done,
                engine::ApplyContext& ctx) {
    const std::string what = "droplet " + id + " action " + Str(action, "type");
    int64_t backoff = api_->tuning.poll_initial_ms;
    const int64_t start = api_->env.clock->MonotonicMicros();
    for (;;) {
      Result<json> d = api_->rest->Get("/droplets/" + id);
      if (!d.ok()) return d.status();
      if (done((*d)["droplet"])) return Status::OK();
      http::SendOutcome o;
      Result<json> act = api_->rest->Post("/droplets/" + id + "/actions", action, &o);
      if (act.ok()) {
        if (ctx.progress) ctx.progress("waiting for " + what);
        ORCH_RETURN_IF_ERROR(api_->WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx, what));
        continue;  // check the result
      }
      if (!Uncertain(act.status()) && !act.status().IsConflict()) return act.status().WithPrefix(what);
      if ((api_->env.clock->MonotonicMicros() - start) / 1000 > common::WaitMs(ctx, api_->tuning.action_timeout_ms)) return act.status();
      ORCH_RETURN_IF_ERROR(api_->Sleep(backoff, ctx));
      backoff = std::min(backoff * 2, api_->tuning.poll_max_ms);
    }
  }

  Api* api_;
};

}  // namespace

std::unique_ptr<common::ResourceHandler> NewDropletHandler(Api* api) { return std::make_unique<DropletHandler>(api); }

}  // namespace orch::providers::digitalocean
