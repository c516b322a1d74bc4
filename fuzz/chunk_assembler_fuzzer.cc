// Feeds a hostile upload stream to ChunkAssembler (common/tensor/chunking.h):
// a declared total, then chunks at chosen offsets, then a digest. Checks that
// the assembler only ever accepts the exact, in-order, gap-free stream: when
// Finish succeeds the blob is the concatenation of the accepted chunks, its
// size is the declared total and its SHA-256 is the declared digest.
//
// Input: u8 flags, u16 declared total, u16 limit, then chunks
// (u8 kind, u16 size, bytes) until the input ends; flags bit 0 picks the
// right digest (computed here) rather than 32 bytes from the input.

#include <cstdint>
#include <string>

#include "common/crypto/sha256.h"
#include "common/tensor/chunking.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using fedge::fuzz::FuzzInput;
  FuzzInput in(data, size);
  const uint8_t flags = in.U8();
  const uint64_t declared = in.U16();
  const uint64_t limit = in.U16();
  fedge::tensor::ChunkAssembler assembler(declared, limit);
  if (!assembler.CheckDeclaration().ok()) {
    FEDGE_FUZZ_CHECK(declared > limit);
    return 0;
  }
  FEDGE_FUZZ_CHECK(declared <= limit);

  std::string accepted;
  std::string wrong_digest;
  int chunks = 0;
  while (!in.empty() && chunks++ < 64) {
    const uint8_t kind = in.U8();
    absl::string_view chunk = in.LengthPrefixed();
    // Mostly the right offset, sometimes a gap, a repeat or garbage.
    uint64_t offset = accepted.size();
    switch (kind % 4) {
      case 1:
        offset += kind / 4;
        break;
      case 2:
        offset -= std::min<uint64_t>(offset, kind / 4);
        break;
      case 3:
        offset = in.U64();
        break;
    }
    if (kind == 0xff) {
      wrong_digest = std::string(in.Bytes(32));
      break;
    }
    const uint64_t before = assembler.received();
    absl::Status added = assembler.Add(offset, chunk);
    if (added.ok()) {
      FEDGE_FUZZ_CHECK(offset == accepted.size());
      FEDGE_FUZZ_CHECK(accepted.size() + chunk.size() <= declared);
      accepted.append(chunk.data(), chunk.size());
      FEDGE_FUZZ_CHECK(assembler.received() == accepted.size());
    } else {
      FEDGE_FUZZ_CHECK(assembler.received() == before);
      FEDGE_FUZZ_CHECK(offset != accepted.size() ||
                       accepted.size() + chunk.size() > declared);
    }
  }

  const std::string digest =
      (flags & 1) != 0 || wrong_digest.empty()
          ? fedge::crypto::DigestBytes(fedge::crypto::Sha256(accepted))
          : wrong_digest;
  absl::StatusOr<std::string> blob = assembler.Finish(digest);
  if (blob.ok()) {
    FEDGE_FUZZ_CHECK(*blob == accepted);
    FEDGE_FUZZ_CHECK(blob->size() == declared);
    FEDGE_FUZZ_CHECK(fedge::crypto::DigestBytes(fedge::crypto::Sha256(*blob)) ==
                     digest);
  } else {
    FEDGE_FUZZ_CHECK(
        accepted.size() != declared ||
        fedge::crypto::DigestBytes(fedge::crypto::Sha256(accepted)) != digest);
  }
  return 0;
}
