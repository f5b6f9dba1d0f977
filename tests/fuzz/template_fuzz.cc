// libFuzzer target: tmpl::RenderString on arbitrary template text, with a
// few variables (string, list, map, null) and a state holding a tier's
// instances and load balancer, so ${vars.*}, ${tiers.*} and ${ref:...} all
// resolve. Errors are fine; crashes, leaks, sanitizer reports and hangs are
// bugs.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "state/references.h"
#include "state/state.h"
#include "template/render.h"

namespace {

orch::state::State MakeState() {
  orch::state::State st;
  st.deployment = "fuzz";
  for (int i = 0; i < 2; ++i) {
    orch::state::ResourceState r;
    r.address = "api.instance[" + std::to_string(i) + "]";
    r.kind = "instance";
    r.id = std::to_string(100 + i);
    r.cloud_name = "fuzz-api-" + std::to_string(i);
    r.outputs = {{"id", r.id}, {"private_ip", "10.0.0." + std::to_string(i + 2)}, {"public_ip", "203.0.113.9"}};
    st.resources[r.address] = r;
  }
  orch::state::ResourceState lb;
  lb.address = "api.lb";
  lb.kind = "load_balancer";
  lb.id = "lb-1";
  lb.outputs = {{"id", "lb-1"}, {"ip", "198.51.100.7"}};
  st.resources[lb.address] = lb;
  return st;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const orch::state::State state = MakeState();
  static const nlohmann::json vars = {
      {"name", "ring"}, {"peers", {"a", "b"}}, {"cfg", {{"k", 1}}}, {"none", nullptr}, {"n", 3}};
  const std::string text(reinterpret_cast<const char*>(data), size);
  orch::Result<std::string> out = orch::tmpl::RenderString(text, "fuzz.tmpl", vars, orch::state::Resolver(state));
  if (out.ok() && text.find("${") == std::string::npos && *out != text) __builtin_trap();  // nothing to expand
  return 0;
}
