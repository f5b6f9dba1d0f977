// Networks (custom-mode VPC + subnetwork, or an existing network looked
// up), firewall rules, image lookup, static addresses and network load
// balancers.
#include <algorithm>

#include "model/expand.h"
#include "providers/gce/gce_provider.h"
#include "util/strings.h"

namespace orch::providers::gce {

using engine::ObservedResource;
using nlohmann::json;

// The relative link of the subnetwork of `region` among the network's
// `subnetworks` (the first GCE lists), or "".
static std::string RegionalSubnetwork(const json& network, const std::string& region) {
  const std::string part = "/regions/" + region + "/subnetworks/";
  const json subs = network.is_object() ? network.value("subnetworks", json::array()) : json::array();
  if (!subs.is_array()) return "";
  for (const json& s : subs)
    if (s.is_string() && s.get<std::string>().find(part) != std::string::npos) return RelativeLink(s.get<std::string>());
  return "";
}

void GceProvider::RememberSubnetwork(const std::string& network, const std::string& region,
                                     const std::string& subnetwork) {
  std::lock_guard<std::mutex> lock(subnetworks_mu_);
  subnetworks_[network + "|" + region] = subnetwork;
}

Result<json> GceProvider::FindNetwork(const std::string& want) {
  // A GCE name starts with a letter, so digits alone are the numeric id.
  if (want.find_first_not_of("0123456789") == std::string::npos) {
    Result<std::vector<json>> l = client_->List("/global/networks", "id = " + want);
    if (!l.ok()) return l.status();
    for (json& n : *l)
      if (Str(n, "id") == want) return std::move(n);
    return Status::NotFound("no network with id " + want);
  }
  return client_->Get("/global/networks/" + common::UrlEncode(want));
}

Result<ObservedResource> GceProvider::LookupNetwork(const model::Resource& r) {
  const std::string want = Str(r.attributes, "existing");
  const std::string region = Region(r.attributes);
  if (want.empty()) return Status::InvalidArgument("network lookup without a name or id");
  Result<json> n = FindNetwork(want);
  if (!n.ok()) {
    if (!n.status().IsNotFound()) return n.status().WithPrefix("looking up network '" + want + "'");
    return Status::NotFound("no network '" + want + "' in project " + project_ + " of provider '" + config_.name +
                            "'; list them with `gcloud compute networks list --project " + project_ + "`");
  }
  const std::string name = Str(*n, "name");
  if (name.empty()) return Status::Internal("GCE answered the lookup of network '" + want + "' without a name");
  const std::string sub = RegionalSubnetwork(*n, region);
  if (sub.empty())
    return Status::InvalidArgument("network '" + name + "' of project " + project_ + " has no subnetwork in region " +
                                   region + ", where provider '" + config_.name +
                                   "' deploys; add one (`gcloud compute networks subnets create NAME --network " +
                                   name + " --region " + region + " --range CIDR`) or name a network that has one");
  Result<json> s = client_->Get("/" + sub);
  if (!s.ok()) return s.status().WithPrefix("reading subnetwork " + sub + " of network " + name);
  ObservedResource o;
  o.id = RelativeLink(Str(*n, "selfLink"));
  if (o.id.empty()) o.id = "global/networks/" + name;
  o.cloud_name = name;
  o.outputs = {{"subnetwork", sub},
               {"cidr", Str(*s, "ipCidrRange")},
               {"mode", n->is_object() && n->value("autoCreateSubnetworks", json(false)) == json(true) ? "auto" : "custom"}};
  RememberSubnetwork(o.id, region, sub);
  return o;
}

Result<std::string> GceProvider::SubnetworkFor(const json& a) {
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

// Recorded ssh keys are reported as present (ssh_keys.cc); recorded network
// lookups only fill the subnetwork cache.
Result<std::vector<ObservedResource>> GceProvider::FindRecorded(const std::vector<state::ResourceState>& missing) {
  for (const state::ResourceState& rs : missing) {
    if (rs.kind != "network" || !rs.attributes.is_object() || rs.attributes.value("lookup", json(false)) != json(true))
      continue;
    std::string sub = Str(rs.outputs, "subnetwork");
    if (!rs.id.empty() && !sub.empty()) RememberSubnetwork(rs.id, Region(rs.attributes), sub);
  }
  return RecordedSshKeys(missing);
}

Result<ObservedResource> GceProvider::CreateNetwork(const model::Resource& r, engine::ApplyContext& ctx) {
  if (r.attributes.value("lookup", json(false)) == json(true)) return LookupNetwork(r);
  const std::string desc = DescriptionFor(r.tags);
  Part net{"global/networks", r.cloud_name,
           {{"name", r.cloud_name}, {"autoCreateSubnetworks", false}, {"description", desc}},
           "network", "network " + r.cloud_name};
  Result<json> n = Ensure(net, r, ctx);
  if (!n.ok()) return n.status();
  const std::string region = Region(r.attributes);
  Part sub{"regions/" + region + "/subnetworks", r.cloud_name,
           {{"name", r.cloud_name},
            {"network", Str(*n, "selfLink")},
            {"ipCidrRange", Str(r.attributes, "cidr")},
            {"description", desc}},
           "subnetwork", "subnetwork " + r.cloud_name};
  Result<json> s = Ensure(sub, r, ctx);
  if (!s.ok()) return s.status();
  ObservedResource o;
  o.id = RelativeLink(Str(*n, "selfLink"));
  o.outputs = {{"subnetwork", RelativeLink(Str(*s, "selfLink"))}};
  return o;
}

Status GceProvider::DeleteNetwork(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  if (prior.attributes.is_object() && prior.attributes.value("lookup", json(false)) == json(true))
    return Status::OK();  // an existing network: looked up, never owned
  const std::string name = LastSegment(prior.id);
  std::string region = Str(prior.attributes, "region");
  if (region.empty()) region = config_.region;
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/regions/" + region + "/subnetworks/" + name, ctx, "subnetwork " + name));
  return client_->DeleteAndWait("/" + prior.id, ctx, "network " + name);
}

static json FirewallAllowed(const json& rule) {
  json allowed = {{"IPProtocol", Str(rule, "protocol", "tcp")}};
  std::string ports = Str(rule, "ports");
  if (!ports.empty() && allowed["IPProtocol"] != "icmp") {
    json list = json::array();
    for (const std::string& p : Split(ports, ','))
      if (!Trim(p).empty()) list.push_back(std::string(Trim(p)));
    allowed["ports"] = list;
  }
  return allowed;
}

json FirewallRuleBody(const model::Resource& r, const json& rule, int index) {
  const json& a = r.attributes;
  json body = {{"name", r.cloud_name + "-" + std::to_string(index)},
               {"network", Str(a, "network", "global/networks/default")},
               {"direction", "INGRESS"},
               {"allowed", json::array({FirewallAllowed(rule)})},
               {"targetTags", json::array({Str(a, "target_tag")})},
               {"description", DescriptionFor(r.tags)}};
  if (rule.contains("sources") && !rule["sources"].empty()) body["sourceRanges"] = rule["sources"];
  if (rule.contains("source_tags") && !rule["source_tags"].empty()) body["sourceTags"] = rule["source_tags"];
  return body;
}

Result<ObservedResource> GceProvider::CreateFirewall(const model::Resource& r, engine::ApplyContext& ctx) {
  int i = 0;
  for (const json& rule : r.attributes.value("rules", json::array())) {
    json body = FirewallRuleBody(r, rule, i++);
    std::string name = Str(body, "name");
    Result<json> f = Ensure({"global/firewalls", name, body, "firewall-" + std::to_string(i), "firewall rule " + name},
                            r, ctx);
    if (!f.ok()) return f.status();
  }
  ObservedResource o;
  o.id = r.cloud_name;
  o.outputs = {{"rules", i}};
  return o;
}

Status GceProvider::DeleteFirewall(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  Result<std::vector<json>> rules = client_->List("/global/firewalls", "name eq " + prior.id + "-[0-9]+");
  if (!rules.ok()) return rules.status();
  for (const json& f : *rules)
    ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/global/firewalls/" + Str(f, "name"), ctx, "firewall rule " + Str(f, "name")));
  return Status::OK();
}

// Public image projects by name prefix, searched after the project itself.
static std::vector<std::string> ImageProjects(const std::string& name) {
  static const std::vector<std::pair<std::string, std::string>> kKnown = {
      {"debian-", "debian-cloud"},       {"ubuntu-", "ubuntu-os-cloud"},   {"centos-", "centos-cloud"},
      {"rocky-linux-", "rocky-linux-cloud"}, {"cos-", "cos-cloud"},      {"rhel-", "rhel-cloud"},
      {"fedora-coreos-", "fedora-coreos-cloud"}, {"sles-", "suse-cloud"}};
  std::vector<std::string> out;
  for (const auto& [prefix, project] : kKnown)
    if (name.rfind(prefix, 0) == 0) out.push_back(project);
  return out;
}

Result<ObservedResource> GceProvider::CreateImage(const model::Resource& r, engine::ApplyContext&) {
  std::string source = Str(r.attributes, "source");
  if (source.empty()) source = r.cloud_name;
  bool family = source.rfind("family:", 0) == 0;
  std::string name = family ? source.substr(7) : source;
  std::vector<std::string> projects;
  size_t slash = name.find('/');
  if (slash != std::string::npos) {  // "PROJECT/NAME"
    projects.push_back(name.substr(0, slash));
    name = name.substr(slash + 1);
  } else {
    projects.push_back(project_);
    for (const std::string& p : ImageProjects(name)) projects.push_back(p);
  }
  Status last = Status::NotFound("");
  for (const std::string& p : projects) {
    std::string url = endpoint_ + "/projects/" + p + "/global/images/" + (family ? "family/" : "") + name;
    Result<json> img = client_->Get(url);
    if (img.ok()) {
      ObservedResource o;
      std::string link = Str(*img, "selfLink");
      o.id = "projects/" + p + "/global/images/" + LastSegment(link);
      o.cloud_name = Str(*img, "name");
      o.outputs = {{"name", o.cloud_name}, {"project", p}};
      return o;
    }
    if (!img.status().IsNotFound() && img.status().code() != StatusCode::kPermissionDenied) return img.status();
    last = img.status();
  }
  std::string tried;
  for (const std::string& p : projects) tried += (tried.empty() ? "" : ", ") + p;
  return Status::NotFound(std::string(family ? "image family '" : "image '") + name + "' not found in project(s) " +
                          tried);
}

Result<ObservedResource> GceProvider::CreateFloatingIp(const model::Resource& r, engine::ApplyContext& ctx) {
  // Promotes the instance's ephemeral external IP to a static address, so
  // the instance keeps it (GCE's way to give a running instance a fixed IP).
  std::string instance = Str(r.attributes, "instance_id");
  Result<json> inst = client_->Get("/" + instance);
  if (!inst.ok()) return inst.status().WithPrefix("reading " + instance);
  std::string ip;
  if ((*inst).contains("networkInterfaces") && !(*inst)["networkInterfaces"].empty()) {
    const json& ni = (*inst)["networkInterfaces"][0];
    if (ni.contains("accessConfigs") && !ni["accessConfigs"].empty()) ip = Str(ni["accessConfigs"][0], "natIP");
  }
  if (ip.empty()) return Status::InvalidArgument(instance + " has no external IP to make static");
  json body = {{"name", r.cloud_name}, {"address", ip}, {"addressType", "EXTERNAL"}, {"labels", EncodeLabels(r.tags)}};
  Result<json> a = Ensure({"regions/" + Region(r.attributes) + "/addresses", r.cloud_name, body, "address",
                           "address " + r.cloud_name},
                          r, ctx);
  if (!a.ok()) return a.status();
  ObservedResource o;
  o.id = RelativeLink(Str(*a, "selfLink"));
  o.outputs = {{"ip", Str(*a, "address")}};
  return o;
}

Result<ObservedResource> GceProvider::CreateLoadBalancer(const model::Resource& r, engine::ApplyContext& ctx) {
  const json& a = r.attributes;
  const std::string region = Region(a);
  const std::string desc = DescriptionFor(r.tags);
  const json hc = a.value("health_check", json::object());
  json hc_body = {{"name", r.cloud_name},
                  {"port", hc.value("port", 80)},
                  {"requestPath", Str(hc, "path", "/")},
                  {"checkIntervalSec", hc.value("interval_s", 5)},
                  {"timeoutSec", hc.value("timeout_s", 5)},
                  {"healthyThreshold", hc.value("healthy_threshold", 2)},
                  {"unhealthyThreshold", hc.value("unhealthy_threshold", 2)},
                  {"description", desc}};
  Result<json> h = Ensure({"global/httpHealthChecks", r.cloud_name, hc_body, "health-check",
                           "HTTP health check " + r.cloud_name},
                          r, ctx);
  if (!h.ok()) return h.status();
  json pool_body = {{"name", r.cloud_name},
                    {"healthChecks", json::array({Str(*h, "selfLink")})},
                    {"sessionAffinity", "NONE"},
                    {"description", desc}};
  Result<json> pool = Ensure({"regions/" + region + "/targetPools", r.cloud_name, pool_body, "target-pool",
                              "target pool " + r.cloud_name},
                             r, ctx);
  if (!pool.ok()) return pool.status();
  Result<json> addr = Ensure({"regions/" + region + "/addresses", r.cloud_name,
                              {{"name", r.cloud_name}, {"addressType", "EXTERNAL"}, {"labels", EncodeLabels(r.tags)}},
                              "address", "address " + r.cloud_name},
                             r, ctx);
  if (!addr.ok()) return addr.status();
  const json listeners = a.value("listeners", json::array());
  for (size_t i = 0; i < listeners.size(); ++i) {
    std::string name = listeners.size() == 1 ? r.cloud_name : r.cloud_name + "-" + std::to_string(i);
    std::string port = std::to_string(listeners[i].value("port", 80));
    json fr = {{"name", name},
               {"IPAddress", Str(*addr, "address")},
               {"IPProtocol", Str(listeners[i], "protocol") == "udp" ? "UDP" : "TCP"},
               {"portRange", port},
               {"target", Str(*pool, "selfLink")},
               {"loadBalancingScheme", "EXTERNAL"},
               {"labels", EncodeLabels(r.tags)}};
    Result<json> f = Ensure({"regions/" + region + "/forwardingRules", name, fr, "forwarding-rule-" + std::to_string(i),
                             "forwarding rule " + name},
                            r, ctx);
    if (!f.ok()) return f.status();
  }
  // The tier's group feeds the pool: its members join and leave with scaling.
  std::string group = Str(a.value("targets", json::object()), "tag");
  if (!group.empty()) {
    std::string path = "/" + GroupScope() + "/instanceGroupManagers/" + group;
    Result<json> g = client_->Get(path);
    if (!g.ok()) return g.status().WithPrefix("reading the backend group " + group);
    json pools = g->value("targetPools", json::array());
    if (std::find(pools.begin(), pools.end(), Str(*pool, "selfLink")) == pools.end()) {
      pools.push_back(Str(*pool, "selfLink"));
      json body = {{"targetPools", pools}, {"fingerprint", Str(*g, "fingerprint")}};
      ORCH_RETURN_IF_ERROR(client_->MutateAndWait(
          "POST", path + "/setTargetPools", body,
          RequestId(request_scope_, r.address.ToString(), "set-target-pools", ctx.attempt, body), ctx,
          "adding target pool " + r.cloud_name + " to group " + group));
    }
  }
  ObservedResource o;
  o.id = r.cloud_name;
  o.outputs = {{"ip", Str(*addr, "address")}};
  return o;
}

Status GceProvider::DeleteLoadBalancer(const state::ResourceState& prior, engine::ApplyContext& ctx) {
  std::string region = Str(prior.attributes, "region");
  if (region.empty()) region = config_.region;
  const std::string name = prior.id;
  const std::string rp = "/regions/" + region;
  Result<std::vector<json>> rules = client_->List(rp + "/forwardingRules", "name eq " + name + ".*");
  if (!rules.ok()) return rules.status();
  for (const json& f : *rules) {
    std::string fname = Str(f, "name");
    if (fname != name && (fname.size() <= name.size() + 1 || fname.rfind(name + "-", 0) != 0 ||
                          fname.find_first_not_of("0123456789", name.size() + 1) != std::string::npos))
      continue;  // another load balancer's rule sharing the prefix
    ORCH_RETURN_IF_ERROR(client_->DeleteAndWait(rp + "/forwardingRules/" + Str(f, "name"), ctx, "forwarding rule " + Str(f, "name")));
  }
  // Detach the pool from the group that feeds it, if the group is still there.
  std::string group = Str(prior.attributes.value("targets", json::object()), "tag");
  Result<json> pool = client_->Get(rp + "/targetPools/" + name);
  if (!group.empty() && pool.ok()) {
    std::string path = "/" + GroupScope() + "/instanceGroupManagers/" + group;
    Result<json> g = client_->Get(path);
    if (g.ok()) {
      json pools = json::array();
      for (const json& p : g->value("targetPools", json::array()))
        if (p != Str(*pool, "selfLink")) pools.push_back(p);
      if (pools.size() != g->value("targetPools", json::array()).size()) {
        json body = {{"targetPools", pools}, {"fingerprint", Str(*g, "fingerprint")}};
        ORCH_RETURN_IF_ERROR(client_->MutateAndWait("POST", path + "/setTargetPools", body, "", ctx,
                                                    "removing target pool " + name + " from group " + group));
      }
    } else if (!g.status().IsNotFound()) {
      return g.status();
    }
  }
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait(rp + "/targetPools/" + name, ctx, "target pool " + name));
  ORCH_RETURN_IF_ERROR(client_->DeleteAndWait("/global/httpHealthChecks/" + name, ctx, "health check " + name));
  return client_->DeleteAndWait(rp + "/addresses/" + name, ctx, "address " + name);
}

}  // namespace orch::providers::gce
