#include "digitalocean/do_api.h"

#include <cstdlib>
#include <ctime>
#include <ranges>

#include "digitalocean/catalog.h"

namespace cloudsim::digitalocean {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Action, id, type, resource_type, resource_id, owner, region, started,
                                                done)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Droplet, id, name, region, size, vpc_uuid, user_data, image, tags,
                                                features, created, active_at, power, pending_power, pending_at,
                                                locked_until, private_ip, public_ip, public_gateway, ipv6, volume_ids,
                                                snapshot_ids)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Image, id, name, distribution, slug, type, description, is_public,
                                                regions, tags, created, ready_at, min_disk_size, size_gigabytes,
                                                droplet_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SshKey, id, name, public_key, fingerprint)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Volume, id, name, description, region, filesystem_type,
                                                filesystem_label, size_gigabytes, created, droplet_ids, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Vpc, id, name, description, region, ip_range, is_default, created,
                                                next_host)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Firewall, id, name, inbound_rules, outbound_rules, droplet_ids, tags,
                                                created, ready_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ReservedIp, ip, region, droplet_id, created, locked_until)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadBalancer, id, name, region, vpc_uuid, ip, size, algorithm, tag,
                                                forwarding_rules, health_check, sticky_sessions,
                                                redirect_http_to_https, enable_proxy_protocol,
                                                enable_backend_keepalive, http_idle_timeout_seconds, size_unit,
                                                droplet_ids, created, active_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TagIndex, droplets, volumes, images, last_droplet_uri,
                                                last_volume_uri, last_image_uri)

namespace {

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  return (end && *end == '\0' && n > 0) ? static_cast<int>(n) : fallback;
}

template <typename M>
json SaveMap(const M& m) {
  json arr = json::array();
  for (const auto& [k, v] : m) arr.push_back(v);
  return arr;
}

}  // namespace

DigitalOceanApi::DigitalOceanApi(SimContext* ctx, const DigitalOceanOptions& options)
    : ctx_(ctx), options_(options) {
  token_ = "sim-do-token-" + ctx_->RandomHex(32);
  ResetModel();
}

void DigitalOceanApi::ResetModel() {
  actions_.clear();
  droplets_.clear();
  images_.clear();
  keys_.clear();
  volumes_.clear();
  vpcs_.clear();
  firewalls_.clear();
  reserved_ips_.clear();
  load_balancers_.clear();
  tags_.clear();
  public_ip_next_.clear();
  hour_window_.clear();
  minute_window_.clear();
  account_uuid_ = Uuid();
  next_action_id_ = static_cast<int64_t>(ctx_->RandomInt(1000000000, 1900000000));
  next_droplet_id_ = static_cast<int64_t>(ctx_->RandomInt(300000000, 390000000));
  next_image_id_ = static_cast<int64_t>(ctx_->RandomInt(160000000, 169000000));
  next_key_id_ = static_cast<int64_t>(ctx_->RandomInt(40000000, 49000000));
  for (const ImageInfo& info : DistributionImages()) {
    Image img;
    img.id = info.id;
    img.name = info.name;
    img.distribution = info.distribution;
    img.slug = info.slug;
    img.type = "base";
    img.description = info.description;
    img.is_public = true;
    img.regions = RegionSlugs();
    img.min_disk_size = info.min_disk_size;
    img.size_gigabytes = info.size_gigabytes;
    std::tm tm{};
    strptime(info.created_at.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    img.created = static_cast<double>(timegm(&tm));
    images_[img.id] = img;
  }
  CreateDefaultVpcs();
}

void DigitalOceanApi::CreateDefaultVpcs() {
  for (const RegionInfo& r : Regions()) {
    Vpc v;
    v.id = Uuid();
    v.name = "default-" + r.slug;
    v.description = "";
    v.region = r.slug;
    v.ip_range = r.vpc_range;
    v.is_default = true;
    v.created = ctx_->Now();
    vpcs_[v.id] = v;
  }
}

// ---------------------------------------------------------------------------
// Plumbing

void DigitalOceanApi::Route(Router& router, const std::string& method, const std::string& pattern, Handler h) {
  router.Add("digitalocean", method, pattern,
             [this, h](const HttpRequest& req, const PathParams& params) { return Dispatch(req, params, h); });
}

bool DigitalOceanApi::ConsumeRateLimit(double now, int* remaining, int64_t* reset) {
  const double hour = 3600.0 * ctx_->time_scale();
  const double minute = 60.0 * ctx_->time_scale();
  while (!hour_window_.empty() && hour_window_.front() <= now - hour) hour_window_.pop_front();
  while (!minute_window_.empty() && minute_window_.front() <= now - minute) minute_window_.pop_front();
  bool ok = static_cast<int>(hour_window_.size()) < options_.requests_per_hour &&
            static_cast<int>(minute_window_.size()) < options_.requests_per_minute;
  if (ok) {
    hour_window_.push_back(now);
    minute_window_.push_back(now);
  }
  *remaining = options_.requests_per_hour - static_cast<int>(hour_window_.size());
  double oldest = hour_window_.empty() ? now : hour_window_.front();
  *reset = static_cast<int64_t>(oldest + hour + 0.999);
  return ok;
}

HttpResponse DigitalOceanApi::Dispatch(const HttpRequest& req, const PathParams& params, Handler h) {
  std::string auth = req.Header("authorization");
  const std::string kBearer = "Bearer ";
  bool authed = auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0 &&
                auth.substr(kBearer.size()) == token_;
  std::lock_guard<std::mutex> lock(mu_);
  double now = ctx_->Now();
  HttpResponse resp;
  int remaining = 0;
  int64_t reset = 0;
  if (!authed) {
    resp = Error(401, "Unauthorized", "Unable to authenticate you");
    remaining = options_.requests_per_hour - static_cast<int>(hour_window_.size());
    reset = static_cast<int64_t>(now + 3600.0 * ctx_->time_scale());
  } else if (!ConsumeRateLimit(now, &remaining, &reset)) {
    resp = Error(429, "too_many_requests", "API Rate limit exceeded.");
  } else {
    try {
      resp = (this->*h)(req, params);
    } catch (const json::exception& e) {
      resp = Unprocessable(std::string("invalid request: ") + e.what());
    }
  }
  resp.SetHeader("ratelimit-limit", std::to_string(options_.requests_per_hour));
  resp.SetHeader("ratelimit-remaining", std::to_string(remaining < 0 ? 0 : remaining));
  resp.SetHeader("ratelimit-reset", std::to_string(reset));
  if (resp.status == 429) resp.SetHeader("retry-after", std::to_string(reset - static_cast<int64_t>(now)));
  if (resp.status == 204) {
    resp.body.clear();
  } else {
    resp.SetHeader("Content-Type", "application/json; charset=utf-8");
  }
  return resp;
}

HttpResponse DigitalOceanApi::Error(int status, const std::string& id, const std::string& message) {
  return HttpResponse::Json(status, {{"id", id}, {"message", message}});
}

HttpResponse DigitalOceanApi::NotFound() {
  return Error(404, "not_found", "The resource you were accessing could not be found.");
}

HttpResponse DigitalOceanApi::Unprocessable(const std::string& message) {
  return Error(422, "unprocessable_entity", message);
}

HttpResponse DigitalOceanApi::BadRequest(const std::string& message) { return Error(400, "bad_request", message); }

bool DigitalOceanApi::ParseBody(const HttpRequest& req, json* body, HttpResponse* err) {
  json parsed = json::parse(req.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    *err = BadRequest("error parsing request body");
    return false;
  }
  *body = std::move(parsed);
  return true;
}

std::string DigitalOceanApi::Iso(double t) const {
  std::time_t secs = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string DigitalOceanApi::Uuid() {
  std::string h = ctx_->RandomHex(32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

void DigitalOceanApi::Paginate(const HttpRequest& req, size_t total, size_t* begin, size_t* end, json* out) {
  long page = std::strtol(req.Query("page", "1").c_str(), nullptr, 10);
  long per_page = std::strtol(req.Query("per_page", "20").c_str(), nullptr, 10);
  if (page < 1) page = 1;
  if (per_page < 1) per_page = 20;
  if (per_page > 200) per_page = 200;
  long last = total == 0 ? 1 : static_cast<long>((total + per_page - 1) / per_page);
  *begin = std::min(total, static_cast<size_t>((page - 1) * per_page));
  *end = std::min(total, *begin + static_cast<size_t>(per_page));
  std::string extra;
  for (const auto& [k, v] : req.query) {
    if (k != "page" && k != "per_page") extra += "&" + k + "=" + v;
  }
  auto url = [&](long p) {
    return ctx_->base_url + req.path + "?page=" + std::to_string(p) + "&per_page=" + std::to_string(per_page) +
           extra;
  };
  json pages = json::object();
  if (page > 1) {
    pages["first"] = url(1);
    pages["prev"] = url(std::min(page - 1, last));
  }
  if (page < last) {
    pages["next"] = url(page + 1);
    pages["last"] = url(last);
  }
  (*out)["links"] = pages.empty() ? json::object() : json{{"pages", pages}};
  (*out)["meta"] = {{"total", total}};
}

Action& DigitalOceanApi::AddAction(const std::string& type, const std::string& resource_type, int64_t resource_id,
                                   const std::string& region, double duration_real_seconds) {
  Action a;
  a.id = NewActionId();
  a.type = type;
  a.resource_type = resource_type;
  a.resource_id = resource_id;
  a.region = region;
  a.started = ctx_->Now();
  a.done = a.started + ctx_->Latency(duration_real_seconds);
  return actions_[a.id] = a;
}

json DigitalOceanApi::ActionJson(const Action& a) const {
  bool done = ctx_->Now() >= a.done;
  json j = {{"id", a.id},
            {"status", done ? "completed" : "in-progress"},
            {"type", a.type},
            {"started_at", Iso(a.started)},
            {"completed_at", done ? json(Iso(a.done)) : json(nullptr)},
            {"resource_id", a.resource_id ? json(a.resource_id) : json(nullptr)},
            {"resource_type", a.resource_type},
            {"region", a.region.empty() ? json(nullptr) : RegionJsonBySlug(a.region)},
            {"region_slug", a.region.empty() ? json(nullptr) : json(a.region)}};
  if (a.region.empty()) j.erase("region");
  return j;
}

json DigitalOceanApi::ActionLink(const Action& a, const std::string& rel) const {
  return {{"id", a.id}, {"rel", rel}, {"href", ctx_->base_url + "/v2/actions/" + std::to_string(a.id)}};
}

// ---------------------------------------------------------------------------
// Api interface

void DigitalOceanApi::RegisterRoutes(Router& r) {
  using D = DigitalOceanApi;
  Route(r, "GET", "/v2/account", &D::GetAccount);
  Route(r, "GET", "/v2/regions", &D::ListRegions);
  Route(r, "GET", "/v2/sizes", &D::ListSizes);
  Route(r, "GET", "/v2/actions", &D::ListActions);
  Route(r, "GET", "/v2/actions/{action_id}", &D::GetAction);

  Route(r, "GET", "/v2/droplets", &D::ListDroplets);
  Route(r, "POST", "/v2/droplets", &D::CreateDroplets);
  Route(r, "DELETE", "/v2/droplets", &D::DeleteDropletsByTag);
  Route(r, "GET", "/v2/droplets/{droplet_id}", &D::GetDroplet);
  Route(r, "DELETE", "/v2/droplets/{droplet_id}", &D::DeleteDroplet);
  Route(r, "GET", "/v2/droplets/{droplet_id}/actions", &D::ListDropletActions);
  Route(r, "POST", "/v2/droplets/{droplet_id}/actions", &D::PostDropletAction);
  Route(r, "GET", "/v2/droplets/{droplet_id}/actions/{action_id}", &D::GetDropletAction);
  Route(r, "GET", "/v2/droplets/{droplet_id}/snapshots", &D::ListDropletSnapshots);

  Route(r, "GET", "/v2/images", &D::ListImages);
  Route(r, "GET", "/v2/images/{image_id}", &D::GetImage);
  Route(r, "DELETE", "/v2/images/{image_id}", &D::DeleteImage);
  Route(r, "GET", "/v2/snapshots", &D::ListSnapshots);
  Route(r, "GET", "/v2/snapshots/{snapshot_id}", &D::GetSnapshot);
  Route(r, "DELETE", "/v2/snapshots/{snapshot_id}", &D::DeleteSnapshot);

  Route(r, "GET", "/v2/account/keys", &D::ListKeys);
  Route(r, "POST", "/v2/account/keys", &D::CreateKey);
  Route(r, "GET", "/v2/account/keys/{key}", &D::GetKey);
  Route(r, "PUT", "/v2/account/keys/{key}", &D::UpdateKey);
  Route(r, "DELETE", "/v2/account/keys/{key}", &D::DeleteKey);

  Route(r, "GET", "/v2/tags", &D::ListTags);
  Route(r, "POST", "/v2/tags", &D::CreateTag);
  Route(r, "GET", "/v2/tags/{tag}", &D::GetTag);
  Route(r, "DELETE", "/v2/tags/{tag}", &D::DeleteTag);
  Route(r, "POST", "/v2/tags/{tag}/resources", &D::TagResources);
  Route(r, "DELETE", "/v2/tags/{tag}/resources", &D::UntagResources);

  Route(r, "GET", "/v2/volumes", &D::ListVolumes);
  Route(r, "POST", "/v2/volumes", &D::CreateVolume);
  Route(r, "POST", "/v2/volumes/actions", &D::PostVolumeActionByName);
  Route(r, "GET", "/v2/volumes/{volume_id}", &D::GetVolume);
  Route(r, "DELETE", "/v2/volumes/{volume_id}", &D::DeleteVolume);
  Route(r, "GET", "/v2/volumes/{volume_id}/actions", &D::ListVolumeActions);
  Route(r, "POST", "/v2/volumes/{volume_id}/actions", &D::PostVolumeAction);
  Route(r, "GET", "/v2/volumes/{volume_id}/actions/{action_id}", &D::GetVolumeAction);

  Route(r, "GET", "/v2/vpcs", &D::ListVpcs);
  Route(r, "POST", "/v2/vpcs", &D::CreateVpc);
  Route(r, "GET", "/v2/vpcs/{vpc_id}", &D::GetVpc);
  Route(r, "PUT", "/v2/vpcs/{vpc_id}", &D::UpdateVpc);
  Route(r, "PATCH", "/v2/vpcs/{vpc_id}", &D::UpdateVpc);
  Route(r, "DELETE", "/v2/vpcs/{vpc_id}", &D::DeleteVpc);

  Route(r, "GET", "/v2/firewalls", &D::ListFirewalls);
  Route(r, "POST", "/v2/firewalls", &D::CreateFirewall);
  Route(r, "GET", "/v2/firewalls/{firewall_id}", &D::GetFirewall);
  Route(r, "PUT", "/v2/firewalls/{firewall_id}", &D::UpdateFirewall);
  Route(r, "DELETE", "/v2/firewalls/{firewall_id}", &D::DeleteFirewall);
  Route(r, "POST", "/v2/firewalls/{firewall_id}/droplets", &D::AddFirewallDroplets);
  Route(r, "DELETE", "/v2/firewalls/{firewall_id}/droplets", &D::RemoveFirewallDroplets);
  Route(r, "POST", "/v2/firewalls/{firewall_id}/tags", &D::AddFirewallTags);
  Route(r, "DELETE", "/v2/firewalls/{firewall_id}/tags", &D::RemoveFirewallTags);

  for (const std::string family : {"reserved_ips", "floating_ips"}) {
    std::string base = "/v2/" + family;
    Route(r, "GET", base, &D::ListReservedIps);
    Route(r, "POST", base, &D::CreateReservedIp);
    Route(r, "GET", base + "/{ip}", &D::GetReservedIp);
    Route(r, "DELETE", base + "/{ip}", &D::DeleteReservedIp);
    Route(r, "GET", base + "/{ip}/actions", &D::ListReservedIpActions);
    Route(r, "POST", base + "/{ip}/actions", &D::PostReservedIpAction);
    Route(r, "GET", base + "/{ip}/actions/{action_id}", &D::GetReservedIpAction);
  }

  Route(r, "GET", "/v2/load_balancers", &D::ListLoadBalancers);
  Route(r, "POST", "/v2/load_balancers", &D::CreateLoadBalancer);
  Route(r, "GET", "/v2/load_balancers/{lb_id}", &D::GetLoadBalancer);
  Route(r, "PUT", "/v2/load_balancers/{lb_id}", &D::UpdateLoadBalancer);
  Route(r, "DELETE", "/v2/load_balancers/{lb_id}", &D::DeleteLoadBalancer);
  Route(r, "POST", "/v2/load_balancers/{lb_id}/droplets", &D::AddLoadBalancerDroplets);
  Route(r, "DELETE", "/v2/load_balancers/{lb_id}/droplets", &D::RemoveLoadBalancerDroplets);
}

void DigitalOceanApi::Describe(json* top, json* env) {
  (*top)["digitalocean"] = ctx_->base_url + "/v2";
  (*env)["DIGITALOCEAN_API_URL"] = ctx_->base_url + "/v2";
  (*env)["DIGITALOCEAN_TOKEN"] = token_;
}

HttpResponse DigitalOceanApi::QuotaError(const HttpRequest&) {
  return Unprocessable("creating this/these droplet(s) will exceed your droplet limit");
}

HttpResponse DigitalOceanApi::RateLimitError(const HttpRequest&) {
  HttpResponse r = Error(429, "too_many_requests", "API Rate limit exceeded.");
  int64_t reset = static_cast<int64_t>(ctx_->Now() + 60.0 * ctx_->time_scale() + 0.999);
  r.SetHeader("ratelimit-limit", std::to_string(options_.requests_per_hour));
  r.SetHeader("ratelimit-remaining", "0");
  r.SetHeader("ratelimit-reset", std::to_string(reset));
  return r;
}

HttpResponse DigitalOceanApi::ServerError(const HttpRequest&, int status) {
  if (status == 503) return Error(503, "service_unavailable", "Service is currently unavailable.");
  return Error(status, "server_error", "Unexpected server-side error");
}

void DigitalOceanApi::ListResources(std::vector<SimResource>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  double now = ctx_->Now();
  for (auto& [id, d] : droplets_) {
    out->push_back({"digitalocean", "droplet", std::to_string(id), d.name, d.tags, {}, DropletStatus(d, now)});
  }
  for (const auto& [id, v] : volumes_) {
    out->push_back({"digitalocean", "volume", id, v.name, v.tags, {}, "available"});
  }
  for (const auto& [id, img] : images_) {
    if (img.type == "snapshot") {
      out->push_back({"digitalocean", "snapshot", std::to_string(id), img.name, img.tags, {},
                      now >= img.ready_at ? "available" : "pending"});
    }
  }
  for (const auto& [id, k] : keys_) out->push_back({"digitalocean", "ssh_key", std::to_string(id), k.name, {}, {}, ""});
  for (const auto& [id, v] : vpcs_) {
    if (!v.is_default) out->push_back({"digitalocean", "vpc", id, v.name, {}, {}, ""});
  }
  for (const auto& [id, f] : firewalls_) {
    out->push_back({"digitalocean", "firewall", id, f.name, f.tags, {}, now >= f.ready_at ? "succeeded" : "waiting"});
  }
  for (const auto& [ip, r] : reserved_ips_) {
    out->push_back({"digitalocean", "reserved_ip", ip, ip, {}, {}, r.droplet_id ? "assigned" : "unassigned"});
  }
  for (const auto& [id, lb] : load_balancers_) {
    std::vector<std::string> tags;
    if (!lb.tag.empty()) tags.push_back(lb.tag);
    out->push_back({"digitalocean", "load_balancer", id, lb.name, tags, {}, now >= lb.active_at ? "active" : "new"});
  }
  for (const auto& [name, t] : tags_) out->push_back({"digitalocean", "tag", name, name, {}, {}, ""});
}

json DigitalOceanApi::Save() {
  std::lock_guard<std::mutex> lock(mu_);
  json tags = json::object();
  for (const auto& [name, t] : tags_) tags[name] = t;
  json ip_next = json::object();
  for (const auto& [region, n] : public_ip_next_) ip_next[region] = n;
  return {{"account_uuid", account_uuid_},
          {"actions", SaveMap(actions_)},
          {"droplets", SaveMap(droplets_)},
          {"images", SaveMap(images_)},
          {"ssh_keys", SaveMap(keys_)},
          {"volumes", SaveMap(volumes_)},
          {"vpcs", SaveMap(vpcs_)},
          {"firewalls", SaveMap(firewalls_)},
          {"reserved_ips", SaveMap(reserved_ips_)},
          {"load_balancers", SaveMap(load_balancers_)},
          {"tags", tags},
          {"public_ip_next", ip_next},
          {"next_ids",
           {{"action", next_action_id_}, {"droplet", next_droplet_id_}, {"image", next_image_id_},
            {"key", next_key_id_}}}};
}

void DigitalOceanApi::Load(const json& saved) {
  std::lock_guard<std::mutex> lock(mu_);
  try {
    ResetModel();  // keeps the distribution images; saved ones overwrite them
    vpcs_.clear();
    account_uuid_ = saved.value("account_uuid", account_uuid_);
    for (const json& j : saved.value("actions", json::array())) {
      Action a = j.get<Action>();
      actions_[a.id] = a;
    }
    for (const json& j : saved.value("droplets", json::array())) {
      Droplet d = j.get<Droplet>();
      droplets_[d.id] = d;
    }
    for (const json& j : saved.value("images", json::array())) {
      Image i = j.get<Image>();
      images_[i.id] = i;
    }
    for (const json& j : saved.value("ssh_keys", json::array())) {
      SshKey k = j.get<SshKey>();
      keys_[k.id] = k;
    }
    for (const json& j : saved.value("volumes", json::array())) {
      Volume v = j.get<Volume>();
      volumes_[v.id] = v;
    }
    for (const json& j : saved.value("vpcs", json::array())) {
      Vpc v = j.get<Vpc>();
      vpcs_[v.id] = v;
    }
    for (const json& j : saved.value("firewalls", json::array())) {
      Firewall f = j.get<Firewall>();
      firewalls_[f.id] = f;
    }
    for (const json& j : saved.value("reserved_ips", json::array())) {
      ReservedIp r = j.get<ReservedIp>();
      reserved_ips_[r.ip] = r;
    }
    for (const json& j : saved.value("load_balancers", json::array())) {
      LoadBalancer lb = j.get<LoadBalancer>();
      load_balancers_[lb.id] = lb;
    }
    const json tags = saved.value("tags", json::object());
    for (const auto& [name, t] : tags.items()) tags_[name] = t.get<TagIndex>();
    const json ip_next = saved.value("public_ip_next", json::object());
    for (const auto& [region, n] : ip_next.items()) public_ip_next_[region] = n.get<uint32_t>();
    const json ids = saved.value("next_ids", json::object());
    next_action_id_ = ids.value("action", next_action_id_);
    next_droplet_id_ = ids.value("droplet", next_droplet_id_);
    next_image_id_ = ids.value("image", next_image_id_);
    next_key_id_ = ids.value("key", next_key_id_);
    if (vpcs_.empty()) CreateDefaultVpcs();
  } catch (const json::exception&) {
    ResetModel();  // an unreadable save starts from a clean model
  }
}

void DigitalOceanApi::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  ResetModel();
}

// ---------------------------------------------------------------------------
// Account, catalog, actions

HttpResponse DigitalOceanApi::GetAccount(const HttpRequest&, const PathParams&) {
  return HttpResponse::Json(200, {{"account",
                                   {{"droplet_limit", options_.droplet_limit},
                                    {"floating_ip_limit", options_.reserved_ip_limit},
                                    {"email", "sim@example.com"},
                                    {"name", "cloudsim"},
                                    {"uuid", account_uuid_},
                                    {"email_verified", true},
                                    {"status", "active"},
                                    {"status_message", ""}}}});
}

HttpResponse DigitalOceanApi::ListRegions(const HttpRequest& req, const PathParams&) {
  return PagedList(req, Regions(), "regions", [&](const auto& r) { return RegionJson(r); });
}

HttpResponse DigitalOceanApi::ListSizes(const HttpRequest& req, const PathParams&) {
  return PagedList(req, Sizes(), "sizes", [&](const auto& s) { return SizeJson(s); });
}

HttpResponse DigitalOceanApi::ListActions(const HttpRequest& req, const PathParams&) {
  // Newest first, as the real API lists them.
  return PagedList(req, std::views::reverse(actions_), "actions", [&](const auto& a) { return ActionJson(a.second); });
}

HttpResponse DigitalOceanApi::GetAction(const HttpRequest&, const PathParams& p) {
  auto it = actions_.find(std::strtoll(p.at("action_id").c_str(), nullptr, 10));
  if (it == actions_.end()) return NotFound();
  return HttpResponse::Json(200, {{"action", ActionJson(it->second)}});
}

}  // namespace cloudsim::digitalocean

namespace cloudsim {

std::unique_ptr<Api> MakeDigitalOceanApi(SimContext* ctx, const DigitalOceanOptions& options) {
  return std::make_unique<digitalocean::DigitalOceanApi>(ctx, options);
}

std::unique_ptr<Api> MakeDigitalOceanApi(SimContext* ctx) {
  DigitalOceanOptions o;
  o.requests_per_hour = digitalocean::EnvInt("CLOUDSIM_DO_REQUESTS_PER_HOUR", o.requests_per_hour);
  o.requests_per_minute = digitalocean::EnvInt("CLOUDSIM_DO_REQUESTS_PER_MINUTE", o.requests_per_minute);
  o.droplet_limit = digitalocean::EnvInt("CLOUDSIM_DO_DROPLET_LIMIT", o.droplet_limit);
  o.reserved_ip_limit = digitalocean::EnvInt("CLOUDSIM_DO_RESERVED_IP_LIMIT", o.reserved_ip_limit);
  return MakeDigitalOceanApi(ctx, o);
}

}  // namespace cloudsim
