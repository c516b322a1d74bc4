#ifndef FEDGE_COMMON_CRYPTO_SHAMIR_INTERNAL_H_
#define FEDGE_COMMON_CRYPTO_SHAMIR_INTERNAL_H_

// Internal to common/crypto (and its tests): ShamirSplit with the random
// coefficients supplied by the caller, so tests can check shares against a
// polynomial computed by hand. Production code uses ShamirSplit.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/secret_bytes.h"
#include "common/crypto/shamir.h"

namespace fedge::crypto::internal {

// As ShamirSplit, with the polynomial
//   f(x) = secret + c[0] x + c[1] x^2 + ... + c[t-2] x^(t-1)  (mod 2^521 - 1)
// where `coefficients` holds c[0..t-2] as big-endian integers (any length up
// to kShamirShareBytes, each below the prime). InvalidArgument if there are
// not exactly threshold-1 of them or one is out of range.
absl::StatusOr<std::vector<ShamirShare>> ShamirSplitWithCoefficients(
    const SecretBytes& secret, size_t threshold,
    const std::vector<uint32_t>& xs,
    const std::vector<SecretBytes>& coefficients);

}  // namespace fedge::crypto::internal

#endif  // FEDGE_COMMON_CRYPTO_SHAMIR_INTERNAL_H_
