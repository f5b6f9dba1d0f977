#include "util/status.h"

#include <gtest/gtest.h>

namespace orch {
namespace {

TEST(StatusTest, OkIsDefaultAndCarriesNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorKeepsCodeAndMessage) {
  Status s = Status::NotFound("droplet 42");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.ToString(), "NotFound: droplet 42");
  EXPECT_EQ(s.WithPrefix("api.instance[0]").message(), "api.instance[0]: droplet 42");
}

TEST(ResultTest, HoldsValueOrStatus) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = Status::Timeout("waited 10s");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsTimeout());
}

}  // namespace
}  // namespace orch
