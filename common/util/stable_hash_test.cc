#include "common/util/stable_hash.h"

#include "gtest/gtest.h"

namespace fedge::util {
namespace {

// Pinned values: a change here changes every reproducible seed fedge derives.
TEST(StableHashTest, ValuesArePinned) {
  // Computed independently (Python) from the definition.
  EXPECT_EQ(StableHash64(""), 0xc3817c016ba4ff30ull);
  EXPECT_EQ(StableHash64("client-1"), 0x6781ce17116aedbcull);
  EXPECT_NE(StableHash64("client-1"), StableHash64("client-2"));
}

}  // namespace
}  // namespace fedge::util
