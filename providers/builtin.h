// RegisterBuiltinProviders: adds every provider compiled into this binary to
// a registry. Only cli/ calls it; each provider directory contributes its own
// Register<Name>Provider function (providers/<type>/register.cc).
#pragma once

#include "engine/registry.h"

namespace orch::providers {

void RegisterBuiltinProviders(engine::ProviderRegistry* registry);

}  // namespace orch::providers
