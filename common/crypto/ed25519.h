#ifndef FEDGE_COMMON_CRYPTO_ED25519_H_
#define FEDGE_COMMON_CRYPTO_ED25519_H_

// Ed25519 signatures (RFC 8032) through OpenSSL 3's EVP API. Used for the
// audit log's signed checkpoints (key from `fedge pki init`).

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::crypto {

using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

struct Ed25519KeyPair {
  SecretBytes private_key;  // the 32-byte seed of RFC 8032
  Ed25519PublicKey public_key;
};

absl::StatusOr<Ed25519KeyPair> GenerateEd25519KeyPair();
absl::StatusOr<Ed25519PublicKey> Ed25519PublicFromPrivate(
    const SecretBytes& private_key);

absl::StatusOr<Ed25519Signature> Ed25519Sign(const SecretBytes& private_key,
                                             absl::string_view message);

// OK if `signature` is valid for `message` under `public_key`;
// PermissionDenied otherwise.
absl::Status Ed25519Verify(absl::Span<const uint8_t> public_key,
                           absl::string_view message,
                           absl::Span<const uint8_t> signature);

// PEM forms as written by `fedge pki init` (PKCS#8 private key,
// SubjectPublicKeyInfo public key). Errors name what is wrong.
absl::StatusOr<Ed25519KeyPair> Ed25519FromPrivatePem(absl::string_view pem);
absl::StatusOr<Ed25519PublicKey> Ed25519PublicFromPem(absl::string_view pem);
absl::StatusOr<std::string> Ed25519PublicToPem(
    const Ed25519PublicKey& public_key);

}  // namespace fedge::crypto

#endif  // FEDGE_COMMON_CRYPTO_ED25519_H_
