// Checks rendered user data against cloud-init's own cloud-config schema
// (the schema-cloud-config-v1.json Debian's cloud-init ships, embedded at
// build time; draft-04 JSON Schema, validated with valijson).
//
// Only text whose first line starts with the word "#cloud-config" is
// cloud-config (as cloud-init decides); anything else (a "#!" script,
// "#cloud-config-archive", ...) is not checked. The YAML is
// read the way cloud-init's yaml.safe_load reads it (YAML 1.1 scalars:
// 5 is an integer, "5" a string, yes/no/on/off booleans, ~ null) before it
// is checked. An empty document is valid (cloud-init does nothing with it).
// Deprecated keys are not problems (`cloud-init schema` accepts them too).
//
// The schema is parsed once, on first use; thread-safe after that.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace orch::tmpl {

struct SchemaProblem {
  int line = 0;      // 1-based, in the checked text; 0 = unknown
  int column = 0;    // 1-based
  std::string path;  // the offending key, e.g. "packages" or "write_files.0.permissions"; "" = the document
  std::string message;
};

// True when cloud-init would treat `text` as cloud-config.
bool IsCloudConfig(std::string_view text);

// Every problem of a cloud-config document, at the line and column of the
// offending value (for YAML syntax errors, where the parser stopped).
// Empty when valid or when `text` is not cloud-config.
std::vector<SchemaProblem> CheckCloudConfig(const std::string& text);

// Where the embedded schema was read from at build time.
const char* CloudConfigSchemaSource();

}  // namespace orch::tmpl
