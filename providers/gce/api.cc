// What several kinds share: the configured client, the create-or-adopt of
// one GCE object (Ensure), zones and regions, subnetworks, instances.
#include "providers/gce/api.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "model/expand.h"
#include "providers/common/operation_poller.h"
#include "providers/common/settings.h"
#include "util/strings.h"

namespace orch::providers::gce {

using common::EnvOr;
using common::SettingMs;
using common::StringField;
using engine::ObservedResource;
using nlohmann::json;

std::string LastSegment(const std::string& url) {
  size_t s = url.rfind('/');
  return s == std::string::npos ? url : url.substr(s + 1);
}

std::string RelativeLink(const std::string& url) {
  size_t p = url.find("/projects/");
  if (p == std::string::npos) return url;
  std::string rest = url.substr(p + 10);
  size_t s = rest.find('/');
  return s == std::string::npos ? rest : rest.substr(s + 1);
}

std::string ShortHash(const json& j) {
  std::string text = j.dump();
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  char hex[9];
  for (int i = 0; i < 4; ++i) std::snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return hex;
}

json MemberList(const std::vector<json>& instances, const std::string& group_name) {
  json out = json::array();
  for (const json& m : instances) {
    std::string name = Str(m, "name");
    if (name.rfind(group_name + "-", 0) != 0 || name.size() != group_name.size() + 5) continue;
    if (m.contains("labels") && m["labels"].contains(std::string(model::kTagAddress))) continue;
    std::string priv, pub;
    if (m.contains("networkInterfaces") && m["networkInterfaces"].is_array() && !m["networkInterfaces"].empty()) {
      const json& ni = m["networkInterfaces"][0];
      priv = Str(ni, "networkIP");
      if (ni.is_object() && ni.contains("accessConfigs") && ni["accessConfigs"].is_array() &&
          !ni["accessConfigs"].empty())
        pub = Str(ni["accessConfigs"][0], "natIP");
    }
    out.push_back({{"name", name}, {"private_ip", priv}, {"public_ip", pub}});
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a["name"] < b["name"]; });
  return out;
}

// The relative link of the subnetwork of `region` among the network's
// `subnetworks` (the first GCE lists), or "".
std::string RegionalSubnetwork(const json& network, const std::string& region) {
  const std::string part = "/regions/" + region + "/subnetworks/";
  const json subs = network.is_object() ? network.value("subnetworks", json::array()) : json::array();
  if (!subs.is_array()) return "";
  for (const json& s : subs)
    if (s.is_string() && s.get<std::string>().find(part) != std::string::npos) return RelativeLink(s.get<std::string>());
  return "";
}

Api::Api(const engine::ProviderEnv& env, Tuning tuning) : env_(env), tuning_(tuning) {
  if (!env_.clock) env_.clock = env::Clock::Real();
}

Api::~Api() = default;

Status Api::Configure(const engine::ProviderConfig& config) {
  config_ = config;
  if (!env_.transport) return Status::Internal("gce provider has no HTTP transport");
  endpoint_ = config.endpoint;
  if (endpoint_.empty()) endpoint_ = EnvOr("GOOGLE_COMPUTE_CUSTOM_ENDPOINT");
  if (endpoint_.empty()) endpoint_ = kDefaultEndpoint;
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
  tuning_.client.retry_sleep_ms = SettingMs(config.settings, "poll_interval_ms", tuning_.client.retry_sleep_ms);
  common::ReadPollIntervals(config.settings, &tuning_.poll_initial_ms, &tuning_.poll_max_ms);

  transport_ = std::make_unique<RateQuotaTransport>(env_.transport);
  http_ = std::make_unique<http::HttpClient>(transport_.get(), env_.clock, tuning_.retry);
  std::string file = StringField(config.settings, "credentials");
  if (!file.empty() && file[0] != '/' && !config.spec_dir.empty()) file = config.spec_dir + "/" + file;
  Result<Credentials> creds = FindCredentials(file, http_.get(), env_.clock);
  if (!creds.ok()) return creds.status().WithPrefix("provider '" + config.name + "' (gce)");
  project_ = StringField(config.settings, "project");
  if (project_.empty()) project_ = creds->project;
  if (project_.empty()) project_ = EnvOr("GOOGLE_CLOUD_PROJECT");
  if (project_.empty())
    return Status::InvalidArgument("provider '" + config.name +
                                   "' (gce) has no project: set the provider setting 'project' or use a "
                                   "service-account key that names one");
  auth_ = std::make_unique<OAuthAuthenticator>(env_.clock, std::move(creds->source));
  rest_ = std::make_unique<common::RestClient>(http_.get(), env_.clock, endpoint_ + "/projects/" + project_,
                                               auth_.get(), &pager_, &errors_, nullptr);
  client_ = std::make_unique<GceClient>(rest_.get(), auth_.get(), env_.clock, tuning_.client);
  unsigned char salt[8];
  if (RAND_bytes(salt, sizeof salt) != 1) return Status::Internal("no random bytes for GCE request ids");
  request_scope_ = config.deployment + "\n";
  for (unsigned char b : salt) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", b);
    request_scope_ += hex;
  }
  return Status::OK();
}

std::string Api::Zone(const json& a) const {
  std::string z = Str(a, "zone");
  if (z.empty() && !config_.zones.empty()) z = config_.zones[0];
  return z;
}

std::string Api::Region(const json& a) const {
  std::string r = Str(a, "region");
  return r.empty() ? config_.region : r;
}

std::string Api::GroupScope() const {
  return RegionalGroups() || config_.zones.empty() ? "regions/" + config_.region : "zones/" + config_.zones[0];
}

bool Api::Ours(const json& object, const model::Resource& r) const {
  std::map<std::string, std::string> t = TagsOf(object);
  return t[std::string(model::kTagDeployment)] == config_.deployment &&
         t[std::string(model::kTagAddress)] == r.address.ToString();
}

Result<json> Api::Ensure(const Part& p, const model::Resource& r, engine::ApplyContext& ctx) {
  const std::string path = "/" + p.collection + "/" + p.name;
  auto adopt = [&](const json& found) -> Result<json> {
    if (!Ours(found, r))
      return Status::Conflict(p.what + " already exists and its labels/description do not name " +
                              r.address.ToString() + " of deployment " + config_.deployment +
                              "; delete or rename it");
    if (ctx.progress) ctx.progress("adopting " + p.what + " created by an earlier request");
    return found;
  };
  bool look = ctx.attempt > 1 || !ctx.resume_operation.empty();
  if (!ctx.resume_operation.empty()) {
    Status st = client_->WaitLink(ctx.resume_operation, ctx, "earlier operation on " + p.what);
    if (!st.ok() && !st.IsNotFound() && !st.IsConflict()) return st;
  }
  if (look) {
    Result<json> found = client_->Get(path);
    if (found.ok()) return adopt(*found);
    if (!found.status().IsNotFound()) return found.status();
  }
  std::string id = RequestId(request_scope_, r.address.ToString(), p.part, ctx.attempt, p.body);
  Result<json> op = client_->Mutate("POST", "/" + p.collection, p.body, id, ctx);
  if (!op.ok()) {
    if (!op.status().IsConflict()) return op.status();
    Result<json> found = client_->Get(path);
    if (!found.ok()) return op.status();
    return adopt(*found);
  }
  if (ctx.record_operation && !Str(*op, "selfLink").empty()) ctx.record_operation(Str(*op, "selfLink"));
  ORCH_RETURN_IF_ERROR(client_->Wait(*op, ctx, p.what));
  Result<json> got = client_->Get(path);
  if (got.ok()) return got;
  if (got.status().IsNotFound())
    return Status::Internal(p.what + ": the insert operation finished but the resource is not there");
  return got.status();
}

Result<std::vector<json>> Api::ListInstances(const std::string& filter) {
  std::vector<json> all;
  std::set<std::string> zones(config_.zones.begin(), config_.zones.end());
  for (const std::string& z : zones) {
    Result<std::vector<json>> l = client_->List("/zones/" + z + "/instances", filter);
    if (!l.ok()) return l.status().WithPrefix("listing instances in " + z);
    for (json& i : *l) all.push_back(std::move(i));
  }
  return all;
}

ObservedResource Api::ObserveInstance(const json& i) const {
  ObservedResource o;
  o.kind = "instance";
  o.id = RelativeLink(Str(i, "selfLink"));
  o.cloud_name = Str(i, "name");
  o.tags = DecodeLabels(i.value("labels", json::object()));
  auto a = o.tags.find(std::string(model::kTagAddress));
  if (a != o.tags.end()) o.address = a->second;
  std::string priv, pub;
  if (i.contains("networkInterfaces") && i["networkInterfaces"].is_array() && !i["networkInterfaces"].empty()) {
    const json& ni = i["networkInterfaces"][0];
    priv = Str(ni, "networkIP");
    if (ni.is_object() && ni.contains("accessConfigs") && ni["accessConfigs"].is_array() &&
        !ni["accessConfigs"].empty())
      pub = Str(ni["accessConfigs"][0], "natIP");
  }
  o.outputs = {{"id", o.id}, {"private_ip", priv}, {"public_ip", pub}, {"status", Str(i, "status")}};
  o.attributes = {{"size", LastSegment(Str(i, "machineType"))}, {"zone", LastSegment(Str(i, "zone"))}};
  // What the tool set on it: the tier's network tag (other tags are left
  // alone), the ssh-keys lines and whether user-data is still there.
  auto tier = o.tags.find(std::string(model::kTagTier));
  if (tier != o.tags.end() && !tier->second.empty()) {
    const std::string want = model::CloudName({config_.deployment, tier->second});
    const json tags = i.value("tags", json::object());
    const json items = tags.is_object() ? tags.value("items", json::array()) : json::array();
    bool has = false;
    for (const json& t : common::StringItems(items)) has = has || t.get<std::string>() == want;
    o.attributes["target_tag"] = has ? want : "";
  }
  json keys = json::array();
  bool user_data = false;
  const json md = i.value("metadata", json::object());
  for (const json& item : md.is_object() ? md.value("items", json::array()) : json::array()) {
    if (!item.is_object()) continue;
    if (Str(item, "key") == "user-data") user_data = true;
    if (Str(item, "key") != "ssh-keys") continue;
    for (const std::string& line : Split(Str(item, "value"), '\n'))
      if (!line.empty()) keys.push_back(line);
  }
  o.attributes["ssh_keys"] = keys;
  if (!user_data) o.attributes["user_data"] = UserDataMissing();
  return o;
}

json UserDataMissing() { return {{"missing", "the user-data metadata item"}}; }

bool IsUserDataMissing(const json& v) { return v == UserDataMissing(); }

void Api::RememberSubnetwork(const std::string& network, const std::string& region,
                                     const std::string& subnetwork) {
  std::lock_guard<std::mutex> lock(subnetworks_mu_);
  subnetworks_[network + "|" + region] = subnetwork;
}

Result<std::string> Api::SubnetworkFor(const json& a) {
  const std::string network = Str(a, "network");
  if (network.empty()) return std::string();
  const std::string region = Region(a);
  {
    std::lock_guard<std::mutex> lock(subnetworks_mu_);
    auto it = subnetworks_.find(network + "|" + region);
    if (it != subnetworks_.end()) return it->second;
  }
  const std::string name = LastSegment(network);
  if (name.rfind(model::CloudName({config_.deployment}) + "-", 0) == 0)
    return "regions/" + region + "/subnetworks/" + name;  // CreateNetwork names both alike
  Result<json> n = client_->Get("/" + network);
  if (!n.ok()) return n.status().WithPrefix("reading network " + name);
  std::string sub = RegionalSubnetwork(*n, region);
  if (sub.empty())
    return Status::InvalidArgument("network '" + name + "' has no subnetwork in region " + region);
  RememberSubnetwork(network, region, sub);
  return sub;
}

Result<json> Api::WaitStatus(const json& object, const std::string& path, const std::string& want,
                                     engine::ApplyContext& ctx) {
  json current = object;
  if (Str(current, "status") == want) return current;
  common::PollOptions o;
  o.initial_interval_ms = tuning_.poll_initial_ms;
  o.max_interval_ms = tuning_.poll_max_ms;
  o.cancelled = ctx.cancelled;
  o.what = path + " to be " + want;
  ORCH_RETURN_IF_ERROR(common::Poll(env_.clock, o, [&]() -> Result<bool> {
    Result<json> g = client_->Get(path);
    if (!g.ok()) return g.status();
    current = std::move(*g);
    return Str(current, "status") == want;
  }));
  return current;
}

static std::string ImageLink(const std::string& image) {
  if (image.find('/') != std::string::npos) return image;
  if (image.rfind("family:", 0) == 0) return "global/images/family/" + image.substr(7);
  return "global/images/" + image;
}

// Properties shared by an instance and a template (machineType is the bare
// type name for a template, a zonal partial URL for an instance).
json Api::InstanceProperties(const model::Resource& r, const std::string& zone,
                                     const std::string& subnetwork) const {
  const json& a = r.attributes;
  std::string size = Str(a, "size");
  json props = {{"machineType", zone.empty() ? size : "zones/" + zone + "/machineTypes/" + size}};
  props["disks"] = json::array({{{"boot", true},
                                  {"autoDelete", true},
                                  {"initializeParams", {{"sourceImage", ImageLink(Str(a, "image"))}}}}});
  json ni = {{"accessConfigs", json::array({{{"type", "ONE_TO_ONE_NAT"}, {"name", "External NAT"}}})}};
  std::string network = Str(a, "network");
  if (!network.empty()) {
    ni["network"] = network;
    if (!subnetwork.empty()) ni["subnetwork"] = subnetwork;
  }
  props["networkInterfaces"] = json::array({ni});
  if (!Str(a, "target_tag").empty()) props["tags"] = {{"items", json::array({Str(a, "target_tag")})}};
  json items = json::array();
  if (a.contains("user_data") && a["user_data"].is_string() && !a["user_data"].get<std::string>().empty())
    items.push_back({{"key", "user-data"}, {"value", a["user_data"]}});
  std::string keys = SshKeysValue(a);
  if (!keys.empty()) items.push_back({{"key", "ssh-keys"}, {"value", keys}});
  props["metadata"] = {{"items", items}};
  if (a.contains("service_account") && a["service_account"].is_object()) {
    const json& sa = a["service_account"];
    props["serviceAccounts"] = json::array({{{"email", Str(sa, "email")}, {"scopes", sa.value("scopes", json::array())}}});
  }
  return props;
}

}  // namespace orch::providers::gce
