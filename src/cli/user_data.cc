#include "cli/user_data.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/references.h"
#include "state/references.h"
#include "template/cloud_config_schema.h"

namespace orch::cli {
namespace {

using nlohmann::json;

const spec::TierSpec* FindTier(const spec::Spec& spec, const std::string& name) {
  for (const spec::TierSpec& t : spec.tiers)
    if (t.name == name) return &t;
  return nullptr;
}

// Whether the ${...} at `offset` of a template is a reference, or a var
// whose value (before resolution) holds one.
bool FromReference(const std::string& text, size_t offset, const json& vars) {
  size_t close = text.find('}', offset);
  if (close == std::string::npos) return false;
  std::string expr = text.substr(offset + 2, close - offset - 2);
  if (model::IsReferenceExpression(expr)) return true;
  size_t dot = expr.find('.');
  if (dot == std::string::npos || expr.rfind("self.", 0) == 0) return false;
  std::string name = expr.substr(dot + 1, expr.find(":-") == std::string::npos ? std::string::npos : expr.find(":-") - dot - 1);
  return vars.is_object() && vars.contains(name) && model::HasReferences(vars[name].dump());
}

}  // namespace

std::string ReferencePlaceholder(std::string_view expression) {
  if (expression.substr(0, model::kSeedsPrefix.size()) == model::kSeedsPrefix) return "192.0.2.10";
  std::string_view attr = expression.substr(expression.rfind('.') + 1);
  if (attr.find("ip") != std::string_view::npos) return "192.0.2.10";
  if (attr == "count") return "1";
  return "placeholder";
}

std::string PlaceholderLegend() {
  return "addresses as " + ReferencePlaceholder("ip") + ", counts as " + ReferencePlaceholder("count") +
         ", anything else as '" + ReferencePlaceholder("id") + "'";
}

std::optional<RenderedUserData> RenderAndCheckUserData(const spec::Spec& spec, const model::Resource& r,
                                                       const state::State* state, Diagnostics* diags) {
  const json& ud = r.attributes["user_data"];
  const spec::TierSpec* tier = FindTier(spec, r.address.tier);
  SourceRange spec_at = tier && tier->user_data ? tier->user_data->where : SourceRange{spec.path, {}, {}};
  RenderedUserData out;
  std::filesystem::path path = tier && tier->user_data ? std::filesystem::path(tier->user_data->template_path)
                                                       : std::filesystem::path(spec.dir) / ud.value("template", "");
  out.template_path = path.lexically_normal().string();
  std::ifstream in(out.template_path, std::ios::binary);
  if (!in) {
    diags->Error(spec_at, "cannot read user_data template '" + out.template_path + "' of tier '" + r.address.tier + "'");
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  out.template_text = text.str();

  model::ReferenceResolver resolve = [&](std::string_view expr) -> Result<json> {
    if (state) {
      auto v = state::ResolveReference(expr, *state);
      if (v.ok() || !v.status().IsNotFound()) return v;
    }
    out.placeholders.insert("${" + std::string(expr) + "}");
    return json(ReferencePlaceholder(expr));
  };
  // Secrets are never shown, in a rendering or in a message about it.
  auto vars = model::ResolveReferencesWith(MaskSensitive(ud.value("vars", json::object()), kSensitiveShown), resolve);
  if (!vars.ok()) {
    diags->Error(spec_at, "user_data vars of tier '" + r.address.tier + "': " + vars.status().message());
    return std::nullopt;
  }
  tmpl::RenderError error;
  auto rendered = tmpl::RenderTracked(out.template_text, out.template_path, *vars, resolve, &error);
  if (!rendered.ok()) {
    std::string message = error.problem.empty() ? rendered.status().message() : error.problem;
    if (!error.undefined.empty()) {
      message += "; set '" + error.undefined + "' under user_data.vars of tier '" + r.address.tier + "' at " +
                 FormatPosition(spec_at) + ", or give a default: ${vars." + error.undefined + ":-DEFAULT}";
    } else {
      message += " (user_data of tier '" + r.address.tier + "' at " + FormatPosition(spec_at) + ")";
    }
    diags->Error({out.template_path, {error.line, error.column}, {error.line, error.column}}, message);
    return std::nullopt;
  }
  out.rendered = std::move(*rendered);

  for (const tmpl::SchemaProblem& p : tmpl::CheckCloudConfig(out.rendered.text)) {
    std::string context = "tier '" + r.address.tier + "'";
    SourceRange at{out.template_path, {}, {}};
    if (p.line > 0) {
      size_t offset = out.rendered.OriginOffset(p.line, p.column);
      tmpl::TemplatePos pos = tmpl::PositionOf(out.template_text, offset);
      at.start = at.end = {pos.line, pos.column};
      if (out.template_text.compare(offset, 2, "${") == 0) {
        context += "; the value comes from the ${...} here";
        if (!out.placeholders.empty() && FromReference(out.template_text, offset, ud.value("vars", json::object())))
          context += ", which holds references to other resources, rendered as placeholders";
      }
    }
    diags->Error(at, "rendered user data is not valid cloud-config: " + p.message + " (" + context + ")");
  }
  return out;
}

void CheckUserData(const spec::Spec& spec, const std::vector<model::Resource>& desired, Diagnostics* diags) {
  std::set<std::string> seen;
  for (const model::Resource& r : desired) {
    if (!r.attributes.is_object() || !r.attributes.contains("user_data")) continue;
    const json& ud = r.attributes["user_data"];
    if (!ud.is_object() || !ud.value("template", json()).is_string()) continue;
    Diagnostics mine;
    (void)RenderAndCheckUserData(spec, r, nullptr, &mine);
    for (const Diagnostic& d : mine.items())
      if (seen.insert(FormatDiagnosticLine(d)).second) diags->Append(d);
  }
}

}  // namespace orch::cli
