#ifndef FEDGE_SERVER_ROUND_REPORT_H_
#define FEDGE_SERVER_ROUND_REPORT_H_

// What happened in one round, as reported to observers (progress display,
// metrics.jsonl, Prometheus, tests).

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/models/evaluator.h"
#include "server/round.h"

namespace fedge::server {

struct RoundReport {
  uint64_t round = 0;
  uint64_t total_rounds = 0;
  std::string status;  // "completed" or "abandoned"
  std::string reason;  // why it was abandoned
  uint64_t model_version = 0;
  std::string model_sha256;  // hex
  uint32_t selected = 0;
  uint32_t completed = 0;
  uint32_t dropped = 0;
  uint32_t rejected = 0;
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  TrainSummary train;
  EvalSummary federated_eval;
  std::optional<models::EvalMetrics> central_eval;
  // Differential privacy spent by the run after this round, and by this
  // round alone (NaN when off).
  double epsilon = std::nan("");
  double round_epsilon = std::nan("");
  double selection_seconds = 0;
  double training_seconds = 0;
  double aggregation_seconds = 0;
  double evaluation_seconds = 0;
  double total_seconds = 0;
  absl::Time started_at = absl::UnixEpoch();
  absl::Time finished_at = absl::UnixEpoch();
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // A round's stage changed ("selecting", "training", ...).
  virtual void OnStage(uint64_t round, const std::string& stage) {}
  // Live counts while a stage waits (called about once a second).
  virtual void OnWaiting(uint64_t round, const std::string& stage,
                         uint32_t done, uint32_t expected,
                         absl::Duration elapsed) {}
  virtual void OnRound(const RoundReport& report) {}
  virtual void OnRunFinished(const std::string& outcome) {}
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_ROUND_REPORT_H_
