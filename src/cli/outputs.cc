#include "cli/outputs.h"

#include "model/resource.h"

namespace orch::cli {
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

}  // namespace

nlohmann::json ComputeOutputs(const state::State& state) {
  nlohmann::json tiers = nlohmann::json::object();
  for (const auto& [addr_text, r] : state.resources) {
    auto addr = model::Address::Parse(addr_text);
    if (!addr.ok() || addr->tier.empty()) continue;
    nlohmann::json& t = tiers[addr->tier];
    if (!t.contains("instances")) t["instances"] = nlohmann::json::array();
    switch (addr->kind) {
      case model::Kind::kInstance:
        t["instances"].push_back({{"address", addr_text},
                                  {"name", r.cloud_name},
                                  {"private_ip", Str(r.outputs, "private_ip")},
                                  {"public_ip", Str(r.outputs, "public_ip")}});
        break;
      case model::Kind::kInstanceGroup:
        if (r.outputs.contains("instances") && r.outputs["instances"].is_array()) {
          for (const auto& i : r.outputs["instances"]) {
            t["instances"].push_back({{"address", addr_text},
                                      {"name", Str(i, "name")},
                                      {"private_ip", Str(i, "private_ip")},
                                      {"public_ip", Str(i, "public_ip")}});
          }
        }
        break;
      case model::Kind::kLoadBalancer:
        t["load_balancer_ip"] = Str(r.outputs, "ip");
        break;
      case model::Kind::kFloatingIp:
        t["floating_ips"].push_back(Str(r.outputs, "ip"));
        break;
      default:
        break;
    }
  }
  return {{"deployment", state.deployment}, {"tiers", tiers}};
}

std::string FormatOutputs(const nlohmann::json& outputs) {
  std::string out;
  for (const auto& [tier, t] : outputs["tiers"].items()) {
    out += tier + ":\n";
    if (t.contains("load_balancer_ip")) out += "  load balancer: " + t["load_balancer_ip"].get<std::string>() + "\n";
    if (t.contains("floating_ips")) {
      for (const auto& ip : t["floating_ips"]) out += "  floating ip: " + ip.get<std::string>() + "\n";
    }
    for (const auto& i : t["instances"]) {
      out += "  " + i["name"].get<std::string>() + "  private " +
             (i["private_ip"].get<std::string>().empty() ? "-" : i["private_ip"].get<std::string>()) + "  public " +
             (i["public_ip"].get<std::string>().empty() ? "-" : i["public_ip"].get<std::string>()) + "\n";
    }
  }
  return out;
}

}  // namespace orch::cli
