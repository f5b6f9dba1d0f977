// ProviderRegistry: maps a provider type ("digitalocean") to a factory.
// Providers add themselves in providers/<type>/register.cc; only cli/ calls
// RegisterBuiltinProviders. Registration happens before any lookup, from one
// thread; lookups may then run concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/provider.h"

namespace orch::engine {

using ProviderFactory = std::function<std::unique_ptr<Provider>(const ProviderEnv&)>;

class ProviderRegistry {
 public:
  void Register(const std::string& type, ProviderFactory factory) { factories_[type] = std::move(factory); }
  bool Has(const std::string& type) const { return factories_.count(type) > 0; }
  std::vector<std::string> Types() const {
    std::vector<std::string> out;
    for (const auto& [k, _] : factories_) out.push_back(k);
    return out;
  }
  Result<std::unique_ptr<Provider>> Create(const std::string& type, const ProviderEnv& env) const {
    auto it = factories_.find(type);
    if (it == factories_.end()) return Status::NotSupported("no provider of type '" + type + "' is built in");
    return it->second(env);
  }

 private:
  std::map<std::string, ProviderFactory> factories_;
};

}  // namespace orch::engine
