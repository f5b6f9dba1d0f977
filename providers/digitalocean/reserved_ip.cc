// floating_ip -> reserved IP, assigned to its droplet, moved to the new
// droplet when that one is replaced (the address stays).
#include "providers/common/observed.h"
#include "providers/digitalocean/handlers.h"

namespace orch::providers::digitalocean {
namespace {

using common::AttributeSpec;
using common::Observed;
using common::OnChange;
using engine::ObservedResource;
using nlohmann::json;

class ReservedIpHandler final : public common::ResourceHandler {
 public:
  explicit ReservedIpHandler(Api* api) : api_(api) {}
  model::Kind kind() const override { return model::Kind::kFloatingIp; }
  std::vector<AttributeSpec> Attributes() const override {
    return {{"instance_id", true, OnChange::kInPlace, "reserved IP action assign"},
            {"instance", false, OnChange::kInPlace, "recorded only (follows instance_id)"},
            {"region", false, OnChange::kReplace, "a reserved IP belongs to one region"}};
  }

  Result<ObservedResource> Create(const model::Resource& r, engine::ApplyContext& ctx) override {
    std::string droplet = Str(r.attributes, "instance_id");
    json body = json::object();
    if (!droplet.empty()) body["droplet_id"] = NumericOrString(droplet);
    else body["region"] = api_->Region(r.attributes);
    auto lookup = [&]() -> Result<std::optional<json>> {
      if (droplet.empty()) return std::optional<json>();
      auto l = api_->rest->List("/reserved_ips", "reserved_ips");
      if (!l.ok()) return l.status();
      for (json& ip : *l)
        if (ip.contains("droplet") && ip["droplet"].is_object() &&
            IdText(ip["droplet"].value("id", json())) == droplet)
          return std::optional<json>(std::move(ip));
      return std::optional<json>();
    };
    auto post = [&](http::SendOutcome* o) -> Result<json> {
      Result<json> res = api_->rest->Post("/reserved_ips", body, o);
      if (!res.ok()) return res.status();
      return (*res)["reserved_ip"];
    };
    Result<json> ip = api_->CreateOnce("reserved IP for droplet " + droplet, lookup, post, !droplet.empty(), ctx);
    if (!ip.ok()) return ip.status();
    std::string addr = Str(*ip, "ip");
    return Observed(addr, addr, {{"ip", addr}});
  }

  Result<ObservedResource> Update(const model::Resource& r, const state::ResourceState& prior,
                                  engine::ApplyContext& ctx) override {
    const std::string droplet = Str(r.attributes, "instance_id");
    if (droplet.empty()) return Status::InvalidArgument("a reserved IP is only moved to a droplet, not unassigned");
    Status st = api_->RetryBusy(
        [&]() -> Status {
          Result<json> ip = api_->rest->Get("/reserved_ips/" + prior.id);
          if (!ip.ok()) return ip.status();
          const json& rip = (*ip)["reserved_ip"];
          if (rip.contains("droplet") && rip["droplet"].is_object() &&
              IdText(rip["droplet"].value("id", json())) == droplet)
            return Status::OK();
          http::SendOutcome o;
          Result<json> act = api_->rest->Post("/reserved_ips/" + prior.id + "/actions",
                                              {{"type", "assign"}, {"droplet_id", NumericOrString(droplet)}}, &o);
          if (act.ok()) {
            return api_->WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx,
                                    "reserved IP " + prior.id + " to move to droplet " + droplet);
          }
          if (Uncertain(act.status())) return Status::Conflict("check the assignment after an uncertain answer");
          return act.status();
        },
        ctx, "reserved IP " + prior.id);
    if (!st.ok()) return st;
    ObservedResource o;
    o.id = prior.id;
    o.cloud_name = prior.cloud_name;
    o.outputs = {{"id", prior.id}, {"ip", prior.id}};
    return o;
  }

  Status Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) override {
    Result<json> ip = api_->rest->Get("/reserved_ips/" + prior.id);
    if (!ip.ok()) return ip.status();
    const json& rip = (*ip)["reserved_ip"];
    if (rip.contains("droplet") && rip["droplet"].is_object()) {
      Status st = api_->RetryBusy(
          [&]() -> Status {
            http::SendOutcome o;
            Result<json> act =
                api_->rest->Post("/reserved_ips/" + prior.id + "/actions", {{"type", "unassign"}}, &o);
            if (act.ok())
              return api_->WaitAction("/actions/" + IdText((*act)["action"]["id"]), ctx, "reserved IP to unassign");
            if (Uncertain(act.status())) return Status::Conflict("retrying unassign");
            return act.status();
          },
          ctx, "reserved IP " + prior.id);
      if (!st.ok() && !st.IsNotFound() && st.code() != StatusCode::kInvalidArgument) return st;
    }
    return api_->RetryBusy([&] { return api_->rest->Delete("/reserved_ips/" + prior.id); }, ctx,
                           "reserved IP " + prior.id);
  }

 private:
  Api* api_;
};

}  // namespace

std::unique_ptr<common::ResourceHandler> NewReservedIpHandler(Api* api) {
  return std::make_unique<ReservedIpHandler>(api);
}

}  // namespace orch::providers::digitalocean
