#ifndef FEDGE_SERVER_ROUND_H_
#define FEDGE_SERVER_ROUND_H_

// One training round's live state, shared by the round driver (which opens
// it, waits on it and closes it) and the RPC handlers (which feed it uploads,
// evaluation reports and disconnects). Accepted updates are folded into the
// FedAvg sum on arrival; nothing per client is kept beyond its outcome.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/util/clock.h"
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
};

// Aggregated outcome of local training, weighted by examples.
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
  const std::vector<std::string>& cohort() const { return options_.cohort; }
  const UpdateExpectation& expectation() const { return expectation_; }

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

  // After CloseTraining: the new model state (FedAvg) if any update was
  // accepted.
  absl::StatusOr<tensor::ParameterSet> Aggregate() const;
  uint32_t num_accepted() const;
  TrainSummary train_summary() const;
  EvalSummary eval_summary() const;
  // Every cohort member's outcome, for the store.
  std::vector<ParticipantRecord> Participants() const;
  std::vector<std::string> AcceptedClients() const;
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
  };

  absl::Status CheckLocked(const std::string& client_id,
                           const v1::UpdateHeader& header) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const RoundOptions options_;
  const UpdateExpectation expectation_;

  mutable absl::Mutex mu_;
  std::map<std::string, Member> members_ ABSL_GUARDED_BY(mu_);
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  bool training_open_ ABSL_GUARDED_BY(mu_) = true;
  bool evaluation_open_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t eval_model_version_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> eval_pending_ ABSL_GUARDED_BY(mu_);
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
  FedAvgAccumulator sum_ ABSL_GUARDED_BY(mu_);
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
