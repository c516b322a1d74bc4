#ifndef FEDGE_COMMON_UTIL_FILE_UTIL_H_
#define FEDGE_COMMON_UTIL_FILE_UTIL_H_

// The one seam through which fedge touches the file system for state it must
// not lose: whole-file reads, atomic replacement and directory creation.

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fedge::util {

// Reads a whole file. NotFound if it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Replaces `path` with `data` atomically: writes a temporary file in the same
// directory, fsyncs it, renames it over `path` and fsyncs the directory. On
// failure the old file (if any) is unchanged. The file gets permissions `mode`
// (e.g. 0600 for private keys) from the moment it is created.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view data, mode_t mode = 0644);

// Creates `path` and its missing parents with `mode`. OK if it exists as a
// directory.
absl::Status MakeDirectories(const std::string& path, mode_t mode = 0755);

// True if `path` exists (any type).
bool PathExists(const std::string& path);

// Returns FailedPrecondition if the file at `path` can be read or written by
// its group or by others; the message names the file and the chmod to run.
absl::Status CheckPrivateFile(const std::string& path);

// Joins path components with '/'.
std::string JoinPath(absl::string_view a, absl::string_view b);

}  // namespace fedge::util

#endif  // FEDGE_COMMON_UTIL_FILE_UTIL_H_
