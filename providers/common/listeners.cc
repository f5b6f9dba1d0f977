#include "providers/common/listeners.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "providers/common/json_read.h"

namespace orch::providers::common {

using nlohmann::json;

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

json CanonicalListeners(const json& listeners) {
  json out = json::array();
  if (!listeners.is_array()) return out;
  for (const json& l : listeners) {
    if (!l.is_object()) continue;
    const std::string proto = Lower(Str(l, "protocol", "http"));
    const json port = l.value("port", json(80));
    json target_port = l.value("target_port", json());
    if (target_port.is_null()) target_port = port;
    out.push_back({{"protocol", proto},
                   {"port", port},
                   {"target_protocol", Lower(Str(l, "target_protocol", proto))},
                   {"target_port", target_port}});
  }
  std::sort(out.begin(), out.end(), [](const json& a, const json& b) { return a.dump() < b.dump(); });
  return out;
}

}  // namespace orch::providers::common
