// The Deployer's default planner and user_data renderer.
#include <filesystem>
#include <utility>

#include "engine/deployer.h"
#include "plan/planner.h"
#include "state/references.h"
#include "template/render.h"

namespace orch::engine {

namespace {

state::ResourceState Neutral(const ObservedResource& o, const std::string& provider, const std::string& type) {
  state::ResourceState rs;
  rs.address = o.address;
  rs.kind = o.kind;
  rs.provider = provider;
  rs.provider_type = type;
  rs.id = o.id;
  rs.cloud_name = o.cloud_name;
  rs.tags = o.tags;
  rs.attributes = o.attributes;
  rs.outputs = o.outputs;
  return rs;
}

}  // namespace

Planner DefaultPlanner() {
  return [](const PlanRequest& req) -> Result<plan::Plan> {
    plan::PlanInput in;
    in.deployment = req.deployment;
    in.desired = req.desired;
    in.state = req.state;
    in.refreshed = req.refreshed;
    in.spec_digest = req.spec_digest;
    in.replace = req.replace;
    in.reusable = req.reusable;
    const ProviderSet* providers = req.providers;
    for (const auto& [name, list] : req.observed.by_provider) {
      std::string type;
      if (providers) {
        auto p = providers->find(name);
        if (p != providers->end() && p->second) type = p->second->Type();
      }
      std::vector<state::ResourceState>& out = in.observed[name];
      for (const ObservedResource& o : list) out.push_back(Neutral(o, name, type));
    }
    in.diff = [providers](const model::Resource& desired, const state::ResourceState& prior) {
      if (providers) {
        auto p = providers->find(desired.provider);
        if (p != providers->end() && p->second) return p->second->Diff(desired, prior);
      }
      return desired.attributes == prior.attributes ? plan::DiffDecision::kNoop : plan::DiffDecision::kReplace;
    };
    return req.teardown ? plan::MakeTeardownPlan(in) : plan::MakePlan(in);
  };
}

UserDataRenderer DefaultUserDataRenderer(std::string spec_dir, SensitiveValues sensitive) {
  return [spec_dir, sensitive](const nlohmann::json& attributes, const state::State& state) -> Result<nlohmann::json> {
    if (!attributes.is_object() || !attributes.contains("user_data")) return attributes;
    const nlohmann::json& ud = attributes["user_data"];
    // A plain string is passed as given (its references are already resolved).
    if (!ud.is_object() || !ud.contains("template")) return attributes;
    if (!ud["template"].is_string()) {
      return Status::InvalidArgument("user_data.template must be a file path");
    }
    auto vars = RevealSensitive(ud.contains("vars") ? ud["vars"] : nlohmann::json::object(), sensitive);
    if (!vars.ok()) return vars.status();
    std::filesystem::path path(ud["template"].get<std::string>());
    if (path.is_relative() && !spec_dir.empty()) path = std::filesystem::path(spec_dir) / path;
    Result<std::string> text = tmpl::Render(path.lexically_normal().string(), *vars, state::Resolver(state));
    if (!text.ok()) return text.status();
    nlohmann::json out = attributes;
    out["user_data"] = std::move(*text);
    return out;
  };
}

}  // namespace orch::engine
