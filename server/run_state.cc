#include "server/run_state.h"

namespace fedge::server {

std::shared_ptr<const GlobalModel> RunState::model() const {
  absl::MutexLock lock(&mu_);
  return model_;
}

std::shared_ptr<const GlobalModel> RunState::FindModel(uint64_t version) const {
  absl::MutexLock lock(&mu_);
  if (model_ != nullptr && model_->version == version) return model_;
  if (previous_ != nullptr && previous_->version == version) return previous_;
  return nullptr;
}

void RunState::PublishModel(std::shared_ptr<const GlobalModel> model) {
  absl::MutexLock lock(&mu_);
  previous_ = std::move(model_);
  model_ = std::move(model);
}

std::shared_ptr<Round> RunState::round() const {
  absl::MutexLock lock(&mu_);
  return round_;
}

void RunState::SetRound(std::shared_ptr<Round> round) {
  absl::MutexLock lock(&mu_);
  round_ = std::move(round);
}

RunSummary RunState::summary() const {
  absl::MutexLock lock(&mu_);
  return summary_;
}

void RunState::UpdateSummary(const std::function<void(RunSummary&)>& update) {
  absl::MutexLock lock(&mu_);
  update(summary_);
}

void RunState::AddBytesDown(uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  bytes_down_ += bytes;
}

uint64_t RunState::TakeBytesDown() {
  absl::MutexLock lock(&mu_);
  uint64_t b = bytes_down_;
  bytes_down_ = 0;
  return b;
}

}  // namespace fedge::server
