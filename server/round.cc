#include "server/round.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/tensor/serialization.h"
#include "common/util/status_macros.h"

namespace fedge::server {
namespace {

UpdateExpectation MakeExpectation(const RoundOptions& options) {
  UpdateExpectation e;
  e.round = options.number;
  e.model_version = options.base->version;
  e.layout = options.base->state.specs();
  e.size_bytes = tensor::SerializedSize(e.layout);
  return e;
}

}  // namespace

Round::Round(RoundOptions options)
    : options_(std::move(options)),
      expectation_(MakeExpectation(options_)),
      sum_(options_.base->state.specs()) {
  absl::MutexLock lock(&mu_);
  for (const std::string& id : options_.cohort) members_[id] = Member{};
  pending_ = members_.size();
}

absl::Status Round::CheckLocked(const std::string& client_id,
                                const v1::UpdateHeader& header) const {
  auto it = members_.find(client_id);
  if (it == members_.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "client ", client_id, " was not selected for round ", number()));
  }
  if (it->second.outcome == Outcome::kAccepted) {
    return absl::AlreadyExistsError(
        absl::StrCat("an update from ", client_id,
                     " was already accepted in round ", number()));
  }
  if (it->second.outcome == Outcome::kDropped) {
    return absl::FailedPreconditionError(
        absl::StrCat("client ", client_id, " was dropped from round ", number(),
                     " (", it->second.reason, ")"));
  }
  if (!training_open_) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", number(), " no longer accepts updates"));
  }
  return CheckUpdateHeader(header, expectation_);
}

absl::Status Round::CheckUpload(const std::string& client_id,
                                const v1::UpdateHeader& header) {
  absl::ReaderMutexLock lock(&mu_);
  return CheckLocked(client_id, header);
}

absl::Status Round::Accept(const std::string& client_id,
                           const v1::UpdateHeader& header,
                           const tensor::ParameterSetView& delta,
                           uint64_t bytes_up) {
  absl::MutexLock lock(&mu_);
  FEDGE_RETURN_IF_ERROR(CheckLocked(client_id, header));
  uint64_t claimed = header.metrics().num_examples();
  if (claimed == 0) {
    return absl::InvalidArgumentError(
        "update header must report the number of training examples (> 0)");
  }
  uint64_t weight = claimed;
  if (options_.max_example_weight > 0) {
    weight = std::min(weight, options_.max_example_weight);
  }
  FEDGE_RETURN_IF_ERROR(sum_.Add(delta, weight));
  Member& m = members_[client_id];
  m.outcome = Outcome::kAccepted;
  m.num_examples = weight;
  m.update_sha256 = crypto::ToHex(header.sha256());
  m.bytes_up += bytes_up;
  --pending_;
  loss_sum_ += header.metrics().loss() * static_cast<double>(weight);
  accuracy_sum_ += header.metrics().accuracy() * static_cast<double>(weight);
  examples_ += weight;
  bytes_up_ += bytes_up;
  return absl::OkStatus();
}

void Round::RecordRejection(const std::string& client_id,
                            const std::string& reason) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(client_id);
  if (it == members_.end()) return;
  ++it->second.rejections;
  it->second.reason = reason;
}

void Round::OpenEvaluation(uint64_t model_version,
                           const std::vector<std::string>& evaluators) {
  absl::MutexLock lock(&mu_);
  eval_model_version_ = model_version;
  for (const std::string& id : evaluators) eval_pending_.insert(id);
  evaluation_open_ = true;
}

absl::Status Round::AcceptEvaluation(const std::string& client_id,
                                     const v1::EvaluationReport& report) {
  absl::MutexLock lock(&mu_);
  if (!evaluation_open_) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", number(), " is not collecting evaluations"));
  }
  if (report.round() != number() ||
      report.model_version() != eval_model_version_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "evaluation report is for round ", report.round(), " model version ",
        report.model_version(), "; expected round ", number(),
        " model version ", eval_model_version_));
  }
  if (eval_pending_.erase(client_id) == 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("client ", client_id,
                     " has no evaluation pending in round ", number()));
  }
  if (report.num_examples() == 0 || !(report.accuracy() >= 0) ||
      report.accuracy() > 1 || !(report.loss() >= 0) ||
      !std::isfinite(report.loss())) {
    return absl::InvalidArgumentError(
        "evaluation report needs num_examples > 0, 0 <= accuracy <= 1 and a "
        "finite loss >= 0");
  }
  double n = static_cast<double>(report.num_examples());
  eval_loss_sum_ += report.loss() * n;
  eval_accuracy_sum_ += report.accuracy() * n;
  eval_.num_examples += report.num_examples();
  ++eval_.reports;
  return absl::OkStatus();
}

void Round::Drop(const std::string& client_id, const std::string& reason) {
  absl::MutexLock lock(&mu_);
  auto it = members_.find(client_id);
  if (it == members_.end() || it->second.outcome != Outcome::kPending) return;
  it->second.outcome = Outcome::kDropped;
  it->second.reason = reason;
  --pending_;
}

bool Round::AwaitSettled(util::Clock* clock, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_ == 0 || interrupted_;
  };
  clock->AwaitWithDeadline(&mu_, absl::Condition(&settled), deadline);
  return pending_ == 0;
}

bool Round::AwaitEvaluations(util::Clock* clock, size_t expected,
                             absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto done = [this, expected]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return eval_.reports >= expected || interrupted_;
  };
  clock->AwaitWithDeadline(&mu_, absl::Condition(&done), deadline);
  return eval_.reports >= expected;
}

void Round::Interrupt() {
  absl::MutexLock lock(&mu_);
  interrupted_ = true;
}

std::vector<std::string> Round::CloseTraining(const std::string& reason) {
  absl::MutexLock lock(&mu_);
  training_open_ = false;
  std::vector<std::string> dropped;
  for (auto& [id, m] : members_) {
    if (m.outcome == Outcome::kPending) {
      m.outcome = Outcome::kDropped;
      m.reason = reason;
      dropped.push_back(id);
    }
  }
  pending_ = 0;
  return dropped;
}

void Round::CloseEvaluation() {
  absl::MutexLock lock(&mu_);
  evaluation_open_ = false;
}

absl::StatusOr<tensor::ParameterSet> Round::Aggregate() const {
  absl::ReaderMutexLock lock(&mu_);
  return sum_.Apply(options_.base->state);
}

uint32_t Round::num_accepted() const {
  absl::ReaderMutexLock lock(&mu_);
  return sum_.num_updates();
}

TrainSummary Round::train_summary() const {
  absl::ReaderMutexLock lock(&mu_);
  TrainSummary s;
  s.num_examples = examples_;
  if (examples_ > 0) {
    s.loss = loss_sum_ / static_cast<double>(examples_);
    s.accuracy = accuracy_sum_ / static_cast<double>(examples_);
  }
  return s;
}

EvalSummary Round::eval_summary() const {
  absl::ReaderMutexLock lock(&mu_);
  EvalSummary s = eval_;
  if (s.num_examples > 0) {
    s.loss = eval_loss_sum_ / static_cast<double>(s.num_examples);
    s.accuracy = eval_accuracy_sum_ / static_cast<double>(s.num_examples);
  }
  return s;
}

std::vector<ParticipantRecord> Round::Participants() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<ParticipantRecord> out;
  for (const auto& [id, m] : members_) {
    ParticipantRecord p;
    p.client_id = id;
    switch (m.outcome) {
      case Outcome::kAccepted:
        p.outcome = "accepted";
        break;
      case Outcome::kDropped:
        p.outcome = m.rejections > 0 ? "rejected" : "dropped";
        break;
      case Outcome::kPending:
        p.outcome = "dropped";
        break;
    }
    p.reason = m.outcome == Outcome::kAccepted ? "" : m.reason;
    p.num_examples = m.num_examples;
    p.update_sha256 = m.update_sha256;
    p.bytes_up = m.bytes_up;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> Round::AcceptedClients() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [id, m] : members_) {
    if (m.outcome == Outcome::kAccepted) out.push_back(id);
  }
  return out;
}

uint64_t Round::bytes_up() const {
  absl::ReaderMutexLock lock(&mu_);
  return bytes_up_;
}

}  // namespace fedge::server
