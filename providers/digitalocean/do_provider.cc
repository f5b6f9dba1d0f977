#include "providers/digitalocean/do_provider.h"

#include <algorithm>
#include <set>

#include "http/redact.h"
#include "model/expand.h"
#include "providers/common/settings.h"
#include "providers/digitalocean/drift.h"
#include "providers/digitalocean/tags.h"
#include "util/strings.h"

namespace orch::providers::digitalocean {

using common::EnvOr;
using common::SettingMs;
using common::UrlEncode;
using engine::ObservedResource;
using nlohmann::json;

DigitalOceanProvider::DigitalOceanProvider(const engine::ProviderEnv& env, Tuning tuning)
    : HandlerProvider("DigitalOcean", /*native_instance_groups=*/false, /*batch_create=*/true) {
  api_.env = env;
  if (!api_.env.clock) api_.env.clock = env::Clock::Real();
  api_.tuning = tuning;
  handlers_.Add(NewVpcHandler(&api_));
  handlers_.Add(NewSshKeyHandler(&api_));
  handlers_.Add(NewImageHandler(&api_));
  handlers_.Add(NewDropletHandler(&api_));
  handlers_.Add(NewVolumeHandler(&api_));
  handlers_.Add(NewReservedIpHandler(&api_));
  handlers_.Add(NewFirewallHandler(&api_));
  handlers_.Add(NewLoadBalancerHandler(&api_));
}

DigitalOceanProvider::~DigitalOceanProvider() = default;

Status DigitalOceanProvider::Ready() {
  return rest_ ? Status::OK() : Status::Internal("digitalocean provider used before Configure");
}

Status DigitalOceanProvider::Configure(const engine::ProviderConfig& config) {
  api_.config = config;
  Tuning& tuning_ = api_.tuning;
  const engine::ProviderEnv& env_ = api_.env;
  std::string token = common::StringField(config.settings, "token");
  if (token.empty()) token = EnvOr("DIGITALOCEAN_TOKEN");
  if (token.empty()) token = EnvOr("DIGITALOCEAN_ACCESS_TOKEN");
  if (token.empty())
    return Status::Unauthenticated("provider '" + config.name +
                                   "' (digitalocean) has no API token: set the provider setting 'token' (e.g. "
                                   "token: ${env:DIGITALOCEAN_TOKEN}), or DIGITALOCEAN_TOKEN, or "
                                   "DIGITALOCEAN_ACCESS_TOKEN");
  endpoint_ = config.endpoint;
  if (endpoint_.empty()) endpoint_ = EnvOr("DIGITALOCEAN_API_URL");
  if (endpoint_.empty()) endpoint_ = kDefaultEndpoint;
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  common::ReadPollIntervals(config.settings, &tuning_.poll_initial_ms, &tuning_.poll_max_ms);
  tuning_.batch_window_ms = SettingMs(config.settings, "batch_window_ms", tuning_.batch_window_ms);
  if (!env_.transport) return Status::Internal("digitalocean provider has no HTTP transport");
  http_ = std::make_unique<http::HttpClient>(env_.transport, env_.clock, tuning_.retry);
  auth_ = std::make_unique<common::BearerAuthenticator>(token);
  limiter_ = std::make_unique<common::RateLimiter>(env_.clock);
  rest_ = std::make_unique<common::RestClient>(http_.get(), env_.clock, endpoint_, auth_.get(), &pager_, &errors_,
                                               limiter_.get());
  common::ListPollerOptions po{tuning_.poll_initial_ms, tuning_.poll_max_ms, tuning_.droplet_timeout_ms};
  const std::string list_path = "/droplets?tag_name=" + UrlEncode(DeploymentTag(config.deployment));
  common::RestClient* rest = rest_.get();
  poller_ = std::make_unique<DropletPoller>(
      env_.clock, po, [rest, list_path] { return rest->List(list_path, "droplets"); },
      [](const json& d) { return IdText(d.value("id", json())); },
      [](const json& d) { return Str(d, "status") == "active"; });
  common::BatchOptions bo;
  bo.window = common::BatchOptions::Window::kQuiet;
  bo.window_ms = tuning_.batch_window_ms;
  bo.max_members = kMaxDropletBatch;
  batcher_ = std::make_unique<DropletBatcher>(bo);
  api_.rest = rest_.get();
  api_.poller = poller_.get();
  api_.batcher = batcher_.get();
  return Status::OK();
}

void DigitalOceanProvider::ValidateAny(const model::Resource& resource, const SourceRange& where,
                                       Diagnostics* diags) const {
  for (const std::string& t : EncodeTags(resource.tags)) {
    if (t.size() > 255)
      diags->Error(where, resource.address.ToString() + ": DigitalOcean tag '" + t + "' is longer than 255 characters");
  }
}

// Reverses "<deployment>-<middle><suffix>" names of kinds DigitalOcean
// cannot tag; "" when the name is not of that form, or when it also starts
// with "<other>-" for another deployment `other` that extends `deployment`
// ("demo-x-api-fw" is demo-x's, not demo's).
static std::string Middle(const std::string& name, const std::string& deployment, const std::string& suffix,
                          const std::set<std::string>& others) {
  std::string prefix = deployment + "-";
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 || !EndsWith(name, suffix))
    return "";
  for (const std::string& o : others)
    if (o.size() > deployment.size() && name.rfind(o + "-", 0) == 0) return "";
  return name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
}

// Other deployments whose names start with "<deployment>-", from the
// account's deployment tags and the VPC descriptions.
static std::set<std::string> LongerDeployments(const std::string& deployment, const std::vector<json>& tags,
                                               const std::vector<json>& vpcs) {
  const std::string key = std::string(model::kTagDeployment) + ":";
  std::vector<std::string> words;
  for (const json& t : tags) words.push_back(Str(t, "name"));
  for (const json& v : vpcs)
    for (const std::string& w : Split(Str(v, "description"), ' ')) words.push_back(w);
  std::set<std::string> out;
  for (const std::string& w : words) {
    if (w.rfind(key, 0) != 0) continue;
    std::string other = w.substr(key.size());
    if (other.size() > deployment.size() + 1 && other.rfind(deployment + "-", 0) == 0) out.insert(other);
  }
  return out;
}

Result<std::vector<ObservedResource>> DigitalOceanProvider::Discover(const std::string& deployment) {
  if (!rest_) return Status::Internal("digitalocean provider used before Configure");
  std::vector<ObservedResource> out;
  const std::string dep_tag = DeploymentTag(deployment);
  std::map<std::string, std::string> droplet_address;  // id -> address

  auto droplets = rest_->List("/droplets?tag_name=" + UrlEncode(dep_tag), "droplets");
  if (!droplets.ok()) return droplets.status().WithPrefix("listing droplets");
  for (const json& d : *droplets) {
    ObservedResource o = ObserveDroplet(d);
    droplet_address[o.id] = o.address;
    out.push_back(std::move(o));
  }

  auto volumes = rest_->List("/volumes", "volumes");
  if (!volumes.ok()) return volumes.status().WithPrefix("listing volumes");
  for (const json& v : *volumes) {
    std::vector<std::string> tags = TagList(v);
    if (std::find(tags.begin(), tags.end(), dep_tag) == tags.end()) continue;
    ObservedResource o;
    o.kind = "volume";
    o.id = Str(v, "id");
    o.cloud_name = Str(v, "name");
    o.tags = DecodeTags(tags);
    o.address = o.tags[std::string(model::kTagAddress)];
    o.outputs = {{"id", o.id}};
    json attached = v.value("droplet_ids", json::array());
    o.attributes = {{"instance_id", attached.is_array() && !attached.empty() ? IdText(attached[0]) : ""}};
    out.push_back(std::move(o));
  }

  auto add_named = [&](const std::string& kind, const std::string& id, const std::string& name,
                       const std::string& address, json outputs, json attributes = json::object()) {
    ObservedResource o;
    o.attributes = std::move(attributes);
    o.kind = kind;
    o.id = id;
    o.cloud_name = name;
    o.address = address;
    o.tags = {{std::string(model::kTagDeployment), deployment}, {std::string(model::kTagAddress), address}};
    outputs["id"] = id;
    o.outputs = std::move(outputs);
    out.push_back(std::move(o));
  };

  auto vpcs = rest_->List("/vpcs", "vpcs");
  if (!vpcs.ok()) return vpcs.status().WithPrefix("listing VPCs");
  auto all_tags = rest_->List("/tags", "tags");
  if (!all_tags.ok()) return all_tags.status().WithPrefix("listing tags");
  const std::set<std::string> others = LongerDeployments(deployment, *all_tags, *vpcs);
  for (const json& v : *vpcs) {
    // VPCs take no tags: their description holds "<deployment tag> <address tag>".
    std::vector<std::string> words = Split(Str(v, "description"), ' ');
    if (std::find(words.begin(), words.end(), dep_tag) == words.end()) continue;
    std::map<std::string, std::string> tags = DecodeTags(words);
    std::string address = tags[std::string(model::kTagAddress)];
    if (!address.empty()) add_named("network", Str(v, "id"), Str(v, "name"), address, json::object());
  }

  auto fws = rest_->List("/firewalls", "firewalls");
  if (!fws.ok()) return fws.status().WithPrefix("listing firewalls");
  for (const json& f : *fws) {
    std::string m = Middle(Str(f, "name"), deployment, "-fw", others);
    std::vector<std::string> targets = TagList(f);  // tag proof: it targets the tier's tag
    if (!m.empty() && std::find(targets.begin(), targets.end(), model::CloudName({deployment, m})) != targets.end()) add_named("firewall", Str(f, "id"), Str(f, "name"), m + ".firewall", json::object(), LiveFirewallAttributes(f));
  }

  auto lbs = rest_->List("/load_balancers", "load_balancers");
  if (!lbs.ok()) return lbs.status().WithPrefix("listing load balancers");
  for (const json& l : *lbs) {
    std::string m = Middle(Str(l, "name"), deployment, "-lb", others);
    if (!m.empty() && Str(l, "tag") == model::CloudName({deployment, m})) add_named("load_balancer", Str(l, "id"), Str(l, "name"), m + ".lb", {{"ip", Str(l, "ip")}},
                LiveLoadBalancerAttributes(l));
  }

  auto keys = rest_->List("/account/keys", "ssh_keys");
  if (!keys.ok()) return keys.status().WithPrefix("listing SSH keys");
  for (const json& k : *keys) {
    std::string m = Middle(Str(k, "name"), deployment, "", others);
    if (!m.empty())
      add_named("ssh_key", IdText(k.value("id", json())), Str(k, "name"), "ssh_key." + m + "@" + api_.config.name,
                {{"fingerprint", Str(k, "fingerprint")}});
  }

  auto ips = rest_->List("/reserved_ips", "reserved_ips");
  if (!ips.ok()) return ips.status().WithPrefix("listing reserved IPs");
  for (const json& ip : *ips) {
    if (!ip.contains("droplet") || !ip["droplet"].is_object()) continue;
    auto it = droplet_address.find(IdText(ip["droplet"].value("id", json())));
    if (it == droplet_address.end() || it->second.empty()) continue;
    Result<model::Address> a = model::Address::Parse(it->second);
    if (!a.ok() || a->kind != model::Kind::kInstance) continue;
    model::Address fip = *a;
    fip.kind = model::Kind::kFloatingIp;
    add_named("floating_ip", Str(ip, "ip"), Str(ip, "ip"), fip.ToString(), {{"ip", Str(ip, "ip")}},
              {{"instance_id", IdText(ip["droplet"].value("id", json()))}});
  }
  return out;
}

Result<std::vector<ObservedResource>> DigitalOceanProvider::FindRecorded(
    const std::vector<state::ResourceState>& missing) {
  // A reserved IP carries no tag: Discover knows it only through the droplet
  // it is assigned to. Deleting a droplet unassigns it (a replaced droplet,
  // a run killed between the delete and the reassignment), so the recorded
  // IP is asked for by its address; an unassigned one is still ours.
  std::vector<ObservedResource> out;
  for (const state::ResourceState& rs : missing) {
    // A recorded droplet the tag list did not show: deleted, or its
    // deployment tag was taken off outside. Asked for by id, so one still
    // there is not created a second time.
    if (rs.kind == model::KindName(model::Kind::kInstance) && !rs.id.empty()) {
      Result<json> d = rest_->Get("/droplets/" + rs.id);
      if (!d.ok()) {
        if (d.status().IsNotFound()) continue;
        return d.status().WithPrefix("reading droplet " + rs.id);
      }
      const json& doc = d->value("droplet", json::object());
      if (IdText(doc.value("id", json())) != rs.id) continue;
      ObservedResource o = ObserveDroplet(doc);
      o.address = rs.address;
      out.push_back(std::move(o));
      continue;
    }
    if (rs.kind != model::KindName(model::Kind::kFloatingIp) || rs.id.empty()) continue;
    Result<json> ip = rest_->Get("/reserved_ips/" + rs.id);
    if (!ip.ok()) {
      if (ip.status().IsNotFound()) continue;
      return ip.status().WithPrefix("reading reserved IP " + rs.id);
    }
    const json& doc = ip->value("reserved_ip", json::object());
    if (Str(doc, "ip") != rs.id) continue;
    if (doc.contains("droplet") && doc["droplet"].is_object()) continue;  // assigned elsewhere: not ours now
    ObservedResource o = StillThere(rs);
    o.cloud_name = rs.id;
    o.outputs = {{"ip", rs.id}, {"id", rs.id}};
    o.attributes = {{"instance_id", ""}};  // unassigned: reassigned by an update
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::map<std::string, std::string>> DigitalOceanProvider::FindReusable(
    const std::vector<model::Resource>& wanted) {
  // An account holds one key per fingerprint: the SSH key create reuses an
  // existing one (ssh_key.cc), so the plan shows it as a read.
  std::map<std::string, std::string> out;
  for (const model::Resource& r : wanted) {
    if (r.address.kind != model::Kind::kSshKey) continue;
    std::string fp = SshFingerprint(Str(r.attributes, "public_key"));
    if (fp.empty()) continue;
    Result<json> k = rest_->Get("/account/keys/" + fp);
    if (!k.ok()) {
      if (k.status().IsNotFound()) continue;
      return k.status().WithPrefix("looking up SSH key " + fp);
    }
    std::string name = Str(k->value("ssh_key", json::object()), "name");
    out[r.address.ToString()] = "the account's key '" + name + "' has this fingerprint";
  }
  return out;
}

void Register(engine::ProviderRegistry* registry) {
  registry->Register("digitalocean", [](const engine::ProviderEnv& env) -> std::unique_ptr<engine::Provider> {
    return std::make_unique<DigitalOceanProvider>(env);
  });
}

}  // namespace orch::providers::digitalocean
