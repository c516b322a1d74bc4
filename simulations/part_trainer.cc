#include "simulations/part_trainer.h"

#include "absl/time/clock.h"
#include "common/data/partition_noise.h"
#include "common/util/status_macros.h"

namespace fedge::sim {
namespace {

class PartTrainer final : public client::Trainer {
 public:
  PartTrainer(data::Dataset part, TrainingClock* clock)
      : part_(std::move(part)), clock_(clock) {}

  absl::Status Init(const models::ModelSpec& spec) {
    FEDGE_ASSIGN_OR_RETURN(inner_, client::CreateLocalTrainer(spec, &part_));
    return absl::OkStatus();
  }

  absl::StatusOr<client::TrainResult> Train(
      const tensor::ParameterSet& global,
      const client::TrainOptions& options) override {
    const absl::Time start = absl::Now();
    absl::StatusOr<client::TrainResult> result = inner_->Train(global, options);
    if (clock_ != nullptr) {
      clock_->fetch_add(absl::ToInt64Nanoseconds(absl::Now() - start),
                        std::memory_order_relaxed);
    }
    return result;
  }

  uint64_t num_examples() const override { return inner_->num_examples(); }

 private:
  data::Dataset part_;  // the trainer below points into it
  TrainingClock* const clock_;
  std::unique_ptr<client::Trainer> inner_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<client::Trainer>> CreatePartTrainer(
    const models::ModelSpec& spec, const data::Dataset& pool,
    const std::vector<size_t>& indices, const data::PartitionSpec& partition,
    size_t index, TrainingClock* clock, bool flip_labels) {
  data::Dataset part = pool.Subset(indices);
  FEDGE_RETURN_IF_ERROR(data::ApplyPartitionNoise(partition, index, &part));
  if (flip_labels) {
    for (int64_t& label : part.labels) label = part.num_classes - 1 - label;
  }
  auto trainer = std::make_unique<PartTrainer>(std::move(part), clock);
  FEDGE_RETURN_IF_ERROR(trainer->Init(spec));
  return trainer;
}

}  // namespace fedge::sim
