// An edge client's part in a secure round (SecAgg+). The training task
// arrives with the round's parameters; the client advertises fresh keys
// signed with its device key at once, shares them with the neighbours the
// server names, and trains only when the server sends the shares addressed
// to it. What it uploads is its quantized, weighted delta under masks that
// cancel only in the sum of many clients; the server never sees the update
// itself.

#include "absl/strings/str_cat.h"
#include "client/client_core.h"
#include "common/crypto/prg.h"
#include "common/net/grpc_status.h"
#include "common/secagg/quantizer.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::client {

absl::Status ClientCore::SubmitSecAgg(ServerConnection& conn,
                                      const v1::SecAggMessage& message) {
  grpc::ClientContext context;
  conn.Prepare(&context);
  v1::SecAggAck ack;
  return net::FromGrpcStatus(conn.stub().SubmitSecAgg(&context, message, &ack));
}

absl::Status ClientCore::StartSecureRound(ServerConnection& conn,
                                          const v1::TrainTask& task) {
  secure_.reset();
  if (!options_.secagg_identity) {
    return absl::FailedPreconditionError(
        "the server runs secure aggregation, which needs this device's "
        "certificate and key; the insecure demo mode has none");
  }
  FEDGE_ASSIGN_OR_RETURN(secagg::ClientIdentity identity,
                         options_.secagg_identity());
  identity.client_id = client_id_;
  v1::SecAggMessage advertisement;
  FEDGE_ASSIGN_OR_RETURN(
      std::unique_ptr<secagg::SecAggClient> client,
      secagg::SecAggClient::Start(std::move(identity), task.round(),
                                  task.secagg(), &advertisement));
  // Fetch the model now, while the keys go round, so training can start as
  // soon as the shares arrive.
  FEDGE_RETURN_IF_ERROR(EnsureModel(conn, task.model()).status());
  FEDGE_RETURN_IF_ERROR(SubmitSecAgg(conn, advertisement));
  secure_ = std::move(client);
  secure_task_ = task;
  secure_trained_ = false;
  FEDGE_LOG(Info, "client")
      << "round " << task.round() << ": secure aggregation keys advertised";
  return absl::OkStatus();
}

absl::Status ClientCore::ShareSecureKeys(
    ServerConnection& conn, const v1::SecAggShareKeysRequest& request) {
  if (secure_ == nullptr || secure_->round() != request.round()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "share-keys request for round ", request.round(),
        ", for which this client holds no secure aggregation state"));
  }
  auto message = secure_->OnShareKeys(request);
  if (!message.ok()) {
    secure_.reset();
    return message.status();
  }
  return SubmitSecAgg(conn, *message);
}

absl::Status ClientCore::UploadMaskedInput(
    ServerConnection& conn, const v1::SecAggMaskedInputRequest& request) {
  if (secure_ == nullptr || secure_->round() != request.round()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "masked-input request for round ", request.round(),
        ", for which this client holds no secure aggregation state"));
  }
  FEDGE_LOG(Info, "client") << "round " << request.round()
                            << ": secure aggregation keys shared; training";
  FEDGE_ASSIGN_OR_RETURN(TrainedDelta trained, TrainDelta(conn, secure_task_));
  // Stochastic rounding needs randomness, not secrecy.
  crypto::SecretBytes rounding =
      options_.rounding_seed
          ? options_.rounding_seed(request.round())
          : crypto::SecretBytes::Random(crypto::kPrgSeedBytes);
  FEDGE_ASSIGN_OR_RETURN(
      std::vector<uint64_t> input,
      secagg::QuantizeWeighted(trained.delta.values(),
                               trained.result.num_examples,
                               secure_task_.secagg(), rounding));
  auto masked = secure_->OnMaskedInput(request, input);
  if (!masked.ok()) {
    secure_.reset();
    return masked.status();
  }
  FEDGE_RETURN_IF_ERROR(
      Upload(conn, secure_task_, *masked, /*result=*/nullptr));
  secure_trained_ = true;
  return absl::OkStatus();
}

absl::Status ClientCore::RevealSecureShares(
    ServerConnection& conn, const v1::SecAggUnmaskRequest& request) {
  if (secure_ == nullptr || secure_->round() != request.round()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "unmask request for round ", request.round(),
        ", for which this client holds no secure aggregation state"));
  }
  auto message = secure_->OnUnmask(request);
  secure_.reset();  // done with this round either way; its secrets go
  FEDGE_RETURN_IF_ERROR(message.status());
  return SubmitSecAgg(conn, *message);
}

}  // namespace fedge::client
