// `fedge sim`: a fleet of virtual clients against the real aggregator, on
// this machine (the whole federation) or as one shard against a remote
// server.

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "cli/command.h"
#include "cli/command_support.h"
#include "cli/flags.h"
#include "cli/signal_watcher.h"
#include "common/util/logging.h"
#include "simulations/shard_runner.h"
#include "simulations/sim_config.h"
#include "simulations/simulation.h"

namespace fedge::cli {
namespace {

constexpr char kCommand[] = "fedge sim";

constexpr char kUsage[] =
    "usage: fedge sim --config FILE [--run-dir DIR] [--overwrite] [flags]\n"
    "       fedge sim --config FILE --shard I/N --server HOST:PORT --pki DIR\n"
    "                 [--simulator-id ID]\n"
    "\n"
    "Simulates a federation on this machine: the real aggregator and a fleet\n"
    "of virtual edge clients running the real client code over gRPC with\n"
    "mutual TLS. Writes metrics.csv, partition.json and report.html to the\n"
    "run directory. With --shard, runs slice I of N of the fleet against a\n"
    "remote `fedge server` (started with simulation.accept_virtual_clients)\n"
    "until it ends the run. See docs/simulation.md.\n"
    "\n"
    "flags:\n";

const std::vector<FlagDef>& Flags() {
  static const auto* flags = new std::vector<FlagDef>{
      {"config", "FILE", "simulation config (YAML; see docs/simulation.md)"},
      {"run-dir", "DIR", "run directory (config: run_dir)"},
      {"rounds", "N", "number of rounds (config: server.rounds)"},
      {"seed", "N", "seed of everything random (config: seed)"},
      {"overwrite", "", "replace an earlier simulation in the run directory"},
      {"shard", "I/N", "run slice I (from 0) of N against --server"},
      {"server", "HOST:PORT", "the remote aggregator (with --shard)"},
      {"pki", "DIR",
       "the federation's PKI: ca.crt, ca.key, simulators/ID.crt and .key "
       "from `fedge pki issue-simulator` (with --shard)"},
      {"simulator-id", "ID",
       "the simulator certificate to use (with --shard; default: "
       "shard-I)"},
      {"server-name", "NAME",
       "name on the server's certificate (with --shard; default: the host "
       "of --server)"},
      {"no-progress", "", "print plain lines only"},
      {"log-level", "LEVEL",
       "debug, info, warning or error (default: warning)"},
      {"help", "", "show this help"},
  };
  return *flags;
}

// "I/N" with 0 <= I < N.
bool ParseShard(const std::string& text, uint32_t* shard, uint32_t* count) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], shard) &&
         absl::SimpleAtoi(parts[1], count) && *count > 0 && *shard < *count;
}

int RunShard(const ParsedFlags& flags, sim::SimConfig config) {
  const std::string usage = absl::StrCat(kUsage, FlagsUsage(Flags()));
  sim::ShardOptions options;
  if (!ParseShard(flags.Get("shard"), &options.shard, &options.shard_count)) {
    return UsageError(
        absl::StrCat(kCommand, ": --shard must be I/N with 0 <= I < N, got '",
                     flags.Get("shard"), "'"),
        usage);
  }
  for (const char* required : {"server", "pki"}) {
    if (!flags.Has(required)) {
      return UsageError(absl::StrCat(kCommand, ": --shard needs --", required),
                        usage);
    }
  }
  options.config = std::move(config);
  options.server_address = flags.Get("server");
  options.pki_dir = flags.Get("pki");
  options.simulator_id = flags.Has("simulator-id")
                             ? flags.Get("simulator-id")
                             : absl::StrCat("shard-", options.shard);
  options.server_name = flags.Get("server-name");
  options.show_progress = !flags.Switch("no-progress");

  sim::ShardRunner* running = nullptr;
  absl::Mutex mu;
  SignalWatcher watcher([&](const std::string& why) {
    absl::MutexLock lock(&mu);
    std::cerr << "\n" << kCommand << ": " << why << "; stopping\n";
    if (running != nullptr) running->Stop();
  });
  auto runner = sim::ShardRunner::Create(std::move(options));
  if (!runner.ok()) return Fail(kCommand, runner.status(), kExitUsage);
  {
    absl::MutexLock lock(&mu);
    running = runner->get();
  }
  absl::StatusOr<sim::ShardResult> result = (*runner)->Run();
  {
    absl::MutexLock lock(&mu);
    running = nullptr;
  }
  if (!result.ok()) return Fail(kCommand, result.status(), kExitFailure);
  std::cout << absl::StrFormat(
      "%d virtual clients: %d updates accepted, %d rejected, %d finished, %d "
      "refused, in %.1f s\n",
      result->clients, result->stats.uploads_accepted,
      result->stats.uploads_rejected, result->finished, result->failed,
      result->wall_seconds);
  return kExitOk;
}

int RunLocal(const ParsedFlags& flags, sim::SimConfig config) {
  sim::SimulationOptions options;
  options.show_progress = !flags.Switch("no-progress");
  options.overwrite = flags.Switch("overwrite");

  sim::Simulation* running = nullptr;
  absl::Mutex mu;
  SignalWatcher watcher([&](const std::string& why) {
    absl::MutexLock lock(&mu);
    std::cerr << "\n"
              << kCommand << ": " << why
              << "; ending the simulation after writing its report\n";
    if (running != nullptr) running->Stop(why);
  });
  auto simulation = sim::Simulation::Create(std::move(config), options);
  if (!simulation.ok()) {
    // As in shard mode: 2 when the simulation could not start (run
    // directory, data, PKI), 1 when it failed while running.
    return Fail(kCommand, simulation.status(), kExitUsage);
  }
  {
    absl::MutexLock lock(&mu);
    running = simulation->get();
  }
  absl::StatusOr<sim::SimulationResult> result = (*simulation)->Run();
  {
    absl::MutexLock lock(&mu);
    running = nullptr;
  }
  if (!result.ok()) return Fail(kCommand, result.status(), kExitFailure);
  const sim::RoundRow* last = nullptr;
  for (const sim::RoundRow& row : result->rounds) {
    if (row.accuracy == row.accuracy) last = &row;  // not NaN
  }
  std::cout << absl::StrFormat("global model: version %d, sha256 %s\n",
                               result->model_version, result->model_sha256);
  if (last != nullptr) {
    std::cout << absl::StrFormat(
        "accuracy on the evaluation set after round %d: %.2f%% (loss "
        "%.4f)\n",
        last->round, 100 * last->accuracy, last->loss);
  }
  std::cout << absl::StrFormat(
      "%d rounds in %.1f s; clients trained %.1f s in all on %d threads; "
      "peak memory %.0f MiB\n",
      result->rounds.size(), result->wall_seconds, result->compute_seconds,
      result->threads, result->peak_rss_bytes / 1048576.0);
  std::cout << "report: " << result->run_dir << "/report.html\n";
  return kExitOk;
}

}  // namespace

int RunSim(const Args& args) {
  int exit_code = kExitOk;
  // Thousands of clients each logging every round drown the progress
  // display: warnings and errors only, unless asked.
  util::SetMinLogLevel(util::LogLevel::kWarning);
  std::optional<ParsedFlags> flags = ParseConfigCommandFlags(
      {kCommand, absl::StrCat(kUsage, FlagsUsage(Flags())), &Flags(),
       /*reject_positional=*/true},
      args, &exit_code);
  if (!flags.has_value()) return exit_code;
  auto config = sim::LoadSimConfig(flags->Get("config"));
  if (!config.ok()) return Fail(kCommand, config.status(), kExitUsage);
  if (flags->Has("run-dir")) config->run_dir = flags->Get("run-dir");
  if (flags->Has("rounds")) {
    if (!absl::SimpleAtoi(flags->Get("rounds"), &config->server.rounds) ||
        config->server.rounds == 0) {
      return Fail(kCommand,
                  absl::StrCat("--rounds must be a positive integer, got '",
                               flags->Get("rounds"), "'"),
                  kExitUsage);
    }
  }
  if (flags->Has("seed")) {
    uint64_t seed = 0;
    if (!absl::SimpleAtoi(flags->Get("seed"), &seed)) {
      return Fail(kCommand,
                  absl::StrCat("--seed must be a non-negative integer, got '",
                               flags->Get("seed"), "'"),
                  kExitUsage);
    }
    sim::SetSeed(seed, &*config);
  }
  if (flags->Has("shard")) {
    // The remote server owns the run: its directory, its rounds.
    for (const char* local_only : {"run-dir", "overwrite", "rounds"}) {
      if (flags->Has(local_only)) {
        return UsageError(
            absl::StrCat(kCommand, ": --", local_only,
                         " is not used with --shard (the server decides)"),
            absl::StrCat(kUsage, FlagsUsage(Flags())));
      }
    }
    return RunShard(*flags, *std::move(config));
  }
  for (const char* shard_only :
       {"server", "pki", "simulator-id", "server-name"}) {
    if (flags->Has(shard_only)) {
      return UsageError(absl::StrCat(kCommand, ": --", shard_only,
                                     " is only used with --shard"),
                        absl::StrCat(kUsage, FlagsUsage(Flags())));
    }
  }
  return RunLocal(*flags, *std::move(config));
}

}  // namespace fedge::cli
