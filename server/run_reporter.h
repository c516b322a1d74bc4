#ifndef FEDGE_SERVER_RUN_REPORTER_H_
#define FEDGE_SERVER_RUN_REPORTER_H_

// Reports a run as it goes: one JSON line per round in metrics.jsonl (for
// machines), a progress display on the terminal (for people).

#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"
#include "common/util/progress.h"
#include "server/round_report.h"

namespace fedge::server {

class RunReporter final : public RunObserver {
 public:
  // Appends to `metrics_path` (created if missing). `progress` may be null
  // for no display.
  RunReporter(std::string metrics_path, util::Progress* progress);

  void OnStage(uint64_t round, const std::string& stage) override;
  void OnWaiting(uint64_t round, const std::string& stage, uint32_t done,
                 uint32_t expected, absl::Duration elapsed) override;
  void OnRound(const RoundReport& report) override;
  void OnRunFinished(const std::string& outcome) override;

  // The metrics.jsonl line for `report` (without the newline).
  static std::string JsonLine(const RoundReport& report);
  // The human summary line for `report`.
  static std::string SummaryLine(const RoundReport& report);

 private:
  std::string Eta(uint64_t round) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string metrics_path_;
  util::Progress* const progress_;
  absl::Mutex mu_;
  uint64_t total_rounds_ ABSL_GUARDED_BY(mu_) = 0;
  double seconds_sum_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t rounds_seen_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_RUN_REPORTER_H_
