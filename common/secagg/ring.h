#ifndef FEDGE_COMMON_SECAGG_RING_H_
#define FEDGE_COMMON_SECAGG_RING_H_

// Vectors over the ring Z_(2^b), 8 <= b <= 62, held one value per uint64_t
// (arithmetic wraps mod 2^64, so reducing mod 2^b at the end is exact), and
// their wire form: b bits per value, packed little-endian, so a masked
// upload of m values takes ceil(m·b/8) bytes.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::secagg {

// 2^bits - 1.
inline uint64_t RingMask(uint32_t bits) { return (uint64_t{1} << bits) - 1; }

// Reduces every value mod 2^bits.
void Reduce(uint32_t bits, absl::Span<uint64_t> values);

// Bytes of `count` values packed at `bits` bits each.
uint64_t PackedSize(uint64_t count, uint32_t bits);

// Packs `values` (each reduced mod 2^bits first).
std::string Pack(absl::Span<const uint64_t> values, uint32_t bits);

// Adds, mod 2^bits, the values packed in `bytes` to `sum` (whose size is the
// value count). InvalidArgument if `bytes` has another size or non-zero
// padding bits.
absl::Status UnpackAdd(absl::string_view bytes, uint32_t bits,
                       absl::Span<uint64_t> sum);

// Adds (subtract = false) or subtracts the mask expanded from `seed` (32
// bytes) by the AES-256-CTR PRG: value i of the mask is the i-th 4-byte
// (bits <= 32) or 8-byte (bits > 32) little-endian word of the keystream,
// mod 2^bits. Results are mod 2^64; Reduce() before using them.
absl::Status ApplyMask(const crypto::SecretBytes& seed, bool subtract,
                       uint32_t bits, absl::Span<uint64_t> values);

// One mask of a batch: the seed it expands from, and whether it is taken
// away rather than added.
struct MaskTerm {
  const crypto::SecretBytes* seed;
  bool subtract;
};

// The same as ApplyMask for each term in turn, but one pass over `values`:
// a block of values stays in cache while every term's keystream for it is
// added, instead of streaming the whole vector through memory once per
// term. Masking with k neighbours on a large model is memory bound
// otherwise.
absl::Status ApplyMasks(absl::Span<const MaskTerm> terms, uint32_t bits,
                        absl::Span<uint64_t> values);

}  // namespace fedge::secagg

#endif  // FEDGE_COMMON_SECAGG_RING_H_
