#ifndef FEDGE_CLIENT_CLIENT_TYPES_H_
#define FEDGE_CLIENT_CLIENT_TYPES_H_

// Types shared by the edge client's parts.

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "client/trainer.h"
#include "common/models/evaluator.h"
#include "common/models/model_spec.h"

namespace fedge::client {

// One completed model download or update upload, as the client saw it.
struct TransferEvent {
  enum class Direction { kDownload, kUpload };
  Direction direction;
  uint64_t round = 0;  // 0 for downloads
  uint64_t bytes = 0;
  double seconds = 0;  // from the call's start to its verified end
  bool ok = false;
};

using TransferObserver = std::function<void(const TransferEvent&)>;

using TrainerFactory = std::function<absl::StatusOr<std::unique_ptr<Trainer>>(
    const models::ModelSpec&)>;
using EvaluatorFactory =
    std::function<absl::StatusOr<std::unique_ptr<models::Evaluator>>(
        const models::ModelSpec&)>;

// Counters of what a client did, for logs and tests.
struct EdgeClientStats {
  uint64_t joins = 0;
  uint64_t rounds_trained = 0;
  uint64_t uploads_accepted = 0;
  uint64_t uploads_rejected = 0;
  uint64_t evaluations = 0;
  uint64_t models_downloaded = 0;
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  // Secure rounds this client gave up (a check failed).
  uint64_t secure_rounds_abandoned = 0;
  // Audit receipts received (and kept, with a state directory).
  uint64_t receipts = 0;

  // Adds `other`'s counts (a simulated fleet's totals).
  EdgeClientStats& operator+=(const EdgeClientStats& other) {
    joins += other.joins;
    rounds_trained += other.rounds_trained;
    uploads_accepted += other.uploads_accepted;
    uploads_rejected += other.uploads_rejected;
    evaluations += other.evaluations;
    models_downloaded += other.models_downloaded;
    bytes_up += other.bytes_up;
    bytes_down += other.bytes_down;
    secure_rounds_abandoned += other.secure_rounds_abandoned;
    receipts += other.receipts;
    return *this;
  }
};

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_CLIENT_TYPES_H_
