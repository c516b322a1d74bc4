#ifndef FEDGE_COMMON_CRYPTO_PRG_INTERNAL_H_
#define FEDGE_COMMON_CRYPTO_PRG_INTERNAL_H_

// Internal to common/crypto (and its tests): the two halves of AesCtrPrg, so
// that a test can drive the very same code with the non-zero initial counter
// block of the NIST SP 800-38A CTR vectors. Production code uses AesCtrPrg.

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/crypto/openssl_util.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::crypto::internal {

inline constexpr size_t kAesBlockBytes = 16;

// An AES-256-CTR encryption context keyed by `key` (32 bytes) whose first
// counter block is `initial_counter` (16 bytes, incremented as a 128-bit
// big-endian integer). InvalidArgument for wrong sizes.
absl::StatusOr<CipherCtxPtr> NewAes256CtrContext(
    const SecretBytes& key, absl::Span<const uint8_t> initial_counter);

// Writes the next `size` bytes of `ctx`'s keystream to `out`.
void AesCtrKeystream(EVP_CIPHER_CTX* ctx, uint8_t* out, size_t size);

}  // namespace fedge::crypto::internal

#endif  // FEDGE_COMMON_CRYPTO_PRG_INTERNAL_H_
