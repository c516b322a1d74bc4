// `fedge pki`: creates and maintains a federation's certificates.

#include <algorithm>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/command_support.h"
#include "cli/flags.h"
#include "common/pki/authority.h"

namespace fedge::cli {
namespace {

constexpr char kCommand[] = "fedge pki";

constexpr char kUsage[] =
    "usage: fedge pki <command> [flags]\n"
    "\n"
    "Creates and maintains a federation's certificates. Private keys are\n"
    "written mode 0600. ca.key signs certificates and revocations: keep it\n"
    "on the operator's machine, never on the aggregator or a device.\n"
    "\n"
    "commands:\n"
    "  init           create the CA, server, admin and audit keys and an\n"
    "                 empty revocation list in --dir\n"
    "  issue-client   issue clients/<id>.crt and .key for a device\n"
    "  issue-simulator\n"
    "                 issue simulators/<id>.crt and .key for one shard of\n"
    "                 `fedge sim --shard` (servers accept it only with\n"
    "                 simulation.accept_virtual_clients)\n"
    "  revoke         add a device's certificate to crl.pem; running servers\n"
    "                 refuse it from its next connection on\n"
    "\n"
    "`fedge pki <command> --help` lists the command's flags.\n";

const std::vector<FlagDef>& InitFlags() {
  static const auto* flags = new std::vector<FlagDef>{
      {"dir", "DIR", "PKI directory to create (required)"},
      {"server-name", "NAME",
       "DNS name or IP address clients use to reach the server (default: "
       "localhost and 127.0.0.1)",
       /*repeated=*/true},
      {"federation", "NAME",
       "federation name in the CA's subject (default: "
       "fedge)"},
      {"days", "N",
       "validity of the server and admin certificates (default: "
       "825)"},
      {"force", "", "replace an existing PKI in DIR"},
  };
  return *flags;
}

const std::vector<FlagDef>& IssueFlags() {
  static const auto* flags = new std::vector<FlagDef>{
      {"dir", "DIR", "PKI directory made by `fedge pki init` (required)"},
      {"id", "ID",
       "device id: 1-64 of [A-Za-z0-9._-], not starting with '.' or '-' "
       "(required)"},
      {"days", "N", "validity of the certificate (default: 825)"},
  };
  return *flags;
}

const std::vector<FlagDef>& RevokeFlags() {
  static const auto* flags = new std::vector<FlagDef>{
      {"dir", "DIR", "PKI directory made by `fedge pki init` (required)"},
      {"id", "ID", "device whose certificate to revoke (required)"},
  };
  return *flags;
}

// "  <path>  <what it is>" lines, the descriptions aligned.
std::string Listing(
    const std::vector<std::pair<std::string, std::string>>& files) {
  size_t width = 0;
  for (const auto& [path, what] : files) width = std::max(width, path.size());
  std::string out;
  for (const auto& [path, what] : files) {
    absl::StrAppend(&out, "  ", path, std::string(width - path.size() + 2, ' '),
                    what, "\n");
  }
  return out;
}

// Reports an error of the PKI library. A value it rejects came from a flag:
// a usage error.
int LibraryFailure(const absl::Status& status) {
  return Fail(kCommand, status,
              status.code() == absl::StatusCode::kInvalidArgument
                  ? kExitUsage
                  : kExitFailure);
}

bool WantsHelp(const Args& args) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") return true;
    if (arg == "--") break;
  }
  return false;
}

bool Declared(const std::vector<FlagDef>& defs, const std::string& name) {
  return std::any_of(defs.begin(), defs.end(),
                     [&](const FlagDef& def) { return def.name == name; });
}

// Parses the subcommand's flags and handles --help. --dir, and --id where
// declared, are required. Returns false with `*exit_code` set if the command
// must stop here.
bool Parse(const std::string& name, const std::vector<FlagDef>& defs,
           const Args& args, ParsedFlags* flags, int* exit_code) {
  if (WantsHelp(args)) {
    std::cout << "usage: fedge pki " << name << " [flags]\n\nflags:\n"
              << FlagsUsage(defs);
    *exit_code = kExitOk;
    return false;
  }
  absl::StatusOr<ParsedFlags> parsed = ParseFlags(defs, args, name);
  if (!parsed.ok()) {
    *exit_code = Fail(kCommand, parsed.status(), kExitUsage);
    return false;
  }
  if (!parsed->positional().empty()) {
    *exit_code = Fail(kCommand,
                      absl::StrCat(name, ": unexpected argument '",
                                   parsed->positional().front(), "'"),
                      kExitUsage);
    return false;
  }
  for (const char* flag : {"dir", "id"}) {
    if (!Declared(defs, flag)) continue;
    absl::Status required = RequireFlag(*parsed, flag, name);
    if (!required.ok()) {
      *exit_code = Fail(kCommand, required, kExitUsage);
      return false;
    }
  }
  *flags = std::move(*parsed);
  return true;
}

// --days, if given; `*days` is left alone otherwise.
bool ParseDays(const std::string& name, const ParsedFlags& flags, int* days,
               int* exit_code) {
  if (!flags.Has("days")) return true;
  const std::string text = flags.Get("days");
  if (!absl::SimpleAtoi(text, days) || *days < 1) {
    *exit_code = Fail(kCommand,
                      absl::StrCat(name,
                                   ": --days must be a positive whole number "
                                   "of days, got '",
                                   text, "'"),
                      kExitUsage);
    return false;
  }
  return true;
}

int RunInit(const Args& args) {
  ParsedFlags flags;
  int exit_code = kExitOk;
  if (!Parse("init", InitFlags(), args, &flags, &exit_code)) return exit_code;
  pki::InitOptions options;
  if (!ParseDays("init", flags, &options.validity_days, &exit_code)) {
    return exit_code;
  }
  if (flags.Has("server-name"))
    options.server_names = flags.GetAll("server-name");
  if (flags.Has("federation"))
    options.federation_name = flags.Get("federation");
  options.force = flags.Switch("force");
  const std::string dir = flags.Get("dir");
  absl::Status status = pki::InitFederation(dir, options);
  if (!status.ok()) return LibraryFailure(status);

  pki::PkiPaths paths(dir);
  std::cout << "created federation '" << options.federation_name << "' in "
            << dir << ":\n"
            << Listing(
                   {{paths.ca_cert(),
                     "CA certificate (copy to every "
                     "server and client)"},
                    {paths.ca_key(), "CA private key (operator only)"},
                    {paths.server_cert(), "server certificate"},
                    {paths.server_key(), "server private key"},
                    {paths.admin_cert(), "admin certificate"},
                    {paths.admin_key(), "admin private key"},
                    {paths.audit_key(), "audit signing key (Ed25519)"},
                    {paths.audit_pub(), "audit verification key"},
                    {paths.crl(), "revocation list (empty)"},
                    {paths.issued_index(), "index of issued certificates"}});
  return kExitOk;
}

// What `issue-client` and `issue-simulator` differ in.
struct IssueKind {
  const char* command;
  absl::Status (*issue)(const std::string& dir, const std::string& id,
                        int validity_days);
  const char* issued_to;  // "device" / "simulator"
  std::string (pki::PkiPaths::*cert)(const std::string& id) const;
  std::string (pki::PkiPaths::*key)(const std::string& id) const;
  const char* key_note;
};

int RunIssue(const Args& args, const IssueKind& kind) {
  ParsedFlags flags;
  int exit_code = kExitOk;
  if (!Parse(kind.command, IssueFlags(), args, &flags, &exit_code)) {
    return exit_code;
  }
  int days = 825;
  if (!ParseDays(kind.command, flags, &days, &exit_code)) return exit_code;
  const std::string dir = flags.Get("dir");
  const std::string id = flags.Get("id");
  absl::Status status = kind.issue(dir, id, days);
  if (!status.ok()) return LibraryFailure(status);
  pki::PkiPaths paths(dir);
  std::cout << "issued a certificate to " << kind.issued_to << " '" << id
            << "':\n"
            << Listing({{(paths.*kind.cert)(id), "certificate"},
                        {(paths.*kind.key)(id), kind.key_note}});
  return kExitOk;
}

int RunIssueClient(const Args& args) {
  return RunIssue(
      args,
      {"issue-client", &pki::IssueClient, "device", &pki::PkiPaths::client_cert,
       &pki::PkiPaths::client_key, "private key (copy to the device only)"});
}

int RunIssueSimulator(const Args& args) {
  return RunIssue(
      args, {"issue-simulator", &pki::IssueSimulator, "simulator",
             &pki::PkiPaths::simulator_cert, &pki::PkiPaths::simulator_key,
             "private key (for `fedge sim --shard` only)"});
}

int RunRevoke(const Args& args) {
  ParsedFlags flags;
  int exit_code = kExitOk;
  if (!Parse("revoke", RevokeFlags(), args, &flags, &exit_code)) {
    return exit_code;
  }
  const std::string dir = flags.Get("dir");
  const std::string id = flags.Get("id");
  absl::Status status = pki::RevokeClient(dir, id);
  if (!status.ok()) return LibraryFailure(status);
  pki::PkiPaths paths(dir);
  std::cout << "revoked device '" << id << "':\n"
            << Listing(
                   {{paths.crl(), absl::StrCat("updated: servers refuse '", id,
                                               "' from its next connection")},
                    {paths.issued_index(), "updated"}});
  return kExitOk;
}

}  // namespace

int RunPki(const Args& args) {
  if (args.empty()) {
    std::cerr << kUsage;
    return kExitUsage;
  }
  const std::string& command = args.front();
  const Args rest(args.begin() + 1, args.end());
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  if (command == "init") return RunInit(rest);
  if (command == "issue-client") return RunIssueClient(rest);
  if (command == "issue-simulator") return RunIssueSimulator(rest);
  if (command == "revoke") return RunRevoke(rest);
  return UsageError(
      absl::StrCat(
          kCommand, ": unknown command '", command,
          "' (expected init, issue-client, issue-simulator or revoke)"),
      kUsage);
}

}  // namespace fedge::cli
