// `fedge server`: runs the aggregator described by a YAML config.

#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/command.h"
#include "cli/command_support.h"
#include "cli/flags.h"
#include "cli/signal_watcher.h"
#include "common/config/server_config.h"
#include "server/federation_server.h"
#include "site/site_link.h"

namespace fedge::cli {
namespace {

constexpr char kCommand[] = "fedge server";

constexpr char kUsage[] =
    "usage: fedge server --config FILE [flags]\n"
    "\n"
    "Runs a federation: waits for clients, runs the configured rounds and\n"
    "writes state, checkpoints and metrics to the run directory. Ctrl-C\n"
    "stops the server cleanly (the round in progress is abandoned, the last\n"
    "committed model stands, clients wait and reconnect); running it again\n"
    "with the same run directory resumes after the last recorded round.\n"
    "`fedge admin stop` ends the run for good.\n"
    "\n"
    "Once the run has ended the server keeps answering until its clients\n"
    "have fetched the final model (at most run.final_model_grace), or, with\n"
    "run.after_end: serve, until it is stopped.\n"
    "\n"
    "Flags override the config file's keys of the same meaning.\n"
    "\n"
    "flags:\n";

const std::vector<FlagDef>& Flags() {
  static const auto* flags = new std::vector<FlagDef>{
      {"config", "FILE", "server config (YAML; see docs/configuration.md)"},
      {"run-dir", "DIR", "run directory (config: run.dir)"},
      {"listen", "HOST:PORT", "gRPC address (config: listen)"},
      {"metrics-listen", "HOST:PORT",
       "Prometheus /metrics address, \"\" to disable (config: "
       "metrics_listen)"},
      {"rounds", "N", "number of rounds (config: rounds)"},
      {"insecure-local-demo", "",
       "plaintext gRPC without client authentication; for a local demo only"},
      {"no-progress", "", "print plain log lines only"},
      {"log-level", "LEVEL", "debug, info, warning or error (default: info)"},
      {"help", "", "show this help"},
  };
  return *flags;
}

}  // namespace

int RunServer(const Args& args) {
  int exit_code = kExitOk;
  std::optional<ParsedFlags> flags = ParseConfigCommandFlags(
      {kCommand, absl::StrCat(kUsage, FlagsUsage(Flags())), &Flags()}, args,
      &exit_code);
  if (!flags.has_value()) return exit_code;
  auto config = config::LoadServerConfig(flags->Get("config"));
  if (!config.ok()) return Fail(kCommand, config.status(), kExitUsage);
  if (flags->Has("run-dir")) config->run_dir = flags->Get("run-dir");
  if (flags->Has("listen")) config->listen_address = flags->Get("listen");
  if (flags->Has("metrics-listen")) {
    config->metrics_address = flags->Get("metrics-listen");
  }
  if (flags->Has("rounds")) {
    uint32_t rounds = 0;
    if (!absl::SimpleAtoi(flags->Get("rounds"), &rounds) || rounds == 0) {
      return Fail(kCommand,
                  absl::StrCat("--rounds must be a positive integer, got '",
                               flags->Get("rounds"), "'"),
                  kExitUsage);
    }
    config->rounds = rounds;
  }

  // A site aggregator runs its rounds when its upstream asks for them.
  std::unique_ptr<site::SiteLink> upstream;
  if (config->upstream.enabled()) {
    if (flags->Has("rounds")) {
      return Fail(kCommand,
                  "--rounds does not apply to a site aggregator: it runs one "
                  "round for each round of its upstream",
                  kExitUsage);
    }
    upstream = std::make_unique<site::SiteLink>(*config);
  }
  const bool serve_after_end = config->after_end == "serve";
  const absl::Duration final_model_grace = config->final_model_grace;
  server::ServerOptions options;
  options.config = *std::move(config);
  options.driver = upstream.get();
  options.insecure_local_demo = flags->Switch("insecure-local-demo");
  options.show_progress = !flags->Switch("no-progress");

  // Before any thread starts, so every thread inherits the blocked signals.
  server::FederationServer* running = nullptr;
  bool run_over = false;
  absl::Mutex mu;
  SignalWatcher watcher([&](const std::string& why) {
    absl::MutexLock lock(&mu);
    if (run_over) {
      std::cerr << "\nfedge server: " << why
                << "; the run had ended, stopping (again to force).\n";
    } else {
      std::cerr << "\nfedge server: " << why
                << "; stopping (again to force). Clients keep waiting; start "
                   "the server again with the same run directory to resume.\n";
    }
    if (running != nullptr) running->Interrupt(why);
  });

  auto server = server::FederationServer::Start(std::move(options));
  if (!server.ok()) return Fail(kCommand, server.status(), kExitFailure);
  {
    absl::MutexLock lock(&mu);
    running = server->get();
  }
  absl::Status result = (*server)->Wait();
  server::RunSummary summary = (*server)->run_state().summary();
  auto model = (*server)->run_state().model();
  std::string run_dir = (*server)->run_dir();
  if (result.ok() && summary.state == "finished") {
    {
      absl::MutexLock lock(&mu);
      run_over = true;
    }
    if (serve_after_end) {
      std::cerr << "fedge server: the run has ended; still answering (late "
                   "clients are told it ended and may fetch the final "
                   "model) until stopped (run.after_end: serve)\n";
      (*server)->ServeUntilInterrupted();
    } else if (final_model_grace > absl::ZeroDuration()) {
      // Clients told the run ended fetch the final model now; stay until
      // they have (the edge quiet for 2 s), at most for the grace.
      if (!(*server)->AwaitClientsQuiet(absl::Seconds(2), final_model_grace)) {
        std::cerr << "fedge server: leaving while clients were still "
                     "fetching the final model (run.final_model_grace "
                  << absl::FormatDuration(final_model_grace)
                  << " passed, or the server was stopped); they keep the "
                     "model they hold\n";
      }
    }
  }
  {
    absl::MutexLock lock(&mu);
    running = nullptr;
  }
  (*server)->Shutdown();
  if (!result.ok()) return Fail(kCommand, result, kExitFailure);
  if (summary.state == "stopped") {
    std::cout << "server stopped before the run finished; start it again "
                 "with the same config and run directory to resume\n";
  }
  std::cout << absl::StrFormat("global model: version %d, sha256 %s\n",
                               model ? model->version : 0,
                               model ? crypto::ToHex(model->sha256) : "-");
  if (summary.last_accuracy > 0) {
    std::cout << absl::StrFormat(
        "accuracy on the evaluation set: %.2f%% (loss %.4f)\n",
        100 * summary.last_accuracy, summary.last_loss);
  }
  std::cout << "run directory: " << run_dir << "\n";
  return kExitOk;
}

}  // namespace fedge::cli
