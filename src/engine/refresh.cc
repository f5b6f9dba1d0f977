#include "engine/refresh.h"

#include <map>
#include <set>
#include <thread>
#include <utility>

#include "engine/provider_call.h"
#include "model/resource.h"

namespace orch::engine {
namespace {

// A moved resource (state/moves.h) still carries the address tag it was
// created with; the recorded resource with its id is the one it is.
void FollowMoves(const state::State& state, const std::string& provider, std::vector<ObservedResource>* found) {
  std::map<std::string, const state::ResourceState*> by_id;
  for (const auto& [address, rs] : state.resources)
    if (rs.provider == provider && !rs.id.empty()) by_id.emplace(rs.id, &rs);
  for (ObservedResource& r : *found) {
    auto it = r.id.empty() ? by_id.end() : by_id.find(r.id);
    if (it == by_id.end() || it->second->address == r.address) continue;
    if (!r.kind.empty() && !it->second->kind.empty() && r.kind != it->second->kind) continue;
    r.address = it->second->address;
  }
}

}  // namespace

Result<RefreshResult> Refresh(const ProviderSet& providers, const std::string& deployment,
                              state::State* state, Observer* observer) {
  if (observer == nullptr) observer = NullObserver::Get();
  struct Slot {
    std::string name;
    Provider* provider = nullptr;
    Result<std::vector<ObservedResource>> found = Status::Internal("not run");
  };
  std::vector<Slot> slots;
  for (const auto& [name, provider] : providers) slots.push_back(Slot{name, provider});

  std::vector<std::thread> threads;
  threads.reserve(slots.size());
  for (Slot& slot : slots) {
    threads.emplace_back([&slot, &deployment, observer, state] {
      observer->RefreshStarted(slot.name);
      if (slot.provider == nullptr) {
        slot.found = Status::InvalidArgument("provider is not configured");
      } else {
        slot.found = CallProvider("reading its resource lists", [&] { return slot.provider->Discover(deployment); });
      }
      if (slot.found.ok() && state) {  // recorded resources the lists cannot show
        FollowMoves(*state, slot.name, &*slot.found);
        std::set<std::string> seen;
        for (const ObservedResource& r : *slot.found) seen.insert(r.address);
        std::vector<state::ResourceState> missing;
        for (const auto& [address, rs] : state->resources)
          if (rs.provider == slot.name && !seen.count(address)) missing.push_back(rs);
        if (!missing.empty()) {
          Result<std::vector<ObservedResource>> extra =
              CallProvider("looking up recorded resources", [&] { return slot.provider->FindRecorded(missing); });
          if (!extra.ok()) {
            slot.found = extra.status();
          } else {
            slot.found->insert(slot.found->end(), extra->begin(), extra->end());
          }
        }
      }
      observer->RefreshFinished(slot.name, slot.found.status(),
                                slot.found.ok() ? static_cast<int>(slot.found->size()) : 0);
    });
  }
  for (std::thread& t : threads) t.join();

  RefreshResult out;
  for (Slot& slot : slots) {
    if (!slot.found.ok()) {
      return slot.found.status().WithPrefix("discovering resources of provider '" + slot.name + "'");
    }
    out.by_provider[slot.name] = *slot.found;
  }

  for (const auto& [name, list] : out.by_provider) {
    for (const ObservedResource& r : list) {
      if (r.address.empty() || !model::Address::Parse(r.address).ok()) {
        out.unknown.push_back(r);
        continue;
      }
      auto [it, inserted] = out.by_address.emplace(r.address, r);
      if (inserted) continue;
      // Two resources claim one address: keep the one State knows.
      const state::ResourceState* recorded = nullptr;
      if (state) {
        auto s = state->resources.find(r.address);
        if (s != state->resources.end()) recorded = &s->second;
      }
      if (recorded && r.id == recorded->id && it->second.id != recorded->id) {
        out.duplicates.push_back(it->second);
        it->second = r;
      } else {
        out.duplicates.push_back(r);
      }
    }
  }

  if (state) {
    for (auto& [address, rs] : state->resources) {
      auto it = out.by_address.find(address);
      if (it == out.by_address.end()) {
        out.missing.push_back(address);
        continue;
      }
      const ObservedResource& obs = it->second;
      bool changed = false;
      if (!obs.id.empty() && obs.id != rs.id) {
        rs.id = obs.id;
        changed = true;
      }
      if (obs.outputs.is_object() && !obs.outputs.empty()) {
        nlohmann::json merged = rs.outputs.is_object() ? rs.outputs : nlohmann::json::object();
        for (auto o = obs.outputs.begin(); o != obs.outputs.end(); ++o) merged[o.key()] = o.value();
        if (merged != rs.outputs) {
          rs.outputs = std::move(merged);
          changed = true;
        }
      }
      if (changed) ++out.outputs_updated;
    }
  }
  return out;
}

}  // namespace orch::engine
