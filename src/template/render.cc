#include "template/render.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "model/references.h"

namespace orch::tmpl {
namespace {

std::string Defined(const nlohmann::json& vars) {
  std::string out;
  if (vars.is_object())
    for (auto it = vars.begin(); it != vars.end(); ++it) out += (out.empty() ? "" : ", ") + it.key();
  return out.empty() ? "none defined" : "defined: " + out;
}

}  // namespace

Result<RenderedText> RenderTracked(const std::string& text, const std::string& filename, const nlohmann::json& vars,
                                   const model::ReferenceResolver& resolve, RenderError* error) {
  RenderedText rendered;
  std::string& out = rendered.text;
  out.reserve(text.size());
  rendered.origin.reserve(text.size());
  int line = 1;
  size_t line_start = 0;
  size_t i = 0;
  auto emit = [&](std::string_view piece, size_t from) {
    out.append(piece);
    rendered.origin.insert(rendered.origin.end(), piece.size(), from);
  };
  auto fail = [&](StatusCode code, const std::string& problem) {
    int column = static_cast<int>(i - line_start) + 1;
    if (error) *error = RenderError{line, column, problem, ""};
    return Status(code, filename + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + problem);
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    }
    if (text.compare(i, 3, "$${") == 0) {
      emit("${", i);
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      emit(std::string_view(&text[i], 1), i);
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 2);
    std::string_view rest = std::string_view(text).substr(i + 2);
    bool is_self = rest.substr(0, 5) == "self.";
    bool is_var = rest.substr(0, 5) == "vars." || rest.substr(0, 4) == "var." || is_self;
    bool is_ref = rest.substr(0, 6) == "tiers." || rest.substr(0, 4) == "ref:";
    if (!is_var && !is_ref) {
      emit(std::string_view(&text[i], 1), i);
      ++i;
      continue;
    }
    size_t newline = text.find('\n', i);
    if (close == std::string::npos || (newline != std::string::npos && newline < close))
      return fail(StatusCode::kInvalidArgument, "unterminated '${' (missing '}')");
    std::string expr = text.substr(i + 2, close - i - 2);
    if (is_var) {
      std::string name = expr.substr(expr.find('.') + 1);
      std::optional<std::string> fallback;  // ${vars.NAME:-DEFAULT}
      if (size_t dash = name.find(":-"); dash != std::string::npos) {
        fallback = name.substr(dash + 2);
        name.resize(dash);
      }
      const nlohmann::json* scope = &vars;
      if (is_self) {
        static const nlohmann::json kNone = nlohmann::json::object();
        scope = vars.is_object() && vars.contains("self") ? &vars["self"] : &kNone;
        if (!fallback && !(scope->is_object() && scope->contains(name)))
          return fail(
              StatusCode::kInvalidArgument, "${" + expr + "} is not known here: " +
              (scope->empty() ? std::string("per-instance values are added when the spec is expanded")
               : name == "index" ? "a native instance group's members have no index"
                                 : Defined(*scope)) +
              (name.rfind("prior_private_ips", 0) == 0 || name.rfind("seeds", 0) == 0
                   ? "; ${self." + name.substr(0, name.find(':')) + ":N} works in user_data vars only"
                   : ""));
      }
      if (!name.empty() && scope->is_object() && scope->contains(name) && !(*scope)[name].is_null()) {
        emit(model::ValueText((*scope)[name]), i);
      } else if (fallback && !name.empty()) {
        emit(*fallback, i);
      } else {
        Status st = fail(StatusCode::kInvalidArgument,
                         "undefined variable '" + name + "' in ${" + expr + "} (" + Defined(vars) + ")");
        if (error && !is_self) error->undefined = name;
        return st;
      }
    } else {
      auto v = resolve(expr);
      if (!v.ok()) return fail(v.status().code(), v.status().message());
      emit(model::ValueText(*v), i);
    }
    i = close + 1;
  }
  return rendered;
}

Result<std::string> RenderString(const std::string& text, const std::string& filename, const nlohmann::json& vars,
                                 const model::ReferenceResolver& resolve) {
  auto r = RenderTracked(text, filename, vars, resolve);
  if (!r.ok()) return r.status();
  return std::move(r->text);
}

size_t RenderedText::OriginOffset(int line, int column) const {
  if (origin.empty()) return 0;
  size_t offset = 0;
  for (int l = 1; l < line && offset < text.size(); ++offset)
    if (text[offset] == '\n') ++l;
  offset += static_cast<size_t>(std::max(column - 1, 0));
  return origin[std::min(offset, origin.size() - 1)];
}

TemplatePos PositionOf(const std::string& text, size_t offset) {
  TemplatePos pos{1, 1};
  for (size_t k = 0; k < offset && k < text.size(); ++k) {
    if (text[k] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
  }
  return pos;
}

Result<std::string> Render(const std::string& template_path, const nlohmann::json& vars,
                           const model::ReferenceResolver& resolve) {
  std::ifstream in(template_path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read user-data template '" + template_path + "'");
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::NotFound("cannot read user-data template '" + template_path + "'");
  return RenderString(buf.str(), template_path, vars, resolve);
}

}  // namespace orch::tmpl
