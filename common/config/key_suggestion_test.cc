#include "common/config/key_suggestion.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fedge::config {
namespace {

TEST(SuggestKeyTest, PrefersSmallEditDistance) {
  const std::vector<std::string> known = {"min_clients", "fraction",
                                          "max_clients"};
  EXPECT_EQ(SuggestKey("fracton", known), "fraction");
  EXPECT_EQ(SuggestKey("farction", known), "fraction");  // swapped letters
  EXPECT_EQ(SuggestKey("max_client", known), "max_clients");
  EXPECT_EQ(SuggestKey("minimun", known), "min_clients");  // shared prefix
  EXPECT_EQ(SuggestKey("m", known), "");
  EXPECT_EQ(SuggestKey("timeout", known), "");
}

TEST(SuggestKeyTest, PrefixRuleNeedsAUniqueLongestMatch) {
  EXPECT_EQ(SuggestKey("ca_cert", {"ca", "cert", "key"}), "ca");
  EXPECT_EQ(SuggestKey("learning", {"learning_rate", "local_epochs"}),
            "learning_rate");
  EXPECT_EQ(SuggestKey("max_whatever", {"max_clients", "max_examples"}), "");
  EXPECT_EQ(SuggestKey("x", {"id"}), "");
}

}  // namespace
}  // namespace fedge::config
