#include "cli/outputs.h"

#include <cctype>
#include <string>
#include <vector>

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
                                  {"public_ip", Str(r.outputs, "public_ip")},
                                  {"provider", r.provider}});
        break;
      case model::Kind::kInstanceGroup:
        if (r.outputs.contains("instances") && r.outputs["instances"].is_array()) {
          for (const auto& i : r.outputs["instances"]) {
            t["instances"].push_back({{"address", addr_text},
                                      {"name", Str(i, "name")},
                                      {"private_ip", Str(i, "private_ip")},
                                      {"public_ip", Str(i, "public_ip")},
                                      {"provider", r.provider}});
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
  // Floating IPs next to the instance they point at (T.fip[i] -> T.instance[i]).
  for (auto& [tier, t] : tiers.items()) {
    for (auto& inst : t["instances"]) {
      auto a = model::Address::Parse(inst["address"].get<std::string>());
      if (!a.ok() || a->kind != model::Kind::kInstance) continue;
      auto fip = state.resources.find(model::Address{tier, model::Kind::kFloatingIp, "", a->index}.ToString());
      if (fip != state.resources.end() && !Str(fip->second.outputs, "ip").empty())
        inst["floating_ip"] = Str(fip->second.outputs, "ip");
    }
  }
  return {{"deployment", state.deployment}, {"tiers", tiers}};
}

namespace {

std::string GroupName(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
  return out;
}

// The address to reach an instance from outside: floating, public, private.
std::string ReachableIp(const nlohmann::json& inst) {
  for (const char* k : {"floating_ip", "public_ip", "private_ip"}) {
    std::string v = Str(inst, k);
    if (!v.empty()) return v;
  }
  return "";
}

}  // namespace

std::string FormatAnsibleInventory(const nlohmann::json& outputs) {
  std::string deployment = Str(outputs, "deployment");
  std::string out = "# Ansible inventory of deployment '" + deployment + "' (orchestrator output --ansible-inventory)\n";
  std::vector<std::string> groups;
  for (const auto& [tier, t] : outputs["tiers"].items()) {
    std::string group = GroupName(tier);
    groups.push_back(group);
    out += "\n[" + group + "]\n";
    for (const auto& inst : t["instances"]) {
      std::string host = ReachableIp(inst);
      if (host.empty()) {
        out += "# " + Str(inst, "name") + " (" + Str(inst, "address") + ") has no address yet\n";
        continue;
      }
      out += Str(inst, "name") + " ansible_host=" + host;
      for (const char* k : {"private_ip", "public_ip", "floating_ip", "provider", "address"})
        if (!Str(inst, k).empty()) out += std::string(" ") + k + "=" + Str(inst, k);
      out += "\n";
    }
  }
  out += "\n[" + GroupName(deployment.empty() ? "deployment" : deployment) + ":children]\n";
  for (const std::string& g : groups) out += g + "\n";
  return out;
}

std::string FormatSshConfig(const nlohmann::json& outputs) {
  std::string out = "# ssh configuration of deployment '" + Str(outputs, "deployment") +
                    "' (orchestrator output --ssh-config); use: ssh -F FILE NAME\n";
  for (const auto& [tier, t] : outputs["tiers"].items()) {
    for (const auto& inst : t["instances"]) {
      std::string host = ReachableIp(inst);
      if (host.empty()) continue;
      out += "\nHost " + Str(inst, "name") + "\n  HostName " + host + "\n";
      out += "  # tier " + tier + ", " + Str(inst, "address") + ", provider " + Str(inst, "provider") + "\n";
    }
  }
  return out;
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
