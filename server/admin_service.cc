#include "server/admin_service.h"

#include "absl/strings/str_cat.h"
#include "common/net/proto_time.h"
#include "common/pki/identity.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "server/unary.h"

namespace fedge::server {

AdminService::AdminService(std::string run_id,
                           const Authenticator* authenticator, Store* store,
                           SessionRegistry* sessions, RunState* run,
                           AuditTrail* audit, util::Clock* clock,
                           std::function<void(const std::string&)> stop_run)
    : run_id_(std::move(run_id)),
      authenticator_(authenticator),
      store_(store),
      sessions_(sessions),
      run_(run),
      audit_(audit),
      clock_(clock),
      stop_run_(std::move(stop_run)) {}

grpc::ServerUnaryReactor* AdminService::GetStatus(
    grpc::CallbackServerContext* context, const v1::GetStatusRequest* request,
    v1::RunStatus* response) {
  auto admin = authenticator_->Authenticate(*context, pki::Role::kAdmin);
  if (!admin.ok()) return FinishUnary(context, admin.status());
  RunSummary s = run_->summary();
  response->set_run_id(run_id_);
  response->set_state(s.state);
  response->set_round(s.round);
  response->set_total_rounds(s.total_rounds);
  response->set_stage(s.stage);
  for (const std::string& id : s.cohort) response->add_cohort(id);
  response->set_connected_clients(
      static_cast<uint32_t>(sessions_->NumStreaming()));
  if (auto model = run_->model())
    *response->mutable_global_model() = model->Ref();
  response->set_last_accuracy(s.last_accuracy);
  response->set_last_loss(s.last_loss);
  net::ToProtoTimestamp(s.started_at, response->mutable_started_at());
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* AdminService::ListClients(
    grpc::CallbackServerContext* context, const v1::ListClientsRequest* request,
    v1::ListClientsResponse* response) {
  auto admin = authenticator_->Authenticate(*context, pki::Role::kAdmin);
  if (!admin.ok()) return FinishUnary(context, admin.status());
  return FinishUnary(context, DoListClients(response));
}

absl::Status AdminService::DoListClients(v1::ListClientsResponse* response) {
  FEDGE_ASSIGN_OR_RETURN(std::vector<ClientRecord> clients,
                         store_->ListClients());
  for (const ClientRecord& c : clients) {
    v1::ClientInfo* info = response->add_clients();
    info->set_client_id(c.client_id);
    info->set_region(c.region);
    std::shared_ptr<ClientSession> session = sessions_->Find(c.client_id);
    info->set_connected(session != nullptr && session->streaming());
    info->set_consent_version(c.consent_version);
    info->set_rounds_completed(c.rounds_completed);
    info->set_revoked(c.revoked_at.has_value());
    info->set_withdrawn(c.withdrawn_at.has_value());
    net::ToProtoTimestamp(c.last_joined, info->mutable_last_seen());
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::StopRun(
    grpc::CallbackServerContext* context, const v1::StopRunRequest* request,
    v1::StopRunResponse* response) {
  auto admin = authenticator_->Authenticate(*context, pki::Role::kAdmin);
  if (!admin.ok()) return FinishUnary(context, admin.status());
  std::string reason =
      request->reason().empty()
          ? absl::StrCat("stopped by ", admin->id)
          : absl::StrCat("stopped by ", admin->id, ": ", request->reason());
  FEDGE_LOG(Warning, "admin") << reason;
  v1::AuditEvent event;
  event.mutable_admin_action()->set_action("stop");
  event.mutable_admin_action()->set_reason(request->reason());
  if (absl::Status s = Audit(admin->id, std::move(event)); !s.ok()) {
    return FinishUnary(context, s);
  }
  stop_run_(reason);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* AdminService::RevokeClient(
    grpc::CallbackServerContext* context,
    const v1::RevokeClientRequest* request,
    v1::RevokeClientResponse* response) {
  auto admin = authenticator_->Authenticate(*context, pki::Role::kAdmin);
  if (!admin.ok()) return FinishUnary(context, admin.status());
  return FinishUnary(context, DoRevoke(admin->id, *request, response));
}

absl::Status AdminService::Audit(const std::string& admin,
                                 v1::AuditEvent event) {
  if (audit_ == nullptr) return absl::OkStatus();
  absl::Status logged = audit_->Record(0, admin, std::move(event)).status();
  if (!logged.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "the server cannot write its audit log, so it takes no admin "
        "action: ",
        logged.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> AdminService::Revoke(const std::string& client_id,
                                          const std::string& reason) {
  if (!pki::IsValidClientId(client_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", client_id, "' is not a valid client id"));
  }
  FEDGE_RETURN_IF_ERROR(store_->MarkRevoked(client_id, clock_->Now(), reason));
  if (authenticator_->revocations() != nullptr) {
    authenticator_->revocations()->RevokeId(client_id);
  }
  std::shared_ptr<ClientSession> session = sessions_->Find(client_id);
  const bool was_connected = session != nullptr && session->streaming();
  sessions_->Close(client_id,
                   grpc::Status(grpc::StatusCode::PERMISSION_DENIED, reason));
  if (std::shared_ptr<Round> round = run_->round()) {
    round->Drop(client_id, reason);
  }
  FEDGE_LOG(Warning, "admin") << "client " << client_id << " " << reason;
  return was_connected;
}

absl::Status AdminService::DoRevoke(const std::string& admin,
                                    const v1::RevokeClientRequest& request,
                                    v1::RevokeClientResponse* response) {
  std::string reason =
      absl::StrCat("revoked by ", admin, request.reason().empty() ? "" : ": ",
                   request.reason());
  // Logged first: a revocation the log cannot show does not happen.
  v1::AuditEvent event;
  v1::AdminAction* action = event.mutable_admin_action();
  action->set_action("revoke");
  action->set_target(request.client_id());
  action->set_reason(request.reason());
  if (pki::IsValidClientId(request.client_id())) {
    FEDGE_RETURN_IF_ERROR(Audit(admin, std::move(event)));
  }
  FEDGE_ASSIGN_OR_RETURN(bool was_connected,
                         Revoke(request.client_id(), reason));
  response->set_was_connected(was_connected);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* AdminService::EraseClient(
    grpc::CallbackServerContext* context, const v1::EraseClientRequest* request,
    v1::EraseClientResponse* response) {
  auto admin = authenticator_->Authenticate(*context, pki::Role::kAdmin);
  if (!admin.ok()) return FinishUnary(context, admin.status());
  return FinishUnary(context, DoErase(admin->id, *request, response));
}

absl::Status AdminService::DoErase(const std::string& admin,
                                   const v1::EraseClientRequest& request,
                                   v1::EraseClientResponse* response) {
  if (!pki::IsValidClientId(request.client_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", request.client_id(), "' is not a valid client id"));
  }
  FEDGE_ASSIGN_OR_RETURN(std::optional<ClientRecord> known,
                         store_->GetClient(request.client_id()));
  if (!known.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "client ", request.client_id(),
        " never joined this run; `fedge admin clients` lists those that did"));
  }
  // The committed models its updates went into. fedge keeps no per-client
  // update (each is folded into the round's sum on arrival), so there is
  // nothing of the client's to delete on the server; its contribution to
  // these models cannot be subtracted, only retrained without it.
  FEDGE_ASSIGN_OR_RETURN(std::vector<RoundRecord> rounds, store_->ListRounds());
  for (const RoundRecord& round : rounds) {
    if (round.status != "completed") continue;
    for (const ParticipantRecord& p : round.participants) {
      if (p.client_id == request.client_id() && p.outcome == "accepted") {
        response->add_model_versions(round.model_version);
      }
    }
  }
  response->add_actions("certificate revoked: refused from now on");
  response->add_actions(
      "dropped from the round in progress; no further update is accepted");
  response->add_actions(
      "no stored per-client update to delete: updates are folded into the "
      "round sum on arrival and their buffers freed");
  if (response->model_versions_size() > 0) {
    response->add_actions(
        "the listed model versions contain its contribution: retrain from "
        "an earlier version to remove it");
  }
  v1::AuditEvent event;
  v1::ErasureRequested* erased = event.mutable_erasure_requested();
  erased->set_client_id(request.client_id());
  erased->set_reason(request.reason());
  *erased->mutable_model_versions() = response->model_versions();
  *erased->mutable_actions() = response->actions();
  FEDGE_RETURN_IF_ERROR(Audit(admin, std::move(event)));
  std::string reason =
      absl::StrCat("erasure requested by ", admin,
                   request.reason().empty() ? "" : ": ", request.reason());
  FEDGE_ASSIGN_OR_RETURN(bool was_connected,
                         Revoke(request.client_id(), reason));
  response->set_was_connected(was_connected);
  return absl::OkStatus();
}

}  // namespace fedge::server
