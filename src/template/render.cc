#include "template/render.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "model/references.h"

namespace orch::tmpl {
namespace {

std::string Where(const std::string& filename, int line) { return filename + ":" + std::to_string(line) + ": "; }

std::string Defined(const nlohmann::json& vars) {
  std::string out;
  if (vars.is_object())
    for (auto it = vars.begin(); it != vars.end(); ++it) out += (out.empty() ? "" : ", ") + it.key();
  return out.empty() ? "none defined" : "defined: " + out;
}

}  // namespace

Result<std::string> RenderString(const std::string& text, const std::string& filename, const nlohmann::json& vars,
                                 const model::ReferenceResolver& resolve) {
  std::string out;
  out.reserve(text.size());
  int line = 1;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n') ++line;
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += c;
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 2);
    std::string_view rest = std::string_view(text).substr(i + 2);
    bool is_self = rest.substr(0, 5) == "self.";
    bool is_var = rest.substr(0, 5) == "vars." || rest.substr(0, 4) == "var." || is_self;
    bool is_ref = rest.substr(0, 6) == "tiers." || rest.substr(0, 4) == "ref:";
    if (!is_var && !is_ref) {
      out += c;
      ++i;
      continue;
    }
    size_t newline = text.find('\n', i);
    if (close == std::string::npos || (newline != std::string::npos && newline < close))
      return Status::InvalidArgument(Where(filename, line) + "unterminated '${' (missing '}')");
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
          return Status::InvalidArgument(
              Where(filename, line) + "${" + expr + "} is not known here: " +
              (scope->empty() ? std::string("per-instance values are added when the spec is expanded")
               : name == "index" ? "a native instance group's members have no index"
                                 : Defined(*scope)) +
              (name.rfind("prior_private_ips", 0) == 0 ? "; ${self.prior_private_ips:N} works in user_data vars only"
                                                       : ""));
      }
      if (!name.empty() && scope->is_object() && scope->contains(name) && !(*scope)[name].is_null()) {
        out += model::ValueText((*scope)[name]);
      } else if (fallback && !name.empty()) {
        out += *fallback;
      } else {
        return Status::InvalidArgument(Where(filename, line) + "undefined variable '" + name + "' in ${" + expr +
                                       "} (" + Defined(vars) + ")");
      }
    } else {
      auto v = resolve(expr);
      if (!v.ok()) return Status(v.status().code(), Where(filename, line) + v.status().message());
      out += model::ValueText(*v);
    }
    i = close + 1;
  }
  return out;
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
