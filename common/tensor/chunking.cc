#include "common/tensor/chunking.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace fedge::tensor {

std::vector<ChunkSlice> SliceChunks(size_t total, size_t chunk_size) {
  std::vector<ChunkSlice> slices;
  if (total == 0 || chunk_size == 0) {
    slices.push_back({0, total});
    return slices;
  }
  for (size_t off = 0; off < total; off += chunk_size) {
    slices.push_back({off, std::min(chunk_size, total - off)});
  }
  return slices;
}

ChunkAssembler::ChunkAssembler(uint64_t declared_total, uint64_t max_total)
    : declared_total_(declared_total), max_total_(max_total) {
  if (declared_total_ <= max_total_) {
    data_.reserve(static_cast<size_t>(declared_total_));
  }
}

absl::Status ChunkAssembler::CheckDeclaration() const {
  if (declared_total_ > max_total_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("declared size ", declared_total_,
                     " bytes exceeds the limit of ", max_total_, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ChunkAssembler::Add(uint64_t offset, absl::string_view data) {
  if (absl::Status s = CheckDeclaration(); !s.ok()) return s;
  if (offset != data_.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk at offset ", offset, " but ", data_.size(),
        " bytes were received so far: chunks must arrive in order, without "
        "gaps or repeats"));
  }
  if (data_.size() + data.size() > declared_total_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "stream carries more than its declared ", declared_total_, " bytes"));
  }
  data_.append(data.data(), data.size());
  hasher_.Update(data);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ChunkAssembler::Finish(
    absl::string_view expected_sha256) {
  if (data_.size() != declared_total_) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream ended after ", data_.size(), " of its declared ",
                     declared_total_, " bytes"));
  }
  crypto::Sha256Digest digest = hasher_.Finish();
  if (crypto::DigestBytes(digest) != expected_sha256) {
    return absl::DataLossError(absl::StrCat(
        "SHA-256 of the received bytes is ", crypto::ToHex(digest),
        " but the sender declared ", crypto::ToHex(expected_sha256)));
  }
  return std::move(data_);
}

}  // namespace fedge::tensor
