// Servers: create (alone, or coalesced with the rest of their group into
// one min_count/max_count request in a server group), the server poller,
// delete.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "providers/openstack/os_provider.h"
#include "util/strings.h"

namespace orch::providers::openstack {

using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

namespace {

bool Deleting(const json& s) { return Str(s, "OS-EXT-STS:task_state") == "deleting" || Str(s, "status") == "DELETED"; }

}  // namespace

// ---- poller ----

ServerPoller::ServerPoller(OpenStackProvider* p, std::string list_path)
    : poller_(
          p->clock(), {p->tuning().poll_initial_ms, p->tuning().poll_max_ms, p->tuning().server_timeout_ms},
          [p, list_path] { return p->compute()->List(list_path, "servers"); },
          // A server being deleted is left out of the round (and is not settled).
          [](const json& s) { return Deleting(s) ? std::string() : Str(s, "id"); },
          [](const json& s) { return Str(s, "status") == "ACTIVE" || Str(s, "status") == "ERROR"; }) {}

Result<json> ServerPoller::Wait(const std::string& id, bool gone, engine::ApplyContext& ctx, int64_t timeout_ms) {
  auto done = [&](const json* s) -> std::optional<Result<json>> {
    if (gone) {
      if (!s) return Result<json>(json::object());
      return std::nullopt;
    }
    if (!s) return std::nullopt;
    const std::string status = Str(*s, "status");
    if (status == "ACTIVE") return Result<json>(*s);
    if (status == "ERROR") {
      std::string fault = s->contains("fault") ? Str((*s)["fault"], "message") : "";
      return Result<json>(Status::Internal("server " + Str(*s, "name") + " (" + id + ") went to ERROR" +
                                           (fault.empty() ? std::string() : ": " + fault)));
    }
    return std::nullopt;
  };
  return poller_.Wait(id, done, "server " + id + (gone ? " to go away" : " to become ACTIVE"), ctx, timeout_ms);
}

// ---- create ----

Result<std::string> OpenStackProvider::ServerGroup(const std::string& name, engine::ApplyContext& ctx) {
  std::lock_guard<std::mutex> create(create_mu_);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = server_groups_.find(name);
    if (it != server_groups_.end()) return it->second;
  }
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = compute_->List("/os-server-groups", "server_groups");
    if (!l.ok()) return l.status();
    for (json& g : *l)
      if (Str(g, "name") == name) return std::optional<json>(std::move(g));
    return std::optional<json>();
  };
  // soft-anti-affinity: spread over hosts when there are several, still
  // schedulable on a single-host cloud.
  json body = {{"server_group", {{"name", name}, {"policy", "soft-anti-affinity"}}}};
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> r = compute_->Post("/os-server-groups", body, o);
    if (!r.ok()) return r.status();
    return (*r)["server_group"];
  };
  Result<std::optional<json>> existing = lookup();
  if (!existing.ok()) return existing.status();
  Result<json> g = existing->has_value() ? Result<json>(**existing)
                                         : CreateOnce("server group " + name, lookup, post, false, ctx);
  if (!g.ok()) return g.status();
  std::lock_guard<std::mutex> lock(cache_mu_);
  server_groups_[name] = Str(*g, "id");
  return Str(*g, "id");
}





}  // namespace orch::providers::openstack
