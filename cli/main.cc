// fedge: one binary, subcommands in the manner of git and kubectl.

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cli/command.h"

namespace {

constexpr char kUsage[] =
    "fedge — federated learning with data that stays on the device\n"
    "\n"
    "usage: fedge <command> [flags]\n"
    "\n"
    "commands:\n"
    "  pki init|issue-client|revoke   certificates for a federation\n"
    "  server --config F              run the aggregator\n"
    "  client --config F              run an edge client\n"
    "  client withdraw --config F     withdraw this device's consent\n"
    "  admin status|clients|stop|revoke|erase   operate a running server\n"
    "  sim --config F                 simulate a fleet of virtual clients\n"
    "  audit verify|verify-receipt|report   check a run's audit log; write\n"
    "                                 its GDPR compliance report\n"
    "  serve --model PATH             answer predictions with a global model\n"
    "  version                        print the version\n"
    "\n"
    "`fedge <command> --help` describes a command's flags. Documentation:\n"
    "docs/ in the source tree.\n";

}  // namespace

int main(int argc, char** argv) {
#ifdef NDEBUG
  // Debian's Abseil is built with Mutex deadlock detection on, which keeps
  // a global graph of lock orders updated on every lock taken: a few
  // percent of a busy aggregator's or simulator's CPU. Debug and sanitizer
  // builds (and the tests) keep it as a check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" ||
      args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? fedge::cli::kExitUsage : fedge::cli::kExitOk;
  }
  if (args[0] == "version" || args[0] == "--version") {
    std::printf("fedge %s\n", FEDGE_VERSION_STRING);
    return fedge::cli::kExitOk;
  }
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "pki") return fedge::cli::RunPki(rest);
  if (command == "server") return fedge::cli::RunServer(rest);
  if (command == "client") return fedge::cli::RunClient(rest);
  if (command == "admin") return fedge::cli::RunAdmin(rest);
  if (command == "sim") return fedge::cli::RunSim(rest);
  if (command == "audit") return fedge::cli::RunAudit(rest);
  if (command == "serve") return fedge::cli::RunServe(rest);
  std::fprintf(stderr, "fedge: unknown command '%s'\n\n%s", command.c_str(),
               kUsage);
  return fedge::cli::kExitUsage;
}
