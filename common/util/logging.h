#ifndef FEDGE_COMMON_UTIL_LOGGING_H_
#define FEDGE_COMMON_UTIL_LOGGING_H_

// Minimal leveled logging to stderr (Debian's Abseil has no absl/log).
// Lines look like: "2026-11-27T22:15:03.123Z I server: round 3 committed".
// Logging is thread-safe; a line is written with one write(2).

#include <sstream>
#include <string>

#include "absl/strings/string_view.h"

namespace fedge::util {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Messages below `level` are dropped. Default: kInfo, or the value of the
// FEDGE_LOG_LEVEL environment variable (debug|info|warning|error).
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

// Parses "debug", "info", "warning" or "error".
bool ParseLogLevel(absl::string_view text, LogLevel* level);

// Writes one line to stderr if `level` is enabled.
void LogLine(LogLevel level, absl::string_view component,
             absl::string_view message);

// Collects a streamed message and writes it on destruction.
class LogMessage {
 public:
  LogMessage(LogLevel level, absl::string_view component)
      : level_(level), component_(component) {}
  ~LogMessage() { LogLine(level_, component_, stream_.str()); }
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::string component_;
  std::ostringstream stream_;
};

}  // namespace fedge::util

#define FEDGE_LOG(level, component)                                         \
  if (::fedge::util::LogLevel::k##level < ::fedge::util::MinLogLevel()) {   \
  } else                                                                    \
    ::fedge::util::LogMessage(::fedge::util::LogLevel::k##level, component) \
        .stream()

#endif  // FEDGE_COMMON_UTIL_LOGGING_H_
