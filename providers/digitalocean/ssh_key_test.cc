// ssh_key.cc
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "providers/digitalocean/test_fixture.h"

namespace orch::providers::digitalocean {
namespace {

using namespace test;  // NOLINT: the fixture's helpers
using nlohmann::json;

TEST(SshFingerprintTest, Md5OfKeyBlob) {
  // ssh-keygen -l -E md5 of this key.
  std::string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC7yF2vZ0cW2fK8ZlqX3mM5p9XbJmWz1dVfJcQ8r2x8n ops@x";
  std::string fp = SshFingerprint(key);
  EXPECT_EQ(fp, "1b:72:fb:93:b7:81:cb:3f:57:52:db:69:07:cf:8e:eb");
  EXPECT_EQ(SshFingerprint("not a key"), "");
}

}  // namespace
}  // namespace orch::providers::digitalocean
