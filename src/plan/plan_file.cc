#include "plan/plan_file.h"

#include <fstream>
#include <sstream>

namespace orch::plan {

Status WritePlanFile(const std::string& path, const std::string& spec, const std::vector<std::string>& targets,
                     const Plan& p) {
  nlohmann::json file = {
      {"format_version", kPlanFileFormat}, {"spec", spec}, {"targets", targets}, {"plan", p.ToJson()}};
  std::ofstream out(path, std::ios::trunc);
  out << file.dump(2) << "\n";
  if (!out) return Status::InvalidArgument("cannot write plan file '" + path + "'");
  return Status::OK();
}

std::optional<PlanFile> ReadPlanFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("format_version") || !j.contains("plan")) return std::nullopt;
  PlanFile f;
  if (auto s = j.find("spec"); s != j.end() && s->is_string()) f.spec = s->get<std::string>();
  if (auto t = j.find("targets"); t != j.end() && t->is_array()) {
    for (const auto& v : *t)
      if (v.is_string()) f.targets.push_back(v.get<std::string>());
  }
  f.plan = std::move(j["plan"]);
  return f;
}

}  // namespace orch::plan
