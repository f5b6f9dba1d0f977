#include "providers/digitalocean/tags.h"

#include <cctype>

#include "model/resource.h"

namespace orch::providers::digitalocean {

std::string EncodeAddress(const std::string& address) {
  std::string out;
  for (char c : address) {
    switch (c) {
      case '.': out += ":d"; break;
      case '[': out += ":l"; break;
      case ']': out += ":r"; break;
      case '@': out += ":a"; break;
      default: out += c;
    }
  }
  return out;
}

std::optional<std::string> DecodeAddress(const std::string& encoded) {
  std::string out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    char c = encoded[i];
    if (c != ':') {
      out += c;
      continue;
    }
    if (i + 1 >= encoded.size()) return std::nullopt;
    switch (encoded[++i]) {
      case 'd': out += '.'; break;
      case 'l': out += '['; break;
      case 'r': out += ']'; break;
      case 'a': out += '@'; break;
      default: return std::nullopt;
    }
  }
  return out;
}

std::string DeploymentTag(const std::string& deployment) {
  return std::string(model::kTagDeployment) + ":" + deployment;
}
std::string TierTag(const std::string& tier) { return std::string(model::kTagTier) + ":" + tier; }
std::string AddressTag(const std::string& address) {
  return std::string(model::kTagAddress) + ":" + EncodeAddress(address);
}

bool ValidTag(const std::string& tag) {
  if (tag.empty() || tag.size() > 255) return false;
  for (unsigned char c : tag)
    if (!std::isalnum(c) && c != ':' && c != '-' && c != '_') return false;
  return true;
}

std::vector<std::string> EncodeTags(const std::map<std::string, std::string>& tags) {
  std::vector<std::string> out;
  for (const auto& [k, v] : tags) {
    std::string t;
    if (k == model::kTagAddress) t = AddressTag(v);
    else t = k + ":" + v;
    if (ValidTag(t)) out.push_back(t);
  }
  return out;
}

std::map<std::string, std::string> DecodeTags(const std::vector<std::string>& tags) {
  std::map<std::string, std::string> out;
  for (const std::string& t : tags) {
    for (std::string_view key : {model::kTagDeployment, model::kTagTier, model::kTagAddress}) {
      std::string prefix = std::string(key) + ":";
      if (t.rfind(prefix, 0) != 0) continue;
      std::string value = t.substr(prefix.size());
      if (key == model::kTagAddress) {
        std::optional<std::string> a = DecodeAddress(value);
        if (!a) continue;
        value = *a;
      }
      out[std::string(key)] = value;
    }
  }
  return out;
}

}  // namespace orch::providers::digitalocean
