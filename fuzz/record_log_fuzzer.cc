// Feeds arbitrary bytes, as a file, to the audit log's record file reader
// (common/audit/record_log.h) and to RecordLogWriter::Open, which repairs a
// torn tail. Checks: a readable file splits exactly into whole frames and a
// torn tail (framing the records again gives the file's first valid_bytes
// bytes); Open keeps the same records, drops exactly the torn tail, and a
// record appended afterwards reads back after them.

#include <cstdint>
#include <string>

#include "common/audit/record_log.h"
#include "common/util/file_util.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fedge::audit;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::string path = fedge::fuzz::TempDir() + "/records.log";
  fedge::fuzz::WriteFileOrDie(path, bytes);

  absl::StatusOr<LogContents> contents = ReadRecordLog(path);
  if (!contents.ok()) {
    FEDGE_FUZZ_CHECK(contents.status().code() == absl::StatusCode::kDataLoss);
    return 0;
  }
  FEDGE_FUZZ_CHECK(contents->valid_bytes + contents->torn_tail_bytes == size);
  if (contents->valid_bytes > 0) {
    FEDGE_FUZZ_CHECK(fedge::fuzz::FrameRecordLog(contents->records) ==
                     bytes.substr(0, contents->valid_bytes));
  } else {
    FEDGE_FUZZ_CHECK(contents->records.empty());
  }

  uint64_t dropped = 0;
  auto writer = RecordLogWriter::Open(path, &dropped);
  FEDGE_FUZZ_CHECK(writer.ok());
  FEDGE_FUZZ_CHECK((*writer)->existing() == contents->records);
  FEDGE_FUZZ_CHECK(contents->valid_bytes == 0 ||
                   dropped == contents->torn_tail_bytes);
  FEDGE_FUZZ_CHECK(
      (*writer)
          ->Append("appended", RecordLogWriter::Durability::kWritten)
          .ok());
  writer->reset();
  absl::StatusOr<LogContents> after = ReadRecordLog(path);
  FEDGE_FUZZ_CHECK(after.ok());
  FEDGE_FUZZ_CHECK(after->torn_tail_bytes == 0);
  FEDGE_FUZZ_CHECK(after->records.size() == contents->records.size() + 1);
  FEDGE_FUZZ_CHECK(after->records.back() == "appended");
  return 0;
}
