#include "common/crypto/x25519.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "common/crypto/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::crypto {
namespace {

using ::testing::HasSubstr;

SecretBytes SecretFromHex(absl::string_view hex) {
  return SecretBytes::Copy(absl::HexStringToBytes(hex));
}

std::string PublicBytes(absl::string_view hex) {
  return absl::HexStringToBytes(hex);
}

absl::Span<const uint8_t> AsSpan(const std::string& s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()),
                                   s.size());
}

std::string Hex(const X25519PublicKey& key) {
  return ToHex(
      absl::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

// RFC 7748 section 5.2, the two single scalar-multiplication vectors
// (scalar, input u-coordinate, output u-coordinate).
TEST(X25519Test, Rfc7748Section52ScalarMultiplicationVectors) {
  struct Vector {
    const char* scalar;
    const char* u;
    const char* output;
  };
  const Vector kVectors[] = {
      {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
       "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
       "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
      {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
       "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
       "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
  };
  for (const Vector& v : kVectors) {
    const std::string u = PublicBytes(v.u);
    absl::StatusOr<SecretBytes> out =
        X25519Agree(SecretFromHex(v.scalar), AsSpan(u));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(ToHex(out->view()), v.output);
  }
}

// RFC 7748 section 6.1: Alice's and Bob's key pairs and their shared secret.
constexpr char kAlicePrivate[] =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr char kAlicePublic[] =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr char kBobPrivate[] =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr char kBobPublic[] =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr char kSharedSecret[] =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

TEST(X25519Test, Rfc7748Section61PublicKeysFromPrivateKeys) {
  absl::StatusOr<X25519PublicKey> alice =
      X25519PublicFromPrivate(SecretFromHex(kAlicePrivate));
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(Hex(*alice), kAlicePublic);
  absl::StatusOr<X25519PublicKey> bob =
      X25519PublicFromPrivate(SecretFromHex(kBobPrivate));
  ASSERT_TRUE(bob.ok()) << bob.status();
  EXPECT_EQ(Hex(*bob), kBobPublic);
}

TEST(X25519Test, Rfc7748Section61SharedSecretBothWays) {
  const std::string alice_public = PublicBytes(kAlicePublic);
  const std::string bob_public = PublicBytes(kBobPublic);
  absl::StatusOr<SecretBytes> alice_side =
      X25519Agree(SecretFromHex(kAlicePrivate), AsSpan(bob_public));
  absl::StatusOr<SecretBytes> bob_side =
      X25519Agree(SecretFromHex(kBobPrivate), AsSpan(alice_public));
  ASSERT_TRUE(alice_side.ok()) << alice_side.status();
  ASSERT_TRUE(bob_side.ok()) << bob_side.status();
  EXPECT_EQ(ToHex(alice_side->view()), kSharedSecret);
  EXPECT_EQ(ToHex(bob_side->view()), kSharedSecret);
}

TEST(X25519Test, AllZeroPeerPublicKeyIsRefusedAsLowOrderPoint) {
  const std::string zero(32, '\0');
  absl::StatusOr<SecretBytes> out =
      X25519Agree(SecretFromHex(kAlicePrivate), AsSpan(zero));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("low-order"));
}

TEST(X25519Test, PeerPublicKeyOneIsRefusedAsLowOrderPoint) {
  // u = 1 is another point of small order; the result is all zeros too.
  std::string one(32, '\0');
  one[0] = 1;
  absl::StatusOr<SecretBytes> out =
      X25519Agree(SecretFromHex(kBobPrivate), AsSpan(one));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(X25519Test, WrongSizesAreInvalidArgument) {
  const std::string bob_public = PublicBytes(kBobPublic);
  EXPECT_EQ(X25519PublicFromPrivate(SecretBytes(31)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(X25519Agree(SecretBytes(33), AsSpan(bob_public)).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string short_peer = bob_public.substr(0, 31);
  absl::StatusOr<SecretBytes> out =
      X25519Agree(SecretFromHex(kAlicePrivate), AsSpan(short_peer));
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("32 bytes, got 31"));
}

TEST(X25519Test, GeneratedKeyPairsAgreeAndAreConsistent) {
  absl::StatusOr<X25519KeyPair> a = GenerateX25519KeyPair();
  absl::StatusOr<X25519KeyPair> b = GenerateX25519KeyPair();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->private_key.size(), 32u);
  EXPECT_NE(a->private_key, b->private_key);
  absl::StatusOr<X25519PublicKey> a_public =
      X25519PublicFromPrivate(a->private_key);
  ASSERT_TRUE(a_public.ok());
  EXPECT_EQ(*a_public, a->public_key);
  absl::StatusOr<SecretBytes> ab = X25519Agree(a->private_key, b->public_key);
  absl::StatusOr<SecretBytes> ba = X25519Agree(b->private_key, a->public_key);
  ASSERT_TRUE(ab.ok()) << ab.status();
  ASSERT_TRUE(ba.ok()) << ba.status();
  EXPECT_EQ(*ab, *ba);
}

}  // namespace
}  // namespace fedge::crypto
