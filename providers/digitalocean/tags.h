// DigitalOcean tag encoding of the orchestrator's kTag* keys.
// DO tags are one string of letters, digits, ':', '-', '_' (at most 255), so
// a key/value pair becomes "KEY:VALUE":
//   orchestrator-deployment:demo
//   orchestrator-tier:api
//   orchestrator-address:api:dinstance:l2:r     (api.instance[2])
// Addresses use '.', '[', ']' and '@', which tags cannot hold; they are
// escaped with ':' (never part of an address): '.' -> ":d", '[' -> ":l",
// ']' -> ":r", '@' -> ":a". Decoding reverses it exactly.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orch::providers::digitalocean {

std::string EncodeAddress(const std::string& address);
std::optional<std::string> DecodeAddress(const std::string& encoded);

std::string DeploymentTag(const std::string& deployment);
std::string TierTag(const std::string& tier);
std::string AddressTag(const std::string& address);

// DO tags for the kTag* entries of a resource's tag map (others are kept if
// they are valid DO tags).
std::vector<std::string> EncodeTags(const std::map<std::string, std::string>& tags);
// Back to kTag* keys; tags that are not ours are ignored.
std::map<std::string, std::string> DecodeTags(const std::vector<std::string>& tags);

bool ValidTag(const std::string& tag);

}  // namespace orch::providers::digitalocean
