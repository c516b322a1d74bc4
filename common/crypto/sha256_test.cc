#include "common/crypto/sha256.h"

#include <string>

#include "gtest/gtest.h"

namespace fedge::crypto {
namespace {

// FIPS 180-4 examples (NIST CSRC "Example Values", SHA-256).
TEST(Sha256Test, NistShortMessages) {
  EXPECT_EQ(ToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(
      ToHex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, MillionAs) {
  EXPECT_EQ(ToHex(Sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  Sha256Hasher hasher;
  for (size_t i = 0; i < data.size(); i += 999) {
    hasher.Update(absl::string_view(data).substr(i, 999));
  }
  EXPECT_EQ(hasher.Finish(), Sha256(data));
}

}  // namespace
}  // namespace fedge::crypto
