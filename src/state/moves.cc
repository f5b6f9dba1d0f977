#include "state/moves.h"

#include <map>
#include <optional>
#include <utility>

#include "model/resource.h"

namespace orch::state {
namespace {

using model::Address;

// A parsed move side: a tier name, or an address.
struct Side {
  std::string tier;                // set for a tier move
  std::optional<Address> address;  // set for an address move
};

bool ValidNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

Result<Side> ParseSide(const std::string& text, const char* which) {
  if (text.find_first_of(".[") == std::string::npos) {
    bool valid = !text.empty();
    for (char c : text) valid = valid && ValidNameChar(c);
    if (!valid || text == "network" || text == "image" || text == "ssh_key")
      return Status::InvalidArgument("'" + std::string(which) + ": " + text +
                                     "' is neither a tier name nor a resource address (such as web.instance[0])");
    return Side{text, std::nullopt};
  }
  auto a = Address::Parse(text);
  if (!a.ok())
    return Status::InvalidArgument("'" + std::string(which) + ": " + text + "' is not a resource address: " +
                                   a.status().message());
  return Side{"", *a};
}

// Both sides of a move, checked to be of one sort and kind.
Result<std::pair<Side, Side>> ParseMove(const Move& m) {
  auto from = ParseSide(m.from, "from");
  if (!from.ok()) return from.status();
  auto to = ParseSide(m.to, "to");
  if (!to.ok()) return to.status();
  if (m.from == m.to || (from->address && to->address && *from->address == *to->address))
    return Status::InvalidArgument("'from' and 'to' are both '" + m.from + "'; a move needs two different names");
  if (from->address.has_value() != to->address.has_value())
    return Status::InvalidArgument("'" + m.from + "' and '" + m.to +
                                   "' are not of one sort: move a tier to a tier, or an address to an address");
  if (from->address && from->address->kind != to->address->kind)
    return Status::InvalidArgument("'" + m.from + "' is " + std::string(model::KindName(from->address->kind)) +
                                   " but '" + m.to + "' is " + std::string(model::KindName(to->address->kind)) +
                                   "; a resource can only move to an address of its own kind");
  return std::make_pair(std::move(*from), std::move(*to));
}

std::string Location(const SourceRange& where) {
  if (!where.known()) return "";
  return FormatPosition(where) + ": ";
}

std::string Describe(const Move& m) { return "moved from '" + m.from + "' to '" + m.to + "'"; }

void ReplaceStrings(nlohmann::json* v, const std::string& from, const std::string& to) {
  if (v->is_string()) {
    if (v->get_ref<const std::string&>() == from) *v = to;
  } else if (v->is_structured()) {
    for (auto& e : *v) ReplaceStrings(&e, from, to);
  }
}

// Bookkeeping of the tier a resource serves (a load balancer's
// targets.tier, a group member's group): every "tier" or "group" key at any
// depth whose value is `from`.
void ReplaceTierKeys(nlohmann::json* v, const std::string& from, const std::string& to) {
  if (v->is_object()) {
    for (auto it = v->begin(); it != v->end(); ++it) {
      if ((it.key() == "tier" || it.key() == "group") && it->is_string() && it->get_ref<const std::string&>() == from) *it = to;
      else ReplaceTierKeys(&*it, from, to);
    }
  } else if (v->is_array()) {
    for (auto& e : *v) ReplaceTierKeys(&e, from, to);
  }
}

// The recorded addresses (resources and intents) a move renames.
std::vector<MovedAddress> Expand(const Move& m, const Side& from, const Side& to, const State& st) {
  std::vector<MovedAddress> out;
  if (from.address) {
    if (st.resources.count(m.from) || st.intents.count(m.from))
      out.push_back({from.address->ToString(), to.address->ToString()});
    return out;
  }
  std::set<std::string> seen;
  auto add = [&](const std::string& addr) {
    auto a = Address::Parse(addr);
    if (!a.ok() || a->tier != from.tier || !seen.insert(addr).second) return;
    Address moved = *a;
    moved.tier = to.tier;
    out.push_back({addr, moved.ToString()});
  };
  for (const auto& [addr, rs] : st.resources) add(addr);
  for (const auto& [addr, in] : st.intents) add(addr);
  return out;
}

}  // namespace

Diagnostics CheckMoves(const std::vector<Move>& moves, const std::set<std::string>& declared) {
  Diagnostics diags;
  std::set<std::string> tiers;
  for (const std::string& d : declared) {
    auto a = Address::Parse(d);
    if (a.ok() && !a->tier.empty()) tiers.insert(a->tier);
  }
  for (const Move& m : moves) {
    auto parsed = ParseMove(m);
    if (!parsed.ok()) {
      diags.Error(m.where, parsed.status().message());
      continue;
    }
    const auto& [from, to] = *parsed;
    if (!from.address) {
      if (!tiers.count(to.tier))
        diags.Error(m.where, "tier '" + m.to + "' is not declared in the spec; " + Describe(m) +
                                 " needs a tier '" + m.to + "' under 'tiers:'");
      if (tiers.count(from.tier))
        diags.Error(m.where, "tier '" + m.from + "' is still declared in the spec; remove it (or rename it to '" +
                                 m.to + "') for its resources to move");
    } else {
      if (!declared.count(to.address->ToString()))
        diags.Error(m.where, "'" + m.to + "' is not declared in the spec; " + Describe(m) +
                                 " needs the spec to declare it");
      if (declared.count(from.address->ToString()))
        diags.Error(m.where, "'" + m.from + "' is still declared in the spec; remove it for it to move to '" + m.to +
                                 "'");
    }
  }
  return diags;
}

Status MoveAddresses(const std::vector<MovedAddress>& moved, State* state) {
  State working = *state;
  for (const MovedAddress& mv : moved) {
    auto rs = working.resources.find(mv.from);
    auto in = working.intents.find(mv.from);
    if (rs == working.resources.end() && in == working.intents.end())
      return Status::NotFound("no resource '" + mv.from + "' in state to move to '" + mv.to + "'");
    if (working.resources.count(mv.to) || working.intents.count(mv.to)) {
      const ResourceState* other = working.resources.count(mv.to) ? &working.resources.at(mv.to) : nullptr;
      return Status::InvalidArgument("cannot move '" + mv.from + "' to '" + mv.to + "': the state already records " +
                                     (other && !other->id.empty() ? "id " + other->id : "a resource") +
                                     " at '" + mv.to + "'; remove that record first (orchestrator state rm " + mv.to +
                                     ") or pick another address");
    }
    if (rs != working.resources.end()) {
      ResourceState r = std::move(rs->second);
      working.resources.erase(rs);
      r.address = mv.to;
      auto from = Address::Parse(mv.from);
      auto to = Address::Parse(mv.to);
      if (from.ok() && to.ok() && !from->tier.empty() && from->tier != to->tier)
        ReplaceTierKeys(&r.attributes, from->tier, to->tier);
      working.resources.emplace(mv.to, std::move(r));
    }
    if (in != working.intents.end()) {
      Intent i = std::move(in->second);
      working.intents.erase(in);
      i.address = mv.to;
      working.intents.emplace(mv.to, std::move(i));
    }
    for (auto& [addr, r] : working.resources) {
      for (std::string& d : r.depends_on)
        if (d == mv.from) d = mv.to;
      ReplaceStrings(&r.attributes, mv.from, mv.to);
      ReplaceStrings(&r.outputs, mv.from, mv.to);
    }
  }
  *state = std::move(working);
  return Status::OK();
}

Result<std::vector<MovedAddress>> ApplyMoves(const std::vector<Move>& moves, State* state, bool require_from) {
  State working = *state;
  std::vector<MovedAddress> all;
  for (const Move& m : moves) {
    auto parsed = ParseMove(m);
    if (!parsed.ok()) return parsed.status().WithPrefix(Location(m.where) + Describe(m));
    std::vector<MovedAddress> pairs = Expand(m, parsed->first, parsed->second, working);
    if (pairs.empty()) {
      if (require_from)
        return Status::NotFound("no " + std::string(parsed->first.address ? "resource '" : "tier '") + m.from +
                                "' in state; see 'orchestrator state list'");
      continue;  // applied before, or nothing recorded yet
    }
    Status st = MoveAddresses(pairs, &working);
    if (!st.ok()) return Status::InvalidArgument(Location(m.where) + Describe(m) + ": " + st.message());
    all.insert(all.end(), pairs.begin(), pairs.end());
  }
  *state = std::move(working);
  return all;
}

void KeepRecordedNames(const State& state, std::vector<model::Resource>* desired) {
  std::map<std::string, std::string> tier_tags;  // the new tier's tag -> the recorded one
  for (model::Resource& r : *desired) {
    auto rec = state.resources.find(r.address.ToString());
    if (rec == state.resources.end()) continue;
    const ResourceState& was = rec->second;
    auto tag = was.tags.find(std::string(model::kTagAddress));
    if (tag == was.tags.end() || tag->second == rec->first) continue;  // created at this address
    if (was.cloud_name.empty() || r.cloud_name.empty() || was.cloud_name == r.cloud_name) continue;
    ReplaceStrings(&r.attributes, r.cloud_name, was.cloud_name);
    r.cloud_name = was.cloud_name;
    if (!r.attributes.is_object() || !was.attributes.is_object()) continue;
    for (const char* path : {"/target_tag", "/targets/tag"}) {
      const nlohmann::json::json_pointer p(path);
      if (!r.attributes.contains(p) || !was.attributes.contains(p)) continue;
      const nlohmann::json &now = r.attributes[p], &then = was.attributes[p];
      if (now.is_string() && then.is_string() && !now.get<std::string>().empty() && now != then)
        tier_tags[now.get<std::string>()] = then.get<std::string>();
    }
    const nlohmann::json::json_pointer self("/user_data/vars/self");
    if (r.attributes.contains(self) && was.attributes.contains(self)) r.attributes[self] = was.attributes[self];
  }
  for (model::Resource& r : *desired)
    for (const auto& [now, then] : tier_tags) ReplaceStrings(&r.attributes, now, then);
}

}  // namespace orch::state
