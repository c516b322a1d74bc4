// Feeds a hostile audit log directory (records.log and checkpoints.log,
// common/audit/audit_log.h) to VerifyAuditLog and ReadLogOrigin, as an
// auditor runs them on a directory it was handed.
//
// Input: u8 flags, then the two files. Flags bit 0: records.log is given
// raw (u16 length, bytes); otherwise it is a count u8 and length-prefixed
// records the harness frames. Bit 1: checkpoints.log is the rest of the
// input, raw; otherwise the rest is length-prefixed checkpoint texts that
// the harness signs with the fixed fuzz key and frames, so the fuzzer gets
// past the signatures to the Merkle checks. Checks: a verified log's counts
// agree with its records, and the records are what the file holds.

#include <cstdint>
#include <string>
#include <vector>

#include "common/audit/audit_log.h"
#include "common/audit/record_log.h"
#include "common/audit/signed_note.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fedge::audit;
  fedge::fuzz::FuzzInput in(data, size);
  const uint8_t flags = in.U8();
  const auto& key = fedge::fuzz::FixedAuditKey();
  const std::string dir = fedge::fuzz::TempDir();

  std::string records_file;
  if ((flags & 1) != 0) {
    records_file = std::string(in.LengthPrefixed());
  } else {
    std::vector<std::string> records;
    const int n = in.U8() % 32;
    for (int i = 0; i < n; ++i) records.emplace_back(in.LengthPrefixed());
    records_file = fedge::fuzz::FrameRecordLog(records);
  }
  std::string checkpoints_file;
  if ((flags & 2) != 0) {
    checkpoints_file = std::string(in.Rest());
  } else {
    std::vector<std::string> notes;
    while (!in.empty() && notes.size() < 16) {
      absl::string_view text = in.LengthPrefixed();
      absl::StatusOr<std::string> note =
          SignNote(text, kAuditKeyName, key.private_key);
      notes.push_back(note.ok() ? *note : std::string(text));
    }
    checkpoints_file = fedge::fuzz::FrameRecordLog(notes);
  }
  fedge::fuzz::WriteFileOrDie(dir + "/records.log", records_file);
  fedge::fuzz::WriteFileOrDie(dir + "/checkpoints.log", checkpoints_file);

  absl::StatusOr<std::string> origin = ReadLogOrigin(dir);
  absl::StatusOr<VerifiedLog> log =
      VerifyAuditLog(dir, origin.ok() ? *origin : "fedge/fuzz", key.public_key);
  if (!log.ok()) return 0;
  FEDGE_FUZZ_CHECK(log->entries == log->records.size());
  FEDGE_FUZZ_CHECK(log->unsigned_entries <= log->entries);
  FEDGE_FUZZ_CHECK((log->checkpoints == 0) == log->last_checkpoint.empty());
  absl::StatusOr<LogContents> contents = ReadRecordLog(dir + "/records.log");
  FEDGE_FUZZ_CHECK(contents.ok());
  FEDGE_FUZZ_CHECK(contents->records == log->records);
  return 0;
}
