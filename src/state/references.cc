#include "state/references.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "model/resource.h"
#include "util/strings.h"

namespace orch::state {
namespace {

struct TierMember {
  std::string name, private_ip, public_ip;
};

// The tier's instances from state, in index order; NotFound when the tier
// has neither instances nor a group with an "instances" output.
Result<std::vector<TierMember>> TierMembers(const std::string& tier, const State& st,
                                            const std::string& ref) {
  std::vector<std::pair<int, const ResourceState*>> found;
  const std::string prefix = tier + ".instance[";
  for (auto it = st.resources.lower_bound(prefix); it != st.resources.end() && StartsWith(it->first, prefix); ++it) {
    const auto& [addr, rs] = *it;
    auto a = model::Address::Parse(addr);
    if (a.ok() && a->tier == tier && a->kind == model::Kind::kInstance) found.push_back({a->index, &rs});
  }
  std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  auto str = [](const nlohmann::json& o, const char* k) {
    auto it = o.find(k);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::vector<TierMember> out;
  if (!found.empty()) {
    for (const auto& [idx, rs] : found)
      out.push_back({rs->cloud_name, str(rs->outputs, "private_ip"), str(rs->outputs, "public_ip")});
    return out;
  }
  auto g = st.resources.find(tier + ".group");
  if (g != st.resources.end()) {
    auto it = g->second.outputs.find("instances");
    if (it != g->second.outputs.end() && it->is_array()) {
      for (const auto& m : *it)
        if (m.is_object()) out.push_back({str(m, "name"), str(m, "private_ip"), str(m, "public_ip")});
      return out;
    }
  }
  return Status::NotFound("${" + ref + "}: tier '" + tier + "' has no instances in state yet (known after apply)");
}

Result<nlohmann::json> ResolveTier(std::string_view expr, const State& st) {
  std::string ref(expr);
  std::string_view rest = expr.substr(model::kTiersPrefix.size());
  size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == rest.size())
    return Status::InvalidArgument("${" + ref + "}: expected ${tiers.TIER.ATTRIBUTE}");
  std::string tier(rest.substr(0, dot));
  std::string attr(rest.substr(dot + 1));
  if (attr == "lb_ip") {
    auto it = st.resources.find(tier + ".lb");
    if (it == st.resources.end())
      return Status::NotFound("${" + ref + "}: " + tier + ".lb is not in state yet (known after apply)");
    auto ip = it->second.outputs.find("ip");
    if (ip == it->second.outputs.end() || model::ValueText(*ip).empty())
      return Status::NotFound("${" + ref + "}: " + tier + ".lb has no 'ip' output yet (known after apply)");
    return nlohmann::json(model::ValueText(*ip));
  }
  bool first_only = attr == "private_ip" || attr == "public_ip";
  if (attr != "private_ips" && attr != "public_ips" && attr != "ips" && attr != "names" && attr != "count" &&
      !first_only)
    return Status::InvalidArgument("${" + ref + "}: unknown tier attribute '" + attr +
                                   "' (known: private_ips, public_ips, ips, names, count, lb_ip, private_ip, "
                                   "public_ip)");
  auto members = TierMembers(tier, st, ref);
  if (!members.ok()) return members.status();
  if (first_only) {
    // The tier's first instance (a single-instance tier such as monitoring).
    if (members->empty())
      return Status::NotFound("${" + ref + "}: tier '" + tier + "' has no instances in state yet (known after apply)");
    const TierMember& m = members->front();
    const std::string& v = attr == "private_ip" ? m.private_ip : m.public_ip;
    if (v.empty())
      return Status::NotFound("${" + ref + "}: instance 0 of tier '" + tier + "' has no " + attr +
                              " yet (known after apply)");
    return nlohmann::json(v);
  }
  if (attr == "count") return nlohmann::json(std::to_string(members->size()));
  std::vector<std::string> values;
  for (size_t i = 0; i < members->size(); ++i) {
    const TierMember& m = (*members)[i];
    std::string v = attr == "names"       ? m.name
                    : attr == "public_ips" ? m.public_ip
                    : attr == "private_ips" ? m.private_ip
                    : (m.private_ip.empty() ? m.public_ip : m.private_ip);
    if (v.empty())
      return Status::NotFound("${" + ref + "}: instance " + std::to_string(i) + " of tier '" + tier + "' has no " +
                              (attr == "names" ? "name" : attr == "public_ips" ? "public_ip" : "private_ip") +
                              " yet (known after apply)");
    values.push_back(std::move(v));
  }
  std::string joined;
  for (size_t i = 0; i < values.size(); ++i) joined += (i ? "," : "") + values[i];
  return nlohmann::json(joined);
}

Result<nlohmann::json> ResolveRef(std::string_view expr, const State& st) {
  std::string ref(expr);
  std::string_view rest = expr.substr(model::kRefPrefix.size());
  size_t dot = rest.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == rest.size())
    return Status::InvalidArgument("${" + ref + "}: expected ${ref:ADDRESS.OUTPUT}");
  auto addr = model::Address::Parse(rest.substr(0, dot));
  if (!addr.ok()) return Status::InvalidArgument("${" + ref + "}: " + addr.status().message());
  std::string output(rest.substr(dot + 1));
  std::string key = addr->ToString();
  auto it = st.resources.find(key);
  if (it == st.resources.end())
    return Status::NotFound("${" + ref + "}: " + key + " is not in state yet (known after apply)");
  const ResourceState& rs = it->second;
  auto out = rs.outputs.find(output);
  if (out != rs.outputs.end() && !out->is_null()) return *out;
  if (output == "id" && !rs.id.empty()) return nlohmann::json(rs.id);
  if (output == "name" && !rs.cloud_name.empty()) return nlohmann::json(rs.cloud_name);
  return Status::NotFound("${" + ref + "}: " + key + " has no output '" + output + "' (known after apply)");
}

// Up to N private IPs of the tier's other instances in state, by index:
// the prior ones at the first deploy (the later ones wait for this one), the
// surviving ones when this one is made again. Members without an address
// yet are left out.
Result<nlohmann::json> ResolveSeeds(std::string_view expr, const State& st) {
  auto seeds = model::ParseSeedsReference(expr);
  if (!seeds.ok()) return seeds.status();
  std::vector<std::pair<int, std::string>> found;
  for (const auto& [key, rs] : st.resources) {
    auto a = model::Address::Parse(key);
    if (!a.ok() || a->tier != seeds->member.tier || a->kind != model::Kind::kInstance || a->index == seeds->member.index)
      continue;
    auto ip = rs.outputs.find("private_ip");
    if (ip != rs.outputs.end() && ip->is_string() && !ip->get<std::string>().empty())
      found.push_back({a->index, ip->get<std::string>()});
  }
  std::sort(found.begin(), found.end());
  std::string joined;
  for (size_t i = 0; i < found.size() && static_cast<int>(i) < seeds->count; ++i)
    joined += (i ? "," : "") + found[i].second;
  return nlohmann::json(joined);
}

}  // namespace

Result<nlohmann::json> ResolveReference(std::string_view expression, const State& state) {
  if (expression.substr(0, model::kSeedsPrefix.size()) == model::kSeedsPrefix) return ResolveSeeds(expression, state);
  if (expression.substr(0, model::kTiersPrefix.size()) == model::kTiersPrefix) return ResolveTier(expression, state);
  if (expression.substr(0, model::kRefPrefix.size()) == model::kRefPrefix) return ResolveRef(expression, state);
  return Status::InvalidArgument("${" + std::string(expression) +
                                 "}: not a reference (expected ${tiers.TIER.ATTRIBUTE} or ${ref:ADDRESS.OUTPUT})");
}

Result<nlohmann::json> ResolveReferences(const nlohmann::json& attributes, const State& state) {
  return model::ResolveReferencesWith(attributes, Resolver(state));
}

model::ReferenceResolver Resolver(const State& state) {
  return [&state](std::string_view e) { return ResolveReference(e, state); };
}

}  // namespace orch::state
