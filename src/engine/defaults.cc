// The Deployer's default planner and user_data renderer.
#include "engine/deployer.h"

namespace orch::engine {

Planner DefaultPlanner() {
  // TODO: call plan::MakePlan once the planner module is available.
  return [](const PlanRequest&) -> Result<plan::Plan> {
    return Status::NotSupported("no planner is built in; set DeployerOptions::planner");
  };
}

UserDataRenderer DefaultUserDataRenderer() {
  // TODO: render {template, vars} with the template module once available.
  return nullptr;
}

}  // namespace orch::engine
