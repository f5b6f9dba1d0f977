// Instances -> droplets, and the shared droplet poller.
#include <algorithm>

#include "providers/digitalocean/do_provider.h"
#include "providers/digitalocean/tags.h"

namespace orch::providers::digitalocean {

using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

int DropletPoller::rounds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return round_;
}

Result<json> DropletPoller::WaitActive(int64_t id, engine::ApplyContext& ctx) {
  const int64_t deadline = clock_->MonotonicMicros() + tuning_.droplet_timeout_ms * 1000;
  std::unique_lock<std::mutex> lock(mu_);
  ++waiters_;
  struct Leave {
    DropletPoller* p;
    ~Leave() { --p->waiters_; }
  } leave{this};
  int seen_round = -1;  // ignore what was listed before this call
  for (;;) {
    if (seen_round >= 0) {
      auto it = seen_.find(id);
      if (it != seen_.end() && Str(it->second, "status") == "active") return it->second;
      if (!last_error_.ok()) return last_error_;
    }
    if (ctx.IsCancelled()) return Status::Cancelled("cancelled while waiting for droplet " + std::to_string(id));
    if (clock_->MonotonicMicros() > deadline)
      return Status::Timeout("timed out waiting for droplet " + std::to_string(id) + " to become active");
    if (!polling_) {
      // Lead one round: wait the interval, list by the deployment tag once
      // for every waiter, publish the result.
      polling_ = true;
      if (interval_ms_ == 0) interval_ms_ = tuning_.poll_initial_ms;
      int64_t wait = std::max<int64_t>(0, next_poll_micros_ - clock_->MonotonicMicros());
      if (seen_round < 0 && next_poll_micros_ == 0) wait = interval_ms_ * 1000;
      lock.unlock();
      if (ctx.progress) ctx.progress("waiting for droplet " + std::to_string(id) + " to become active");
      if (wait > 0) clock_->SleepForMicros(wait);
      Result<std::vector<json>> list = rest_->List(list_path_, "droplets");
      lock.lock();
      if (list.ok()) {
        seen_.clear();
        bool all_active = true;
        for (json& d : *list) {
          int64_t did = d.value("id", int64_t{0});
          if (Str(d, "status") != "active") all_active = false;
          seen_[did] = std::move(d);
        }
        last_error_ = Status::OK();
        interval_ms_ = all_active ? tuning_.poll_initial_ms : std::min<int64_t>(interval_ms_ * 3 / 2, tuning_.poll_max_ms);
      } else {
        last_error_ = list.status();
      }
      next_poll_micros_ = clock_->MonotonicMicros() + interval_ms_ * 1000;
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

Result<ObservedResource> DigitalOceanProvider::CreateInstance(const model::Resource& r, engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  json body = {{"name", r.cloud_name}, {"size", Str(a, "size")}, {"monitoring", true}};
  if (!Str(a, "region").empty()) body["region"] = Str(a, "region");
  else if (!config_.region.empty()) body["region"] = config_.region;
  body["image"] = NumericOrString(Str(a, "image"));
  if (!Str(a, "network").empty()) body["vpc_uuid"] = Str(a, "network");
  json keys = json::array();
  if (a.contains("ssh_keys") && a["ssh_keys"].is_array())
    for (const auto& k : a["ssh_keys"]) keys.push_back(NumericOrString(k.is_string() ? k.get<std::string>() : IdText(k)));
  body["ssh_keys"] = keys;
  if (a.contains("user_data") && a["user_data"].is_string() && !a["user_data"].get<std::string>().empty())
    body["user_data"] = a["user_data"];
  std::vector<std::string> tags = EncodeTags(r.tags);
  if (!Str(a, "target_tag").empty()) tags.push_back(Str(a, "target_tag"));
  body["tags"] = tags;

  const std::string address_tag = AddressTag(r.address.ToString());
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = rest_->List("/droplets?tag_name=" + UrlEncode(address_tag), "droplets");
    if (!l.ok()) return l.status();
    if (l->empty()) return std::optional<json>();
    return std::optional<json>((*l)[0]);
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = rest_->Post("/droplets", body, o);
    if (!res.ok()) return res.status();
    return (*res)["droplet"];
  };
  bool resume = ctx.attempt > 1 || !ctx.resume_operation.empty();
  Result<json> d = CreateOnce("droplet " + r.cloud_name, lookup, post, resume, ctx);
  if (!d.ok()) return d.status();
  int64_t id = d->value("id", int64_t{0});
  if (id == 0) return Status::Internal("droplet create answered without an id");
  if (ctx.record_operation) ctx.record_operation("droplet:" + std::to_string(id));
  Result<json> active = poller_->WaitActive(id, ctx);
  if (!active.ok()) return active.status();
  return ObserveDroplet(*active);
}

}  // namespace orch::providers::digitalocean
