#ifndef FEDGE_SERVER_UPLOAD_REACTOR_H_
#define FEDGE_SERVER_UPLOAD_REACTOR_H_

// Receives one chunked update upload. The header (first chunk) is checked
// against the open round before any bytes are buffered; chunks must arrive in
// order and within the declared size; the whole is checked against its
// SHA-256, parsed and validated, and only then added to the round's sum.
// Any failure rejects the upload with a status saying which check failed,
// is logged and recorded in the round (its audit entry), and leaves the
// round's sum untouched. A stream that ends before the declared bytes is
// either a client that closed it early (a rejection) or a connection that
// broke off (a device killed mid-upload: the client going away, not a
// rejection); which one is known only when the call is done (OnDone).
//
// gRPC may run successive reactions on different threads and orders them in
// its core library, where a race detector cannot see it; the gate resumes a
// waiting upload on whichever thread freed the slot. The constructor, every
// reaction and the resume therefore hold mu_, which makes that order explicit
// (it is never contended: gRPC runs one reaction at a time, apart from
// OnCancel). gRPC never runs a reaction inline in StartRead or Finish, so
// holding mu_ across them cannot deadlock.

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <atomic>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/pki/identity.h"
#include "common/tensor/chunking.h"
#include "fedge/v1/federation.pb.h"
#include "server/round.h"
#include "server/server_metrics.h"
#include "server/upload_gate.h"

namespace fedge::server {

class UploadReactor final : public grpc::ServerReadReactor<v1::UpdateChunk> {
 public:
  UploadReactor(grpc::CallbackServerContext* context,
                v1::UploadUpdateResponse* response,
                absl::StatusOr<pki::PeerIdentity> peer,
                std::shared_ptr<Round> round, ServerMetrics* metrics,
                UploadGate* gate);

  void OnReadDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  absl::Status HandleChunk();
  absl::Status Complete();
  void Reject(const absl::Status& status);
  void RecordRejection(const absl::Status& status);

  absl::Mutex mu_;
  grpc::CallbackServerContext* context_;
  v1::UploadUpdateResponse* response_;
  std::optional<pki::PeerIdentity> peer_;
  std::shared_ptr<Round> round_;
  ServerMetrics* metrics_;
  UploadGate* gate_;
  std::atomic<bool> holds_slot_{false};
  v1::UpdateChunk chunk_;
  std::optional<v1::UpdateHeader> header_;
  std::optional<tensor::ChunkAssembler> assembler_;
  uint64_t bytes_received_ = 0;
  std::optional<absl::Status> cut_short_;  // decided in OnDone
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_UPLOAD_REACTOR_H_
