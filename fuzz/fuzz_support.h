#ifndef FEDGE_FUZZ_FUZZ_SUPPORT_H_
#define FEDGE_FUZZ_FUZZ_SUPPORT_H_

// What the fuzz targets share: a reader that splits the fuzzer's bytes into
// fields, a private temporary directory for targets whose parser reads a
// file, and a check that aborts (so libFuzzer records the input) when an
// invariant of the code under test fails.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/crypto/ed25519.h"

namespace fedge::fuzz {

// Consumes the fuzzer's bytes front to back. Reading past the end yields
// zeros and empty strings, so every input is a valid sequence of fields.
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}

  uint8_t U8();
  uint16_t U16();  // little-endian
  uint32_t U32();
  uint64_t U64();
  bool Bool() { return (U8() & 1) != 0; }
  // Up to `n` bytes (fewer at the end).
  absl::string_view Bytes(size_t n);
  // A U16 length, then that many bytes.
  absl::string_view LengthPrefixed() { return Bytes(U16()); }
  // Everything not consumed yet.
  absl::string_view Rest();
  bool empty() const { return rest_.empty(); }

 private:
  absl::string_view rest_;
};

// A directory private to this process, created on first use and removed at
// exit.
const std::string& TempDir();

// Writes `data` to `path` (no fsync: the fuzzer writes it thousands of
// times a second). Aborts on failure.
void WriteFileOrDie(const std::string& path, absl::string_view data);

// The bytes of an audit record file (common/audit/record_log.h) holding
// `records`, framed as RecordLogWriter frames them.
std::string FrameRecordLog(const std::vector<std::string>& records);

// A fixed Ed25519 key pair (from a constant seed) for the audit targets, so
// their seed corpora can carry notes signed by it.
const crypto::Ed25519KeyPair& FixedAuditKey();

// Aborts with `what` (and where) when `condition` is false: a broken
// invariant is a finding, like a crash.
[[noreturn]] void Fail(const char* file, int line, absl::string_view what);

}  // namespace fedge::fuzz

#define FEDGE_FUZZ_CHECK(condition)                        \
  do {                                                     \
    if (!(condition)) {                                    \
      ::fedge::fuzz::Fail(__FILE__, __LINE__, #condition); \
    }                                                      \
  } while (false)

#endif  // FEDGE_FUZZ_FUZZ_SUPPORT_H_
