#include "providers/digitalocean/do_provider.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "http/redact.h"
#include "model/expand.h"
#include "providers/common/outcome.h"
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

DigitalOceanProvider::DigitalOceanProvider(const engine::ProviderEnv& env, Tuning tuning)
    : env_(env), tuning_(tuning) {
  if (!env_.clock) env_.clock = env::Clock::Real();
}

DigitalOceanProvider::~DigitalOceanProvider() = default;

engine::Capabilities DigitalOceanProvider::GetCapabilities() const {
  engine::Capabilities c;
  c.kinds = {model::Kind::kNetwork,  model::Kind::kFirewall,   model::Kind::kSshKey,
             model::Kind::kImage,    model::Kind::kInstance,   model::Kind::kVolume,
             model::Kind::kFloatingIp, model::Kind::kLoadBalancer};
  c.native_instance_groups = false;
  c.batch_create = true;
  return c;
}

Status DigitalOceanProvider::Configure(const engine::ProviderConfig& config) {
  config_ = config;
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
  poller_ = std::make_unique<DropletPoller>(
      rest_.get(), env_.clock, "/droplets?tag_name=" + UrlEncode(DeploymentTag(config.deployment)), tuning_);
  batcher_ = std::make_unique<DropletBatcher>(tuning_.batch_window_ms);
  return Status::OK();
}

void DigitalOceanProvider::Validate(const model::Resource& resource, const SourceRange& where,
                                    Diagnostics* diags) const {
  for (const std::string& t : EncodeTags(resource.tags)) {
    if (t.size() > 255)
      diags->Error(where, resource.address.ToString() + ": DigitalOcean tag '" + t + "' is longer than 255 characters");
  }
  if (resource.address.kind == model::Kind::kInstance && resource.attributes.contains("user_data") &&
      resource.attributes["user_data"].is_string() && resource.attributes["user_data"].get<std::string>().size() > 65536)
    diags->Error(where, resource.address.ToString() + ": DigitalOcean user_data is limited to 64 KiB");
}

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

ObservedResource DigitalOceanProvider::ObserveDroplet(const json& d) const {
  ObservedResource o;
  o.kind = "instance";
  o.id = IdText(d.value("id", json()));
  o.cloud_name = Str(d, "name");
  o.tags = DecodeTags(TagList(d));
  auto a = o.tags.find(std::string(model::kTagAddress));
  if (a != o.tags.end()) {
    o.address = a->second;
  } else {
    o.address = BatchedDropletAddress(o.cloud_name, config_.deployment, o.tags);
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
    std::string tier_tag = model::CloudName({config_.deployment, a->tier});
    std::vector<std::string> live = TagList(d);
    o.attributes["target_tag"] = std::find(live.begin(), live.end(), tier_tag) != live.end() ? tier_tag : "";
  }
  return o;
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
      add_named("ssh_key", IdText(k.value("id", json())), Str(k, "name"), "ssh_key." + m + "@" + config_.name,
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

Result<ObservedResource> DigitalOceanProvider::Create(const model::Resource& r, engine::ApplyContext& ctx) {
  if (!rest_) return Status::Internal("digitalocean provider used before Configure");
  Result<ObservedResource> res = Status::NotSupported("");
  switch (r.address.kind) {
    case model::Kind::kNetwork: res = CreateNetwork(r, ctx); break;
    case model::Kind::kSshKey: res = CreateSshKey(r, ctx); break;
    case model::Kind::kImage: res = CreateImage(r, ctx); break;
    case model::Kind::kInstance: res = CreateInstance(r, ctx); break;
    case model::Kind::kVolume: res = CreateVolume(r, ctx); break;
    case model::Kind::kFloatingIp: res = CreateFloatingIp(r, ctx); break;
    case model::Kind::kFirewall: res = CreateFirewall(r, ctx); break;
    case model::Kind::kLoadBalancer: res = CreateLoadBalancer(r, ctx); break;
    default:
      return Status::NotSupported(r.address.ToString() + ": DigitalOcean has no " +
                                  std::string(model::KindName(r.address.kind)) + " (instance groups are expanded into droplets)");
  }
  return common::FinishCreate(std::move(res), r);
}

Status DigitalOceanProvider::Delete(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  if (!rest_) return Status::Internal("digitalocean provider used before Configure");
  std::optional<model::Kind> kind = model::KindFromName(prior.kind);
  if (!kind) return Status::InvalidArgument(prior.address + ": unknown kind '" + prior.kind + "'");
  if (prior.id.empty() && *kind != model::Kind::kImage) return Status::OK();
  Status st;
  switch (*kind) {
    case model::Kind::kImage: return Status::OK();  // looked up, never owned
    case model::Kind::kNetwork:
      if (prior.attributes.is_object() && prior.attributes.value("lookup", json(false)) == json(true)) {
        CleanupTags(config_.deployment);  // an existing VPC: looked up, never owned
        return Status::OK();
      }
      st = RetryBusy([&] { return rest_->Delete("/vpcs/" + prior.id); }, ctx, "VPC " + prior.id);
      if (st.ok() || st.IsNotFound()) CleanupTags(config_.deployment);
      break;
    case model::Kind::kSshKey:
      if (prior.outputs.value("reused", false)) return Status::OK();  // not ours
      st = rest_->Delete("/account/keys/" + prior.id);
      break;
    case model::Kind::kInstance:
      st = rest_->Delete("/droplets/" + prior.id);
      if (st.ok() || st.IsNotFound()) {
        Status t = rest_->Delete("/tags/" + UrlEncode(AddressTag(prior.address)));
        (void)t;  // best effort: the tag only names this droplet
      }
      break;
    case model::Kind::kVolume: st = DeleteVolume(prior, ctx); break;
    case model::Kind::kFloatingIp: st = DeleteFloatingIp(prior, ctx); break;
    case model::Kind::kFirewall: st = rest_->Delete("/firewalls/" + prior.id); break;
    case model::Kind::kLoadBalancer: st = rest_->Delete("/load_balancers/" + prior.id); break;
    default: return Status::NotSupported(prior.address + ": cannot delete kind " + prior.kind);
  }
  return common::FinishDelete(st, prior.address);
}

Status DigitalOceanProvider::Sleep(int64_t ms, engine::ApplyContext& ctx) {
  return common::SleepUnlessCancelled(env_.clock, ms, ctx);
}

Result<json> DigitalOceanProvider::CreateOnce(const std::string& what, const Lookup& lookup, const Post& post,
                                              bool lookup_first, engine::ApplyContext& ctx) {
  return common::CreateAdopting(what, lookup, post, lookup_first, ctx, env_.clock,
                                {tuning_.create_attempts, tuning_.poll_initial_ms, tuning_.poll_max_ms});
}

Status DigitalOceanProvider::WaitAction(const std::string& action_path, engine::ApplyContext& ctx,
                                        const std::string& what) {
  common::PollOptions o;
  o.initial_interval_ms = tuning_.poll_initial_ms;
  o.max_interval_ms = tuning_.poll_max_ms;
  o.timeout_ms = tuning_.action_timeout_ms;
  o.cancelled = ctx.cancelled;
  o.what = what;
  return common::Poll(env_.clock, o, [&]() -> Result<bool> {
    Result<json> a = rest_->Get(action_path);
    if (!a.ok()) return a.status();
    std::string status = Str((*a)["action"], "status");
    if (status == "errored") return Status::Internal(what + " failed (action " + action_path + " errored)");
    return status == "completed";
  });
}

Status DigitalOceanProvider::RetryBusy(const std::function<Status()>& op, engine::ApplyContext& ctx,
                                       const std::string& what) {
  auto busy = [](const Status& st) { return st.IsConflict(); };
  return common::RetryWhileBusy(op, busy, env_.clock,
                                {tuning_.poll_initial_ms, tuning_.poll_max_ms, tuning_.action_timeout_ms}, ctx, what);
}

Status DigitalOceanProvider::EnsureTags(const std::vector<std::string>& tags) {
  for (const std::string& t : tags) {
    Result<json> r = rest_->Get("/tags/" + UrlEncode(t));
    if (r.ok()) continue;
    if (!r.status().IsNotFound()) return r.status();
    http::SendOutcome outcome;
    Result<json> c = rest_->Post("/tags", {{"name", t}}, &outcome);
    if (!c.ok() && !Uncertain(c.status()) && c.status().code() != StatusCode::kInvalidArgument) return c.status();
    if (!c.ok()) {  // lost, or already there: check
      Result<json> again = rest_->Get("/tags/" + UrlEncode(t));
      if (!again.ok()) return c.status();
    }
  }
  return Status::OK();
}

// Deletes the deployment's tags that no longer tag anything (DO keeps empty
// tags). Only tags of this deployment: "orchestrator-deployment:<dep>",
// "orchestrator-address:*" with no resources, and "<dep>-*" target tags.
void DigitalOceanProvider::CleanupTags(const std::string& deployment) {
  auto tags = rest_->List("/tags", "tags");
  if (!tags.ok()) return;
  for (const json& t : *tags) {
    std::string name = Str(t, "name");
    bool ours = name == DeploymentTag(deployment) || name.rfind(std::string(model::kTagAddress) + ":", 0) == 0 ||
                name.rfind(deployment + "-", 0) == 0 || name.rfind(std::string(model::kTagTier) + ":", 0) == 0;
    if (!ours) continue;
    int64_t count = 0;
    if (t.contains("resources") && t["resources"].is_object()) count = t["resources"].value("count", 0);
    if (count == 0) {
      Status st = rest_->Delete("/tags/" + UrlEncode(name));
      (void)st;
    }
  }
}

void Register(engine::ProviderRegistry* registry) {
  registry->Register("digitalocean", [](const engine::ProviderEnv& env) -> std::unique_ptr<engine::Provider> {
    return std::make_unique<DigitalOceanProvider>(env);
  });
}

}  // namespace orch::providers::digitalocean
