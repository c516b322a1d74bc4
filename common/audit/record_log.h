#ifndef FEDGE_COMMON_AUDIT_RECORD_LOG_H_
#define FEDGE_COMMON_AUDIT_RECORD_LOG_H_

// The audit log's file: an append-only sequence of records, each framed so
// that a write torn by a crash, or a damaged byte, is found when the file is
// read. The Merkle tree over the records (merkle_tree.h) makes the log
// tamper-evident; this framing makes it crash-safe.
//
// Layout: the 8-byte magic "FEDGELG1", then per record
//   length  uint32, little-endian: payload bytes
//   crc     uint32, little-endian: CRC-32 (zlib) of the length bytes and
//           the payload
//   payload length bytes
// A frame that ends before the file does is a torn tail: the record was
// never completely written (so never acknowledged). A complete frame whose
// checksum does not match is corruption.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fedge::audit {

// Largest payload a record may have; larger lengths are read as damage.
inline constexpr uint32_t kMaxRecordBytes = 16 << 20;

struct LogContents {
  std::vector<std::string> records;
  // Bytes after the last whole record that do not form one: a torn final
  // write. 0 for a cleanly closed log.
  uint64_t torn_tail_bytes = 0;
  // File offset just after the last whole record.
  uint64_t valid_bytes = 0;
};

// Reads every record of the log at `path`. NotFound if there is no file;
// DataLoss naming the record and its offset if the file is not a fedge log
// or a complete record is damaged. A torn tail is not an error: it is
// reported in `torn_tail_bytes`.
absl::StatusOr<LogContents> ReadRecordLog(const std::string& path);

// Appends records to a log, creating it if needed. Not thread-safe.
class RecordLogWriter {
 public:
  // Opens (or creates) the log at `path` and reads what it holds. A torn
  // tail is cut off (it was never acknowledged), and `dropped_tail_bytes`
  // says how much; damage to a whole record is an error, and the file is
  // left as it is.
  static absl::StatusOr<std::unique_ptr<RecordLogWriter>> Open(
      const std::string& path, uint64_t* dropped_tail_bytes = nullptr);
  ~RecordLogWriter();
  RecordLogWriter(const RecordLogWriter&) = delete;
  RecordLogWriter& operator=(const RecordLogWriter&) = delete;

  // The records already in the log when it was opened.
  const std::vector<std::string>& existing() const { return existing_; }
  uint64_t size() const { return count_; }

  enum class Durability {
    // fsync before returning: the record survives a power loss.
    kSynced,
    // Written to the file (it survives the process being killed) but
    // flushed to stable storage only by the next Sync() or synced append.
    kWritten,
  };

  // Appends one record and returns its index. InvalidArgument for a
  // payload over kMaxRecordBytes.
  absl::StatusOr<uint64_t> Append(absl::string_view payload,
                                  Durability durability = Durability::kSynced);
  // Flushes every record appended so far to stable storage.
  absl::Status Sync();

 private:
  RecordLogWriter(std::string path, int fd, uint64_t count, uint64_t end,
                  std::vector<std::string> existing)
      : path_(std::move(path)),
        fd_(fd),
        count_(count),
        end_(end),
        existing_(std::move(existing)) {}

  const std::string path_;
  const int fd_;
  uint64_t count_;
  uint64_t end_;  // file offset after the last whole record
  std::vector<std::string> existing_;
};

}  // namespace fedge::audit

#endif  // FEDGE_COMMON_AUDIT_RECORD_LOG_H_
