#include "common/audit/record_log.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "common/util/file_util.h"

namespace fedge::audit {
namespace {

constexpr char kMagic[] = "FEDGELG1";
constexpr size_t kMagicBytes = 8;
constexpr size_t kHeaderBytes = 8;  // length + crc

uint32_t FrameCrc(const char* length_bytes, absl::string_view payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(length_bytes), 4);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(payload.data()),
              static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

std::string Frame(absl::string_view payload) {
  std::string frame(kHeaderBytes, '\0');
  absl::little_endian::Store32(frame.data(),
                               static_cast<uint32_t>(payload.size()));
  absl::little_endian::Store32(frame.data() + 4,
                               FrameCrc(frame.data(), payload));
  frame.append(payload.data(), payload.size());
  return frame;
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, absl::string_view bytes,
                      const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

// Parses a whole log file's bytes.
absl::StatusOr<LogContents> Parse(absl::string_view bytes,
                                  const std::string& path) {
  LogContents contents;
  if (bytes.size() < kMagicBytes) {
    // A crash while creating the file leaves a prefix of the magic at most.
    if (absl::string_view(kMagic, bytes.size()) != bytes) {
      return absl::DataLossError(
          absl::StrCat(path, " is not a fedge audit log (bad magic)"));
    }
    contents.torn_tail_bytes = bytes.size();
    return contents;
  }
  if (bytes.substr(0, kMagicBytes) != absl::string_view(kMagic, kMagicBytes)) {
    return absl::DataLossError(
        absl::StrCat(path, " is not a fedge audit log (bad magic)"));
  }
  size_t offset = kMagicBytes;
  while (offset < bytes.size()) {
    const size_t left = bytes.size() - offset;
    if (left < kHeaderBytes) break;  // torn header
    const char* header = bytes.data() + offset;
    const uint32_t length = absl::little_endian::Load32(header);
    const uint32_t crc = absl::little_endian::Load32(header + 4);
    if (length > kMaxRecordBytes) {
      return absl::DataLossError(
          absl::StrCat(path, ": record ", contents.records.size(),
                       " at offset ", offset, " claims ", length,
                       " bytes, more than any record may have: the "
                       "log is damaged"));
    }
    if (left - kHeaderBytes < length) break;  // torn payload
    absl::string_view payload = bytes.substr(offset + kHeaderBytes, length);
    if (FrameCrc(header, payload) != crc) {
      return absl::DataLossError(absl::StrCat(
          path, ": record ", contents.records.size(), " at offset ", offset,
          " fails its checksum: the log is damaged"));
    }
    contents.records.emplace_back(payload);
    offset += kHeaderBytes + length;
  }
  // `offset` is the end of the last whole record; anything after it is a
  // torn tail.
  contents.valid_bytes = offset;
  contents.torn_tail_bytes = bytes.size() - offset;
  return contents;
}

}  // namespace

absl::StatusOr<LogContents> ReadRecordLog(const std::string& path) {
  if (!util::PathExists(path)) {
    return absl::NotFoundError(absl::StrCat("no audit log at ", path));
  }
  absl::StatusOr<std::string> bytes = util::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return Parse(*bytes, path);
}

absl::StatusOr<std::unique_ptr<RecordLogWriter>> RecordLogWriter::Open(
    const std::string& path, uint64_t* dropped_tail_bytes) {
  LogContents contents;
  const bool exists = util::PathExists(path);
  if (exists) {
    absl::StatusOr<LogContents> read = ReadRecordLog(path);
    if (!read.ok()) return read.status();
    contents = *std::move(read);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", path);
  const uint64_t end =
      contents.valid_bytes == 0 ? kMagicBytes : contents.valid_bytes;
  const uint64_t count = contents.records.size();
  std::unique_ptr<RecordLogWriter> writer(
      new RecordLogWriter(path, fd, count, end, std::move(contents.records)));
  if (!exists || contents.valid_bytes == 0) {
    // New, or torn while being created: start over with the magic.
    if (::ftruncate(fd, 0) != 0) return Errno("cannot truncate", path);
    if (::lseek(fd, 0, SEEK_SET) < 0) return Errno("cannot seek in", path);
    absl::Status written =
        WriteAll(fd, absl::string_view(kMagic, kMagicBytes), path);
    if (!written.ok()) return written;
    if (::fsync(fd) != 0) return Errno("cannot sync", path);
  } else if (contents.torn_tail_bytes > 0) {
    if (::ftruncate(fd, static_cast<off_t>(contents.valid_bytes)) != 0) {
      return Errno("cannot cut the torn tail of", path);
    }
    if (::fsync(fd) != 0) return Errno("cannot sync", path);
  }
  if (dropped_tail_bytes != nullptr) {
    *dropped_tail_bytes = exists ? contents.torn_tail_bytes : 0;
  }
  if (::lseek(fd, 0, SEEK_END) < 0) return Errno("cannot seek in", path);
  return writer;
}

RecordLogWriter::~RecordLogWriter() { ::close(fd_); }

absl::StatusOr<uint64_t> RecordLogWriter::Append(absl::string_view payload,
                                                 Durability durability) {
  if (payload.size() > kMaxRecordBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("an audit record of ", payload.size(),
                     " bytes is over the limit of ", kMaxRecordBytes));
  }
  const std::string frame = Frame(payload);
  absl::Status written = WriteAll(fd_, frame, path_);
  if (written.ok() && durability == Durability::kSynced && ::fsync(fd_) != 0) {
    written = Errno("cannot sync", path_);
  }
  if (!written.ok()) {
    // Take back whatever part of the frame reached the file, so that the
    // next append does not follow a torn record.
    if (::ftruncate(fd_, static_cast<off_t>(end_)) == 0) {
      ::lseek(fd_, 0, SEEK_END);
    }
    return written;
  }
  end_ += frame.size();
  return count_++;
}

absl::Status RecordLogWriter::Sync() {
  if (::fsync(fd_) != 0) return Errno("cannot sync", path_);
  return absl::OkStatus();
}

}  // namespace fedge::audit
