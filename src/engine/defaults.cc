// The Deployer's default planner and user_data renderer.
#include <utility>

#include "engine/deployer.h"
#include "template/render.h"

namespace orch::engine {

Planner DefaultPlanner() {
  // TODO: call plan::MakePlan once the planner module is available.
  return [](const PlanRequest&) -> Result<plan::Plan> {
    return Status::NotSupported("no planner is built in; set DeployerOptions::planner");
  };
}

UserDataRenderer DefaultUserDataRenderer() {
  return [](const nlohmann::json& attributes, const state::State& state) -> Result<nlohmann::json> {
    if (!attributes.is_object() || !attributes.contains("user_data")) return attributes;
    const nlohmann::json& ud = attributes["user_data"];
    // A plain string is passed as given (its references are already resolved).
    if (!ud.is_object() || !ud.contains("template")) return attributes;
    if (!ud["template"].is_string()) {
      return Status::InvalidArgument("user_data.template must be a file path");
    }
    nlohmann::json vars = ud.contains("vars") ? ud["vars"] : nlohmann::json::object();
    Result<std::string> text = tmpl::Render(ud["template"].get<std::string>(), vars, state);
    if (!text.ok()) return text.status();
    nlohmann::json out = attributes;
    out["user_data"] = std::move(*text);
    return out;
  };
}

}  // namespace orch::engine
