#include "cli/command_support.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "common/util/logging.h"

namespace fedge::cli {

int Fail(absl::string_view command, absl::string_view message, int exit_code) {
  std::cerr << command << ": " << message << "\n";
  return exit_code;
}

int Fail(absl::string_view command, const absl::Status& status, int exit_code) {
  return Fail(command, status.message(), exit_code);
}

int UsageError(absl::string_view message, absl::string_view usage) {
  std::cerr << message << "\n\n" << usage;
  return kExitUsage;
}

absl::Status ApplyLogLevel(const ParsedFlags& flags) {
  if (!flags.Has("log-level")) return absl::OkStatus();
  util::LogLevel level;
  if (!util::ParseLogLevel(flags.Get("log-level"), &level)) {
    return absl::InvalidArgumentError(
        "--log-level must be debug, info, warning or error");
  }
  util::SetMinLogLevel(level);
  return absl::OkStatus();
}

std::optional<ParsedFlags> ParseConfigCommandFlags(const ConfigCommand& command,
                                                   const Args& args,
                                                   int* exit_code) {
  absl::StatusOr<ParsedFlags> flags =
      ParseFlags(*command.flags, args, command.name);
  if (!flags.ok()) {
    *exit_code = UsageError(flags.status().message(), command.usage);
    return std::nullopt;
  }
  if (flags->Switch("help")) {
    std::cout << command.usage;
    *exit_code = kExitOk;
    return std::nullopt;
  }
  if (command.reject_positional && !flags->positional().empty()) {
    *exit_code =
        UsageError(absl::StrCat(command.name, ": unexpected argument '",
                                flags->positional()[0], "'"),
                   command.usage);
    return std::nullopt;
  }
  if (absl::Status s = ApplyLogLevel(*flags); !s.ok()) {
    *exit_code = Fail(command.name, s, kExitUsage);
    return std::nullopt;
  }
  if (absl::Status s = RequireFlag(*flags, "config", command.name); !s.ok()) {
    *exit_code = UsageError(s.message(), command.usage);
    return std::nullopt;
  }
  return *std::move(flags);
}

}  // namespace fedge::cli
