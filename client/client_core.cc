#include "client/client_core.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/model_descriptor.h"
#include "client/receipt_keeper.h"
#include "common/crypto/sha256.h"
#include "common/net/grpc_status.h"
#include "common/net/proto_time.h"
#include "common/privacy/noise_share.h"
#include "common/tensor/chunking.h"
#include "common/tensor/serialization.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/stable_hash.h"
#include "common/util/status_macros.h"

namespace fedge::client {

ClientCore::ClientCore(ClientCoreOptions options,
                       TrainerFactory trainer_factory,
                       EvaluatorFactory evaluator_factory,
                       const data::Dataset* eval_data,
                       std::shared_ptr<ModelCache> cache)
    : options_(std::move(options)),
      trainer_factory_(std::move(trainer_factory)),
      evaluator_factory_(std::move(evaluator_factory)),
      eval_data_(eval_data),
      cache_(std::move(cache)) {}

EdgeClientStats ClientCore::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void ClientCore::CountJoin() {
  absl::MutexLock lock(&mu_);
  ++stats_.joins;
}

absl::Status ClientCore::OnJoined(const std::string& client_id,
                                  const v1::ModelDescriptor& descriptor) {
  client_id_ = client_id;
  if (descriptor_.has_value() &&
      descriptor_->SerializeAsString() == descriptor.SerializeAsString()) {
    return absl::OkStatus();
  }
  FEDGE_ASSIGN_OR_RETURN(
      models::ModelSpec spec,
      SpecFromDescriptor(descriptor, options_.torchscript_path));
  spec_ = spec;
  trainer_.reset();
  evaluator_.reset();
  descriptor_ = descriptor;
  if (!options_.release_after_task) {
    // A device builds its model once, and finds problems at once.
    FEDGE_RETURN_IF_ERROR(EnsureTrainer());
  }
  return absl::OkStatus();
}

absl::Status ClientCore::EnsureTrainer() {
  if (trainer_ != nullptr) return absl::OkStatus();
  if (!descriptor_.has_value()) {
    return absl::FailedPreconditionError("a task arrived before Join");
  }
  FEDGE_ASSIGN_OR_RETURN(trainer_, trainer_factory_(spec_));
  if (evaluator_factory_ && eval_data_ != nullptr && evaluator_ == nullptr) {
    auto evaluator = evaluator_factory_(spec_);
    if (evaluator.ok()) {
      evaluator_ = std::move(*evaluator);
    } else {
      FEDGE_LOG(Warning, "client")
          << "federated evaluation unavailable: " << evaluator.status();
    }
  }
  return absl::OkStatus();
}

void ClientCore::ReleaseIfIdle() {
  // A secure round needs the trainer until its masked input is uploaded.
  if (options_.release_after_task && (secure_ == nullptr || secure_trained_)) {
    trainer_.reset();
    evaluator_.reset();
  }
}

absl::Status ClientCore::SecureStage(absl::Status status) {
  if (status.ok()) return status;
  // A failed check in a secure round (say, a neighbour's keys that do not
  // verify) costs this client the round, not its place in the federation.
  FEDGE_LOG(Warning, "client")
      << "this client leaves the secure round in progress: " << status;
  secure_.reset();
  absl::MutexLock lock(&mu_);
  ++stats_.secure_rounds_abandoned;
  return absl::OkStatus();
}

absl::Status ClientCore::HandleTask(ServerConnection& conn,
                                    const v1::Task& task) {
  absl::Status status;
  if (task.has_train() && task.train().has_secagg()) {
    status = SecureStage(StartSecureRound(conn, task.train()));
  } else if (task.has_train()) {
    status = Train(conn, task.train());
  } else if (task.has_secagg_share_keys()) {
    status = SecureStage(ShareSecureKeys(conn, task.secagg_share_keys()));
  } else if (task.has_secagg_masked_input()) {
    status = SecureStage(UploadMaskedInput(conn, task.secagg_masked_input()));
  } else if (task.has_secagg_unmask()) {
    status = SecureStage(RevealSecureShares(conn, task.secagg_unmask()));
  } else if (task.has_evaluate()) {
    status = Evaluate(conn, task.evaluate());
  } else if (task.has_receipt()) {
    absl::Status kept =
        KeepReceipt(options_.receipt_dir, client_id_, task.receipt());
    if (kept.ok()) {
      absl::MutexLock lock(&mu_);
      ++stats_.receipts;
    } else {
      FEDGE_LOG(Warning, "client") << "audit receipt not kept: " << kept;
    }
  } else if (task.has_cancel()) {
    FEDGE_LOG(Info, "client") << "round " << task.cancel().round()
                              << " cancelled: " << task.cancel().reason();
    if (secure_ != nullptr && secure_->round() == task.cancel().round()) {
      secure_.reset();
    }
  } else {
    FEDGE_LOG(Warning, "client") << "ignoring a task of a kind this client "
                                    "does not know; upgrade fedge";
  }
  ReleaseIfIdle();
  if (!status.ok()) {
    FEDGE_LOG(Warning, "client") << "task failed: " << status;
  }
  return status;
}

absl::StatusOr<std::shared_ptr<const tensor::ParameterSet>>
ClientCore::EnsureModel(ServerConnection& conn, const v1::ModelRef& ref) {
  FEDGE_ASSIGN_OR_RETURN(ModelCache::Fetched fetched,
                         cache_->Get(conn, ref, options_.on_transfer));
  if (fetched.downloaded_bytes > 0) {
    {
      absl::MutexLock lock(&mu_);
      ++stats_.models_downloaded;
      stats_.bytes_down += fetched.downloaded_bytes;
    }
    if (options_.on_model_downloaded) {
      options_.on_model_downloaded(ref.version());
    }
  }
  return fetched.model;
}

absl::Status ClientCore::FetchModel(ServerConnection& conn,
                                    const v1::ModelRef& ref) {
  return EnsureModel(conn, ref).status();
}

absl::StatusOr<ClientCore::TrainedDelta> ClientCore::TrainDelta(
    ServerConnection& conn, const v1::TrainTask& task) {
  FEDGE_ASSIGN_OR_RETURN(std::shared_ptr<const tensor::ParameterSet> global,
                         EnsureModel(conn, task.model()));
  FEDGE_RETURN_IF_ERROR(EnsureTrainer());
  TrainOptions options;
  const v1::TrainingConfig& tc = task.config();
  options.local_epochs = tc.local_epochs();
  options.batch_size = tc.batch_size();
  options.learning_rate = tc.learning_rate();
  options.momentum = tc.momentum();
  options.weight_decay = tc.weight_decay();
  options.max_examples = tc.max_examples();
  options.proximal_mu = tc.proximal_mu();
  options.model_version = task.model().version();
  // Each client shuffles differently, reproducibly.
  options.seed = tc.seed() ^ util::StableHash64(client_id_);
  FEDGE_ASSIGN_OR_RETURN(TrainResult result, trainer_->Train(*global, options));
  if (!result.trained.SameLayout(*global)) {
    return absl::InternalError("the trainer changed the model's layout");
  }
  // What leaves the device is derived from the weight delta, never the data.
  TrainedDelta out;
  out.delta = std::move(result.trained);
  absl::Span<float> d = out.delta.mutable_values();
  absl::Span<const float> g = global->values();
  for (size_t i = 0; i < d.size(); ++i) d[i] -= g[i];
  // Distributed differential privacy: clip, then add this client's share
  // of the noise, before anything is quantized or masked.
  FEDGE_RETURN_IF_ERROR(privacy::ClipAndAddNoiseShare(d, tc.dp_clip_norm(),
                                                      tc.dp_noise_stddev()));
  out.result = std::move(result);
  {
    absl::MutexLock lock(&mu_);
    ++stats_.rounds_trained;
  }
  FEDGE_LOG(Info, "client")
      << "round " << task.round() << ": trained on " << out.result.num_examples
      << " examples in " << out.result.seconds << " s, loss "
      << out.result.loss;
  return out;
}

absl::Status ClientCore::Train(ServerConnection& conn,
                               const v1::TrainTask& task) {
  absl::StatusOr<TrainedDelta> trained_or = TrainDelta(conn, task);
  if (absl::IsUnavailable(trained_or.status())) {
    // This round only (see Trainer::Train); the server drops this client
    // from it at its deadline.
    FEDGE_LOG(Warning, "client")
        << "round " << task.round() << " skipped: " << trained_or.status();
    return absl::OkStatus();
  }
  FEDGE_ASSIGN_OR_RETURN(TrainedDelta trained, std::move(trained_or));
  return Upload(conn, task, tensor::Serialize(trained.delta), &trained.result);
}

absl::Status ClientCore::Upload(ServerConnection& conn,
                                const v1::TrainTask& task,
                                const std::string& blob,
                                const TrainResult* result) {
  const absl::Time start = absl::Now();
  grpc::ClientContext context;
  conn.Prepare(&context,
               net::FromProtoTimestamp(task.deadline()) + absl::Seconds(30));
  v1::UploadUpdateResponse response;
  auto writer = conn.stub().UploadUpdate(&context, &response);
  std::string digest = crypto::DigestBytes(crypto::Sha256(blob));
  bool first = true;
  for (tensor::ChunkSlice slice :
       tensor::SliceChunks(blob.size(), options_.chunk_size)) {
    v1::UpdateChunk chunk;
    if (first) {
      v1::UpdateHeader* h = chunk.mutable_header();
      h->set_round(task.round());
      h->set_model_version(task.model().version());
      h->set_total_size(blob.size());
      h->set_sha256(digest);
      if (result != nullptr) {
        h->mutable_metrics()->set_loss(result->loss);
        h->mutable_metrics()->set_accuracy(result->accuracy);
        h->mutable_metrics()->set_num_examples(result->num_examples);
        h->mutable_metrics()->set_train_seconds(result->seconds);
      } else {
        // A masked input: the example count travels inside it, masked, and
        // per-client metrics stay on the device.
        h->set_masked(true);
      }
      first = false;
    }
    chunk.set_offset(slice.offset);
    chunk.set_data(blob.data() + slice.offset, slice.size);
    if (!writer->Write(chunk)) break;  // the server ended the call early
  }
  writer->WritesDone();
  absl::Status status = net::FromGrpcStatus(writer->Finish());
  if (options_.on_transfer) {
    options_.on_transfer(
        {TransferEvent::Direction::kUpload, task.round(), blob.size(),
         absl::ToDoubleSeconds(absl::Now() - start), status.ok()});
  }
  absl::MutexLock lock(&mu_);
  if (status.ok()) {
    ++stats_.uploads_accepted;
    stats_.bytes_up += blob.size();
    FEDGE_LOG(Info, "client")
        << "round " << task.round() << ": update accepted (" << blob.size()
        << " bytes)";
    return absl::OkStatus();
  }
  ++stats_.uploads_rejected;
  // A refused upload is not a refusal of the client: report it, go on.
  FEDGE_LOG(Warning, "client")
      << "round " << task.round() << ": update not accepted: " << status;
  return absl::OkStatus();
}

absl::Status ClientCore::Evaluate(ServerConnection& conn,
                                  const v1::EvaluateTask& task) {
  if (eval_data_ == nullptr) {
    FEDGE_LOG(Info, "client") << "declining evaluation: no evaluation data";
    return absl::OkStatus();
  }
  FEDGE_ASSIGN_OR_RETURN(std::shared_ptr<const tensor::ParameterSet> model,
                         EnsureModel(conn, task.model()));
  FEDGE_RETURN_IF_ERROR(EnsureTrainer());
  if (evaluator_ == nullptr) return absl::OkStatus();
  FEDGE_ASSIGN_OR_RETURN(
      models::EvalMetrics metrics,
      evaluator_->Evaluate(*model, *eval_data_,
                           std::max<uint32_t>(task.batch_size(), 1)));
  v1::EvaluationReport report;
  report.set_round(task.round());
  report.set_model_version(task.model().version());
  report.set_num_examples(metrics.num_examples);
  report.set_loss(metrics.loss);
  report.set_accuracy(metrics.accuracy);
  v1::ReportEvaluationResponse response;
  grpc::ClientContext context;
  conn.Prepare(&context);
  absl::Status status = net::FromGrpcStatus(
      conn.stub().ReportEvaluation(&context, report, &response));
  if (status.ok()) {
    absl::MutexLock lock(&mu_);
    ++stats_.evaluations;
  } else {
    FEDGE_LOG(Warning, "client")
        << "evaluation report not accepted: " << status;
  }
  return absl::OkStatus();
}

}  // namespace fedge::client
