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

std::string Base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string RandomHex(int bytes) {
  std::vector<unsigned char> b(static_cast<size_t>(bytes));
  RAND_bytes(b.data(), bytes);
  std::string out;
  for (unsigned char c : b) {
    const char* h = "0123456789abcdef";
    out += h[c >> 4];
    out += h[c & 15];
  }
  return out;
}

// Nova's multi-create suffix ("name-3" -> 3), 0 when absent.
int NameSuffix(const std::string& name) {
  size_t dash = name.rfind('-');
  if (dash == std::string::npos) return 0;
  try {
    return std::stoi(name.substr(dash + 1));
  } catch (...) {
    return 0;
  }
}

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

Result<ObservedResource> OpenStackProvider::CreateInstance(const model::Resource& r, engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  Result<std::string> flavor = FlavorId(Str(a, "size"));
  if (!flavor.ok()) return flavor.status();
  Result<std::string> image = ImageId(Str(a, "image"));
  if (!image.ok()) return image.status();
  json server = {{"imageRef", *image}, {"flavorRef", *flavor}};
  server["networks"] = Str(a, "network").empty() ? json("auto") : json::array({{{"uuid", Str(a, "network")}}});
  if (a.contains("ssh_keys") && a["ssh_keys"].is_array() && !a["ssh_keys"].empty() && a["ssh_keys"][0].is_string())
    server["key_name"] = a["ssh_keys"][0];
  if (!Str(a, "target_tag").empty()) {
    Result<std::string> sg = TierSecurityGroup(Str(a, "target_tag"), ctx);
    if (!sg.ok()) return sg.status();
    server["security_groups"] = json::array({{{"name", *sg}}});
  }
  if (a.contains("user_data") && a["user_data"].is_string() && !a["user_data"].get<std::string>().empty())
    server["user_data"] = Base64(a["user_data"].get<std::string>());
  if (!Str(a, "zone").empty()) server["availability_zone"] = Str(a, "zone");
  json metadata = json::object();
  for (const auto& [k, v] : r.tags)
    if (k != model::kTagAddress) metadata[k] = v;
  server["metadata"] = metadata;
  json body = {{"server", server}};
  const std::string group = Str(a, "group");
  if (!group.empty()) {
    Result<std::string> sg = ServerGroup(ServerGroupName(config_.deployment, group), ctx);
    if (!sg.ok()) return sg.status();
    body["os:scheduler_hints"] = {{"group", *sg}};
  }

  const std::string address = r.address.ToString();
  const std::string address_tag = AddressTag(address);
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = compute_->List("/servers/detail?tags=" + UrlEncode(OwnedTags(config_.deployment, address)), "servers");
    if (!l.ok()) return l.status();
    for (json& s : *l)
      if (!Deleting(s)) return std::optional<json>(std::move(s));
    return std::optional<json>();
  };
  bool resume = ctx.attempt > 1 || !ctx.resume_operation.empty();
  Result<json> created = Status::Internal("");
  if (resume) {
    Result<std::optional<json>> found = lookup();
    if (!found.ok()) return found.status();
    if (!found->has_value() && !group.empty()) {
      // A killed run's batch member that never got its address tag.
      auto tier = r.tags.find(std::string(model::kTagTier));
      found = ClaimUntaggedMember(tier == r.tags.end() ? "" : tier->second);
      if (!found.ok()) return found.status();
      if (found->has_value()) (**found)["_untagged"] = true;
    }
    if (found->has_value()) created = **found;
  }
  if (!created.ok()) {
    ServerBatcher::Member me{address, r.address.index, r.cloud_name};
    if (group.empty()) {
      std::vector<Result<json>> one = CreateServers(body, {me}, r.tags, ctx);
      created = one[0];
    } else {
      // Members with the same request (apart from name/address) share one POST.
      std::string key = group + "|" + body.dump();
      std::map<std::string, std::string> tags = r.tags;
      created = batcher_.Join(key, me, [&, body, tags](const std::vector<ServerBatcher::Member>& members) {
        return CreateServers(body, members, tags, ctx);
      });
    }
  }
  if (!created.ok()) return created.status();
  std::string id = Str(*created, "id");
  if (id.empty()) return Status::Internal("server create answered without an id");
  if (ctx.record_operation) ctx.record_operation("server:" + id);
  Result<json> active = poller_->Wait(id, false, ctx);
  if (!active.ok()) return active.status();
  if (created->value("_untagged", false)) {
    // A batch member: its address tag first (it is how a later run finds it).
    Status st = RetryBusy([&] { return compute_->Put("/servers/" + id + "/tags/" + UrlEncode(address_tag), nullptr).status(); },
                          ctx, "server " + id);
    if (!st.ok()) return st.WithPrefix("tagging server " + id);
  }
  if (Str(*active, "name") != r.cloud_name) {
    // A batch member's own name: Nova's "-1", "-2" suffixes clash with the
    // names of other members. Also done when a run killed between the tag
    // and the rename is resumed (the server is then found by its tag).
    Status st = compute_->Put("/servers/" + id, {{"server", {{"name", r.cloud_name}}}}).status();
    if (!st.ok()) return st.WithPrefix("naming server " + id);
    (*active)["name"] = r.cloud_name;
  }
  ObservedResource o = ObserveServer(*active);
  o.tags = r.tags;
  return o;
}

Result<std::optional<json>> OpenStackProvider::ClaimUntaggedMember(const std::string& tier) {
  if (tier.empty()) return std::optional<json>();
  auto l = compute_->List(
      "/servers/detail?tags=" + UrlEncode(DeploymentTag(config_.deployment) + "," + TierTag(tier)), "servers");
  if (!l.ok()) return l.status();
  std::lock_guard<std::mutex> lock(cache_mu_);
  for (json& s : *l) {
    if (Deleting(s) || claimed_members_.count(Str(s, "id"))) continue;
    const json& tags = s.value("tags", json::array());
    if (DecodeTags(tags).count(std::string(model::kTagAddress))) continue;
    bool ours_now = false;  // from a batch this run sent
    for (const json& t : tags) ours_now |= t.is_string() && own_batches_.count(t.get<std::string>());
    if (ours_now) continue;
    claimed_members_.insert(Str(s, "id"));
    return std::optional<json>(std::move(s));
  }
  return std::optional<json>();
}

std::vector<Result<json>> OpenStackProvider::CreateServers(const json& body_in,
                                                           const std::vector<ServerBatcher::Member>& members,
                                                           const std::map<std::string, std::string>& tags,
                                                           engine::ApplyContext& ctx) {
  std::vector<Result<json>> out(members.size(), Status::Internal("not created"));
  std::map<std::string, std::string> shared = tags;
  shared.erase(std::string(model::kTagAddress));
  const std::string dep_tag = DeploymentTag(config_.deployment);

  if (members.size() == 1) {
    json body = body_in;
    body["server"]["name"] = members[0].cloud_name;
    std::map<std::string, std::string> all = shared;
    all[std::string(model::kTagAddress)] = members[0].address;
    body["server"]["tags"] = EncodeTags(all);
    auto lookup = [&]() -> Result<std::optional<json>> {
      auto l = compute_->List("/servers/detail?tags=" + UrlEncode(OwnedTags(config_.deployment, members[0].address)), "servers");
      if (!l.ok()) return l.status();
      for (json& s : *l)
        if (!Deleting(s)) return std::optional<json>(std::move(s));
      return std::optional<json>();
    };
    auto post = [&](http::SendOutcome* o) -> Result<json> {
      Result<json> res = compute_->Post("/servers", body, o);
      if (!res.ok()) return res.status();
      return (*res)["server"];
    };
    out[0] = CreateOnce("server " + members[0].cloud_name, lookup, post, false, ctx);
    return out;
  }

  // Several: one POST with min_count = max_count = n, all tagged with a
  // batch tag; then each server gets its member's address tag (ordered by
  // Nova's -1, -2... name suffixes, matched to members by index).
  std::vector<size_t> order(members.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return members[x].index < members[y].index; });
  const std::string batch_tag = "orchestrator-batch=" + RandomHex(8);
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    own_batches_.insert(batch_tag);
  }
  json body = body_in;
  std::string tier = shared.count(std::string(model::kTagTier)) ? shared[std::string(model::kTagTier)] : "group";
  body["server"]["name"] = config_.deployment + "-" + tier;
  std::vector<std::string> t = EncodeTags(shared);
  t.push_back(batch_tag);
  body["server"]["tags"] = t;
  body["server"]["min_count"] = static_cast<int>(members.size());
  body["server"]["max_count"] = static_cast<int>(members.size());
  auto list_batch = [&]() -> Result<std::vector<json>> {
    auto l = compute_->List("/servers/detail?tags=" + UrlEncode(batch_tag), "servers");
    if (!l.ok()) return l.status();
    std::vector<json> live;
    for (json& s : *l)
      if (!Deleting(s)) live.push_back(std::move(s));
    return live;
  };
  auto lookup = [&]() -> Result<std::optional<json>> {
    auto l = list_batch();
    if (!l.ok()) return l.status();
    if (l->empty()) return std::optional<json>();
    return std::optional<json>((*l)[0]);
  };
  auto post = [&](http::SendOutcome* o) -> Result<json> {
    Result<json> res = compute_->Post("/servers", body, o);
    if (!res.ok()) return res.status();
    return (*res)["server"];
  };
  Result<json> first = CreateOnce(std::to_string(members.size()) + " servers " + config_.deployment + "-" + tier, lookup,
                                  post, false, ctx);
  if (!first.ok()) {
    for (auto& r : out) r = first.status();
    return out;
  }
  Result<std::vector<json>> servers = list_batch();
  if (!servers.ok()) {
    for (auto& r : out) r = servers.status();
    return out;
  }
  std::sort(servers->begin(), servers->end(),
            [](const json& x, const json& y) { return NameSuffix(Str(x, "name")) < NameSuffix(Str(y, "name")); });
  for (size_t k = 0; k < order.size(); ++k) {
    size_t m = order[k];
    if (k >= servers->size()) {
      out[m] = Status::Internal("Nova created only " + std::to_string(servers->size()) + " of " +
                                std::to_string(members.size()) + " servers");
      continue;
    }
    // Nova refuses tag changes while a server is building: the member tags
    // and names it once ACTIVE (CreateInstance).
    (*servers)[k]["_untagged"] = true;
    out[m] = (*servers)[k];
  }
  return out;
}

Status OpenStackProvider::DeleteInstance(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  Status st = RetryBusy([&] { return compute_->Delete("/servers/" + prior.id); }, ctx, "server " + prior.cloud_name);
  if (st.IsNotFound()) return Status::OK();
  if (!st.ok()) return st;
  Result<json> gone = poller_->Wait(prior.id, true, ctx);
  return gone.status();
}

}  // namespace orch::providers::openstack
