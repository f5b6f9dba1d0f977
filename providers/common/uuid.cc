#include "providers/common/uuid.h"

#include <openssl/sha.h>

#include <cstdio>

namespace orch::providers::common {

static int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string DeterministicUuid(std::string_view namespace_uuid, std::string_view name) {
  unsigned char ns[16] = {0};
  int n = 0;
  bool valid = true;
  for (size_t i = 0; i < namespace_uuid.size() && valid; ++i) {
    char c = namespace_uuid[i];
    if (c == '-') continue;
    if (i + 1 >= namespace_uuid.size() || n >= 16) { valid = false; break; }
    int hi = HexValue(c), lo = HexValue(namespace_uuid[i + 1]);
    if (hi < 0 || lo < 0) { valid = false; break; }
    ns[n++] = static_cast<unsigned char>(hi * 16 + lo);
    ++i;
  }
  if (!valid || n != 16) std::fill(ns, ns + 16, 0);
  std::string data(reinterpret_cast<const char*>(ns), 16);
  data.append(name);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", digest[0],
                digest[1], digest[2], digest[3], digest[4], digest[5], digest[6], digest[7], digest[8], digest[9],
                digest[10], digest[11], digest[12], digest[13], digest[14], digest[15]);
  return out;
}

}  // namespace orch::providers::common
