#include "providers/digitalocean/api.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

#include "model/resource.h"
#include "providers/common/operation_poller.h"
#include "providers/common/timeouts.h"
#include "providers/digitalocean/tags.h"
#include "util/strings.h"

namespace orch::providers::digitalocean {

using common::RestResponse;
using common::UrlEncode;
using nlohmann::json;

std::string IdText(const json& id) {
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_integer()) return std::to_string(id.get<int64_t>());
  return "";
}

json NumericOrString(const std::string& s) {
  if (!s.empty() && s.size() < 18 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::stoll(s);
  return s;
}

std::vector<std::string> TagList(const json& obj) {
  std::vector<std::string> out;
  if (obj.is_object() && obj.contains("tags") && obj["tags"].is_array())
    for (const auto& t : obj["tags"])
      if (t.is_string()) out.push_back(t);
  return out;
}

std::string SshFingerprint(const std::string& public_key) {
  std::vector<std::string> parts = Split(Trim(public_key), ' ');
  if (parts.size() < 2 || parts[1].empty() || parts[1].size() % 4 != 0) return "";
  const std::string& b64 = parts[1];
  std::string blob(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(blob.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return "";
  size_t pad = 0;
  if (b64.back() == '=') ++pad;
  if (b64.size() > 1 && b64[b64.size() - 2] == '=') ++pad;
  blob.resize(static_cast<size_t>(n) - pad);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(blob.data(), blob.size(), md, &len, EVP_md5(), nullptr) != 1) return "";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    char h[4];
    std::snprintf(h, sizeof h, i ? ":%02x" : "%02x", md[i]);
    out += h;
  }
  return out;
}

std::string Api::Region(const json& a) const {
  std::string r = Str(a, "region");
  return r.empty() ? config.region : r;
}

Status Api::Sleep(int64_t ms, engine::ApplyContext& ctx) { return common::SleepUnlessCancelled(env.clock, ms, ctx); }

Result<json> Api::CreateOnce(const std::string& what, const common::Lookup& lookup, const common::Post& post,
                             bool lookup_first, engine::ApplyContext& ctx) {
  return common::CreateAdopting(what, lookup, post, lookup_first, ctx, env.clock,
                                {tuning.create_attempts, tuning.poll_initial_ms, tuning.poll_max_ms});
}

Result<json> Api::CreateNamed(const std::string& what, const std::string& collection, const std::string& list_key,
                              const std::string& key, const std::string& name, const json& body,
                              engine::ApplyContext& ctx) {
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = rest->List(collection, list_key);
    if (!l.ok()) return l.status();
    for (json& o : *l)
      if (Str(o, "name") == name) return std::optional<json>(std::move(o));
    return std::optional<json>();
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = rest->Post(collection, body, o);
    if (!res.ok()) return res.status();
    return (*res)[key];
  };
  return CreateOnce(what + " " + name, lookup, post, ctx.attempt > 1, ctx);
}

Status Api::WaitAction(const std::string& action_path, engine::ApplyContext& ctx, const std::string& what) {
  common::PollOptions o;
  o.initial_interval_ms = tuning.poll_initial_ms;
  o.max_interval_ms = tuning.poll_max_ms;
  o.timeout_ms = common::WaitMs(ctx, tuning.action_timeout_ms);
  o.cancelled = ctx.cancelled;
  o.what = what;
  return common::Poll(env.clock, o, [&]() -> Result<bool> {
    Result<json> a = rest->Get(action_path);
    if (!a.ok()) return a.status();
    std::string status = Str((*a)["action"], "status");
    if (status == "errored") return Status::Internal(what + " failed (action " + action_path + " errored)");
    return status == "completed";
  });
}

Status Api::RetryBusy(const std::function<Status()>& op, engine::ApplyContext& ctx, const std::string& what) {
  auto busy = [](const Status& st) { return st.IsConflict(); };
  return common::RetryWhileBusy(op, busy, env.clock,
                                {tuning.poll_initial_ms, tuning.poll_max_ms, common::WaitMs(ctx, tuning.action_timeout_ms)}, ctx, what);
}

Status Api::EnsureTags(const std::vector<std::string>& tags) {
  for (const std::string& t : tags) {
    Result<json> r = rest->Get("/tags/" + UrlEncode(t));
    if (r.ok()) continue;
    if (!r.status().IsNotFound()) return r.status();
    http::SendOutcome outcome;
    Result<json> c = rest->Post("/tags", {{"name", t}}, &outcome);
    if (!c.ok() && !Uncertain(c.status()) && c.status().code() != StatusCode::kInvalidArgument) return c.status();
    if (!c.ok()) {  // lost, or already there: check
      Result<json> again = rest->Get("/tags/" + UrlEncode(t));
      if (!again.ok()) return c.status();
    }
  }
  return Status::OK();
}

// DO keeps empty tags. Only tags of this deployment:
// "orchestrator-deployment:<dep>", "orchestrator-address:*" with no
// resources, and "<dep>-*" target tags.
void Api::CleanupTags(const std::string& deployment) {
  auto tags = rest->List("/tags", "tags");
  if (!tags.ok()) return;
  for (const json& t : *tags) {
    std::string name = Str(t, "name");
    bool ours = name == DeploymentTag(deployment) || name.rfind(std::string(model::kTagAddress) + ":", 0) == 0 ||
                name.rfind(deployment + "-", 0) == 0 || name.rfind(std::string(model::kTagTier) + ":", 0) == 0;
    if (!ours) continue;
    int64_t count = 0;
    if (t.contains("resources") && t["resources"].is_object()) count = t["resources"].value("count", 0);
    if (count == 0) {
      Status st = rest->Delete("/tags/" + UrlEncode(name));
      (void)st;
    }
  }
}

Result<json> Api::WaitActive(int64_t id, engine::ApplyContext& ctx, int64_t timeout_ms) {
  if (timeout_ms <= 0) timeout_ms = common::WaitMs(ctx, tuning.droplet_timeout_ms);
  std::string last;  // the status of the latest round that listed it
  auto done = [&last](const json* d) -> std::optional<Result<json>> {
    if (d) last = Str(*d, "status");
    if (d && last == "active") return Result<json>(*d);
    return std::nullopt;
  };
  const std::string name = "droplet " + std::to_string(id);
  Result<json> active = poller->Wait(std::to_string(id), done, name + " to become active", ctx, timeout_ms);
  if (active.ok() || active.status().code() != StatusCode::kTimeout) return active;
  return Status::Timeout(name + " did not become active within " + FormatDuration(timeout_ms) +
                         (last.empty() ? ": the deployment's droplets never listed it"
                                       : ": its status is still '" + common::ClipMessage(last, 40) + "'") +
                         " (deploy again to wait longer, or raise the tier's timeouts.create)");
}

Status Api::TagResource(const std::string& tag, const std::string& id, const std::string& type, bool add) {
  if (add) ORCH_RETURN_IF_ERROR(EnsureTags({tag}));
  json body = {{"resources", {{{"resource_id", id}, {"resource_type", type}}}}};
  Status last;
  for (int attempt = 0; attempt < tuning.create_attempts; ++attempt) {
    http::SendOutcome o;
    Result<RestResponse> r = rest->Call(add ? "POST" : "DELETE", "/tags/" + UrlEncode(tag) + "/resources", body, &o);
    if (r.ok() || (!add && r.status().IsNotFound())) return Status::OK();
    last = r.status();
    if (!Uncertain(last)) return last;  // tagging twice is harmless: just send again
  }
  return last;
}

}  // namespace orch::providers::digitalocean
