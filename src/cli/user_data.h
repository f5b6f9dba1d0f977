// User data rendered without any API call (validate, plan, deploy before
// they call a cloud; `orchestrator render`): each instance's template with
// its vars, references to other resources taken from recorded state when
// there is one, else replaced by placeholders (ReferencePlaceholder), and
// "#cloud-config" checked against cloud-init's schema
// (template/cloud_config_schema.h). Problems are reported at the template's
// file:line:column.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/resource.h"
#include "spec/spec.h"
#include "state/state.h"
#include "template/render.h"
#include "util/diagnostic.h"

namespace orch::cli {

// What a reference that is not known offline renders as: "192.0.2.10"
// (an RFC 5737 documentation address) for addresses (ip, ips, private_ip,
// public_ips, lb_ip, ...), "1" for count, "placeholder" for anything else
// (ids, names).
std::string ReferencePlaceholder(std::string_view expression);
// Those rules in words, for messages.
std::string PlaceholderLegend();

// What a sensitive value (util/sensitive.h) renders as here.
inline constexpr const char* kSensitiveShown = "(sensitive)";

struct RenderedUserData {
  std::string template_path;  // as shown in messages
  std::string template_text;
  tmpl::RenderedText rendered;
  std::set<std::string> placeholders;  // the references rendered as placeholders, as ${...}
};

// Renders the user data of `r` (which must have a user_data template) and
// checks it. `state` may be null (every reference a placeholder). Problems
// go to *diags; nullopt when the template could not be rendered.
std::optional<RenderedUserData> RenderAndCheckUserData(const spec::Spec& spec, const model::Resource& r,
                                                       const state::State* state, Diagnostics* diags);

// RenderAndCheckUserData with placeholders for every resource that has a
// user_data template; a problem shared by several instances of a tier is
// reported once.
void CheckUserData(const spec::Spec& spec, const std::vector<model::Resource>& desired, Diagnostics* diags);

}  // namespace orch::cli
