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
                           util::Clock* clock,
                           std::function<void(const std::string&)> stop_run)
    : run_id_(std::move(run_id)),
      authenticator_(authenticator),
      store_(store),
      sessions_(sessions),
      run_(run),
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

absl::Status AdminService::DoRevoke(const std::string& admin,
                                    const v1::RevokeClientRequest& request,
                                    v1::RevokeClientResponse* response) {
  if (!pki::IsValidClientId(request.client_id())) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", request.client_id(), "' is not a valid client id"));
  }
  std::string reason =
      absl::StrCat("revoked by ", admin, request.reason().empty() ? "" : ": ",
                   request.reason());
  FEDGE_RETURN_IF_ERROR(
      store_->MarkRevoked(request.client_id(), clock_->Now(), reason));
  if (authenticator_->revocations() != nullptr) {
    authenticator_->revocations()->RevokeId(request.client_id());
  }
  std::shared_ptr<ClientSession> session = sessions_->Find(request.client_id());
  response->set_was_connected(session != nullptr && session->streaming());
  sessions_->Close(request.client_id(),
                   grpc::Status(grpc::StatusCode::PERMISSION_DENIED, reason));
  if (std::shared_ptr<Round> round = run_->round()) {
    round->Drop(request.client_id(), reason);
  }
  FEDGE_LOG(Warning, "admin")
      << "client " << request.client_id() << " " << reason;
  return absl::OkStatus();
}

}  // namespace fedge::server
