#include "server/federation_service.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/net/grpc_status.h"
#include "common/net/proto_time.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "server/stream_reactors.h"
#include "server/unary.h"
#include "server/upload_reactor.h"

namespace fedge::server {

FederationService::FederationService(FederationServiceOptions options,
                                     const Authenticator* authenticator,
                                     Store* store, SessionRegistry* sessions,
                                     RunState* run, ServerMetrics* metrics,
                                     util::Clock* clock)
    : options_(std::move(options)),
      authenticator_(authenticator),
      store_(store),
      sessions_(sessions),
      run_(run),
      metrics_(metrics),
      clock_(clock),
      upload_gate_(options_.max_concurrent_uploads) {}

grpc::ServerUnaryReactor* FederationService::Join(
    grpc::CallbackServerContext* context, const v1::JoinRequest* request,
    v1::JoinResponse* response) {
  if (options_.activity != nullptr) options_.activity->Touch();
  absl::Status status = DoJoin(context, *request, response);
  if (!status.ok()) {
    metrics_->joins_refused->Increment();
    FEDGE_LOG(Warning, "server")
        << "join refused from " << context->peer() << ": " << status.message();
  }
  return FinishUnary(context, status);
}

absl::Status FederationService::CheckJoin(const pki::PeerIdentity& peer,
                                          const v1::JoinRequest& request) {
  FEDGE_ASSIGN_OR_RETURN(std::optional<ClientRecord> known,
                         store_->GetClient(peer.id));
  if (known.has_value() && known->revoked_at.has_value()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "client ", peer.id, " was revoked: ", known->revoked_reason));
  }
  if (known.has_value() && known->withdrawn_at.has_value()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "client ", peer.id,
        " withdrew its consent and cannot rejoin this federation"));
  }
  if (request.consent().purpose_id() != options_.purpose_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("consent is for purpose '", request.consent().purpose_id(),
                     "' but this federation trains for purpose '",
                     options_.purpose_id, "'"));
  }
  if (request.consent().consent_version().empty()) {
    return absl::InvalidArgumentError("consent record has no consent version");
  }
  if (!options_.allowed_regions.empty() &&
      std::find(options_.allowed_regions.begin(),
                options_.allowed_regions.end(),
                request.region()) == options_.allowed_regions.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "region '", request.region(), "' is not allowed in this federation (",
        absl::StrJoin(options_.allowed_regions, ", "), ")"));
  }
  return absl::OkStatus();
}

absl::Status FederationService::Audit(const std::string& actor,
                                      v1::AuditEvent event, uint64_t round) {
  if (options_.audit == nullptr) return absl::OkStatus();
  absl::Status logged =
      options_.audit->Record(round, actor, std::move(event)).status();
  if (!logged.ok()) {
    return absl::UnavailableError(
        "the server cannot write its audit log; try again later");
  }
  return absl::OkStatus();
}

absl::Status FederationService::DoJoin(grpc::CallbackServerContext* context,
                                       const v1::JoinRequest& request,
                                       v1::JoinResponse* response) {
  FEDGE_ASSIGN_OR_RETURN(
      pki::PeerIdentity peer,
      authenticator_->Authenticate(*context, pki::Role::kDevice));
  if (absl::Status refused = CheckJoin(peer, request); !refused.ok()) {
    if (absl::IsPermissionDenied(refused) ||
        absl::IsFailedPrecondition(refused) ||
        absl::IsInvalidArgument(refused)) {
      v1::AuditEvent event;
      v1::JoinRefused* r = event.mutable_join_refused();
      r->set_client_id(peer.id);
      r->set_region(request.region());
      r->set_reason(std::string(refused.message()));
      FEDGE_RETURN_IF_ERROR(Audit(peer.id, std::move(event)));
    }
    return refused;
  }
  absl::Time now = clock_->Now();
  ClientRecord record;
  record.client_id = peer.id;
  record.cert_fingerprint = peer.fingerprint_sha256;
  record.region = request.region();
  record.consent_purpose = request.consent().purpose_id();
  record.consent_version = request.consent().consent_version();
  record.consent_given_at =
      net::FromProtoTimestamp(request.consent().given_at());
  record.last_joined = now;
  FEDGE_RETURN_IF_ERROR(store_->RecordJoin(record));
  v1::AuditEvent joined;
  v1::ClientJoined* j = joined.mutable_client_joined();
  j->set_client_id(peer.id);
  j->set_region(request.region());
  j->set_consent_version(request.consent().consent_version());
  j->set_consent_purpose(request.consent().purpose_id());
  j->set_consent_time_unix_ms(absl::ToUnixMillis(record.consent_given_at));
  j->set_cert_sha256(absl::HexStringToBytes(peer.fingerprint_sha256));
  j->set_data_examples(request.data().examples());
  j->set_data_bytes(request.data().bytes());
  j->set_runtime_version(request.capabilities().runtime_version());
  FEDGE_RETURN_IF_ERROR(Audit(peer.id, std::move(joined)));

  JoinInfo info;
  info.peer = peer;
  info.region = request.region();
  info.consent = request.consent();
  info.capabilities = request.capabilities();
  info.joined_at = now;
  std::shared_ptr<ClientSession> session = sessions_->Create(std::move(info));

  response->set_client_id(peer.id);
  response->set_run_id(options_.run_id);
  response->set_purpose_id(options_.purpose_id);
  response->set_session_id(session->session_id());
  *response->mutable_model() = options_.model;
  metrics_->joins->Increment();
  FEDGE_LOG(Info, "server")
      << "client " << peer.id << " joined from region " << request.region();
  return absl::OkStatus();
}

grpc::ServerWriteReactor<v1::Task>* FederationService::StreamTasks(
    grpc::CallbackServerContext* context,
    const v1::StreamTasksRequest* request) {
  auto peer = authenticator_->Authenticate(*context, pki::Role::kDevice);
  if (!peer.ok()) {
    return new FinishedWriteReactor<v1::Task>(net::ToGrpcStatus(peer.status()));
  }
  if (options_.activity != nullptr) options_.activity->Touch();
  std::shared_ptr<ClientSession> session =
      sessions_->FindBySessionId(request->session_id());
  if (session == nullptr || session->client_id() != peer->id) {
    return new FinishedWriteReactor<v1::Task>(grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        "unknown or expired session: call Join, then StreamTasks with the "
        "session id it returned"));
  }
  return new TaskStreamReactor(std::move(session));
}

grpc::ServerWriteReactor<v1::ModelChunk>* FederationService::DownloadModel(
    grpc::CallbackServerContext* context,
    const v1::DownloadModelRequest* request) {
  auto peer = authenticator_->Authenticate(*context, pki::Role::kDevice);
  if (!peer.ok()) {
    return new FinishedWriteReactor<v1::ModelChunk>(
        net::ToGrpcStatus(peer.status()));
  }
  std::shared_ptr<const GlobalModel> model =
      run_->FindModel(request->version());
  if (model == nullptr) {
    std::shared_ptr<const GlobalModel> current = run_->model();
    return new FinishedWriteReactor<v1::ModelChunk>(
        grpc::Status(grpc::StatusCode::NOT_FOUND,
                     absl::StrCat("model version ", request->version(),
                                  " is not available; the current version is ",
                                  current ? current->version : 0)));
  }
  ClientActivity* activity = options_.activity;
  std::function<void()> on_done;
  if (activity != nullptr) {
    activity->DownloadStarted();
    on_done = [activity] { activity->DownloadEnded(); };
  }
  return new ModelDownloadReactor(
      std::move(model), options_.chunk_size,
      [this](uint64_t bytes) {
        run_->AddBytesDown(bytes);
        metrics_->bytes_sent->Increment(static_cast<double>(bytes));
      },
      std::move(on_done));
}

grpc::ServerReadReactor<v1::UpdateChunk>* FederationService::UploadUpdate(
    grpc::CallbackServerContext* context, v1::UploadUpdateResponse* response) {
  auto peer = authenticator_->Authenticate(*context, pki::Role::kDevice);
  return new UploadReactor(context, response, std::move(peer), run_->round(),
                           metrics_, &upload_gate_);
}

grpc::ServerUnaryReactor* FederationService::SubmitSecAgg(
    grpc::CallbackServerContext* context, const v1::SecAggMessage* request,
    v1::SecAggAck* response) {
  absl::Status status = DoSubmitSecAgg(context, *request);
  if (!status.ok()) {
    FEDGE_LOG(Warning, "server")
        << "secure aggregation message refused: " << status;
  }
  return FinishUnary(context, status);
}

absl::Status FederationService::DoSubmitSecAgg(
    grpc::CallbackServerContext* context, const v1::SecAggMessage& message) {
  FEDGE_ASSIGN_OR_RETURN(
      pki::PeerIdentity peer,
      authenticator_->Authenticate(*context, pki::Role::kDevice));
  std::shared_ptr<Round> round = run_->round();
  if (round == nullptr) {
    return absl::FailedPreconditionError("no round is open");
  }
  absl::Status handled = round->HandleSecAgg(peer.id, message);
  if (!handled.ok()) {
    // A refused protocol message is a refused part of the client's upload:
    // logged as such, so the record shows who sent what the protocol could
    // not take. (The round's own bookkeeping of the client is unchanged.)
    v1::AuditEvent event;
    event.mutable_upload_rejected()->set_client_id(peer.id);
    event.mutable_upload_rejected()->set_reason(std::string(handled.message()));
    (void)Audit(peer.id, std::move(event), round->number());
  }
  return handled;
}

grpc::ServerUnaryReactor* FederationService::ReportEvaluation(
    grpc::CallbackServerContext* context, const v1::EvaluationReport* request,
    v1::ReportEvaluationResponse* response) {
  return FinishUnary(context, DoReportEvaluation(context, *request));
}

absl::Status FederationService::DoReportEvaluation(
    grpc::CallbackServerContext* context, const v1::EvaluationReport& report) {
  FEDGE_ASSIGN_OR_RETURN(
      pki::PeerIdentity peer,
      authenticator_->Authenticate(*context, pki::Role::kDevice));
  std::shared_ptr<Round> round = run_->round();
  if (round == nullptr) {
    return absl::FailedPreconditionError("no round is collecting evaluations");
  }
  FEDGE_RETURN_IF_ERROR(round->AcceptEvaluation(peer.id, report));
  metrics_->evaluations->Increment();
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* FederationService::Leave(
    grpc::CallbackServerContext* context, const v1::LeaveRequest* request,
    v1::LeaveResponse* response) {
  return FinishUnary(context, DoLeave(context, *request));
}

absl::Status FederationService::DoLeave(grpc::CallbackServerContext* context,
                                        const v1::LeaveRequest& request) {
  FEDGE_ASSIGN_OR_RETURN(
      pki::PeerIdentity peer,
      authenticator_->Authenticate(*context, pki::Role::kDevice));
  if (request.withdraw_consent()) {
    FEDGE_RETURN_IF_ERROR(store_->MarkWithdrawn(peer.id, clock_->Now()));
    v1::AuditEvent withdrawn;
    withdrawn.mutable_consent_withdrawn()->set_client_id(peer.id);
    withdrawn.mutable_consent_withdrawn()->set_reason(request.reason());
    std::shared_ptr<Round> open = run_->round();
    FEDGE_RETURN_IF_ERROR(
        Audit(peer.id, std::move(withdrawn), open ? open->number() : 0));
    FEDGE_LOG(Info, "server") << "client " << peer.id
                              << " withdrew its consent: " << request.reason();
  } else {
    FEDGE_LOG(Info, "server")
        << "client " << peer.id << " left: " << request.reason();
  }
  // Dropped with its reason first: ending the session would drop it too,
  // as merely "disconnected".
  if (std::shared_ptr<Round> round = run_->round()) {
    round->Drop(peer.id, request.withdraw_consent() ? "withdrew consent"
                                                    : "left the federation");
  }
  sessions_->Close(peer.id, grpc::Status(grpc::StatusCode::OK, "left"));
  return absl::OkStatus();
}

}  // namespace fedge::server
