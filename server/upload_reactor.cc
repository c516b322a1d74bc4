#include "server/upload_reactor.h"

#include "absl/strings/str_cat.h"
#include "common/net/grpc_status.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "server/update_validation.h"

namespace fedge::server {

UploadReactor::UploadReactor(grpc::CallbackServerContext* context,
                             v1::UploadUpdateResponse* response,
                             absl::StatusOr<pki::PeerIdentity> peer,
                             std::shared_ptr<Round> round,
                             ServerMetrics* metrics, UploadGate* gate)
    : context_(context),
      response_(response),
      round_(std::move(round)),
      metrics_(metrics),
      gate_(gate) {
  absl::MutexLock lock(&mu_);
  if (!peer.ok()) {
    Reject(peer.status());
    return;
  }
  peer_ = std::move(*peer);
  if (round_ == nullptr) {
    Reject(absl::FailedPreconditionError("no round is accepting updates"));
    return;
  }
  // Start reading only with a buffer slot; otherwise the gate resumes this
  // upload when one frees up.
  if (gate_->Acquire(this, [this] {
        absl::MutexLock lock(&mu_);
        holds_slot_.store(true);
        StartRead(&chunk_);
      })) {
    holds_slot_.store(true);
    StartRead(&chunk_);
  }
}

void UploadReactor::OnCancel() {
  absl::MutexLock lock(&mu_);
  // Still waiting for a slot: nothing was read, end the call here.
  if (gate_->Cancel(this)) {
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "upload cancelled"));
  }
}

void UploadReactor::OnReadDone(bool ok) {
  absl::MutexLock lock(&mu_);
  if (ok) {
    absl::Status status = HandleChunk();
    if (!status.ok()) {
      Reject(status);
      return;
    }
    StartRead(&chunk_);
    return;
  }
  // The stream ended: the client closed it, or its connection broke off.
  const bool cut_short =
      !header_.has_value() || assembler_->received() < header_->total_size();
  absl::Status status = Complete();
  if (status.ok()) {
    metrics_->uploads_accepted->Increment();
    Finish(grpc::Status::OK);
  } else if (cut_short && !absl::IsCancelled(status)) {
    // Which of the two it was is known only once the call is done.
    cut_short_ = status;
    Finish(net::ToGrpcStatus(status));
  } else {
    Reject(status);
  }
}

absl::Status UploadReactor::HandleChunk() {
  bytes_received_ += chunk_.data().size();
  metrics_->bytes_received->Increment(
      static_cast<double>(chunk_.data().size()));
  if (!header_.has_value()) {
    if (!chunk_.has_header()) {
      return absl::InvalidArgumentError(
          "the first chunk of an upload must carry its header");
    }
    FEDGE_RETURN_IF_ERROR(round_->CheckUpload(peer_->id, chunk_.header()));
    header_ = chunk_.header();
    assembler_.emplace(header_->total_size(), round_->upload_size_limit());
    FEDGE_RETURN_IF_ERROR(assembler_->CheckDeclaration());
  } else if (chunk_.has_header()) {
    return absl::InvalidArgumentError(
        "only the first chunk of an upload may carry a header");
  }
  return assembler_->Add(chunk_.offset(), chunk_.data());
}

absl::Status UploadReactor::Complete() {
  if (context_->IsCancelled()) {
    return absl::CancelledError("client cancelled the upload");
  }
  if (!header_.has_value()) {
    return absl::InvalidArgumentError("upload carried no chunks");
  }
  FEDGE_ASSIGN_OR_RETURN(std::string blob,
                         assembler_->Finish(header_->sha256()));
  if (header_->masked()) {
    FEDGE_RETURN_IF_ERROR(
        round_->AcceptMasked(peer_->id, *header_, blob, bytes_received_));
    response_->set_round(round_->number());
    response_->set_sha256(header_->sha256());
    FEDGE_LOG(Info, "server")
        << "round " << round_->number() << ": accepted masked input from "
        << peer_->id << " (" << bytes_received_ << " bytes)";
    return absl::OkStatus();
  }
  // The view points into `blob`, which lives until the end of this function.
  FEDGE_ASSIGN_OR_RETURN(tensor::ParameterSetView delta,
                         ParseUpdate(blob, round_->expectation()));
  FEDGE_RETURN_IF_ERROR(
      round_->Accept(peer_->id, *header_, delta, bytes_received_));
  response_->set_round(round_->number());
  response_->set_sha256(header_->sha256());
  FEDGE_LOG(Info, "server")
      << "round " << round_->number() << ": accepted update from " << peer_->id
      << " (" << bytes_received_ << " bytes, "
      << header_->metrics().num_examples() << " examples)";
  return absl::OkStatus();
}

void UploadReactor::Reject(const absl::Status& status) {
  // A cancelled call (the client gave up, or gRPC ended it) is no rejection.
  if (!absl::IsCancelled(status)) RecordRejection(status);
  Finish(net::ToGrpcStatus(status));
}

void UploadReactor::RecordRejection(const absl::Status& status) {
  metrics_->uploads_rejected->Increment();
  std::string who = peer_.has_value() ? peer_->id : context_->peer();
  FEDGE_LOG(Warning, "server")
      << "rejected upload from " << who
      << (round_ ? absl::StrCat(" in round ", round_->number()) : "") << ": "
      << absl::StatusCodeToString(status.code()) << ": " << status.message();
  if (round_ != nullptr && peer_.has_value()) {
    round_->RecordRejection(peer_->id, std::string(status.message()));
  }
}

void UploadReactor::OnDone() {
  // Taken once more: whatever a reaction or the gate's resume on another
  // thread did comes before the delete.
  absl::ReleasableMutexLock lock(&mu_);
  // cut_short_ is set only after reading began: there is a peer and a round.
  if (cut_short_.has_value()) {
    if (context_->IsCancelled()) {
      // The answer never reached the client: its connection broke off
      // mid-upload (a device killed or cut off). That is the client going
      // away, which the round handles, not a refusal of what it sent.
      FEDGE_LOG(Info, "server")
          << "upload from " << peer_->id << " in round " << round_->number()
          << " broke off with its connection (" << cut_short_->message() << ")";
    } else {
      RecordRejection(*cut_short_);  // the client closed the stream early
    }
  }
  const bool holds_slot = holds_slot_.load();
  lock.Release();
  // The gate may resume a waiting upload here, which takes that reactor's
  // mutex: never while this one's is held.
  if (holds_slot) gate_->Release();
  delete this;
}

}  // namespace fedge::server
