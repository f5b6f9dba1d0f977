// libFuzzer target: spec::LoadFromString on arbitrary bytes, then every
// diagnostic formatted with its source line (what `orchestrator validate`
// prints). Any crash, leak, sanitizer report or hang is a bug: hostile specs
// must end in diagnostics. ${env:} finds a fixed value; ${file:} and
// templates resolve against a directory that does not exist.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "spec/loader.h"
#include "util/diagnostic.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  orch::spec::LoadOptions opts;
  opts.vars = {{"region", "nyc3"}};
  opts.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "UNSET") return std::nullopt;
    return std::string("fuzz-value");
  };
  orch::Diagnostics diags;
  std::optional<orch::spec::Spec> spec =
      orch::spec::LoadFromString(text, "fuzz.yaml", "/nonexistent-orch-fuzz", opts, &diags);
  for (const orch::Diagnostic& d : diags.items()) {
    std::string line = orch::FormatDiagnostic(d, &text);
    if (line.empty()) __builtin_trap();
  }
  if (spec.has_value() && diags.HasErrors()) __builtin_trap();  // Load's contract
  return 0;
}
