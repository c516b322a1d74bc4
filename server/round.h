#ifndef FEDGE_SERVER_ROUND_H_
#define FEDGE_SERVER_ROUND_H_

// One training round's live state, shared by the round driver (which opens
// it, waits on it and closes it) and the RPC handlers (which feed it uploads,
// secure aggregation messages, evaluation reports and disconnects). Accepted
// updates are folded into one sum on arrival (FedAvg in plaintext rounds,
// the masked ring sum in secure rounds); nothing per client is kept beyond
// its outcome.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/secagg/server.h"
#include "common/util/clock.h"
#include "server/audit_trail.h"
#include "server/global_model.h"
#include "server/store.h"
#include "server/strategy/fedavg.h"
#include "server/update_validation.h"

namespace fedge::server {

struct RoundOptions {
  uint64_t number = 0;
  std::shared_ptr<const GlobalModel> base;
  std::vector<std::string> cohort;
  // Cap on each client's FedAvg weight (0: none).
  uint64_t max_example_weight = 0;
  // Set for a secure round: its secure aggregation parameters, and each
  // cohort member's certificate (forwarded to its peers).
  std::optional<v1::SecAggParameters> secagg;
  std::map<std::string, std::string> certificates;
  // Where the round logs its members' outcomes (accepted and rejected
  // uploads, dropouts); null in unit tests that need no log.
  AuditTrail* audit = nullptr;
  // Robust aggregation (plaintext rounds only): keep each accepted delta
  // until the round is aggregated, O(clients x model) memory, instead of
  // only their running sum.
  bool keep_updates = false;
  // Central differential privacy (plaintext rounds): each accepted delta is
  // clipped to this L2 norm before it is summed (0: no clipping).
  double clip_norm = 0;
  // The share of the connected clients selected (the privacy ledger's q).
  double sampling_rate = 0;
};

// An accepted plaintext update, kept for a robust aggregator.
struct KeptUpdate {
  std::string client_id;
  std::vector<float> delta;
  uint64_t weight = 0;
};

// An accepted upload's entry in the audit log, for the member's receipt.
struct AuditedUpload {
  std::string client_id;
  uint64_t index = 0;
  std::string entry;
};

// Aggregated outcome of local training, weighted by examples. In secure
// rounds only the summed weight is known: loss and accuracy are NaN.
struct TrainSummary {
  double loss = 0;
  double accuracy = 0;
  uint64_t num_examples = 0;
};

struct EvalSummary {
  double loss = 0;
  double accuracy = 0;
  uint64_t num_examples = 0;
  uint32_t reports = 0;
};

class Round {
 public:
  explicit Round(RoundOptions options);

  uint64_t number() const { return options_.number; }
  const GlobalModel& base() const { return *options_.base; }
  double sampling_rate() const { return options_.sampling_rate; }
  const std::vector<std::string>& cohort() const { return options_.cohort; }
  const UpdateExpectation& expectation() const { return expectation_; }
  bool secure() const { return options_.secagg.has_value(); }
  const RoundOptions& options() const { return options_; }
  // The largest upload the round accepts, in bytes.
  uint64_t upload_size_limit() const;

  // --- Upload path (RPC handlers) ---
  // Whether `client_id` may upload now: selected, not dropped, nothing
  // accepted from it yet, and the header fits the round. Statuses:
  // PermissionDenied (not selected), FailedPrecondition (dropped, round
  // closed, already uploaded, stale round/version), ResourceExhausted (too
  // large), InvalidArgument.
  absl::Status CheckUpload(const std::string& client_id,
                           const v1::UpdateHeader& header);
  // Re-checks, then adds the update to the sum. On error nothing is added.
  absl::Status Accept(const std::string& client_id,
                      const v1::UpdateHeader& header,
                      const tensor::ParameterSetView& delta, uint64_t bytes_up);
  // Secure rounds: re-checks, then adds the packed masked input to the ring
  // sum. On error nothing is added.
  absl::Status AcceptMasked(const std::string& client_id,
                            const v1::UpdateHeader& header,
                            absl::string_view packed, uint64_t bytes_up);

  // --- Secure aggregation (secure rounds only) ---
  // A client's message for the open stage. FailedPrecondition for a
  // plaintext round, another round or a dropped client; otherwise the
  // protocol's verdict.
  absl::Status HandleSecAgg(const std::string& client_id,
                            const v1::SecAggMessage& message);
  // Waits until every member the open stage waits for has answered or been
  // dropped, `deadline` passes or Interrupt() is called. Returns whether
  // none is left.
  bool AwaitSecAggStage(util::Clock* clock, absl::Time deadline);
  // Drops the members the stage still waits for (with `reason`) and closes
  // the stage. An error means too few clients remain for the threshold: the
  // round cannot complete.
  absl::StatusOr<secagg::ServerTransition> CloseSecAggStage(
      const std::string& reason);
  std::string secagg_stage() const;
  // Records a rejected upload attempt (the client may try again).
  void RecordRejection(const std::string& client_id, const std::string& reason);

  // --- Evaluation path ---
  // Starts collecting federated evaluation reports of `model_version` from
  // `evaluators`.
  void OpenEvaluation(uint64_t model_version,
                      const std::vector<std::string>& evaluators);
  // One report per evaluator: PermissionDenied for a client with no
  // evaluation pending, FailedPrecondition for another round or version,
  // InvalidArgument for impossible figures.
  absl::Status AcceptEvaluation(const std::string& client_id,
                                const v1::EvaluationReport& report);

  // A cohort member that can no longer deliver (disconnected, revoked,
  // withdrew, missed the deadline). No-op for non-members and for clients
  // whose update was already accepted.
  void Drop(const std::string& client_id, const std::string& reason);

  // --- Round driver ---
  // Waits until every cohort member was accepted or dropped, `deadline`
  // passes or Interrupt() is called. Returns whether all settled.
  bool AwaitSettled(util::Clock* clock, absl::Time deadline);
  // Waits until `expected` evaluation reports arrived (or deadline/interrupt).
  bool AwaitEvaluations(util::Clock* clock, size_t expected,
                        absl::Time deadline);
  void Interrupt();
  // Stops accepting uploads; members still pending are dropped with
  // `reason`. Returns them.
  std::vector<std::string> CloseTraining(const std::string& reason);
  void CloseEvaluation();

  // After CloseTraining (plaintext) or the unmask stage (secure): the new
  // model state, base + the example-weighted mean delta.
  absl::StatusOr<tensor::ParameterSet> Aggregate();
  uint32_t num_accepted() const;
  // With clip_norm: the accepted deltas whose norm was within it.
  uint32_t num_within_clip() const;
  TrainSummary train_summary() const;
  EvalSummary eval_summary() const;
  // Every cohort member's outcome, for the store.
  std::vector<ParticipantRecord> Participants() const;
  std::vector<std::string> AcceptedClients() const;
  // The accepted uploads' audit log entries (empty without a log).
  std::vector<AuditedUpload> AuditedUploads() const;
  // With keep_updates: the accepted deltas, in order of arrival, handed
  // over once (the round keeps none after this).
  std::vector<KeptUpdate> TakeKeptUpdates();
  uint64_t bytes_up() const;

 private:
  enum class Outcome { kPending, kAccepted, kDropped };
  struct Member {
    Outcome outcome = Outcome::kPending;
    std::string reason;
    uint32_t rejections = 0;
    uint64_t num_examples = 0;
    std::string update_sha256;
    uint64_t bytes_up = 0;
    // Disconnected after its update was accepted: it still counts in the
    // aggregate, but no later secure aggregation stage waits for it.
    bool gone = false;
    // Its UploadAccepted entry in the audit log.
    std::optional<uint64_t> audit_index;
    std::string audit_entry;
  };

  absl::Status CheckLocked(const std::string& client_id,
                           const v1::UpdateHeader& header) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void DropLocked(const std::string& client_id, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkAccepted(const std::string& client_id, uint64_t weight,
                    const v1::UpdateHeader& header, uint64_t bytes_up)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Logs that `client_id` was dropped (no-op without a log).
  void LogDropped(const std::string& client_id, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RoundOptions options_;
  const UpdateExpectation expectation_;
  // The shapes an accepted upload has, as logged: "name:16x1x5x5" per
  // tensor, or "masked:N" for a secure round's masked input.
  const std::vector<std::string> upload_shapes_;

  mutable absl::Mutex mu_;
  std::map<std::string, Member> members_ ABSL_GUARDED_BY(mu_);
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool training_open_ ABSL_GUARDED_BY(mu_) = true;
  bool evaluation_open_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t eval_model_version_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> eval_pending_ ABSL_GUARDED_BY(mu_);
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
  FedAvgAccumulator sum_ ABSL_GUARDED_BY(mu_);
  std::vector<KeptUpdate> kept_ ABSL_GUARDED_BY(mu_);
  uint32_t within_clip_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<secagg::SecAggServer> secagg_ ABSL_GUARDED_BY(mu_);
  uint64_t secure_weight_ ABSL_GUARDED_BY(mu_) = 0;
  double loss_sum_ ABSL_GUARDED_BY(mu_) = 0;
  double accuracy_sum_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t examples_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bytes_up_ ABSL_GUARDED_BY(mu_) = 0;
  EvalSummary eval_ ABSL_GUARDED_BY(mu_);
  double eval_loss_sum_ ABSL_GUARDED_BY(mu_) = 0;
  double eval_accuracy_sum_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_ROUND_H_
