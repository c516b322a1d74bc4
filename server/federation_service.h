#ifndef FEDGE_SERVER_FEDERATION_SERVICE_H_
#define FEDGE_SERVER_FEDERATION_SERVICE_H_

// The edge-facing gRPC service (fedge.v1.Federation), on gRPC's callback API
// so that thousands of open task streams cost no threads. Handlers check the
// caller, then hand over to the session registry and the open round; the
// round driver decides everything else.

#include <string>
#include <vector>

#include "common/util/clock.h"
#include "fedge/v1/federation.grpc.pb.h"
#include "server/audit_trail.h"
#include "server/authenticator.h"
#include "server/client_activity.h"
#include "server/run_state.h"
#include "server/server_metrics.h"
#include "server/session_registry.h"
#include "server/store.h"
#include "server/upload_gate.h"

namespace fedge::server {

struct FederationServiceOptions {
  std::string run_id;
  // Clients must have consented to this purpose.
  std::string purpose_id;
  // Regions clients may join from (empty: any).
  std::vector<std::string> allowed_regions;
  v1::ModelDescriptor model;
  size_t chunk_size = 1 << 20;
  // Uploads buffered at once (limits.max_concurrent_uploads).
  size_t max_concurrent_uploads = 8;
  // Joins, refusals and withdrawals are logged here (null: not logged).
  AuditTrail* audit = nullptr;
  // Told of joins, task streams and model downloads (null: not told).
  ClientActivity* activity = nullptr;
};

class FederationService final : public v1::Federation::CallbackService {
 public:
  FederationService(FederationServiceOptions options,
                    const Authenticator* authenticator, Store* store,
                    SessionRegistry* sessions, RunState* run,
                    ServerMetrics* metrics, util::Clock* clock);

  grpc::ServerUnaryReactor* Join(grpc::CallbackServerContext* context,
                                 const v1::JoinRequest* request,
                                 v1::JoinResponse* response) override;
  grpc::ServerWriteReactor<v1::Task>* StreamTasks(
      grpc::CallbackServerContext* context,
      const v1::StreamTasksRequest* request) override;
  grpc::ServerWriteReactor<v1::ModelChunk>* DownloadModel(
      grpc::CallbackServerContext* context,
      const v1::DownloadModelRequest* request) override;
  grpc::ServerReadReactor<v1::UpdateChunk>* UploadUpdate(
      grpc::CallbackServerContext* context,
      v1::UploadUpdateResponse* response) override;
  grpc::ServerUnaryReactor* ReportEvaluation(
      grpc::CallbackServerContext* context, const v1::EvaluationReport* request,
      v1::ReportEvaluationResponse* response) override;
  grpc::ServerUnaryReactor* Leave(grpc::CallbackServerContext* context,
                                  const v1::LeaveRequest* request,
                                  v1::LeaveResponse* response) override;
  grpc::ServerUnaryReactor* SubmitSecAgg(grpc::CallbackServerContext* context,
                                         const v1::SecAggMessage* request,
                                         v1::SecAggAck* response) override;

 private:
  // Why `peer` may not join, or OK.
  absl::Status CheckJoin(const pki::PeerIdentity& peer,
                         const v1::JoinRequest& request);
  // Logs a client's event; Unavailable if the log cannot be written.
  // `round`: the round in progress, if the event bears on it.
  absl::Status Audit(const std::string& actor, v1::AuditEvent event,
                     uint64_t round = 0);
  absl::Status DoJoin(grpc::CallbackServerContext* context,
                      const v1::JoinRequest& request,
                      v1::JoinResponse* response);
  absl::Status DoReportEvaluation(grpc::CallbackServerContext* context,
                                  const v1::EvaluationReport& report);
  absl::Status DoLeave(grpc::CallbackServerContext* context,
                       const v1::LeaveRequest& request);
  absl::Status DoSubmitSecAgg(grpc::CallbackServerContext* context,
                              const v1::SecAggMessage& message);

  const FederationServiceOptions options_;
  const Authenticator* const authenticator_;
  Store* const store_;
  SessionRegistry* const sessions_;
  RunState* const run_;
  ServerMetrics* const metrics_;
  util::Clock* const clock_;
  UploadGate upload_gate_;
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_FEDERATION_SERVICE_H_
