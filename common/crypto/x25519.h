#ifndef FEDGE_COMMON_CRYPTO_X25519_H_
#define FEDGE_COMMON_CRYPTO_X25519_H_

// X25519 key agreement (RFC 7748) through OpenSSL 3's EVP_PKEY API.

#include <array>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::crypto {

using X25519PublicKey = std::array<uint8_t, 32>;

struct X25519KeyPair {
  SecretBytes private_key;  // 32 bytes, as RFC 7748 encodes scalars
  X25519PublicKey public_key;
};

// A fresh key pair from OpenSSL's CSPRNG.
absl::StatusOr<X25519KeyPair> GenerateX25519KeyPair();

// The public key of a 32-byte private key. InvalidArgument on a wrong size.
absl::StatusOr<X25519PublicKey> X25519PublicFromPrivate(
    const SecretBytes& private_key);

// The 32-byte shared secret X25519(private_key, peer_public_key).
// InvalidArgument for wrong sizes; InvalidArgument if the result is all
// zeros (the peer sent a low-order point, RFC 7748 section 6.1).
absl::StatusOr<SecretBytes> X25519Agree(const SecretBytes& private_key,
                                        absl::Span<const uint8_t> peer_public);

}  // namespace fedge::crypto

#endif  // FEDGE_COMMON_CRYPTO_X25519_H_
