// Feeds arbitrary text to the signed-note reader (OpenNote,
// common/audit/signed_note.h) and the checkpoint parser (ParseCheckpoint,
// common/audit/checkpoint.h): what a receipt holder or auditor reads.
//
// Input: u8 flags, then text. Flags bit 0: the harness signs the text with
// the fixed fuzz key first (when SignNote accepts it), so the fuzzer also
// reaches the code past the signature. Checks: a note the harness signed
// opens to exactly its text; an opened text is the note's prefix; a parsed
// checkpoint survives CheckpointText → ParseCheckpoint unchanged.

#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "common/audit/audit_log.h"
#include "common/audit/checkpoint.h"
#include "common/audit/signed_note.h"
#include "fuzz/fuzz_support.h"

namespace {

void CheckCheckpointRoundTrip(absl::string_view text) {
  using namespace fedge::audit;
  absl::StatusOr<Checkpoint> parsed = ParseCheckpoint(text);
  if (!parsed.ok()) {
    FEDGE_FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kDataLoss);
    return;
  }
  absl::StatusOr<std::string> again = CheckpointText(*parsed);
  FEDGE_FUZZ_CHECK(again.ok());
  absl::StatusOr<Checkpoint> reparsed = ParseCheckpoint(*again);
  FEDGE_FUZZ_CHECK(reparsed.ok());
  FEDGE_FUZZ_CHECK(reparsed->origin == parsed->origin);
  FEDGE_FUZZ_CHECK(reparsed->size == parsed->size);
  FEDGE_FUZZ_CHECK(reparsed->root == parsed->root);
  FEDGE_FUZZ_CHECK(reparsed->extensions == parsed->extensions);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fedge::audit;
  fedge::fuzz::FuzzInput in(data, size);
  const uint8_t flags = in.U8();
  const std::string text(in.Rest());
  const auto& key = fedge::fuzz::FixedAuditKey();

  std::string note = text;
  bool signed_here = false;
  if ((flags & 1) != 0) {
    absl::StatusOr<std::string> s =
        SignNote(text, kAuditKeyName, key.private_key);
    if (s.ok()) {
      note = *s;
      signed_here = true;
    }
  }
  absl::StatusOr<std::string> opened =
      OpenNote(note, kAuditKeyName, key.public_key);
  if (signed_here) {
    FEDGE_FUZZ_CHECK(opened.ok());
    FEDGE_FUZZ_CHECK(*opened == text);
  }
  if (opened.ok()) {
    FEDGE_FUZZ_CHECK(absl::StartsWith(note, *opened));
    CheckCheckpointRoundTrip(*opened);
  }
  CheckCheckpointRoundTrip(text);
  return 0;
}
