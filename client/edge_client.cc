#include "client/edge_client.h"

#include <thread>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/net/grpc_status.h"
#include "common/net/proto_time.h"
#include "common/tensor/chunking.h"
#include "common/tensor/serialization.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/stable_hash.h"
#include "common/util/status_macros.h"

namespace fedge::client {
namespace {

// A downloaded model may not exceed this (4 GiB), whatever the server claims.
constexpr uint64_t kMaxModelBytes = uint64_t{4} << 30;
constexpr char kCachedModelFile[] = "global_model.fedge";
constexpr char kCachedModelMeta[] = "global_model.version";

// Errors after which retrying cannot help: the server refused this client.
bool IsPermanent(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kUnauthenticated:
      return true;
    default:
      return false;
  }
}

}  // namespace

EdgeClient::EdgeClient(EdgeClientOptions options,
                       TrainerFactory trainer_factory,
                       EvaluatorFactory evaluator_factory,
                       const data::Dataset* eval_data, util::Clock* clock)
    : options_(std::move(options)),
      trainer_factory_(std::move(trainer_factory)),
      evaluator_factory_(std::move(evaluator_factory)),
      eval_data_(eval_data),
      clock_(clock) {
  LoadCachedModel();
}

bool EdgeClient::stopped() const {
  absl::MutexLock lock(&mu_);
  return stopped_;
}

void EdgeClient::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  if (active_stream_ != nullptr) active_stream_->TryCancel();
}

EdgeClientStats EdgeClient::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void EdgeClient::LoadCachedModel() {
  if (options_.state_dir.empty()) return;
  auto meta =
      util::ReadFile(util::JoinPath(options_.state_dir, kCachedModelMeta));
  auto blob =
      util::ReadFile(util::JoinPath(options_.state_dir, kCachedModelFile));
  if (!meta.ok() || !blob.ok()) return;
  uint64_t version = 0;
  if (!absl::SimpleAtoi(*meta, &version)) return;
  auto state = tensor::Deserialize(*blob);
  if (!state.ok()) return;
  model_version_ = version;
  model_sha256_ = crypto::DigestBytes(crypto::Sha256(*blob));
  model_ = std::make_shared<const tensor::ParameterSet>(std::move(*state));
}

absl::StatusOr<std::unique_ptr<ServerConnection>> EdgeClient::Connect() {
  return ServerConnection::Open(options_.server_address, options_.tls,
                                options_.insecure_client_id,
                                options_.rpc_timeout);
}

absl::Status EdgeClient::Run() {
  uint64_t seed = absl::HashOf(options_.insecure_client_id,
                               options_.tls ? options_.tls->cert : "",
                               absl::ToUnixNanos(clock_->Now()));
  net::Backoff backoff(options_.backoff, seed);
  absl::Time last_success = clock_->Now();
  while (true) {
    if (stopped()) return absl::CancelledError("client stopped");
    uint64_t joins_before = stats().joins;
    absl::Status status = Session();
    if (status.ok()) return status;
    if (stopped()) return absl::CancelledError("client stopped");
    if (IsPermanent(status)) {
      FEDGE_LOG(Error, "client")
          << "the server refused this client: " << status;
      return status;
    }
    if (stats().joins > joins_before) {
      backoff.Reset();
      last_success = clock_->Now();
    }
    if (options_.give_up_after > absl::ZeroDuration() &&
        clock_->Now() - last_success > options_.give_up_after) {
      return absl::UnavailableError(absl::StrCat(
          "gave up after ", absl::FormatDuration(options_.give_up_after),
          " without reaching the server at ", options_.server_address,
          "; last error: ", status.ToString()));
    }
    absl::Duration wait = backoff.Next();
    FEDGE_LOG(Warning, "client")
        << "connection to " << options_.server_address << " lost or refused ("
        << status << "); retrying in " << absl::FormatDuration(wait);
    absl::MutexLock lock(&mu_);
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopped_),
                              clock_->Now() + wait);
  }
}

absl::Status EdgeClient::Session() {
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<ServerConnection> conn, Connect());

  v1::JoinRequest join;
  join.set_region(options_.region);
  join.mutable_consent()->set_purpose_id(options_.consent.purpose_id);
  join.mutable_consent()->set_consent_version(options_.consent.version);
  net::ToProtoTimestamp(options_.consent.given_at,
                        join.mutable_consent()->mutable_given_at());
  v1::Capabilities* caps = join.mutable_capabilities();
  caps->set_runtime_version(FEDGE_VERSION_STRING);
  caps->set_cpu_cores(std::thread::hardware_concurrency());
  caps->add_model_formats("builtin");
  caps->add_model_formats("torchscript");
  v1::JoinResponse joined;
  {
    grpc::ClientContext context;
    conn->Prepare(&context);
    context.set_wait_for_ready(false);
    FEDGE_RETURN_IF_ERROR(
        net::FromGrpcStatus(conn->stub().Join(&context, join, &joined)));
  }
  client_id_ = joined.client_id();
  FEDGE_RETURN_IF_ERROR(PrepareModel(joined.model()));
  {
    absl::MutexLock lock(&mu_);
    ++stats_.joins;
  }
  FEDGE_LOG(Info, "client")
      << "joined run " << joined.run_id() << " as " << client_id_;

  grpc::ClientContext stream_context;
  conn->Prepare(&stream_context, std::nullopt, /*with_deadline=*/false);
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::CancelledError("client stopped");
    active_stream_ = &stream_context;
  }
  v1::StreamTasksRequest request;
  request.set_session_id(joined.session_id());
  std::unique_ptr<grpc::ClientReader<v1::Task>> reader =
      conn->stub().StreamTasks(&stream_context, request);
  v1::Task task;
  bool finished = false;
  absl::Status task_error;
  while (reader->Read(&task)) {
    if (task.has_finished()) {
      finished = true;
      FEDGE_LOG(Info, "client")
          << "the server says: " << task.finished().reason();
      break;
    }
    task_error = HandleTask(*conn, task);
    if (!task_error.ok() && IsPermanent(task_error)) {
      stream_context.TryCancel();
      break;
    }
  }
  if (finished) stream_context.TryCancel();
  absl::Status stream_status = net::FromGrpcStatus(reader->Finish());
  {
    absl::MutexLock lock(&mu_);
    active_stream_ = nullptr;
  }
  if (finished) return absl::OkStatus();
  if (!task_error.ok() && IsPermanent(task_error)) return task_error;
  if (stream_status.ok()) {
    return absl::UnavailableError("the server closed the task stream");
  }
  return stream_status;
}

absl::Status EdgeClient::PrepareModel(const v1::ModelDescriptor& descriptor) {
  if (descriptor_.has_value() &&
      descriptor_->SerializeAsString() == descriptor.SerializeAsString()) {
    return absl::OkStatus();
  }
  models::ModelSpec spec;
  spec.kind = descriptor.kind();
  spec.input_shape.assign(descriptor.input_shape().begin(),
                          descriptor.input_shape().end());
  spec.num_classes = descriptor.num_classes();
  if (spec.kind == "torchscript") {
    if (options_.torchscript_path.empty()) {
      return absl::FailedPreconditionError(
          "the federation trains a TorchScript model: set model.torchscript "
          "in the client config to the model file");
    }
    FEDGE_ASSIGN_OR_RETURN(std::string bytes,
                           util::ReadFile(options_.torchscript_path));
    if (crypto::DigestBytes(crypto::Sha256(bytes)) !=
        descriptor.torchscript_sha256()) {
      return absl::FailedPreconditionError(
          absl::StrCat("TorchScript file ", options_.torchscript_path,
                       " differs from the federation's model (SHA-256 ",
                       crypto::ToHex(crypto::Sha256(bytes)), ", expected ",
                       crypto::ToHex(descriptor.torchscript_sha256()), ")"));
    }
    spec.torchscript_path = options_.torchscript_path;
  } else if (!models::IsBuiltinKind(spec.kind)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the federation trains a model of kind '", spec.kind,
                     "' which this client does not know; upgrade fedge"));
  }
  FEDGE_ASSIGN_OR_RETURN(trainer_, trainer_factory_(spec));
  evaluator_.reset();
  if (evaluator_factory_ && eval_data_ != nullptr) {
    auto evaluator = evaluator_factory_(spec);
    if (evaluator.ok()) {
      evaluator_ = std::move(*evaluator);
    } else {
      FEDGE_LOG(Warning, "client")
          << "federated evaluation unavailable: " << evaluator.status();
    }
  }
  descriptor_ = descriptor;
  return absl::OkStatus();
}

absl::Status EdgeClient::SecureStage(absl::Status status) {
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

absl::Status EdgeClient::HandleTask(ServerConnection& conn,
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
  if (!status.ok()) {
    FEDGE_LOG(Warning, "client") << "task failed: " << status;
  }
  return status;
}

absl::StatusOr<std::shared_ptr<const tensor::ParameterSet>>
EdgeClient::EnsureModel(ServerConnection& conn, const v1::ModelRef& ref) {
  if (model_ != nullptr && model_version_ == ref.version() &&
      model_sha256_ == ref.sha256()) {
    return model_;
  }
  const absl::Time start = absl::Now();
  grpc::ClientContext context;
  conn.Prepare(&context, absl::Now() + absl::Minutes(30));
  v1::DownloadModelRequest request;
  request.set_version(ref.version());
  auto reader = conn.stub().DownloadModel(&context, request);
  v1::ModelChunk chunk;
  std::optional<tensor::ChunkAssembler> assembler;
  absl::Status status;
  while (status.ok() && reader->Read(&chunk)) {
    if (!assembler.has_value()) {
      if (!chunk.has_model() || chunk.model().version() != ref.version() ||
          chunk.model().sha256() != ref.sha256()) {
        status = absl::DataLossError(
            "the server sent another model than the task named");
        break;
      }
      assembler.emplace(chunk.model().size_bytes(), kMaxModelBytes);
      status = assembler->CheckDeclaration();
      if (!status.ok()) break;
    }
    status = assembler->Add(chunk.offset(), chunk.data());
  }
  if (!status.ok()) {
    context.TryCancel();
    reader->Finish();
    return status;
  }
  FEDGE_RETURN_IF_ERROR(net::FromGrpcStatus(reader->Finish()));
  if (!assembler.has_value()) {
    return absl::DataLossError("model download carried no data");
  }
  uint64_t size = assembler->received();
  FEDGE_ASSIGN_OR_RETURN(std::string blob, assembler->Finish(ref.sha256()));
  FEDGE_ASSIGN_OR_RETURN(tensor::ParameterSet state, tensor::Deserialize(blob));
  if (options_.on_transfer) {
    options_.on_transfer({TransferEvent::Direction::kDownload, 0, size,
                          absl::ToDoubleSeconds(absl::Now() - start), true});
  }
  if (!options_.state_dir.empty()) {
    absl::Status saved = util::MakeDirectories(options_.state_dir);
    if (saved.ok()) {
      saved = util::WriteFileAtomically(
          util::JoinPath(options_.state_dir, kCachedModelFile), blob);
    }
    if (saved.ok()) {
      saved = util::WriteFileAtomically(
          util::JoinPath(options_.state_dir, kCachedModelMeta),
          absl::StrCat(ref.version()));
    }
    if (!saved.ok()) {
      FEDGE_LOG(Warning, "client") << "cannot keep the model: " << saved;
    }
  }
  model_ = std::make_shared<const tensor::ParameterSet>(std::move(state));
  model_version_ = ref.version();
  model_sha256_ = ref.sha256();
  absl::MutexLock lock(&mu_);
  ++stats_.models_downloaded;
  stats_.bytes_down += size;
  return model_;
}

absl::StatusOr<EdgeClient::TrainedDelta> EdgeClient::TrainDelta(
    ServerConnection& conn, const v1::TrainTask& task) {
  FEDGE_ASSIGN_OR_RETURN(std::shared_ptr<const tensor::ParameterSet> global,
                         EnsureModel(conn, task.model()));
  TrainOptions options;
  const v1::TrainingConfig& tc = task.config();
  options.local_epochs = tc.local_epochs();
  options.batch_size = tc.batch_size();
  options.learning_rate = tc.learning_rate();
  options.momentum = tc.momentum();
  options.weight_decay = tc.weight_decay();
  options.max_examples = tc.max_examples();
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

absl::Status EdgeClient::Train(ServerConnection& conn,
                               const v1::TrainTask& task) {
  FEDGE_ASSIGN_OR_RETURN(TrainedDelta trained, TrainDelta(conn, task));
  return Upload(conn, task, tensor::Serialize(trained.delta), &trained.result);
}

absl::Status EdgeClient::Upload(ServerConnection& conn,
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

absl::Status EdgeClient::Evaluate(ServerConnection& conn,
                                  const v1::EvaluateTask& task) {
  if (evaluator_ == nullptr || eval_data_ == nullptr) {
    return absl::UnavailableError("this client has no evaluation data");
  }
  FEDGE_ASSIGN_OR_RETURN(std::shared_ptr<const tensor::ParameterSet> model,
                         EnsureModel(conn, task.model()));
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

absl::Status EdgeClient::Leave(const std::string& reason,
                               bool withdraw_consent) {
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<ServerConnection> conn, Connect());
  v1::LeaveRequest request;
  request.set_reason(reason);
  request.set_withdraw_consent(withdraw_consent);
  v1::LeaveResponse response;
  grpc::ClientContext context;
  conn->Prepare(&context);
  return net::FromGrpcStatus(conn->stub().Leave(&context, request, &response));
}

}  // namespace fedge::client
