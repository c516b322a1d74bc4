#include "server/round.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/privacy/adaptive_clipping.h"
#include "common/secagg/quantizer.h"
#include "common/secagg/ring.h"
#include "common/tensor/serialization.h"
#include "common/util/logging.h"
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

std::vector<std::string> UploadShapes(const RoundOptions& options) {
  if (options.secagg.has_value()) {
    return {absl::StrCat("masked:", options.secagg->num_elements())};
  }
  std::vector<std::string> shapes;
  for (const tensor::TensorSpec& spec : options.base->state.specs()) {
    shapes.push_back(
        absl::StrCat(spec.name, ":", absl::StrJoin(spec.shape, "x")));
  }
  return shapes;
}

}  // namespace

Round::Round(RoundOptions options)
    : options_(std::move(options)),
      expectation_(MakeExpectation(options_)),
      upload_shapes_(UploadShapes(options_)),
      sum_(options_.base->state.specs()) {
  absl::MutexLock lock(&mu_);
  for (const std::string& id : options_.cohort) members_[id] = Member{};
  pending_ = members_.size();
  if (options_.secagg.has_value()) {
    secagg::ServerSetup setup;
    setup.round = options_.number;
    setup.params = *options_.secagg;
    setup.cohort = options_.cohort;
    setup.certificates = options_.certificates;
    auto server = secagg::SecAggServer::Create(std::move(setup));
    if (server.ok()) {
      secagg_ = std::move(*server);
    } else {
      // Parameters come from DeriveParameters; this is a programming error.
      FEDGE_LOG(Error, "server")
          << "round " << options_.number
          << ": secure aggregation setup failed: " << server.status();
    }
  }
}

uint64_t Round::upload_size_limit() const {
  if (secure()) {
    return secagg::PackedSize(options_.secagg->num_elements(),
                              options_.secagg->ring_bits());
  }
  return expectation_.size_bytes;
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
  if (header.masked() != secure()) {
    return absl::FailedPreconditionError(
        secure() ? absl::StrCat("round ", number(),
                                " uses secure aggregation: upload a masked "
                                "input, not a plaintext update")
                 : absl::StrCat("round ", number(),
                                " does not use secure aggregation: upload a "
                                "plaintext update"));
  }
  if (!secure()) return CheckUpdateHeader(header, expectation_);
  UpdateExpectation masked = expectation_;
  masked.size_bytes = upload_size_limit();
  FEDGE_RETURN_IF_ERROR(CheckUpdateHeader(header, masked));
  if (header.total_size() != masked.size_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a masked input of this round is exactly ", masked.size_bytes,
        " bytes; the header declares ", header.total_size()));
  }
  if (secagg_ == nullptr) {
    return absl::InternalError("secure aggregation is not set up");
  }
  return secagg_->CheckMaskedInput(client_id);
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
  if (options_.clip_norm > 0) {
    // Central DP: the sum sees the clipped delta only.
    std::vector<float> clipped(delta.values.begin(), delta.values.end());
    const double norm =
        privacy::ClipToNorm(absl::MakeSpan(clipped), options_.clip_norm);
    if (!std::isfinite(norm)) {
      return absl::InvalidArgumentError("update holds a non-finite value");
    }
    FEDGE_RETURN_IF_ERROR(
        sum_.Add(tensor::ParameterSetView{delta.specs, clipped}, weight));
    if (norm <= options_.clip_norm) ++within_clip_;
  } else {
    FEDGE_RETURN_IF_ERROR(sum_.Add(delta, weight));
  }
  if (options_.keep_updates) {
    kept_.push_back(
        {client_id,
         std::vector<float>(delta.values.begin(), delta.values.end()), weight});
  }
  MarkAccepted(client_id, weight, header, bytes_up);
  loss_sum_ += header.metrics().loss() * static_cast<double>(weight);
  accuracy_sum_ += header.metrics().accuracy() * static_cast<double>(weight);
  examples_ += weight;
  return absl::OkStatus();
}

void Round::MarkAccepted(const std::string& client_id, uint64_t weight,
                         const v1::UpdateHeader& header, uint64_t bytes_up) {
  Member& m = members_[client_id];
  m.outcome = Outcome::kAccepted;
  m.num_examples = weight;
  m.update_sha256 = crypto::ToHex(header.sha256());
  m.bytes_up += bytes_up;
  --pending_;
  bytes_up_ += bytes_up;
  if (options_.audit == nullptr) return;
  v1::AuditEvent event;
  v1::UploadAccepted* accepted = event.mutable_upload_accepted();
  accepted->set_client_id(client_id);
  accepted->set_sha256(header.sha256());
  accepted->set_bytes(bytes_up);
  for (const std::string& shape : upload_shapes_) accepted->add_shapes(shape);
  // A failed write latches the trail's failure: the round cannot commit.
  auto logged = options_.audit->RecordEntry(number(), client_id, event);
  if (logged.ok()) {
    m.audit_index = logged->first;
    m.audit_entry = std::move(logged->second);
  }
}

void Round::LogDropped(const std::string& client_id,
                       const std::string& reason) {
  if (options_.audit == nullptr) return;
  v1::AuditEvent event;
  event.mutable_client_dropped()->set_client_id(client_id);
  event.mutable_client_dropped()->set_reason(reason);
  event.mutable_client_dropped()->set_stage(
      secagg_ != nullptr ? secagg_->stage() : "training");
  (void)options_.audit->Record(number(), kServerActor, event);
}

absl::Status Round::AcceptMasked(const std::string& client_id,
                                 const v1::UpdateHeader& header,
                                 absl::string_view packed, uint64_t bytes_up) {
  absl::MutexLock lock(&mu_);
  FEDGE_RETURN_IF_ERROR(CheckLocked(client_id, header));
  FEDGE_RETURN_IF_ERROR(secagg_->HandleMaskedInput(client_id, packed));
  // The weight is inside the masked input: unknown until the sum is
  // unmasked, and never known per client.
  MarkAccepted(client_id, 0, header, bytes_up);
  return absl::OkStatus();
}

absl::Status Round::HandleSecAgg(const std::string& client_id,
                                 const v1::SecAggMessage& message) {
  absl::MutexLock lock(&mu_);
  if (!secure() || secagg_ == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("round ", number(), " does not use secure aggregation"));
  }
  if (message.round() != number()) {
    return absl::FailedPreconditionError(
        absl::StrCat("secure aggregation message for round ", message.round(),
                     " but round ", number(), " is open"));
  }
  auto it = members_.find(client_id);
  if (it == members_.end()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "client ", client_id, " was not selected for round ", number()));
  }
  if (it->second.outcome == Outcome::kDropped) {
    return absl::FailedPreconditionError(
        absl::StrCat("client ", client_id, " was dropped from round ", number(),
                     " (", it->second.reason, ")"));
  }
  switch (message.stage_case()) {
    case v1::SecAggMessage::kAdvertiseKeys:
      return secagg_->HandleAdvertiseKeys(client_id, message.advertise_keys());
    case v1::SecAggMessage::kShareKeys:
      return secagg_->HandleShareKeys(client_id, message.share_keys());
    case v1::SecAggMessage::kUnmask:
      return secagg_->HandleUnmask(client_id, message.unmask());
    default:
      return absl::InvalidArgumentError(
          "secure aggregation message carries no stage");
  }
}

bool Round::AwaitSecAggStage(util::Clock* clock, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto answered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (interrupted_ || secagg_ == nullptr) return true;
    for (const std::string& id : secagg_->Pending()) {
      auto it = members_.find(id);
      if (it != members_.end() && it->second.outcome != Outcome::kDropped &&
          !it->second.gone) {
        return false;
      }
    }
    return true;
  };
  clock->AwaitWithDeadline(&mu_, absl::Condition(&answered), deadline);
  return answered() && !interrupted_;
}

absl::StatusOr<secagg::ServerTransition> Round::CloseSecAggStage(
    const std::string& reason) {
  absl::MutexLock lock(&mu_);
  if (secagg_ == nullptr) {
    return absl::FailedPreconditionError("round has no secure aggregation");
  }
  for (const std::string& id : secagg_->Pending()) DropLocked(id, reason);
  return secagg_->Close();
}

std::string Round::secagg_stage() const {
  absl::ReaderMutexLock lock(&mu_);
  return secagg_ == nullptr ? "" : secagg_->stage();
}

void Round::RecordRejection(const std::string& client_id,
                            const std::string& reason) {
  absl::MutexLock lock(&mu_);
  if (options_.audit != nullptr) {
    v1::AuditEvent event;
    event.mutable_upload_rejected()->set_client_id(client_id);
    event.mutable_upload_rejected()->set_reason(reason);
    (void)options_.audit->Record(number(), client_id, event);
  }
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
  DropLocked(client_id, reason);
}

void Round::DropLocked(const std::string& client_id,
                       const std::string& reason) {
  auto it = members_.find(client_id);
  if (it == members_.end()) return;
  if (it->second.outcome == Outcome::kAccepted) it->second.gone = true;
  if (it->second.outcome != Outcome::kPending) return;
  it->second.outcome = Outcome::kDropped;
  it->second.reason = reason;
  --pending_;
  LogDropped(client_id, reason);
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
      LogDropped(id, reason);
    }
  }
  pending_ = 0;
  return dropped;
}

void Round::CloseEvaluation() {
  absl::MutexLock lock(&mu_);
  evaluation_open_ = false;
}

absl::StatusOr<tensor::ParameterSet> Round::Aggregate() {
  absl::MutexLock lock(&mu_);
  if (!secure()) return sum_.Apply(options_.base->state);
  if (secagg_ == nullptr) {
    return absl::FailedPreconditionError("round has no secure aggregation");
  }
  FEDGE_ASSIGN_OR_RETURN(secagg::AggregateResult result, secagg_->Result());
  FEDGE_ASSIGN_OR_RETURN(secagg::WeightedMean mean,
                         secagg::Dequantize(result.sum, *options_.secagg));
  tensor::ParameterSet next = options_.base->state;
  absl::Span<float> values = next.mutable_values();
  if (values.size() != mean.delta.size()) {
    return absl::InternalError("unmasked sum does not match the model");
  }
  for (size_t i = 0; i < values.size(); ++i) values[i] += mean.delta[i];
  secure_weight_ = mean.total_weight;
  return next;
}

uint32_t Round::num_within_clip() const {
  absl::ReaderMutexLock lock(&mu_);
  return within_clip_;
}

uint32_t Round::num_accepted() const {
  absl::ReaderMutexLock lock(&mu_);
  uint32_t n = 0;
  for (const auto& [id, m] : members_) n += m.outcome == Outcome::kAccepted;
  return n;
}

TrainSummary Round::train_summary() const {
  absl::ReaderMutexLock lock(&mu_);
  TrainSummary s;
  if (secure()) {
    // Per-client metrics stay on the clients; only the summed weight (the
    // capped example count) comes out of the unmasked sum.
    s.num_examples = secure_weight_;
    s.loss = std::nan("");
    s.accuracy = std::nan("");
    return s;
  }
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

std::vector<AuditedUpload> Round::AuditedUploads() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<AuditedUpload> out;
  for (const auto& [id, m] : members_) {
    if (m.outcome != Outcome::kAccepted || !m.audit_index.has_value()) {
      continue;
    }
    AuditedUpload upload;
    upload.client_id = id;
    upload.index = *m.audit_index;
    upload.entry = m.audit_entry;
    out.push_back(std::move(upload));
  }
  return out;
}

std::vector<KeptUpdate> Round::TakeKeptUpdates() {
  absl::MutexLock lock(&mu_);
  std::vector<KeptUpdate> out = std::move(kept_);
  kept_.clear();
  return out;
}

uint64_t Round::bytes_up() const {
  absl::ReaderMutexLock lock(&mu_);
  return bytes_up_;
}

}  // namespace fedge::server
