#include "common/secagg/client.h"

#include "absl/strings/str_cat.h"
#include "common/crypto/certificate_signature.h"
#include "common/crypto/prg.h"
#include "common/secagg/key_schedule.h"
#include "common/util/status_macros.h"

namespace fedge::secagg {

absl::StatusOr<std::unique_ptr<SecAggClient>> SecAggClient::Start(
    ClientIdentity identity, uint64_t round, const v1::SecAggParameters& params,
    v1::SecAggMessage* advertisement) {
  if (params.threshold() < 2 || params.num_elements() < 1 ||
      params.ring_bits() < 8 || params.ring_bits() > 62 ||
      params.context().empty()) {
    return absl::InvalidArgumentError(
        "secure aggregation parameters from the server are invalid");
  }
  auto ctx = std::make_unique<ClientContext>();
  ctx->identity = std::move(identity);
  ctx->round = round;
  ctx->params = params;
  FEDGE_ASSIGN_OR_RETURN(ctx->encryption, crypto::GenerateX25519KeyPair());
  FEDGE_ASSIGN_OR_RETURN(ctx->masking, crypto::GenerateX25519KeyPair());
  ctx->self_mask_seed = crypto::SecretBytes::Random(crypto::kPrgSeedBytes);

  auto as_string = [](const crypto::X25519PublicKey& key) {
    return std::string(reinterpret_cast<const char*>(key.data()), key.size());
  };
  v1::SecAggAdvertiseKeys keys;
  keys.set_encryption_public_key(as_string(ctx->encryption.public_key));
  keys.set_masking_public_key(as_string(ctx->masking.public_key));
  FEDGE_ASSIGN_OR_RETURN(
      std::string signature,
      crypto::SignWithPrivateKeyPem(
          ctx->identity.private_key_pem,
          SignedKeyBytes(params.context(), ctx->identity.client_id,
                         keys.encryption_public_key(),
                         keys.masking_public_key())));
  keys.set_signature(std::move(signature));
  advertisement->Clear();
  advertisement->set_round(round);
  *advertisement->mutable_advertise_keys() = std::move(keys);
  return std::unique_ptr<SecAggClient>(new SecAggClient(
      std::make_unique<ClientShareKeysState>(std::move(ctx)), round));
}

absl::StatusOr<ClientStep> SecAggClient::Advance(
    absl::StatusOr<ClientStep> step) {
  if (!step.ok()) {
    state_ = std::make_unique<ClientAbortedState>();
    return step.status();
  }
  state_ = std::move(step->next);
  return step;
}

absl::StatusOr<v1::SecAggMessage> SecAggClient::OnShareKeys(
    const v1::SecAggShareKeysRequest& request) {
  FEDGE_ASSIGN_OR_RETURN(ClientStep step,
                         Advance(state_->HandleShareKeys(request)));
  return std::move(*step.message);
}

absl::StatusOr<std::string> SecAggClient::OnMaskedInput(
    const v1::SecAggMaskedInputRequest& request,
    absl::Span<const uint64_t> input) {
  FEDGE_ASSIGN_OR_RETURN(ClientStep step,
                         Advance(state_->HandleMaskedInput(request, input)));
  return std::move(step.masked_input);
}

absl::StatusOr<v1::SecAggMessage> SecAggClient::OnUnmask(
    const v1::SecAggUnmaskRequest& request) {
  FEDGE_ASSIGN_OR_RETURN(ClientStep step,
                         Advance(state_->HandleUnmask(request)));
  return std::move(*step.message);
}

}  // namespace fedge::secagg
