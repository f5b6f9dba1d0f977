// Deterministic name-based UUIDs (RFC 4122 version 5: SHA-1 of a namespace
// UUID and a name), e.g. for request ids that must stay the same when a
// request is retried.
#pragma once

#include <string>
#include <string_view>

namespace orch::providers::common {

// "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx" (lowercase). `namespace_uuid` must
// be a UUID in text form; an invalid one is hashed as 16 zero bytes.
std::string DeterministicUuid(std::string_view namespace_uuid, std::string_view name);

}  // namespace orch::providers::common
