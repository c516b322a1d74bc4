#ifndef FEDGE_SERVER_RUN_STATE_H_
#define FEDGE_SERVER_RUN_STATE_H_

// What the round driver publishes for the RPC handlers and the Admin
// service: the current global model (and the one before it, for clients
// still fetching it), the open round, and a status summary.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/global_model.h"
#include "server/round.h"

namespace fedge::server {

struct RunSummary {
  std::string state = "starting";  // starting, running, stopping, finished
  uint64_t round = 0;
  uint64_t total_rounds = 0;
  std::string stage;  // selecting, training, aggregating, evaluating, ""
  std::vector<std::string> cohort;
  double last_accuracy = 0;
  double last_loss = 0;
  absl::Time started_at = absl::UnixEpoch();
};

class RunState {
 public:
  std::shared_ptr<const GlobalModel> model() const;
  // The current version or the one before it; null otherwise.
  std::shared_ptr<const GlobalModel> FindModel(uint64_t version) const;
  void PublishModel(std::shared_ptr<const GlobalModel> model);

  std::shared_ptr<Round> round() const;
  void SetRound(std::shared_ptr<Round> round);

  RunSummary summary() const;
  void UpdateSummary(const std::function<void(RunSummary&)>& update);

  // Bytes sent to clients by model downloads since the last call.
  void AddBytesDown(uint64_t bytes);
  uint64_t TakeBytesDown();

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const GlobalModel> model_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const GlobalModel> previous_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Round> round_ ABSL_GUARDED_BY(mu_);
  RunSummary summary_ ABSL_GUARDED_BY(mu_);
  uint64_t bytes_down_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_RUN_STATE_H_
