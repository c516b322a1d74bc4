#include "simulations/simulation.h"

#include <sys/resource.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crypto/sha256.h"
#include "common/data/partition_summary.h"
#include "common/pki/authority.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::sim {
namespace {

constexpr char kSimulatorId[] = "local";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// How long the server may take to see the fleet's joins and departures.
constexpr absl::Duration kSettleTimeout = absl::Minutes(2);

std::string RunDirPath(const SimConfig& config, const std::string& name) {
  return util::JoinPath(config.run_dir, name);
}

uint64_t PeakRssBytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // KiB on Linux
}

// A run directory is ours to write if it is missing, empty, or the caller
// said an earlier simulation may be replaced.
absl::Status ClaimRunDir(const std::string& dir, bool overwrite) {
  std::error_code error;
  if (std::filesystem::exists(dir, error) &&
      !std::filesystem::is_empty(dir, error)) {
    if (!overwrite) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run directory ", dir,
          " is not empty (an earlier simulation?); pass --overwrite to "
          "replace it, or choose another with --run-dir"));
    }
    std::filesystem::remove_all(dir, error);
    if (error) {
      return absl::InternalError(
          absl::StrCat("cannot remove ", dir, ": ", error.message()));
    }
  }
  return util::MakeDirectories(dir);
}

}  // namespace

// Turns the server's round reports into the simulation's rows, adding what
// the fleet saw, and keeps metrics.csv current.
class Simulation::Recorder final : public server::RunObserver {
 public:
  Recorder(const Fleet* fleet, std::string csv_path)
      : fleet_(fleet), csv_path_(std::move(csv_path)) {}

  void OnRound(const server::RoundReport& report) override {
    RoundRow row;
    row.round = report.round;
    row.status = report.status;
    row.reason = report.reason;
    row.accuracy = report.central_eval ? report.central_eval->accuracy : kNaN;
    row.loss = report.central_eval ? report.central_eval->loss : kNaN;
    // Secure rounds do not reveal individual training losses.
    row.train_loss = report.train.num_examples > 0 ? report.train.loss : kNaN;
    row.selected = report.selected;
    row.completed = report.completed;
    row.dropped = report.dropped;
    row.rejected = report.rejected;
    row.bytes_up = report.bytes_up;
    row.bytes_down = report.bytes_down;
    row.selection_seconds = report.selection_seconds;
    row.training_seconds = report.training_seconds;
    row.aggregation_seconds = report.aggregation_seconds;
    row.evaluation_seconds = report.evaluation_seconds;
    row.total_seconds = report.total_seconds;
    row.model_sha256 = report.model_sha256;
    const FleetRoundStats stats = fleet_->round_stats(report.round);
    row.available = stats.available;
    row.stragglers = stats.stragglers;
    row.fleet_dropouts = stats.vanished;
    const double compute = fleet_->training_seconds();
    absl::MutexLock lock(&mu_);
    row.compute_seconds = compute - compute_before_;
    compute_before_ = compute;
    rows_.push_back(std::move(row));
    absl::Status written =
        util::WriteFileAtomically(csv_path_, RenderCsv(rows_));
    if (!written.ok()) {
      FEDGE_LOG(Warning, "sim") << "cannot update metrics.csv: " << written;
    }
  }

  std::vector<RoundRow> rows() const {
    absl::MutexLock lock(&mu_);
    return rows_;
  }

 private:
  const Fleet* const fleet_;
  const std::string csv_path_;
  mutable absl::Mutex mu_;
  std::vector<RoundRow> rows_ ABSL_GUARDED_BY(mu_);
  double compute_before_ ABSL_GUARDED_BY(mu_) = 0;
};

config::ServerConfig AggregatorConfig(const SimConfig& sim,
                                      const std::string& pki_dir,
                                      const std::string& run_dir) {
  const pki::PkiPaths paths(pki_dir);
  config::ServerConfig c = sim.server;
  c.run_id = sim.name;
  c.run_dir = run_dir;
  c.seed = sim.seed;
  c.listen_address = "127.0.0.1:0";
  c.metrics_address = "";
  c.tls.ca_cert = paths.ca_cert();
  c.tls.cert = paths.server_cert();
  c.tls.key = paths.server_key();
  c.tls.crl = paths.crl();
  c.audit.signing_key = paths.audit_key();
  c.accept_virtual_clients = true;
  return c;
}

Simulation::Simulation(SimConfig config, SimulationOptions options)
    : config_(std::move(config)), options_(options) {}

Simulation::~Simulation() = default;

absl::StatusOr<std::unique_ptr<Simulation>> Simulation::Create(
    SimConfig config, SimulationOptions options) {
  std::unique_ptr<Simulation> sim(new Simulation(std::move(config), options));
  FEDGE_RETURN_IF_ERROR(sim->Prepare());
  return sim;
}

absl::Status Simulation::Prepare() {
  FEDGE_RETURN_IF_ERROR(ClaimRunDir(config_.run_dir, options_.overwrite));
  const std::string pki_dir = RunDirPath(config_, "pki");
  pki::InitOptions init;
  init.federation_name = absl::StrCat("fedge simulation ", config_.name);
  FEDGE_RETURN_IF_ERROR(pki::InitFederation(pki_dir, init));
  FEDGE_RETURN_IF_ERROR(pki::IssueSimulator(pki_dir, kSimulatorId));
  pki::PkiPaths paths(pki_dir);
  if (options_.show_progress) progress_ = std::make_unique<util::Progress>();

  FleetOptions fleet;
  fleet.config = config_.fleet;
  fleet.seed = config_.seed;
  fleet.simulator_tls.ca_cert = paths.ca_cert();
  fleet.simulator_tls.cert = paths.simulator_cert(kSimulatorId);
  fleet.simulator_tls.key = paths.simulator_key(kSimulatorId);
  fleet.simulator_tls.server_name = "localhost";
  fleet.pki_dir = pki_dir;
  fleet.training_deadline = config_.server.deadlines.training;
  fleet.purpose_id = config_.server.purpose_id;
  fleet.torchscript_path = config_.server.model.torchscript_path;
  fleet.progress = progress_.get();
  FEDGE_ASSIGN_OR_RETURN(fleet_, Fleet::Create(std::move(fleet)));

  const data::PartitionSummary& summary = fleet_->partition();
  FEDGE_RETURN_IF_ERROR(util::WriteFileAtomically(
      RunDirPath(config_, "partition.json"), data::SummaryJson(summary)));
  if (options_.out != nullptr) {
    *options_.out << "partition of " << summary.total() << " examples among "
                  << summary.num_clients() << " virtual clients:\n"
                  << data::SummaryText(summary) << std::flush;
    if (fleet_->num_attackers() > 0) {
      *options_.out << "attack: " << fleet_->num_attackers() << " of "
                    << summary.num_clients() << " clients are malicious ("
                    << config_.fleet.attack.kind << ")\n"
                    << std::flush;
    }
  }
  recorder_ = std::make_unique<Recorder>(fleet_.get(),
                                         RunDirPath(config_, "metrics.csv"));
  return absl::OkStatus();
}

void Simulation::BeforeSelection(uint64_t round) {
  ready_.WaitForNotification();
  server::FederationServer* server;
  {
    absl::MutexLock lock(&mu_);
    server = server_;
  }
  absl::StatusOr<size_t> online = fleet_->PrepareRound(round);
  if (!online.ok()) {
    const std::string failure =
        absl::StrCat("the fleet could not come online for round ", round, ": ",
                     online.status().message());
    {
      absl::MutexLock lock(&mu_);
      if (failure_.empty()) failure_ = failure;
    }
    Stop(failure);
    return;
  }
  if (!server->AwaitConnectedClients(*online, absl::Now() + kSettleTimeout)) {
    FEDGE_LOG(Warning, "sim")
        << "round " << round << ": the server sees "
        << server->connected_clients() << " clients, the fleet has " << *online
        << " online; selection may differ between runs";
  }
}

void Simulation::Stop(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  if (stop_reason_.empty()) stop_reason_ = reason;
  if (server_ != nullptr) server_->Stop(reason);
}

absl::StatusOr<SimulationResult> Simulation::Run() {
  const absl::Time start = absl::Now();
  server::ServerOptions options;
  options.config = AggregatorConfig(config_, RunDirPath(config_, "pki"),
                                    RunDirPath(config_, "server"));
  config::ServerConfig& c = options.config;
  // Every client that will take part is online when selection starts (see
  // BeforeSelection): there is nobody else to wait for.
  c.deadlines.selection = absl::Seconds(1);
  options.show_progress = options_.show_progress;
  options.observer = recorder_.get();
  options.before_selection = [this](uint64_t round) { BeforeSelection(round); };

  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<server::FederationServer> server,
                         server::FederationServer::Start(std::move(options)));
  absl::Status connected =
      fleet_->Connect(absl::StrCat("127.0.0.1:", server->port()));
  {
    absl::MutexLock lock(&mu_);
    server_ = server.get();
    if (!connected.ok()) {
      server_->Stop(
          absl::StrCat("the fleet cannot connect: ", connected.message()));
    } else if (!stop_reason_.empty()) {
      server_->Stop(stop_reason_);
    }
  }
  ready_.Notify();
  absl::Status result = server->Wait();
  fleet_->Shutdown();
  {
    absl::MutexLock lock(&mu_);
    server_ = nullptr;
  }
  std::shared_ptr<const server::GlobalModel> model =
      server->run_state().model();
  server->Shutdown();
  FEDGE_RETURN_IF_ERROR(connected);
  FEDGE_RETURN_IF_ERROR(result);

  SimulationResult out;
  out.run_dir = config_.run_dir;
  out.rounds = recorder_->rows();
  if (model != nullptr) {
    out.model_version = model->version;
    out.model_sha256 = crypto::ToHex(model->sha256);
  }
  out.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  out.compute_seconds = fleet_->training_seconds();
  out.threads = fleet_->threads();
  out.peak_rss_bytes = PeakRssBytes();
  FEDGE_RETURN_IF_ERROR(WriteReport(out));
  absl::MutexLock lock(&mu_);
  if (!failure_.empty()) {
    // The report shows the rounds that ran; the caller learns it failed.
    return absl::AbortedError(
        absl::StrCat(failure_, " (metrics.csv and report.html in ",
                     config_.run_dir, " show the rounds before)"));
  }
  return out;
}

absl::Status Simulation::WriteReport(const SimulationResult& result) const {
  const FleetConfig& f = config_.fleet;
  ReportInput input;
  input.title = config_.name;
  input.generated_at =
      absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone());
  const config::ServerConfig& s = config_.server;
  input.facts = {
      {"virtual clients", absl::StrCat(f.clients)},
      {"partition", fleet_->partition().scheme},
      {"model", s.model.kind},
      {"rounds", absl::StrCat(result.rounds.size(), " of ", s.rounds)},
      {"cohort",
       absl::StrCat(s.cohort.fraction * 100, "% of available, at least ",
                    s.cohort.min_clients, ", at most ", s.cohort.max_clients)},
      {"secure aggregation", s.secure_aggregation.enabled ? "on" : "off"},
      {"seed", absl::StrCat(config_.seed)},
      {"compute pool", absl::StrCat(result.threads, " threads")},
      {"wall time", absl::StrFormat("%.1f s", result.wall_seconds)},
      {"client training time (summed)",
       absl::StrFormat("%.1f s", result.compute_seconds)},
      {"peak memory (RSS)",
       absl::StrFormat("%.0f MiB", result.peak_rss_bytes / 1048576.0)},
  };
  input.rounds = result.rounds;
  input.partition = fleet_->partition();
  input.final_model_sha256 = result.model_sha256;
  return util::WriteFileAtomically(RunDirPath(config_, "report.html"),
                                   RenderHtmlReport(input));
}

}  // namespace fedge::sim
