#include "common/util/progress.h"

#include <unistd.h>

#include "absl/strings/str_format.h"

namespace fedge::util {

Progress::Progress(FILE* out) : Progress(out, ::isatty(::fileno(out)) == 1) {}

Progress::Progress(FILE* out, bool interactive)
    : out_(out), interactive_(interactive) {}

Progress::~Progress() { Clear(); }

void Progress::Status(absl::string_view line) {
  if (!interactive_) return;
  absl::MutexLock lock(&mu_);
  status_ = std::string(line);
  // \r returns to column 0; \033[K clears the rest of the old line.
  absl::FPrintF(out_, "\r%s\033[K", status_);
  std::fflush(out_);
}

void Progress::Line(absl::string_view line) {
  absl::MutexLock lock(&mu_);
  if (interactive_) {
    absl::FPrintF(out_, "\r\033[K%s\n", line);
    if (!status_.empty()) absl::FPrintF(out_, "%s", status_);
  } else {
    absl::FPrintF(out_, "%s\n", line);
  }
  std::fflush(out_);
}

void Progress::Clear() {
  absl::MutexLock lock(&mu_);
  ClearLocked();
}

void Progress::ClearLocked() {
  if (interactive_ && !status_.empty()) {
    absl::FPrintF(out_, "\r\033[K");
    std::fflush(out_);
  }
  status_.clear();
}

std::string Progress::FormatEta(absl::Duration remaining) {
  if (remaining < absl::ZeroDuration()) remaining = absl::ZeroDuration();
  int64_t seconds = absl::ToInt64Seconds(remaining);
  int64_t h = seconds / 3600, m = (seconds / 60) % 60, s = seconds % 60;
  if (h > 0) return absl::StrFormat("%d:%02d:%02d", h, m, s);
  return absl::StrFormat("%d:%02d", m, s);
}

}  // namespace fedge::util
