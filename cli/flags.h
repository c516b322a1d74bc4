#ifndef FEDGE_CLI_FLAGS_H_
#define FEDGE_CLI_FLAGS_H_

// Command-line flags of one subcommand: `--name value`, `--name=value`,
// repeatable flags, boolean switches and positional arguments. Each
// subcommand declares its flags; anything undeclared is an error that lists
// what is accepted.

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fedge::cli {

struct FlagDef {
  std::string name;        // without the leading "--"
  std::string value_name;  // "" for a boolean switch
  std::string help;
  bool repeated = false;
};

class ParsedFlags {
 public:
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  // The last value given, or `fallback`.
  std::string Get(const std::string& name,
                  const std::string& fallback = "") const;
  // Every value of a repeated flag, in order.
  std::vector<std::string> GetAll(const std::string& name) const;
  bool Switch(const std::string& name) const { return Has(name); }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagDef>&,
                                                const std::vector<std::string>&,
                                                const std::string&);
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// Parses `args` (after the subcommand words) against `defs`. `command` names
// the subcommand in errors, e.g. "fedge pki init".
absl::StatusOr<ParsedFlags> ParseFlags(const std::vector<FlagDef>& defs,
                                       const std::vector<std::string>& args,
                                       const std::string& command);

// Usage text: one line per flag.
std::string FlagsUsage(const std::vector<FlagDef>& defs);

// InvalidArgument("<command>: --<name> is required") if it is missing.
absl::Status RequireFlag(const ParsedFlags& flags, const std::string& name,
                         const std::string& command);

}  // namespace fedge::cli

#endif  // FEDGE_CLI_FLAGS_H_
