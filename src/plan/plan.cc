// Plan JSON (`plan --json`, `plan --out`), format_version 1. Every key is
// always written; readers must ignore unknown keys. docs/plan-format.md
// describes each field.
//
// {
//   "format_version": 1,
//   "deployment": "demo",
//   "teardown": false,
//   "state": {"lineage": "...", "serial": 7},
//   "spec_digest": "sha256 hex",
//   "summary": {"create": 3, "update": 1, "replace": 0, "destroy": 2, "adopt": 1, "noop": 9, "read": 0, "stale": 2,
//               "moved": 2},
//   "moved": [{"from": "web.instance[0]", "to": "front.instance[0]"}, ...],
//   "changes": [{
//     "address": "api.instance[2]", "kind": "instance", "action": "create",
//     "provider": "do", "reason": "not in state",
//     "changed_keys": ["size"], "depends_on": ["network.main"],
//     "drift": {"rules": [...live value...]}, "outside": false,
//     "stale": "db.instance[0] private_ip changed" (only when stale),
//     "desired": {"address", "provider", "cloud_name", "tags", "attributes", "depends_on"} | null,
//     "prior": {"address", "kind", "provider", "provider_type", "id", "cloud_name", "tags",
//               "attributes", "outputs", "depends_on"} | null
//   }, ...]
// }
// "desired" is null for delete; "prior" is null when nothing is recorded or
// observed (plain create). "summary" is informational and ignored on read.
// "drift", "outside" and "stale" may be missing in files written before they
// existed, and "moved" too (read as no move).
#include "plan/plan.h"

#include <algorithm>

namespace orch::plan {
namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;

constexpr Action kActions[] = {Action::kNoop,   Action::kCreate, Action::kUpdate, Action::kReplace,
                               Action::kDelete, Action::kAdopt,  Action::kRead};

json ResourceToJson(const model::Resource& r) {
  json deps = json::array();
  for (const model::Address& a : r.depends_on) deps.push_back(a.ToString());
  return {{"address", r.address.ToString()}, {"provider", r.provider}, {"cloud_name", r.cloud_name},
          {"tags", r.tags},                  {"attributes", r.attributes}, {"depends_on", deps}};
}

json PriorToJson(const state::ResourceState& r) {
  return {{"address", r.address},     {"kind", r.kind}, {"provider", r.provider},
          {"provider_type", r.provider_type}, {"id", r.id}, {"cloud_name", r.cloud_name},
          {"tags", r.tags},           {"attributes", r.attributes}, {"outputs", r.outputs},
          {"depends_on", r.depends_on}};
}

// Reading helpers: throw std::runtime_error with the offending field, caught
// in FromJson.
struct FieldError {
  std::string message;
};

const json& Field(const json& j, const char* key, const std::string& where) {
  if (!j.is_object() || !j.contains(key)) throw FieldError{where + ": missing '" + key + "'"};
  return j.at(key);
}

std::string Str(const json& j, const char* key, const std::string& where) {
  const json& v = Field(j, key, where);
  if (!v.is_string()) throw FieldError{where + ": '" + key + "' must be a string"};
  return v.get<std::string>();
}

std::vector<std::string> Strings(const json& j, const char* key, const std::string& where) {
  const json& v = Field(j, key, where);
  if (!v.is_array()) throw FieldError{where + ": '" + key + "' must be an array of strings"};
  std::vector<std::string> out;
  for (const json& e : v) {
    if (!e.is_string()) throw FieldError{where + ": '" + key + "' must be an array of strings"};
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> Tags(const json& j, const std::string& where) {
  const json& v = Field(j, "tags", where);
  if (!v.is_object()) throw FieldError{where + ": 'tags' must be an object of strings"};
  std::map<std::string, std::string> out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it->is_string()) throw FieldError{where + ": 'tags' must be an object of strings"};
    out[it.key()] = it->get<std::string>();
  }
  return out;
}

json Object(const json& j, const char* key, const std::string& where) {
  const json& v = Field(j, key, where);
  if (!v.is_object()) throw FieldError{where + ": '" + key + "' must be an object"};
  return v;
}

model::Address ParseAddress(const std::string& text, const std::string& where) {
  auto a = model::Address::Parse(text);
  if (!a.ok()) throw FieldError{where + ": " + a.status().message()};
  return *a;
}

model::Resource ResourceFromJson(const json& j, const std::string& where) {
  model::Resource r;
  r.address = ParseAddress(Str(j, "address", where), where);
  r.provider = Str(j, "provider", where);
  r.cloud_name = Str(j, "cloud_name", where);
  r.tags = Tags(j, where);
  r.attributes = Object(j, "attributes", where);
  for (const std::string& d : Strings(j, "depends_on", where)) r.depends_on.push_back(ParseAddress(d, where));
  return r;
}

state::ResourceState PriorFromJson(const json& j, const std::string& where) {
  state::ResourceState r;
  r.address = Str(j, "address", where);
  r.kind = Str(j, "kind", where);
  r.provider = Str(j, "provider", where);
  r.provider_type = Str(j, "provider_type", where);
  r.id = Str(j, "id", where);
  r.cloud_name = Str(j, "cloud_name", where);
  r.tags = Tags(j, where);
  r.attributes = Object(j, "attributes", where);
  r.outputs = Object(j, "outputs", where);
  r.depends_on = Strings(j, "depends_on", where);
  return r;
}

}  // namespace

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kNoop: return "no-op";
    case Action::kCreate: return "create";
    case Action::kUpdate: return "update";
    case Action::kReplace: return "replace";
    case Action::kDelete: return "delete";
    case Action::kAdopt: return "adopt";
    case Action::kRead: return "read";
  }
  return "no-op";
}

std::optional<Action> ActionFromName(std::string_view name) {
  for (Action a : kActions)
    if (ActionName(a) == name) return a;
  return std::nullopt;
}

Plan::Summary Plan::Summarize() const {
  Summary s;
  for (const Change& c : changes) {
    switch (c.action) {
      case Action::kNoop: ++s.noop; break;
      case Action::kCreate: ++s.create; break;
      case Action::kUpdate: ++s.update; break;
      case Action::kReplace: ++s.replace; break;
      case Action::kDelete: ++s.destroy; break;
      case Action::kAdopt: ++s.adopt; break;
      case Action::kRead: ++s.read; break;
    }
    s.stale += !c.stale.empty();
  }
  s.moved = static_cast<int>(moved.size());
  return s;
}

bool Plan::HasChanges() const {
  return !moved.empty() ||
         std::any_of(changes.begin(), changes.end(), [](const Change& c) { return c.action != Action::kNoop; });
}

Plan Plan::OutsideOnly() const {
  Plan out = *this;
  out.changes.clear();
  out.moved.clear();  // a move is the spec's doing, never drift
  for (const Change& c : changes)
    if (c.outside) out.changes.push_back(c);
  return out;
}

json Plan::ToJson() const {
  Summary s = Summarize();
  json out = {{"format_version", kFormatVersion},
              {"deployment", deployment},
              {"teardown", teardown},
              {"state", {{"lineage", state_lineage}, {"serial", state_serial}}},
              {"spec_digest", spec_digest},
              {"summary",
               {{"create", s.create}, {"update", s.update}, {"replace", s.replace}, {"destroy", s.destroy},
                {"adopt", s.adopt}, {"noop", s.noop}, {"read", s.read}, {"stale", s.stale}, {"moved", s.moved}}}};
  json moves = json::array();
  for (const state::MovedAddress& m : moved) moves.push_back({{"from", m.from}, {"to", m.to}});
  out["moved"] = std::move(moves);
  json list = json::array();
  for (const Change& c : changes) {
    json jc = {{"address", c.address},
               {"kind", std::string(model::KindName(c.kind))},
               {"action", std::string(ActionName(c.action))},
               {"provider", c.provider},
               {"reason", c.reason},
               {"changed_keys", c.changed_keys},
               {"depends_on", c.depends_on},
               {"drift", c.drift},
               {"outside", c.outside}};
    if (!c.stale.empty()) jc["stale"] = c.stale;
    jc["desired"] = c.action == Action::kDelete ? json(nullptr) : ResourceToJson(c.desired);
    jc["prior"] = c.prior.address.empty() && c.prior.id.empty() ? json(nullptr) : PriorToJson(c.prior);
    list.push_back(std::move(jc));
  }
  out["changes"] = std::move(list);
  return out;
}

Result<Plan> Plan::FromJson(const json& j) {
  try {
    if (!j.is_object()) return Status::InvalidArgument("plan: expected a JSON object");
    const json& version = Field(j, "format_version", "plan");
    if (!version.is_number_integer() || version.get<int>() != kFormatVersion)
      return Status::InvalidArgument("plan: unsupported format_version " + version.dump() + " (this build reads " +
                                     std::to_string(kFormatVersion) + ")");
    Plan p;
    p.deployment = Str(j, "deployment", "plan");
    const json& teardown = Field(j, "teardown", "plan");
    if (!teardown.is_boolean()) throw FieldError{"plan: 'teardown' must be a boolean"};
    p.teardown = teardown.get<bool>();
    const json& st = Field(j, "state", "plan");
    p.state_lineage = Str(st, "lineage", "plan.state");
    const json& serial = Field(st, "serial", "plan.state");
    if (!serial.is_number_unsigned() && !(serial.is_number_integer() && serial.get<int64_t>() >= 0))
      throw FieldError{"plan.state: 'serial' must be a non-negative integer"};
    p.state_serial = serial.get<uint64_t>();
    p.spec_digest = Str(j, "spec_digest", "plan");
    if (j.contains("moved")) {  // optional: absent in files written before moves existed
      const json& moves = j["moved"];
      if (!moves.is_array()) throw FieldError{"plan: 'moved' must be an array"};
      for (size_t i = 0; i < moves.size(); ++i) {
        std::string where = "plan.moved[" + std::to_string(i) + "]";
        p.moved.push_back({Str(moves[i], "from", where), Str(moves[i], "to", where)});
      }
    }
    const json& list = Field(j, "changes", "plan");
    if (!list.is_array()) throw FieldError{"plan: 'changes' must be an array"};
    for (size_t i = 0; i < list.size(); ++i) {
      const json& jc = list[i];
      std::string where = "plan.changes[" + std::to_string(i) + "]";
      Change c;
      c.address = Str(jc, "address", where);
      where += " (" + c.address + ")";
      std::string kind = Str(jc, "kind", where);
      auto k = model::KindFromName(kind);
      if (!k) throw FieldError{where + ": unknown kind '" + kind + "'"};
      c.kind = *k;
      std::string action = Str(jc, "action", where);
      auto a = ActionFromName(action);
      if (!a) throw FieldError{where + ": unknown action '" + action + "'"};
      c.action = *a;
      c.provider = Str(jc, "provider", where);
      c.reason = Str(jc, "reason", where);
      c.changed_keys = Strings(jc, "changed_keys", where);
      c.depends_on = Strings(jc, "depends_on", where);
      // "drift" and "outside" came after format_version 1's first release: optional.
      if (jc.contains("drift")) {
        if (!jc["drift"].is_object()) throw FieldError{where + ": 'drift' must be an object"};
        c.drift = jc["drift"];
      }
      if (jc.contains("outside")) {
        if (!jc["outside"].is_boolean()) throw FieldError{where + ": 'outside' must be a boolean"};
        c.outside = jc["outside"].get<bool>();
      }
      if (jc.contains("stale")) c.stale = Str(jc, "stale", where);
      const json& desired = Field(jc, "desired", where);
      if (!desired.is_null()) c.desired = ResourceFromJson(desired, where + ".desired");
      else if (c.action != Action::kDelete) throw FieldError{where + ": 'desired' is required for " + action};
      const json& prior = Field(jc, "prior", where);
      if (!prior.is_null()) c.prior = PriorFromJson(prior, where + ".prior");
      else if (c.action == Action::kDelete) throw FieldError{where + ": 'prior' is required for delete"};
      p.changes.push_back(std::move(c));
    }
    return p;
  } catch (const FieldError& e) {
    return Status::InvalidArgument(e.message);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("plan: ") + e.what());
  }
}

}  // namespace orch::plan
