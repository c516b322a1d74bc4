#ifndef FEDGE_SIMULATIONS_PART_TRAINER_H_
#define FEDGE_SIMULATIONS_PART_TRAINER_H_

// A virtual client's trainer: the deployed client's LibTorch trainer over
// the client's part of the fleet's data pool. The part is copied out of the
// pool (with its scheme's feature noise) when the trainer is made and freed
// with it, so a client holds data only while it works on a task.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "client/trainer.h"
#include "common/data/dataset.h"
#include "common/data/partition.h"
#include "common/models/model_spec.h"

namespace fedge::sim {

// Where the time spent training goes (nanoseconds, summed over clients).
using TrainingClock = std::atomic<int64_t>;

// `pool` and `indices` must outlive the call only; `clock` (may be null)
// must outlive the trainer. With `flip_labels` (a label_flip attacker,
// attack.h) class c of the part becomes C - 1 - c.
absl::StatusOr<std::unique_ptr<client::Trainer>> CreatePartTrainer(
    const models::ModelSpec& spec, const data::Dataset& pool,
    const std::vector<size_t>& indices, const data::PartitionSpec& partition,
    size_t index, TrainingClock* clock, bool flip_labels = false);

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_PART_TRAINER_H_
