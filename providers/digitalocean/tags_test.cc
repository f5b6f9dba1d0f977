#include <gtest/gtest.h>

#include "model/resource.h"
#include "providers/digitalocean/tags.h"

namespace orch::providers::digitalocean {
namespace {

TEST(TagsTest, AddressEncodingIsReversibleAndValid) {
  for (std::string a : {"api.instance[2]", "ssh_key.ops@do", "cassandra.volume.data[10]", "network.main", "x_y-z.lb"}) {
    std::string tag = AddressTag(a);
    EXPECT_TRUE(ValidTag(tag)) << tag;
    auto decoded = DecodeTags({tag});
    EXPECT_EQ(decoded[std::string(model::kTagAddress)], a);
  }
  EXPECT_EQ(AddressTag("api.instance[2]"), "orchestrator-address:api:dinstance:l2:r");
  EXPECT_FALSE(DecodeAddress("api:x").has_value());
}

TEST(TagsTest, EncodeDecodeTagMap) {
  std::map<std::string, std::string> tags = {{std::string(model::kTagDeployment), "demo"},
                                             {std::string(model::kTagTier), "api"},
                                             {std::string(model::kTagAddress), "api.instance[0]"}};
  std::vector<std::string> enc = EncodeTags(tags);
  ASSERT_EQ(enc.size(), 3u);
  auto dec = DecodeTags(enc);
  EXPECT_EQ(dec, tags);
  EXPECT_TRUE(DecodeTags({"web", "other:tag"}).empty());
}

}  // namespace
}  // namespace orch::providers::digitalocean
