#include "common/secagg/ring.h"

#include <random>
#include <vector>

#include "common/crypto/prg.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::secagg {
namespace {

TEST(RingTest, PackedSizeIsBitsPerValueRoundedUpToBytes) {
  EXPECT_EQ(PackedSize(10, 32), 40u);
  EXPECT_EQ(PackedSize(3, 20), 8u);  // 60 bits
  EXPECT_EQ(PackedSize(8, 20), 20u);
  EXPECT_EQ(PackedSize(1, 62), 8u);
}

TEST(RingTest, PackThenUnpackAddRoundTripsForEveryWidth) {
  std::mt19937_64 rng(5);
  for (uint32_t bits : {8u, 11u, 16u, 20u, 31u, 32u, 33u, 48u, 61u, 62u}) {
    std::vector<uint64_t> values(257);
    for (uint64_t& v : values) v = rng() & RingMask(bits);
    std::string packed = Pack(values, bits);
    ASSERT_EQ(packed.size(), PackedSize(values.size(), bits));
    std::vector<uint64_t> sum(values.size(), 0);
    ASSERT_TRUE(UnpackAdd(packed, bits, absl::MakeSpan(sum)).ok()) << bits;
    EXPECT_EQ(sum, values) << bits;
  }
}

TEST(RingTest, KnownPackingOf12BitValues) {
  // 0xABC and 0x123 → bits little-endian: bc, 3a, 12.
  std::string packed = Pack({0xABC, 0x123}, 12);
  EXPECT_EQ(packed, std::string("\xbc\x3a\x12", 3));
}

TEST(RingTest, UnpackAddWrapsModuloTheRing) {
  std::vector<uint64_t> sum = {RingMask(16)};
  ASSERT_TRUE(UnpackAdd(Pack({2}, 16), 16, absl::MakeSpan(sum)).ok());
  Reduce(16, absl::MakeSpan(sum));
  EXPECT_EQ(sum[0], 1u);
}

TEST(RingTest, WrongSizeAndDirtyPaddingAreRejected) {
  std::vector<uint64_t> sum(3, 0);
  absl::Status s = UnpackAdd(std::string(7, '\0'), 20, absl::MakeSpan(sum));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  std::string packed = Pack({1, 2, 3}, 20);  // 60 bits in 8 bytes
  packed.back() = static_cast<char>(packed.back() | 0x80);
  s = UnpackAdd(packed, 20, absl::MakeSpan(sum));
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("padding"));
}

TEST(RingTest, MaskAndUnmaskCancelExactly) {
  crypto::SecretBytes seed = crypto::SecretBytes::Random(32);
  for (uint32_t bits : {16u, 32u, 40u}) {
    std::vector<uint64_t> values(100000);
    for (size_t i = 0; i < values.size(); ++i) values[i] = i & RingMask(bits);
    std::vector<uint64_t> masked = values;
    ASSERT_TRUE(ApplyMask(seed, false, bits, absl::MakeSpan(masked)).ok());
    Reduce(bits, absl::MakeSpan(masked));
    EXPECT_NE(masked, values);
    ASSERT_TRUE(ApplyMask(seed, true, bits, absl::MakeSpan(masked)).ok());
    Reduce(bits, absl::MakeSpan(masked));
    EXPECT_EQ(masked, values) << bits;
  }
}

TEST(RingTest, MaskIsTheKeystreamReadAsLittleEndianWords) {
  crypto::SecretBytes seed = crypto::SecretBytes::Random(32);
  std::vector<uint64_t> mask(5, 0);
  ASSERT_TRUE(ApplyMask(seed, false, 32, absl::MakeSpan(mask)).ok());
  std::vector<uint64_t> mask20(5, 0);
  ASSERT_TRUE(ApplyMask(seed, false, 20, absl::MakeSpan(mask20)).ok());
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(mask20[i], mask[i] & RingMask(20));
}

TEST(RingTest, BatchedMasksEqualTheKeystreamsAddedOneByOne) {
  std::vector<crypto::SecretBytes> seeds;
  for (int i = 0; i < 3; ++i) seeds.push_back(crypto::SecretBytes::Random(32));
  const std::vector<MaskTerm> terms = {
      {&seeds[0], false}, {&seeds[1], true}, {&seeds[2], false}};
  // Across block boundaries, and not a whole number of blocks.
  const size_t m = 3 * 4096 + 7;
  for (uint32_t bits : {20u, 32u, 40u}) {
    const size_t word = bits <= 32 ? 4 : 8;
    std::vector<uint64_t> expected(m);
    for (size_t i = 0; i < m; ++i) expected[i] = (i * 7919) & RingMask(bits);
    std::vector<uint64_t> batched = expected;
    std::vector<uint64_t> one_by_one = expected;
    for (const MaskTerm& term : terms) {
      auto prg = crypto::AesCtrPrg::Create(*term.seed);
      ASSERT_TRUE(prg.ok());
      std::vector<uint8_t> stream(m * word);
      (*prg)->Generate(stream.data(), stream.size());
      for (size_t i = 0; i < m; ++i) {
        uint64_t w = 0;
        for (size_t b = 0; b < word; ++b) {
          w |= uint64_t{stream[i * word + b]} << (8 * b);
        }
        w &= RingMask(bits);
        expected[i] = term.subtract ? expected[i] - w : expected[i] + w;
      }
      ASSERT_TRUE(
          ApplyMask(*term.seed, term.subtract, bits, absl::MakeSpan(one_by_one))
              .ok());
    }
    ASSERT_TRUE(ApplyMasks(terms, bits, absl::MakeSpan(batched)).ok());
    Reduce(bits, absl::MakeSpan(expected));
    Reduce(bits, absl::MakeSpan(batched));
    Reduce(bits, absl::MakeSpan(one_by_one));
    EXPECT_EQ(batched, expected) << bits;
    EXPECT_EQ(one_by_one, expected) << bits;
  }
}

TEST(RingTest, ShortSeedIsRefused) {
  std::vector<uint64_t> v(1);
  EXPECT_FALSE(
      ApplyMask(crypto::SecretBytes::Random(16), false, 32, absl::MakeSpan(v))
          .ok());
}

}  // namespace
}  // namespace fedge::secagg
