#include "common/crypto/secret_bytes.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace fedge::crypto {
namespace {

TEST(SecretBytesTest, SizeConstructorGivesZeros) {
  SecretBytes s(5);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_FALSE(s.empty());
  EXPECT_EQ(s.view(), std::string(5, '\0'));
  EXPECT_TRUE(SecretBytes().empty());
  EXPECT_EQ(SecretBytes().size(), 0u);
}

TEST(SecretBytesTest, CopyFromStringAndSpanKeepsBytes) {
  const std::string raw("\x01\x02\x00\xff", 4);
  SecretBytes from_string = SecretBytes::Copy(raw);
  EXPECT_EQ(from_string.view(), raw);
  const uint8_t bytes[] = {1, 2, 0, 255};
  SecretBytes from_span = SecretBytes::Copy(absl::MakeConstSpan(bytes));
  EXPECT_EQ(from_span.view(), raw);
  EXPECT_EQ(from_span.ExportForTransport(), raw);
  EXPECT_EQ(from_span.span(), absl::MakeConstSpan(bytes));
}

TEST(SecretBytesTest, CopyConstructionAndAssignmentAreIndependentCopies) {
  SecretBytes original = SecretBytes::Copy(absl::string_view("secret"));
  SecretBytes copy(original);
  EXPECT_EQ(copy.view(), "secret");
  copy.mutable_data()[0] = 'S';
  EXPECT_EQ(original.view(), "secret");
  EXPECT_EQ(copy.view(), "Secret");

  SecretBytes assigned =
      SecretBytes::Copy(absl::string_view("a longer old value"));
  assigned = original;
  EXPECT_EQ(assigned.view(), "secret");
  assigned = assigned;  // self-assignment keeps the value
  EXPECT_EQ(assigned.view(), "secret");
}

TEST(SecretBytesTest, MoveTransfersBytesAndEmptiesSource) {
  SecretBytes source = SecretBytes::Copy(absl::string_view("key material"));
  SecretBytes moved(std::move(source));
  EXPECT_EQ(moved.view(), "key material");
  EXPECT_TRUE(source.empty());  // NOLINT(bugprone-use-after-move)

  SecretBytes target = SecretBytes::Copy(absl::string_view("old"));
  target = std::move(moved);
  EXPECT_EQ(target.view(), "key material");
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(SecretBytesTest, EqualityComparesContentAndSize) {
  SecretBytes a = SecretBytes::Copy(absl::string_view("abcd"));
  SecretBytes same = SecretBytes::Copy(absl::string_view("abcd"));
  SecretBytes differs_last = SecretBytes::Copy(absl::string_view("abce"));
  SecretBytes prefix = SecretBytes::Copy(absl::string_view("abc"));
  EXPECT_TRUE(a == same);
  EXPECT_FALSE(a != same);
  EXPECT_FALSE(a == differs_last);
  EXPECT_TRUE(a != differs_last);
  EXPECT_FALSE(a == prefix);
  EXPECT_TRUE(SecretBytes() == SecretBytes());
  EXPECT_FALSE(SecretBytes() == SecretBytes(1));
}

TEST(SecretBytesTest, DebugStringShowsLengthButNeverTheBytes) {
  // A secret whose bytes are printable, so any leak would show up as text,
  // in raw form or in hex.
  SecretBytes s = SecretBytes::Copy(absl::string_view("hunter2-PASSWORD"));
  const std::string debug = s.DebugString();
  EXPECT_EQ(debug, "SecretBytes(16 bytes)");
  EXPECT_EQ(debug.find("hunter2"), std::string::npos);
  EXPECT_EQ(debug.find("68756e74"), std::string::npos);  // "hunt" in hex
  EXPECT_EQ(SecretBytes().DebugString(), "SecretBytes(0 bytes)");
}

TEST(SecretBytesTest, RandomHasRequestedSizeAndDiffersBetweenCalls) {
  SecretBytes a = SecretBytes::Random(32);
  SecretBytes b = SecretBytes::Random(32);
  ASSERT_EQ(a.size(), 32u);
  ASSERT_EQ(b.size(), 32u);
  // Two equal 256-bit draws have probability 2^-256.
  EXPECT_NE(a, b);
  EXPECT_NE(a, SecretBytes(32));
  EXPECT_TRUE(SecretBytes::Random(0).empty());
}

}  // namespace
}  // namespace fedge::crypto
