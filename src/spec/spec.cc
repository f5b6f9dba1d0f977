#include "spec/spec.h"

namespace orch::spec {

const TierSpec* Spec::FindTier(const std::string& name) const {
  for (const auto& t : tiers) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace orch::spec
