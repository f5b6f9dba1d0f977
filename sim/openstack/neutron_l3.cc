// Neutron L3: routers (external gateway, interfaces) and floating IPs.
#include <algorithm>

#include "openstack/model.h"

namespace cloudsim::openstack {
namespace {

void Touch(Model* m, json* d) {
  (*d)["updated_at"] = IsoZ(m->Now());
  (*d)["revision_number"] = d->value("revision_number", 0) + 1;
}

// Sets or clears the router's gateway; returns an error response or status 0.
HttpResponse SetGateway(Model* m, json* router, const json& info, const std::string& project_id) {
  HttpResponse ok;
  ok.status = 0;
  std::string rid = (*router)["id"];
  std::string gw_port = router->value("_gw_port", "");
  bool clear = info.is_null() || (info.is_object() && !info.contains("network_id"));
  if (!gw_port.empty() && (clear || info["network_id"] != (*router)["external_gateway_info"]["network_id"])) {
    for (const auto& [fid, f] : m->floatingips)
      if (f["router_id"] == rid)
        return NeutronError(409, "RouterExternalGatewayInUseByFloatingIp",
                            "Gateway cannot be updated for router " + rid +
                                ", since a gateway to external network " +
                                (*router)["external_gateway_info"]["network_id"].get<std::string>() +
                                " is required by one or more floating IPs.");
    m->DeletePort(gw_port);
    router->erase("_gw_port");
    (*router)["external_gateway_info"] = nullptr;
  }
  if (clear) return ok;
  if (!info.is_object() || !info["network_id"].is_string())
    return NeutronError(400, "HTTPBadRequest", "Invalid input for external_gateway_info.");
  std::string net = info["network_id"];
  auto nit = m->networks.find(net);
  if (nit == m->networks.end()) return NeutronError(404, "NetworkNotFound", "Network " + net + " could not be found.");
  if (!nit->second.value("router:external", false))
    return NeutronError(400, "BadRequest", "Bad router request: Network " + net + " is not an external network.");
  if (!router->value("_gw_port", "").empty()) {
    (*router)["external_gateway_info"]["enable_snat"] = info.value("enable_snat", true);
    return ok;
  }
  int status = 0;
  json err;
  std::string port = m->CreatePort(net, "", project_id, rid, "network:router_gateway", "", json::array(), &status, &err);
  if (port.empty()) return NeutronError(status, err["type"], err["message"]);
  m->ports[port]["tenant_id"] = "";
  (*router)["_gw_port"] = port;
  (*router)["external_gateway_info"] = {{"network_id", net},
                                        {"external_fixed_ips", m->ports[port]["fixed_ips"]},
                                        {"enable_snat", info.value("enable_snat", true)}};
  return ok;
}

HttpResponse CreateRouter(Model* m, const HttpRequest& req, const Caller& c) {
  json body;
  if (!ParseBody(req, &body) || !body.contains("router") || !body["router"].is_object())
    return NeutronError(400, "HTTPBadRequest", "Resource body required");
  const json& in = body["router"];
  HttpResponse err;
  if (NeutronCheckAttrs(in, {"name", "admin_state_up", "external_gateway_info", "description", "distributed",
                             "ha", "availability_zone_hints", "flavor_id", "tenant_id", "project_id"},
                        &err))
    return err;
  if (NeutronOverQuota(m->routers, c.project_id, 10, "router", &err)) return err;
  std::string id = m->Uuid(), now = IsoZ(m->Now());
  json r = {{"id", id}, {"name", in.value("name", "")}, {"tenant_id", c.project_id},
            {"admin_state_up", in.value("admin_state_up", true)}, {"status", "ACTIVE"},
            {"external_gateway_info", nullptr}, {"description", in.value("description", "")},
            {"availability_zones", json::array()}, {"distributed", in.value("distributed", false)},
            {"ha", in.value("ha", false)}, {"availability_zone_hints", in.value("availability_zone_hints", json::array())},
            {"routes", json::array()}, {"flavor_id", nullptr}, {"tags", json::array()},
            {"created_at", now}, {"updated_at", now}, {"revision_number", 1}, {"project_id", c.project_id}};
  if (in.contains("external_gateway_info")) {
    HttpResponse g = SetGateway(m, &r, in["external_gateway_info"], c.project_id);
    if (g.status != 0) return g;
  }
  m->routers[id] = r;
  return HttpResponse::Json(201, {{"router", NeutronView(r, c)}});
}

HttpResponse RouterInterface(Model* m, const HttpRequest& req, const std::string& rid, bool add) {
  auto rit = m->routers.find(rid);
  if (rit == m->routers.end()) return NeutronError(404, "RouterNotFound", "Router " + rid + " could not be found.");
  json body;
  if (!ParseBody(req, &body)) return NeutronError(400, "HTTPBadRequest", "Invalid JSON body");
  std::string subnet_id = body.value("subnet_id", ""), port_id = body.value("port_id", "");
  if (subnet_id.empty() == port_id.empty())
    return NeutronError(400, "BadRequest", "Bad router request: Either subnet_id or port_id must be specified.");
  std::string project = rit->second["project_id"];
  if (!port_id.empty()) {
    auto pit = m->ports.find(port_id);
    if (pit == m->ports.end()) return NeutronError(404, "PortNotFound", "Port " + port_id + " could not be found.");
    if (pit->second["fixed_ips"].empty())
      return NeutronError(400, "BadRequest", "Bad router request: Router port must have at least one fixed IP.");
    subnet_id = pit->second["fixed_ips"][0]["subnet_id"];
  }
  auto sit = m->subnets.find(subnet_id);
  if (sit == m->subnets.end()) return NeutronError(404, "SubnetNotFound", "Subnet " + subnet_id + " could not be found.");
  std::string existing;
  for (const auto& [pid, p] : m->ports)
    if (p["device_id"] == rid && p["device_owner"] == "network:router_interface")
      for (const auto& f : p["fixed_ips"])
        if (f["subnet_id"] == subnet_id) existing = pid;
  if (add) {
    if (!existing.empty())
      return NeutronError(400, "BadRequest", "Bad router request: Router already has a port on subnet " + subnet_id + ".");
    if (port_id.empty()) {
      if (!sit->second["gateway_ip"].is_string())
        return NeutronError(400, "BadRequest", "Bad router request: Subnet for router interface must have a gateway IP.");
      int status = 0;
      json err;
      std::string net = sit->second["network_id"];
      port_id = m->CreatePort(net, subnet_id, project, rid, "network:router_interface", "", json::array(), &status, &err);
      if (port_id.empty()) return NeutronError(status, err["type"], err["message"]);
      // The interface takes the subnet's gateway address.
      json& p = m->ports[port_id];
      uint32_t ip;
      ParseIpv4(p["fixed_ips"][0]["ip_address"].get<std::string>(), &ip);
      m->used_ips[subnet_id].erase(ip);
      p["fixed_ips"][0]["ip_address"] = sit->second["gateway_ip"];
    } else {
      json& p = m->ports[port_id];
      if (!p.value("device_id", "").empty())
        return NeutronError(409, "PortInUse", "Unable to complete operation on port " + port_id + " for network " +
                                                  p["network_id"].get<std::string>() + ". Port already has an attached device " +
                                                  p["device_id"].get<std::string>() + ".");
      p["device_id"] = rid;
      p["device_owner"] = "network:router_interface";
      p["status"] = "ACTIVE";
    }
  } else {
    if (existing.empty() || (!port_id.empty() && existing != port_id))
      return NeutronError(404, "RouterInterfaceNotFoundForSubnet",
                          "Router " + rid + " has no interface on subnet " + subnet_id);
    port_id = existing;
    for (const auto& [fid, f] : m->floatingips) {
      if (f["router_id"] != rid || !f["port_id"].is_string()) continue;
      const json& fp = m->ports[f["port_id"].get<std::string>()];
      for (const auto& fi : fp["fixed_ips"])
        if (fi["subnet_id"] == subnet_id)
          return NeutronError(409, "RouterInterfaceInUseByFloatingIP",
                              "Router interface for subnet " + subnet_id + " on router " + rid +
                                  " cannot be deleted, as it is required by one or more floating IPs.");
    }
  }
  json result = {{"id", rid}, {"tenant_id", project}, {"port_id", port_id},
                 {"network_id", sit->second["network_id"]}, {"subnet_id", subnet_id}, {"subnet_ids", {subnet_id}}};
  if (!add) m->DeletePort(port_id);
  Touch(m, &rit->second);
  return HttpResponse::Json(200, result);
}

// The router connecting the port's subnet to the external network, or "".
std::string RouterFor(Model* m, const json& port, const std::string& ext_net) {
  for (const auto& f : port["fixed_ips"]) {
    for (const auto& [pid, p] : m->ports) {
      if (p["device_owner"] != "network:router_interface") continue;
      for (const auto& g : p["fixed_ips"]) {
        if (g["subnet_id"] != f["subnet_id"]) continue;
        auto r = m->routers.find(p["device_id"].get<std::string>());
        if (r != m->routers.end() && r->second["external_gateway_info"].is_object() &&
            r->second["external_gateway_info"]["network_id"] == ext_net)
          return r->first;
      }
    }
  }
  return "";
}

// Associates (port_id string) or disassociates (null) a floating IP.
HttpResponse Associate(Model* m, json* fip, const json& port_ref, const json& fixed_ref) {
  if (port_ref.is_null()) {
    (*fip)["port_id"] = nullptr;
    (*fip)["fixed_ip_address"] = nullptr;
    (*fip)["router_id"] = nullptr;
    (*fip)["port_details"] = nullptr;
    (*fip)["status"] = "DOWN";
    HttpResponse ok;
    ok.status = 0;
    return ok;
  }
  std::string port_id = port_ref.get<std::string>();
  auto pit = m->ports.find(port_id);
  if (pit == m->ports.end()) return NeutronError(404, "PortNotFound", "Port " + port_id + " could not be found.");
  const json& port = pit->second;
  if (port["fixed_ips"].empty())
    return NeutronError(400, "BadRequest", "Bad floatingip request: Port " + port_id + " does not have any fixed IPs.");
  std::string ext = (*fip)["floating_network_id"];
  std::string fixed = fixed_ref.is_string() ? fixed_ref.get<std::string>() : port["fixed_ips"][0]["ip_address"].get<std::string>();
  std::string subnet = port["fixed_ips"][0]["subnet_id"];
  for (const auto& [fid, f] : m->floatingips)
    if (fid != (*fip)["id"] && f["port_id"] == port_id && f["fixed_ip_address"] == fixed)
      return NeutronError(409, "FloatingIPPortAlreadyAssociated",
                          "Cannot associate floating IP " + (*fip)["floating_ip_address"].get<std::string>() + " (" +
                              (*fip)["id"].get<std::string>() + ") with port " + port_id + " using fixed IP " + fixed +
                              ", as that fixed IP already has a floating IP on external network " + ext + ".");
  std::string router = RouterFor(m, port, ext);
  if (router.empty())
    return NeutronError(404, "ExternalGatewayForFloatingIPNotFound",
                        "External network " + ext + " is not reachable from subnet " + subnet +
                            ".  Therefore, cannot associate Port " + port_id + " with a Floating IP.");
  (*fip)["port_id"] = port_id;
  (*fip)["fixed_ip_address"] = fixed;
  (*fip)["router_id"] = router;
  (*fip)["status"] = "ACTIVE";
  (*fip)["port_details"] = {{"name", port["name"]}, {"network_id", port["network_id"]},
                            {"mac_address", port["mac_address"]}, {"admin_state_up", port["admin_state_up"]},
                            {"status", port["status"]}, {"device_id", port["device_id"]},
                            {"device_owner", port["device_owner"]}};
  HttpResponse ok;
  ok.status = 0;
  return ok;
}

HttpResponse CreateFloatingIp(Model* m, const HttpRequest& req, const Caller& c) {
  json body;
  if (!ParseBody(req, &body) || !body.contains("floatingip") || !body["floatingip"].is_object())
    return NeutronError(400, "HTTPBadRequest", "Resource body required");
  const json& in = body["floatingip"];
  HttpResponse err;
  if (NeutronCheckAttrs(in, {"floating_network_id", "floating_ip_address", "port_id", "fixed_ip_address",
                             "description", "subnet_id", "tenant_id", "project_id", "dns_name", "dns_domain",
                             "qos_policy_id"},
                        &err))
    return err;
  if (!in.contains("floating_network_id"))
    return NeutronError(400, "HTTPBadRequest",
                        "Failed to parse request. Required attribute 'floating_network_id' not specified");
  std::string net = in["floating_network_id"];
  auto nit = m->networks.find(net);
  if (nit == m->networks.end()) return NeutronError(404, "NetworkNotFound", "Network " + net + " could not be found.");
  if (!nit->second.value("router:external", false))
    return NeutronError(400, "BadRequest", "Bad floatingip request: Network " + net + " is not a valid external network.");
  if (NeutronOverQuota(m->floatingips, c.project_id, 50, "floatingip", &err)) return err;
  std::string id = m->Uuid(), now = IsoZ(m->Now());
  int status = 0;
  json e;
  std::string port = m->CreatePort(net, in.value("subnet_id", ""), c.project_id, id, "network:floatingip", "",
                                   json::array(), &status, &e);
  if (port.empty()) return NeutronError(status, e["type"], e["message"]);
  m->ports[port]["tenant_id"] = "";
  m->ports[port]["project_id"] = "";
  json fip = {{"id", id}, {"tenant_id", c.project_id},
              {"floating_ip_address", m->ports[port]["fixed_ips"][0]["ip_address"]}, {"floating_network_id", net},
              {"router_id", nullptr}, {"port_id", nullptr}, {"fixed_ip_address", nullptr}, {"status", "DOWN"},
              {"project_id", c.project_id}, {"description", in.value("description", "")}, {"port_details", nullptr},
              {"tags", json::array()}, {"created_at", now}, {"updated_at", now},
              {"revision_number", 0}, {"_port", port}};
  if (in.contains("port_id") && !in["port_id"].is_null()) {
    HttpResponse a = Associate(m, &fip, in["port_id"], in.value("fixed_ip_address", json()));
    if (a.status != 0) {
      m->DeletePort(port);
      return a;
    }
  }
  m->floatingips[id] = fip;
  // The L3 agent reports an association ACTIVE only after the API has answered.
  json view = NeutronView(fip, c);
  view["status"] = "DOWN";
  return HttpResponse::Json(201, {{"floatingip", view}});
}

}  // namespace

void RegisterNeutronL3(Router& router, Model* m) {
  const Service S = Service::kNetwork;
  const std::string v2 = std::string(kNetworkPrefix) + "/v2.0";
  m->Route(router, S, "POST", v2 + "/routers", true,
           [m](const HttpRequest& req, const PathParams&, const Caller& c) { return CreateRouter(m, req, c); });
  m->Route(router, S, "PUT", v2 + "/routers/{id}/add_router_interface", true,
           [m](const HttpRequest& req, const PathParams& p, const Caller&) { return RouterInterface(m, req, p.at("id"), true); });
  m->Route(router, S, "PUT", v2 + "/routers/{id}/remove_router_interface", true,
           [m](const HttpRequest& req, const PathParams& p, const Caller&) { return RouterInterface(m, req, p.at("id"), false); });
  m->Route(router, S, "PUT", v2 + "/routers/{id}", true,
           [m](const HttpRequest& req, const PathParams& p, const Caller& c) {
    auto it = m->routers.find(p.at("id"));
    if (it == m->routers.end()) return NeutronError(404, "RouterNotFound", "Router " + p.at("id") + " could not be found.");
    json body;
    if (!ParseBody(req, &body) || !body.contains("router") || !body["router"].is_object())
      return NeutronError(400, "HTTPBadRequest", "Resource body required");
    const json& in = body["router"];
    HttpResponse err;
    if (NeutronCheckAttrs(in, {"name", "admin_state_up", "external_gateway_info", "description", "routes", "distributed", "ha"}, &err,
                          "PUT"))
      return err;
    json r = it->second;
    if (in.contains("external_gateway_info")) {
      HttpResponse g = SetGateway(m, &r, in["external_gateway_info"], r["project_id"]);
      if (g.status != 0) return g;
    }
    for (const char* k : {"name", "admin_state_up", "description", "routes", "distributed", "ha"})
      if (in.contains(k)) r[k] = in[k];
    Touch(m, &r);
    it->second = r;
    return HttpResponse::Json(200, {{"router", NeutronView(r, c)}});
  });
  m->Route(router, S, "DELETE", v2 + "/routers/{id}", true, [m](const HttpRequest&, const PathParams& p, const Caller&) {
    auto it = m->routers.find(p.at("id"));
    if (it == m->routers.end()) return NeutronError(404, "RouterNotFound", "Router " + p.at("id") + " could not be found.");
    std::string attached;
    for (const auto& [pid, port] : m->ports)
      if (port["device_id"] == p.at("id") && port["device_owner"] == "network:router_interface")
        attached += (attached.empty() ? "" : ", ") + pid;
    if (!attached.empty())
      return NeutronError(409, "RouterInUse", "Router " + p.at("id") + " has ports still attached: " + attached);
    for (const auto& [fid, f] : m->floatingips)
      if (f["router_id"] == p.at("id"))
        return NeutronError(409, "RouterInUse", "Router " + p.at("id") + " still has ports");
    std::string gw = it->second.value("_gw_port", "");
    if (!gw.empty()) m->DeletePort(gw);
    m->routers.erase(it);
    return HttpResponse::Empty(204);
  });
  m->Route(router, S, "POST", v2 + "/floatingips", true,
           [m](const HttpRequest& req, const PathParams&, const Caller& c) { return CreateFloatingIp(m, req, c); });
  m->Route(router, S, "PUT", v2 + "/floatingips/{id}", true,
           [m](const HttpRequest& req, const PathParams& p, const Caller& c) {
    auto it = m->floatingips.find(p.at("id"));
    if (it == m->floatingips.end())
      return NeutronError(404, "FloatingIPNotFound", "Floating IP " + p.at("id") + " could not be found");
    json body;
    if (!ParseBody(req, &body) || !body.contains("floatingip") || !body["floatingip"].is_object())
      return NeutronError(400, "HTTPBadRequest", "Resource body required");
    const json& in = body["floatingip"];
    HttpResponse err;
    if (NeutronCheckAttrs(in, {"port_id", "fixed_ip_address", "description"}, &err, "PUT")) return err;
    json fip = it->second;
    if (in.contains("port_id")) {
      HttpResponse a = Associate(m, &fip, in["port_id"], in.value("fixed_ip_address", json()));
      if (a.status != 0) return a;
    }
    if (in.contains("description")) fip["description"] = in["description"];
    Touch(m, &fip);
    // The answer still shows the status from before the change: the L3 agent reports the new
    // one (ACTIVE when associated, DOWN when not) after the API has answered.
    json view = NeutronView(fip, c);
    view["status"] = it->second["status"];
    it->second = fip;
    return HttpResponse::Json(200, {{"floatingip", view}});
  });
  m->Route(router, S, "DELETE", v2 + "/floatingips/{id}", true, [m](const HttpRequest&, const PathParams& p, const Caller&) {
    auto it = m->floatingips.find(p.at("id"));
    if (it == m->floatingips.end())
      return NeutronError(404, "FloatingIPNotFound", "Floating IP " + p.at("id") + " could not be found");
    std::string port = it->second.value("_port", "");
    m->floatingips.erase(it);
    if (!port.empty()) m->DeletePort(port);
    return HttpResponse::Empty(204);
  });
}

}  // namespace cloudsim::openstack
