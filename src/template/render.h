// (Namespace orch::tmpl: "template" is a C++ keyword.)
//
// User-data rendering at apply time: a template file (cloud-init, shell...)
// with ${vars.NAME} placeholders and references to other resources.
//
// Syntax inside the template text:
//   ${vars.NAME} or ${var.NAME}   the value of NAME in `vars` (strings as is,
//                                 arrays joined with ",", other JSON as JSON)
//   ${vars.NAME:-DEFAULT}         DEFAULT (possibly empty) when NAME is not
//                                 set or null
//   ${self.NAME}, ${self.NAME:-D} vars["self"][NAME]: the per-instance values
//                                 (index, name, tier, provider, region, zone)
//                                 expansion adds to an instance's vars
//                                 (model/references.h ExpandSelfReferences);
//                                 a native group has no index
//   ${tiers.X.attr}, ${ref:A.O}   resolved by the caller's `resolve` (model/references.h;
//                                 the engine passes state::Resolver)
//   $${                           a literal "${"
// Any other ${...} (e.g. a shell ${HOME}) is copied unchanged. Values of
// `vars` are inserted verbatim: the caller resolves references inside them
// first (the engine resolves the whole attribute tree before rendering).
//
// Errors name the template and the 1-based line and column of the failing
// ${: an undefined variable or an unterminated ${vars. is InvalidArgument
// ("api.tmpl:3:7: undefined variable 'port' in ${vars.port} (defined: a,
// b)"); a reference `resolve` fails keeps its code (NotFound = known after
// apply). Stateless and thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/references.h"
#include "util/status.h"

namespace orch::tmpl {

// Reads template_path and renders it. NotFound when the file cannot be read.
Result<std::string> Render(const std::string& template_path, const nlohmann::json& vars,
                           const model::ReferenceResolver& resolve);

// Renders `text`; `filename` is only used in error messages.
Result<std::string> RenderString(const std::string& text, const std::string& filename, const nlohmann::json& vars,
                                 const model::ReferenceResolver& resolve);

// A position in a template, 1-based.
struct TemplatePos {
  int line = 0;
  int column = 0;
};

// Rendered text that remembers where each byte came from, so a problem
// found in the output (a cloud-config schema error) can name the template
// line and column: text copied from the template maps to itself, a
// substituted value (even one spanning lines) to its ${.
struct RenderedText {
  std::string text;
  std::vector<size_t> origin;  // origin[i]: offset in the template of what produced text[i]
  // The template offset behind 1-based (line, column) of `text`.
  size_t OriginOffset(int line, int column) const;
};

// The 1-based line and column of byte `offset` of `text`.
TemplatePos PositionOf(const std::string& text, size_t offset);

// Why RenderTracked failed: where in the template, and what (the Status
// message without its "file:line:col: " prefix).
struct RenderError {
  int line = 0;
  int column = 0;
  std::string problem;
  std::string undefined;  // the undefined variable's NAME (${vars.NAME}), when that is the problem
};

// RenderString, keeping the origins; on failure also fills *error if given.
Result<RenderedText> RenderTracked(const std::string& text, const std::string& filename, const nlohmann::json& vars,
                                   const model::ReferenceResolver& resolve, RenderError* error = nullptr);

}  // namespace orch::tmpl
