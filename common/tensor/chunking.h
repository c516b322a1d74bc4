#ifndef FEDGE_COMMON_TENSOR_CHUNKING_H_
#define FEDGE_COMMON_TENSOR_CHUNKING_H_

// Splitting a blob into stream chunks and putting it back together with the
// checks a receiver of outside bytes needs: chunks in order without gaps or
// repeats, a declared total that is respected, a size limit, and a SHA-256
// over the whole.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/crypto/sha256.h"

namespace fedge::tensor {

// 1 MiB: well under gRPC's 4 MiB message limit, large enough that per-message
// overhead is small.
inline constexpr size_t kDefaultChunkSize = size_t{1} << 20;

// The [offset, offset + size) slices of a blob of `total` bytes, in order.
// An empty blob has one empty chunk so a stream always carries its header.
struct ChunkSlice {
  size_t offset;
  size_t size;
};
std::vector<ChunkSlice> SliceChunks(size_t total,
                                    size_t chunk_size = kDefaultChunkSize);

class ChunkAssembler {
 public:
  // Expects exactly `declared_total` bytes; refuses any declaration above
  // `max_total`.
  ChunkAssembler(uint64_t declared_total, uint64_t max_total);

  // OK unless the declared total exceeds the limit (ResourceExhausted).
  absl::Status CheckDeclaration() const;

  // Appends one chunk. `offset` must equal the bytes received so far
  // (InvalidArgument names a gap, repeat or reordering), and the total must
  // stay within the declaration (ResourceExhausted).
  absl::Status Add(uint64_t offset, absl::string_view data);

  // Checks completeness and the digest (DataLoss on mismatch) and returns the
  // blob. The assembler is empty afterwards.
  absl::StatusOr<std::string> Finish(absl::string_view expected_sha256);

  uint64_t received() const { return data_.size(); }

 private:
  uint64_t declared_total_;
  uint64_t max_total_;
  std::string data_;
  crypto::Sha256Hasher hasher_;
};

}  // namespace fedge::tensor

#endif  // FEDGE_COMMON_TENSOR_CHUNKING_H_
