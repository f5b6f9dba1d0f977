// docs/providers/digitalocean.md shows each kind's attribute declaration as
// the handlers make it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "providers/common/resource_handler.h"
#include "providers/digitalocean/do_provider.h"

namespace orch::providers::digitalocean {
namespace {

TEST(DoAttributesTest, DocumentedTableIsTheHandlersDeclaration) {
  DigitalOceanProvider provider(engine::ProviderEnv{});
  const std::string path = std::string(ORCH_SOURCE_DIR) + "/docs/providers/digitalocean.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string want = common::AttributeTable(provider.handlers());
  EXPECT_EQ(common::DocumentedAttributeTable(doc.str()), want)
      << path << ": the table between <!-- BEGIN attributes --> and <!-- END attributes --> should be:\n"
      << want;
}

}  // namespace
}  // namespace orch::providers::digitalocean
