// SHA-256 of a byte string as 64 lowercase hex digits.
#pragma once

#include <string>
#include <string_view>

namespace orch {

std::string Sha256Hex(std::string_view data);

}  // namespace orch
