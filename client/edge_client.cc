#include "client/edge_client.h"

#include <thread>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "client/join_request.h"
#include "client/model_descriptor.h"
#include "client/receipt_keeper.h"
#include "common/net/grpc_status.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::client {
namespace {

ClientCoreOptions CoreOptions(const EdgeClientOptions& options) {
  ClientCoreOptions core;
  core.torchscript_path = options.torchscript_path;
  core.chunk_size = options.chunk_size;
  core.on_transfer = options.on_transfer;
  core.rounding_seed = options.rounding_seed;
  core.on_model_downloaded = options.on_model_stored;
  if (!options.state_dir.empty()) {
    core.receipt_dir = ReceiptDir(options.state_dir);
  }
  if (options.tls.has_value()) {
    net::ClientTlsFiles tls = *options.tls;
    core.secagg_identity = [tls]() -> absl::StatusOr<secagg::ClientIdentity> {
      secagg::ClientIdentity identity;
      FEDGE_RETURN_IF_ERROR(util::CheckPrivateFile(tls.key));
      FEDGE_ASSIGN_OR_RETURN(identity.private_key_pem, util::ReadFile(tls.key));
      FEDGE_ASSIGN_OR_RETURN(identity.ca_certificate_pem,
                             util::ReadFile(tls.ca_cert));
      return identity;
    };
  }
  return core;
}

}  // namespace

EdgeClient::EdgeClient(EdgeClientOptions options,
                       TrainerFactory trainer_factory,
                       EvaluatorFactory evaluator_factory,
                       const data::Dataset* eval_data, util::Clock* clock)
    : options_(std::move(options)),
      clock_(clock),
      core_(CoreOptions(options_), std::move(trainer_factory),
            std::move(evaluator_factory), eval_data,
            std::make_shared<ModelCache>(options_.state_dir)) {}

bool EdgeClient::stopped() const {
  absl::MutexLock lock(&mu_);
  return stopped_;
}

void EdgeClient::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  if (active_stream_ != nullptr) active_stream_->TryCancel();
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
    if (IsPermanentRefusal(status)) {
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

  v1::JoinRequest join =
      MakeJoinRequest(options_.region, options_.consent, options_.data);
  v1::JoinResponse joined;
  {
    grpc::ClientContext context;
    conn->Prepare(&context);
    context.set_wait_for_ready(false);
    FEDGE_RETURN_IF_ERROR(
        net::FromGrpcStatus(conn->stub().Join(&context, join, &joined)));
  }
  FEDGE_RETURN_IF_ERROR(core_.OnJoined(joined.client_id(), joined.model()));
  if (!options_.state_dir.empty()) {
    // So that a restart knows the architecture before it reaches us.
    if (absl::Status kept = SaveDescriptor(options_.state_dir, joined.model());
        !kept.ok()) {
      FEDGE_LOG(Warning, "client") << "the model's description is not kept "
                                      "for the next start: "
                                   << kept;
    }
  }
  core_.CountJoin();
  FEDGE_LOG(Info, "client")
      << "joined run " << joined.run_id() << " as " << joined.client_id();
  if (options_.on_joined) options_.on_joined(core_.spec());

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
      if (options_.fetch_final_model && task.finished().has_final_model() &&
          task.finished().final_model().version() > 0) {
        absl::Status fetched =
            core_.FetchModel(*conn, task.finished().final_model());
        if (!fetched.ok()) {
          FEDGE_LOG(Warning, "client")
              << "the run's final model (version "
              << task.finished().final_model().version()
              << ") could not be fetched (the server may have exited "
                 "already); keeping the one held: "
              << fetched;
        }
      }
      absl::MutexLock lock(&mu_);
      finished_reason_ = task.finished().reason();
      break;
    }
    task_error = core_.HandleTask(*conn, task);
    if (!task_error.ok() && IsPermanentRefusal(task_error)) {
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
  if (!task_error.ok() && IsPermanentRefusal(task_error)) return task_error;
  if (stream_status.ok()) {
    return absl::UnavailableError("the server closed the task stream");
  }
  return stream_status;
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

std::string EdgeClient::finished_reason() const {
  absl::MutexLock lock(&mu_);
  return finished_reason_;
}

}  // namespace fedge::client
