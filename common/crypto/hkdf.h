#ifndef FEDGE_COMMON_CRYPTO_HKDF_H_
#define FEDGE_COMMON_CRYPTO_HKDF_H_

// HKDF with SHA-256 (RFC 5869) through OpenSSL 3's EVP_KDF API.

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::crypto {

// Extract-then-expand: `length` bytes (1..8160) of output keying material.
// An empty salt means HashLen zero bytes, as RFC 5869 specifies.
absl::StatusOr<SecretBytes> HkdfSha256(const SecretBytes& input_key_material,
                                       absl::string_view salt,
                                       absl::string_view info, size_t length);

}  // namespace fedge::crypto

#endif  // FEDGE_COMMON_CRYPTO_HKDF_H_
