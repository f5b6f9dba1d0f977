// Servers: create (alone, or coalesced with the rest of their group into
// one min_count/max_count request in a server group), the shared poller,
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

int ServerPoller::rounds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return round_;
}

Result<json> ServerPoller::Wait(const std::string& id, bool gone, engine::ApplyContext& ctx) {
  const Tuning& t = p_->tuning();
  env::Clock* clock = p_->clock();
  const int64_t deadline = clock->MonotonicMicros() + t.server_timeout_ms * 1000;
  std::unique_lock<std::mutex> lock(mu_);
  int seen_round = -1;
  for (;;) {
    if (seen_round >= 0) {
      if (!last_error_.ok()) return last_error_;
      auto it = seen_.find(id);
      if (gone) {
        if (it == seen_.end()) return json::object();
      } else if (it != seen_.end()) {
        const std::string status = Str(it->second, "status");
        if (status == "ACTIVE") return it->second;
        if (status == "ERROR") {
          std::string fault = it->second.contains("fault") ? Str(it->second["fault"], "message") : "";
          return Status::Internal("server " + Str(it->second, "name") + " (" + id + ") went to ERROR" +
                                  (fault.empty() ? std::string() : ": " + fault));
        }
      }
    }
    if (ctx.IsCancelled()) return Status::Cancelled("cancelled while waiting for server " + id);
    if (clock->MonotonicMicros() > deadline)
      return Status::Timeout("timed out waiting for server " + id + (gone ? " to go away" : " to become ACTIVE"));
    if (!polling_) {
      // Lead one round: one list call, by the deployment tag, for every waiter.
      polling_ = true;
      if (interval_ms_ == 0) interval_ms_ = t.poll_initial_ms;
      int64_t wait = std::max<int64_t>(0, next_poll_micros_ - clock->MonotonicMicros());
      if (seen_round < 0 && next_poll_micros_ == 0) wait = interval_ms_ * 1000;
      lock.unlock();
      if (ctx.progress) ctx.progress("waiting for server " + id + (gone ? " to go away" : " to become ACTIVE"));
      if (wait > 0) clock->SleepForMicros(wait);
      Result<std::vector<json>> list = p_->compute()->List(list_path_, "servers");
      lock.lock();
      if (list.ok()) {
        seen_.clear();
        bool settled = true;
        for (json& s : *list) {
          std::string st = Str(s, "status");
          if (Deleting(s)) {
            settled = false;
            continue;
          }
          if (st != "ACTIVE" && st != "ERROR") settled = false;
          std::string sid = Str(s, "id");  // before s is moved from
          seen_[sid] = std::move(s);
        }
        last_error_ = Status::OK();
        interval_ms_ = settled ? t.poll_initial_ms : std::min<int64_t>(interval_ms_ * 3 / 2, t.poll_max_ms);
      } else {
        last_error_ = list.status();
      }
      next_poll_micros_ = clock->MonotonicMicros() + interval_ms_ * 1000;
      ++round_;
      polling_ = false;
      seen_round = round_;
      cv_.notify_all();
    } else {
      int r = round_;
      cv_.wait(lock, [&] { return round_ != r; });
      seen_round = round_;
    }
  }
}

// ---- batcher ----

int ServerBatcher::batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

Result<json> ServerBatcher::Join(const std::string& key, const Member& me, const CreateFn& create) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = open_.find(key);
  if (it != open_.end()) {
    std::shared_ptr<Batch> b = it->second;
    size_t slot = b->members.size();
    b->members.push_back(me);
    cv_.wait(lock, [&] { return b->done; });
    return b->results[slot];
  }
  auto b = std::make_shared<Batch>();
  b->members.push_back(me);
  open_[key] = b;
  lock.unlock();
  p_->clock()->SleepForMicros(p_->tuning().batch_window_ms * 1000);  // siblings join meanwhile
  lock.lock();
  open_.erase(key);
  std::vector<Member> members = b->members;
  ++batches_;
  lock.unlock();
  std::vector<Result<json>> results = create(members);
  results.resize(members.size(), Status::Internal("no server was assigned to this member"));
  lock.lock();
  b->results = std::move(results);
  b->done = true;
  cv_.notify_all();
  return b->results[0];
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
