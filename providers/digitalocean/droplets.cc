// Instances -> droplets: the multi-create batcher, the shared droplet poller.
#include <algorithm>
#include <chrono>

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

Result<json> DropletBatcher::Join(const std::string& key, const BatchMember& member, const Send& send) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = open_.find(key);
  if (it != open_.end()) {
    std::shared_ptr<Batch> b = it->second;
    size_t index = b->members.size();
    b->members.push_back(member);
    if (b->members.size() >= kMaxBatch) {
      b->sealed = true;
      open_.erase(it);
    }
    cv_.notify_all();
    cv_.wait(lock, [&] { return b->done; });
    return b->results[index];
  }
  auto b = std::make_shared<Batch>();
  b->members.push_back(member);
  open_[key] = b;
  while (!b->sealed) {
    size_t n = b->members.size();
    if (!cv_.wait_for(lock, std::chrono::milliseconds(window_ms_), [&] { return b->sealed || b->members.size() != n; }))
      break;  // quiet for a whole window
  }
  if (!b->sealed) {
    b->sealed = true;
    open_.erase(key);
  }
  std::vector<BatchMember> members = b->members;
  ++sent_;
  lock.unlock();
  std::vector<Result<json>> results = send(members);
  lock.lock();
  results.resize(members.size(), Status::Internal("droplet batch returned too few results"));
  b->results = std::move(results);
  b->done = true;
  cv_.notify_all();
  return b->results[0];
}

int DropletBatcher::batches_sent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

std::vector<Result<json>> DigitalOceanProvider::CreateDroplets(const json& body, const std::vector<BatchMember>& members,
                                                                engine::ApplyContext& ctx) {
  std::map<std::string, json> got;  // name -> droplet
  std::vector<std::string> missing;
  bool look = false;
  for (const BatchMember& m : members) {
    missing.push_back(m.name);
    look |= m.resume;
  }
  Status last;
  int64_t backoff = tuning_.poll_initial_ms;
  for (int attempt = 0; attempt < tuning_.create_attempts && !missing.empty(); ++attempt) {
    if (look) {
      // Names are deterministic per address; the list is by the deployment tag.
      auto l = rest_->List("/droplets?tag_name=" + UrlEncode(DeploymentTag(config_.deployment)), "droplets");
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
      missing.erase(std::remove_if(missing.begin(), missing.end(), [&](const std::string& n) { return got.count(n) > 0; }),
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
    Result<json> r = rest_->Post("/droplets", req, &outcome);
    if (r.ok()) {
      if (r->contains("droplet")) got[Str((*r)["droplet"], "name")] = (*r)["droplet"];
      for (const json& d : r->value("droplets", json::array())) got[Str(d, "name")] = d;
      last = Status::Internal("the create answer did not list this droplet");
      break;
    }
    last = r.status();
    if (!Uncertain(last)) break;
    look = true;
    if (Status st = Sleep(backoff, ctx); !st.ok()) {
      last = st;
      break;
    }
    backoff = std::min(backoff * 2, tuning_.poll_max_ms);
  }
  std::vector<Result<json>> out;
  for (const BatchMember& m : members) {
    auto it = got.find(m.name);
    if (it != got.end()) out.push_back(it->second);
    else out.push_back(last.ok() ? Status::Internal("droplet " + m.name + " was not created") : last);
  }
  return out;
}

Result<ObservedResource> DigitalOceanProvider::CreateInstance(const model::Resource& r, engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  json body = {{"size", Str(a, "size")}, {"monitoring", true}};
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
  // Tags shared by every droplet of a batch; the address tag is added only
  // to a droplet created alone (`names` shares one tag list), so batched
  // droplets are recognised by name (see ObserveDroplet).
  std::map<std::string, std::string> shared = r.tags;
  shared.erase(std::string(model::kTagAddress));
  std::vector<std::string> tags = EncodeTags(shared);
  if (!Str(a, "target_tag").empty()) tags.push_back(Str(a, "target_tag"));
  body["tags"] = tags;

  BatchMember me{r.cloud_name, r.address.ToString(), ctx.attempt > 1 || !ctx.resume_operation.empty()};
  Result<json> d = batcher_->Join(body.dump(), me, [&](const std::vector<BatchMember>& members) {
    return CreateDroplets(body, members, ctx);
  });
  if (!d.ok()) return d.status();
  int64_t id = d->value("id", int64_t{0});
  if (id == 0) return Status::Internal("droplet create answered without an id");
  if (ctx.record_operation) ctx.record_operation("droplet:" + std::to_string(id));
  Result<json> active = poller_->WaitActive(id, ctx);
  if (!active.ok()) return active.status();
  ObservedResource o = ObserveDroplet(*active);
  o.address = r.address.ToString();
  o.tags[std::string(model::kTagAddress)] = o.address;
  return o;
}

}  // namespace orch::providers::digitalocean
