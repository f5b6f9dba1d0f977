// GceApi: what changes on a running instance's network side: its network
// tags (instances.setTags) and the access configs of its interfaces
// (instances.addAccessConfig, instances.deleteAccessConfig), with the
// static addresses they use marked IN_USE or RESERVED through `users`.
#include <algorithm>
#include <regex>

#include "gce/gce_api.h"
#include "gce/net_util.h"

namespace cloudsim::gce {

namespace {

// The interface named by the `networkInterface` query parameter ("nic0").
json& InterfaceOf(Resource& inst, const std::string& name) {
  for (json& ni : inst.body["networkInterfaces"])
    if (ni.value("name", "") == name) return ni;
  FailInvalid("networkInterface", name, "No network interface named '" + name + "' on the instance.");
}

}  // namespace

HttpResponse GceApi::SetTags(Call& c) {
  Resource& inst = Get(c.scope, "instances", c.params.at("instance"));
  json& tags = inst.body["tags"];
  CheckFingerprint(c.body, tags, "tags");
  json items = json::array();
  if (c.body.contains("items")) {
    if (!c.body["items"].is_array()) FailInvalid("resource.items", c.body["items"].dump(), "Must be an array.");
    static const std::regex kTag("[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?");
    for (size_t i = 0; i < c.body["items"].size(); ++i) {
      const json& t = c.body["items"][i];
      if (!t.is_string() || !std::regex_match(t.get<std::string>(), kTag)) {
        FailInvalid("resource.items[" + std::to_string(i) + "]", t.is_string() ? t.get<std::string>() : t.dump(),
                    "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
      }
      if (std::find(items.begin(), items.end(), t) == items.end()) items.push_back(t);
    }
  }
  tags = {{"fingerprint", ctx_->RandomHex(8)}};
  if (!items.empty()) tags["items"] = items;
  std::string op = NewOp(c.scope, "setTags", inst.body["selfLink"], inst.body["id"], ctx_->Latency(2));
  return OpResponse(c, op);
}

HttpResponse GceApi::AddAccessConfig(Call& c) {
  Resource& inst = Get(c.scope, "instances", c.params.at("instance"));
  if (!c.req.HasQuery("networkInterface")) FailRequired("networkInterface");
  json& ni = InterfaceOf(inst, c.req.Query("networkInterface"));
  const json& ac = c.body;
  std::string type = ac.value("type", "ONE_TO_ONE_NAT");
  if (type != "ONE_TO_ONE_NAT") FailInvalid("resource.type", type, "Only ONE_TO_ONE_NAT is supported.");
  if (ni.contains("accessConfigs") && !ni["accessConfigs"].empty()) {
    FailInvalid("resource", "", "At most one access config currently supported.");
  }
  const std::string region = catalog_zones_[c.zone]["_region"];
  std::string nat;
  Resource* address = nullptr;
  if (ac.contains("natIP")) {
    if (!ac["natIP"].is_string()) FailInvalid("resource.natIP", ac["natIP"].dump(), "Must be a string.");
    nat = ac["natIP"].get<std::string>();
    for (auto& [aname, a] : Coll("regions/" + region, "addresses")) {
      if (a.delete_at < 0 && a.body.value("address", "") == nat && a.body.value("addressType", "EXTERNAL") == "EXTERNAL")
        address = &a;
    }
    if (!address) {
      FailInvalid("resource.natIP", nat, "The specified external IP address was not found in region '" + region + "'.");
    }
    if (!address->body["users"].empty()) {
      FailInvalid("resource.natIP", nat, "The IP address is already in use by another resource.");
    }
  } else {
    uint32_t& next = next_ip_["external"];
    nat = IpText((34u << 24) + (16u << 16) + 10 + next++);
  }
  ni["accessConfigs"] = json::array({{{"kind", "compute#accessConfig"},
                                      {"type", "ONE_TO_ONE_NAT"},
                                      {"name", ac.value("name", "External NAT")},
                                      {"natIP", nat},
                                      {"networkTier", ac.value("networkTier", "PREMIUM")}}});
  ni["fingerprint"] = ctx_->RandomHex(8);
  if (address) address->body["users"].push_back(inst.body["selfLink"]);
  std::string op = NewOp(c.scope, "addAccessConfig", inst.body["selfLink"], inst.body["id"], ctx_->Latency(2));
  return OpResponse(c, op);
}

HttpResponse GceApi::DeleteAccessConfig(Call& c) {
  Resource& inst = Get(c.scope, "instances", c.params.at("instance"));
  if (!c.req.HasQuery("accessConfig")) FailRequired("accessConfig");
  if (!c.req.HasQuery("networkInterface")) FailRequired("networkInterface");
  const std::string name = c.req.Query("accessConfig");
  json& ni = InterfaceOf(inst, c.req.Query("networkInterface"));
  json& acs = ni["accessConfigs"];
  auto it = acs.is_array() ? std::find_if(acs.begin(), acs.end(), [&](const json& a) { return a.value("name", "") == name; })
                           : acs.end();
  if (!acs.is_array() || it == acs.end()) {
    FailInvalid("accessConfig", name, "No access config named '" + name + "' on network interface '" +
                                          c.req.Query("networkInterface") + "'.");
  }
  const std::string nat = it->value("natIP", "");
  acs.erase(it);
  if (acs.empty()) ni.erase("accessConfigs");
  ni["fingerprint"] = ctx_->RandomHex(8);
  // A static address goes back to RESERVED; an ephemeral one is released.
  const std::string self = inst.body["selfLink"];
  for (auto& [aname, a] : Coll("regions/" + std::string(catalog_zones_[c.zone]["_region"]), "addresses")) {
    if (a.delete_at >= 0 || a.body.value("address", "") != nat) continue;
    json& users = a.body["users"];
    auto u = std::find(users.begin(), users.end(), json(self));
    if (u != users.end()) users.erase(u);
  }
  std::string op = NewOp(c.scope, "deleteAccessConfig", inst.body["selfLink"], inst.body["id"], ctx_->Latency(2));
  return OpResponse(c, op);
}

}  // namespace cloudsim::gce
