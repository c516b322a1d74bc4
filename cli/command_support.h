#ifndef FEDGE_CLI_COMMAND_SUPPORT_H_
#define FEDGE_CLI_COMMAND_SUPPORT_H_

// What the `fedge` subcommands share around their flags: reporting an error
// with the right exit status, and the standard handling of --help,
// --log-level and --config for the subcommands that run from a config file.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cli/command.h"
#include "cli/flags.h"

namespace fedge::cli {

// Prints "<command>: <message>" and a newline to stderr; returns `exit_code`.
int Fail(absl::string_view command, absl::string_view message, int exit_code);

// As above with the status's message.
int Fail(absl::string_view command, const absl::Status& status, int exit_code);

// Prints `message`, a blank line and `usage` to stderr; returns kExitUsage.
int UsageError(absl::string_view message, absl::string_view usage);

// Sets the process's minimum log level from --log-level if it was given.
// InvalidArgument "--log-level must be debug, info, warning or error" for any
// other value (the level is then unchanged).
absl::Status ApplyLogLevel(const ParsedFlags& flags);

// A subcommand that runs from a config file (`fedge server`, `fedge client`).
struct ConfigCommand {
  std::string name;   // e.g. "fedge server"
  std::string usage;  // full help text, flags included
  const std::vector<FlagDef>* flags = nullptr;
  bool reject_positional = false;  // a word that is not a flag is an error
};

// Parses `args` for `command`, checking in this order:
//   a malformed or unknown flag: the error, a blank line and the usage to
//     stderr, kExitUsage;
//   --help: the usage to stdout, kExitOk;
//   with reject_positional, a word that is not a flag: "<name>: unexpected
//     argument '<word>'", a blank line and the usage to stderr, kExitUsage;
//   --log-level: applied (ApplyLogLevel); an invalid level prints
//     "<name>: <error>" to stderr, kExitUsage;
//   no --config: "<name>: --config is required", a blank line and the usage
//     to stderr, kExitUsage.
// Returns the flags to run with, or nullopt with `*exit_code` set to the
// status the subcommand returns at once.
std::optional<ParsedFlags> ParseConfigCommandFlags(const ConfigCommand& command,
                                                   const Args& args,
                                                   int* exit_code);

}  // namespace fedge::cli

#endif  // FEDGE_CLI_COMMAND_SUPPORT_H_
