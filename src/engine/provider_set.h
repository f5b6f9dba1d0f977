// ProviderSet: the configured providers of one run, by provider instance
// name (the spec's `providers:` key, plan::Change::provider). Not owned: the
// caller (cli/ or a test) keeps the Provider objects alive for the run.
#pragma once

#include <map>
#include <string>

#include "engine/provider.h"

namespace orch::engine {

using ProviderSet = std::map<std::string, Provider*>;

}  // namespace orch::engine
