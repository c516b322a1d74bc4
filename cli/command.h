#ifndef FEDGE_CLI_COMMAND_H_
#define FEDGE_CLI_COMMAND_H_

// Each `fedge` subcommand is a function from its arguments (the words after
// the subcommand) to a process exit status. They print their own errors.

#include <string>
#include <vector>

namespace fedge::cli {

using Args = std::vector<std::string>;

// Exit statuses shared by all subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the job failed
inline constexpr int kExitUsage = 2;    // bad flags or config

int RunPki(const Args& args);     // cli/pki_command.cc
int RunServer(const Args& args);  // cli/server_command.cc
int RunClient(const Args& args);  // cli/client_command.cc
int RunAdmin(const Args& args);   // cli/admin_command.cc
int RunSim(const Args& args);     // cli/sim_command.cc
int RunAudit(const Args& args);   // cli/audit_command.cc
int RunServe(const Args& args);   // cli/serve_command.cc

}  // namespace fedge::cli

#endif  // FEDGE_CLI_COMMAND_H_
