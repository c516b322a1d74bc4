#ifndef FEDGE_COMMON_UTIL_PROGRESS_H_
#define FEDGE_COMMON_UTIL_PROGRESS_H_

// Progress of a long job. On a terminal, a status line is redrawn in place and
// finished steps scroll above it; elsewhere (logs, CI) only the finished steps
// are printed, one plain line each, so logs stay readable.

#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace fedge::util {

class Progress {
 public:
  // Writes to `out` (default stderr). `interactive` is detected with isatty
  // unless forced.
  explicit Progress(FILE* out = stderr);
  Progress(FILE* out, bool interactive);
  ~Progress();

  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Replaces the transient status line (terminal only).
  void Status(absl::string_view line);

  // Prints a permanent line (both modes), keeping the status line below it.
  void Line(absl::string_view line);

  // Clears the status line.
  void Clear();

  bool interactive() const { return interactive_; }

  // "1:05" / "12:03:09" for an estimated time remaining.
  static std::string FormatEta(absl::Duration remaining);

 private:
  void ClearLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FILE* out_;
  bool interactive_;
  absl::Mutex mu_;
  std::string status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::util

#endif  // FEDGE_COMMON_UTIL_PROGRESS_H_
