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
// Errors name the template and the 1-based line: an undefined variable or an
// unterminated ${vars. is InvalidArgument ("api.tmpl:3: undefined variable
// 'port' in ${vars.port} (defined: a, b)"); a reference `resolve` fails keeps
// its code (NotFound = known after apply). Stateless and thread-safe.
#pragma once

#include <string>

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

}  // namespace orch::tmpl
