#ifndef FEDGE_SERVER_COORDINATOR_H_
#define FEDGE_SERVER_COORDINATOR_H_

// The round driver: for each round it waits for enough clients, samples the
// cohort, pushes the training task, waits for uploads until every member has
// delivered or been dropped or the deadline passes, then commits the
// strategy's result (checkpoint file, then the store's round record,
// atomically) or abandons the round keeping the previous model, and evaluates.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/config/server_config.h"
#include "common/data/dataset.h"
#include "common/models/evaluator.h"
#include "common/util/clock.h"
#include "server/audit_trail.h"
#include "server/differential_privacy.h"
#include "server/round.h"
#include "server/round_report.h"
#include "server/run_state.h"
#include "server/server_metrics.h"
#include "server/session_registry.h"
#include "server/store.h"
#include "server/strategy/aggregation_strategy.h"

namespace fedge::server {

struct CoordinatorDeps {
  Store* store = nullptr;
  SessionRegistry* sessions = nullptr;
  RunState* run = nullptr;
  ServerMetrics* metrics = nullptr;
  util::Clock* clock = nullptr;
  RunObserver* observer = nullptr;
  // Central evaluation (both null when not configured).
  models::Evaluator* evaluator = nullptr;
  const data::Dataset* central_data = nullptr;
  // Binds secure aggregation keys and signatures to this run.
  std::string run_id;
  // The run's audit log (null only in tests that need none).
  AuditTrail* audit = nullptr;
  // Called before each round selects its cohort (may be empty). The fleet
  // simulator blocks here until its virtual clients for the round are
  // online, so that the same seed selects the same cohort.
  std::function<void(uint64_t round)> before_selection;
};

class Coordinator {
 public:
  Coordinator(const config::ServerConfig& config, CoordinatorDeps deps);

  // Loads the newest committed model from the run directory, or creates and
  // commits the initial one; publishes it. Must be called before Run.
  absl::Status Initialize();

  // Runs the remaining rounds; returns when they are done or Stop() was
  // called. Clients are then told the run finished; a server started with no
  // rounds left then also waits (up to the selection deadline) for the run's
  // clients to reconnect and be told (returning_clients.h). An error means
  // the server itself failed (e.g. the store could not be written).
  absl::Status Run();

  // A site aggregator's round (site/site_link.h drives these instead of
  // Run): one round with this site's devices starting from the upstream's
  // model. Its result is the site's new model and the summed example weight
  // of the updates in it.
  struct SiteRound {
    uint64_t round = 0;
    tensor::ParameterSet model;
    uint64_t examples = 0;
    double loss = 0;  // example-weighted; NaN in secure rounds
    double accuracy = 0;
  };
  // The adoption of `upstream_model` (the upstream's version
  // `upstream_version`) is logged before the round starts.
  // InvalidArgument if `upstream_model` is not this federation's layout;
  // Unavailable (with the reason) if the round was abandoned; Cancelled
  // once Stop() was called. An error from the store is Internal.
  absl::StatusOr<SiteRound> RunSiteRound(tensor::ParameterSet upstream_model,
                                         uint64_t upstream_version);
  // Ends a site's run after its RunSiteRound calls, as Run ends its own:
  // clients are told the run finished (or, after a shutdown, to reconnect
  // later). `upstream_outcome` says why the upstream's run ended.
  absl::Status Finish(const std::string& upstream_outcome);

  // How a stop ends things for the clients.
  enum class StopKind {
    // The run is over: clients are sent RunFinished and leave.
    kEndRun,
    // Only this server process stops (Ctrl-C, restart, upgrade): clients'
    // streams end with UNAVAILABLE, so they reconnect with backoff and carry
    // on when the server resumes the run.
    kShutdown,
  };

  // Asks Run to stop after abandoning the round in progress. Thread-safe;
  // the first call wins.
  void Stop(const std::string& reason, StopKind kind = StopKind::kEndRun);

  // Registry listener: a client's session ended.
  void OnClientEnded(const std::string& client_id);

  uint64_t next_round() const { return next_round_; }

 private:
  absl::StatusOr<RoundReport> RunRound(uint64_t number);
  // Counts a finished round and tells the observers.
  void RoundDone(const RoundReport& report);
  // A site's model versions: the upstream model its round `round` starts
  // from is 2*round - 1, the model the round commits 2*round (a root's
  // committed version is its round number).
  uint64_t CommittedVersion(uint64_t round) const;
  // The strategy's next model from the round's updates; an error is the
  // reason to abandon the round.
  absl::StatusOr<tensor::ParameterSet> NextModel(Round& round);
  // Loads the strategy's state and the privacy ledger saved with the model
  // of `round` (resume).
  absl::Status RestoreRoundStates(uint64_t round);
  // A TorchScript model is also written back as RUN_DIR/models/round-N.pt,
  // for PyTorch (docs/data-scientists.md).
  absl::Status ExportModel(uint64_t round, const GlobalModel& model);
  // Differential privacy: the reason to end the run instead of starting a
  // round with sampling rate `q`, or "" if the budget allows it.
  absl::StatusOr<std::string> PrivacyBudgetExceeded(double q) const;
  absl::Status Commit(Round& round, tensor::ParameterSet state,
                      RoundReport& report,
                      std::shared_ptr<const GlobalModel>* committed);
  absl::Status RecordAbandoned(Round* round, uint64_t number,
                               const std::string& reason, RoundReport& report);
  void Evaluate(Round& round, const GlobalModel& model, RoundReport& report);
  void SetStage(uint64_t round, const std::string& stage);
  bool stopped() const { return stopped_.load(); }
  std::string stop_reason();
  // "run stopped (why)" or "server stopped (why)", for abandoned rounds.
  std::string StoppedReason();
  v1::TrainTask MakeTrainTask(uint64_t round, const GlobalModel& model,
                              absl::Time deadline) const;

  // Secure rounds (coordinator_secagg.cc). Each returns an error whose
  // message is the reason to abandon the round.
  // The round's parameters for `cohort` (the cohort's certificates too).
  absl::Status PrepareSecureRound(uint64_t number, const GlobalModel& base,
                                  RoundOptions* options);
  // Before training: advertise keys, then share keys.
  absl::Status RunSecureSetup(Round& round);
  // After training: close the masked-input stage, then unmask.
  absl::Status RunSecureUnmask(Round& round);
  // Waits for a stage (with live progress) and closes it.
  absl::StatusOr<secagg::ServerTransition> RunSecAggStage(
      Round& round, const std::string& stage, const std::string& late_reason);
  void PushToClients(const std::map<std::string, v1::Task>& tasks,
                     Round& round);

  // The audit log (coordinator_audit.cc). A failed write latches in the
  // trail; Commit refuses to publish a model after one.
  void Audit(uint64_t round, v1::AuditEvent event);
  void AuditSelection(const Round& round);
  void AuditSecureClose(const Round& round);
  void AuditCommit(const Round& round, const GlobalModel& model,
                   uint64_t examples);
  void AuditEvaluation(uint64_t round, uint64_t model_version,
                       const std::string& source, double loss, double accuracy,
                       uint64_t examples);
  // Signs a checkpoint at the end of a round; after a commit, sends each
  // contributor its receipt.
  absl::Status SignRound(const Round* committed);

  const config::ServerConfig& config_;
  CoordinatorDeps deps_;
  // Made by Initialize; privacy_ only with differential privacy on.
  std::unique_ptr<AggregationStrategy> strategy_;
  std::unique_ptr<DifferentialPrivacy> privacy_;
  uint64_t next_round_ = 1;
  uint32_t completed_ = 0;
  uint32_t abandoned_ = 0;
  std::atomic<bool> stopped_{false};
  absl::Mutex stop_mu_;
  std::string stop_reason_ ABSL_GUARDED_BY(stop_mu_);
  StopKind stop_kind_ ABSL_GUARDED_BY(stop_mu_) = StopKind::kEndRun;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_COORDINATOR_H_
