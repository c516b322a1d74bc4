#ifndef FEDGE_COMMON_CRYPTO_SHAMIR_H_
#define FEDGE_COMMON_CRYPTO_SHAMIR_H_

// Shamir t-of-n secret sharing (Shamir, 1979) over the prime field
// GF(2^521 - 1), in integer arithmetic (OpenSSL BIGNUM). A secret of up to
// 64 bytes is read as a big-endian integer (always below the prime); the
// polynomial's other t-1 coefficients come from OpenSSL's CSPRNG; share i is
// the polynomial evaluated at x_i. Any t shares give the secret back by
// Lagrange interpolation at 0; fewer reveal nothing about it.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::crypto {

inline constexpr size_t kShamirMaxSecretBytes = 64;
// A field element: 66 bytes big-endian (521 bits).
inline constexpr size_t kShamirShareBytes = 66;

struct ShamirShare {
  uint32_t x = 0;     // evaluation point, >= 1, distinct per share
  SecretBytes value;  // kShamirShareBytes, big-endian
};

// Splits `secret` (1..64 bytes) into one share per entry of `xs` (each
// >= 1, all distinct), any `threshold` (>= 1, <= xs.size()) of which
// reconstruct it. InvalidArgument on bad arguments.
absl::StatusOr<std::vector<ShamirShare>> ShamirSplit(
    const SecretBytes& secret, size_t threshold,
    const std::vector<uint32_t>& xs);

// Reconstructs a secret of `secret_size` bytes from at least `threshold`
// shares with distinct x (only the first `threshold` are used).
// InvalidArgument if there are too few, duplicated x, malformed values, or
// the result does not fit in `secret_size` bytes (shares from different
// secrets, or corrupted).
absl::StatusOr<SecretBytes> ShamirReconstruct(
    const std::vector<ShamirShare>& shares, size_t threshold,
    size_t secret_size);

}  // namespace fedge::crypto

#endif  // FEDGE_COMMON_CRYPTO_SHAMIR_H_
