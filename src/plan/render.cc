#include "plan/render.h"

#include <algorithm>
#include <cctype>

#include "util/strings.h"

namespace orch::plan {
namespace {

using nlohmann::json;

constexpr size_t kMaxValue = 60;

const char* kReset = "\033[0m";

struct Style {
  const char* symbol;
  const char* color;
};

Style StyleOf(Action a) {
  switch (a) {
    case Action::kCreate: return {"  + ", "\033[32m"};
    case Action::kUpdate: return {"  ~ ", "\033[33m"};
    case Action::kReplace: return {"-/+ ", "\033[35m"};
    case Action::kDelete: return {"  - ", "\033[31m"};
    case Action::kAdopt: return {" <= ", "\033[36m"};
    case Action::kRead: return {" <= ", "\033[36m"};
    case Action::kNoop: return {"    ", ""};
  }
  return {"    ", ""};
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool SecretKey(const std::string& key) {
  std::string k = Lower(key);
  for (const char* word : {"password", "secret", "token", "credential", "private_key", "user_data"})
    if (k.find(word) != std::string::npos) return true;
  return false;
}

// True when any key inside `v` looks secret.
bool HoldsSecret(const json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      if (SecretKey(it.key()) || HoldsSecret(it.value())) return true;
  } else if (v.is_array()) {
    for (const json& e : v)
      if (HoldsSecret(e)) return true;
  }
  return false;
}

std::string Short(const json* v) {
  if (!v) return "(none)";
  std::string s = v->dump();
  if (s.size() > kMaxValue) s = s.substr(0, kMaxValue - 3) + "...";
  return s;
}

const json* Get(const json& obj, const std::string& key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

// A drifted list as the elements apply takes off and puts back: "-x, +y"
// ("reordered" when they hold the same elements).
std::string ListChange(const json& before, const json& after) {
  std::string out;
  auto has = [](const json& list, const json& v) { return std::find(list.begin(), list.end(), v) != list.end(); };
  for (const json& v : before)
    if (!has(after, v)) out += (out.empty() ? "-" : ", -") + Short(&v);
  for (const json& v : after)
    if (!has(before, v)) out += (out.empty() ? "+" : ", +") + Short(&v);
  return out.empty() ? "reordered" : out;
}

std::string ActionText(const Change& c) {
  std::string action = c.action == Action::kUpdate ? "update in place" : std::string(ActionName(c.action));
  bool obvious = c.reason.empty() || (c.action == Action::kCreate && c.reason == "not in state") ||
                 (c.action == Action::kDelete && (c.reason == "not in the spec" || c.reason == "teardown")) ||
                 (c.action == Action::kUpdate && c.reason == Join(c.changed_keys, ", ") + " changed") ||
                 (c.action == Action::kRead && c.reason == "not in state");
  return obvious ? action : action + ": " + c.reason;
}

std::string UpdateDetails(const Change& c) {
  std::string out;
  for (const std::string& key : c.changed_keys) {
    const json* before = c.drift.contains(key) ? &c.drift[key] : Get(c.prior.attributes, key);
    const json* after = Get(c.desired.attributes, key);
    out += out.empty() ? " " : "; ";
    out += key + ": ";
    if (SecretKey(key) || (before && HoldsSecret(*before)) || (after && HoldsSecret(*after)))
      out += "(changed)";
    else if (c.drift.contains(key) && before && after && before->is_array() && after->is_array())
      out += ListChange(*before, *after);
    else if (after && after->dump().find("${") != std::string::npos)
      out += Short(before) + " -> (known after apply)";  // a reference, resolved when applied
    else
      out += Short(before) + " -> " + Short(after);
  }
  return out;
}

}  // namespace

std::string SummaryLine(const Plan& plan) {
  if (!plan.HasChanges()) return "No changes.";
  Plan::Summary s = plan.Summarize();
  return "Plan: " + std::to_string(s.create) + " to add, " + std::to_string(s.update) + " to change, " +
         std::to_string(s.replace) + " to replace, " + std::to_string(s.destroy) + " to destroy, " +
         std::to_string(s.adopt) + " to adopt" + (s.read ? ", " + std::to_string(s.read) + " to read" : "") +
         (s.moved ? ", " + std::to_string(s.moved) + " to move." : ".");
}

std::string DriftSummaryLine(const Plan& plan) {
  int n = 0;
  for (const Change& c : plan.changes) n += c.outside && c.action != Action::kNoop;
  if (n == 0) return "No drift: the clouds match the state.";
  return "Drift: " + std::to_string(n) + (n == 1 ? " resource" : " resources") +
         " changed outside orchestrator; 'orchestrator deploy' puts the declared state back.";
}

std::string RenderPlan(const Plan& plan, const RenderOptions& options) {
  std::string out;
  for (const state::MovedAddress& m : plan.moved) out += "  # " + m.from + " has moved to " + m.to + "\n";
  int unchanged = 0;
  for (const Change& c : plan.changes) {
    if (c.action == Action::kNoop) {
      ++unchanged;
      if (!c.stale.empty()) {
        std::string line = "  ! " + c.address + " (stale: " + c.stale + ")";
        out += options.color ? std::string("\033[33m") + line + kReset + "\n" : line + "\n";
        continue;
      }
      if (!options.show_noop) continue;
      out += "    " + c.address + " (no change)\n";
      continue;
    }
    Style st = StyleOf(c.action);
    std::string line = std::string(st.symbol) + c.address + " (" + ActionText(c) + ")";
    if (c.action == Action::kUpdate) line += UpdateDetails(c);
    if (!c.stale.empty()) line += " (stale: " + c.stale + ")";
    out += options.color ? std::string(st.color) + line + kReset + "\n" : line + "\n";
  }
  if (!out.empty()) out += "\n";
  if (options.refresh_only) return out + DriftSummaryLine(plan) + "\n";
  out += SummaryLine(plan);
  if (!plan.HasChanges()) out += " " + std::to_string(unchanged) + " resources up to date.";
  out += "\n";
  if (int stale = plan.Summarize().stale; stale > 0)
    out += std::to_string(stale) + (stale == 1 ? " resource is" : " resources are") +
           " stale (!): made with values that have changed since; they keep them until "
           "'orchestrator deploy --replace ADDRESS|TIER' rebuilds them.\n";
  return out;
}

}  // namespace orch::plan
