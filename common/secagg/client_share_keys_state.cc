// Stage 1 on the client: check every neighbour's advertised keys (its
// certificate chains to the federation CA, names it, and signed exactly
// these keys for this round), then split both secrets with Shamir among the
// neighbours and encrypt each neighbour's shares to it.

#include <set>

#include "absl/strings/str_cat.h"
#include "common/crypto/aes_gcm.h"
#include "common/crypto/certificate_signature.h"
#include "common/crypto/shamir.h"
#include "common/pki/identity.h"
#include "common/secagg/client_state.h"
#include "common/secagg/key_schedule.h"
#include "common/util/status_macros.h"

namespace fedge::secagg {
namespace {

// OK if `neighbour` proves it owns the keys it advertised.
absl::Status CheckNeighbour(const ClientContext& ctx,
                            const v1::SecAggNeighbour& neighbour) {
  const std::string& id = neighbour.client_id();
  if (absl::Status s = crypto::VerifyCertificateChain(
          neighbour.certificate_pem(), ctx.identity.ca_certificate_pem);
      !s.ok()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "certificate of neighbour ", id, " does not verify: ", s.message()));
  }
  FEDGE_ASSIGN_OR_RETURN(pki::PeerIdentity peer,
                         pki::IdentityFromPem(neighbour.certificate_pem()));
  if (peer.id != id || peer.role != pki::Role::kDevice) {
    return absl::PermissionDeniedError(absl::StrCat(
        "neighbour ", id, " presented the certificate of ", peer.id));
  }
  const v1::SecAggAdvertiseKeys& keys = neighbour.keys();
  if (keys.encryption_public_key().size() != 32 ||
      keys.masking_public_key().size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("neighbour ", id, " advertised malformed keys"));
  }
  if (absl::Status s = crypto::VerifyWithCertificate(
          neighbour.certificate_pem(),
          SignedKeyBytes(ctx.params.context(), id, keys.encryption_public_key(),
                         keys.masking_public_key()),
          keys.signature());
      !s.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the keys advertised for neighbour ", id,
                     " are not signed by its certificate: they were altered"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClientStep> ClientShareKeysState::HandleShareKeys(
    const v1::SecAggShareKeysRequest& request) {
  ClientContext& ctx = *context_;
  if (request.round() != ctx.round) {
    return absl::FailedPreconditionError(
        absl::StrCat("share-keys request is for round ", request.round(),
                     ", this client is in round ", ctx.round));
  }
  if (request.own_index() == 0) {
    return absl::InvalidArgumentError("share-keys request has no own index");
  }
  const size_t t = ctx.params.threshold();
  if (static_cast<size_t>(request.neighbours_size()) < t) {
    return absl::FailedPreconditionError(
        absl::StrCat("only ", request.neighbours_size(),
                     " neighbours, fewer than the "
                     "threshold ",
                     t, ": the round cannot be completed securely"));
  }
  std::set<uint32_t> indices = {request.own_index()};
  std::vector<uint32_t> xs;
  for (const v1::SecAggNeighbour& n : request.neighbours()) {
    if (n.client_id() == ctx.identity.client_id) {
      return absl::InvalidArgumentError("a client cannot neighbour itself");
    }
    if (n.index() == 0 || !indices.insert(n.index()).second ||
        ctx.neighbours.count(n.client_id())) {
      return absl::InvalidArgumentError(
          absl::StrCat("neighbour ", n.client_id(),
                       " is listed twice or has an invalid "
                       "index"));
    }
    FEDGE_RETURN_IF_ERROR(CheckNeighbour(ctx, n));
    ctx.neighbours[n.client_id()] = {n.index(),
                                     n.keys().encryption_public_key(),
                                     n.keys().masking_public_key()};
    xs.push_back(n.index());
  }
  ctx.own_index = request.own_index();

  FEDGE_ASSIGN_OR_RETURN(std::vector<crypto::ShamirShare> key_shares,
                         crypto::ShamirSplit(ctx.masking.private_key, t, xs));
  FEDGE_ASSIGN_OR_RETURN(std::vector<crypto::ShamirShare> seed_shares,
                         crypto::ShamirSplit(ctx.self_mask_seed, t, xs));
  v1::SecAggMessage message;
  message.set_round(ctx.round);
  v1::SecAggShareKeys* out = message.mutable_share_keys();
  size_t i = 0;
  for (const v1::SecAggNeighbour& n : request.neighbours()) {
    v1::SecAggSharePayload payload;
    payload.set_sender(ctx.identity.client_id);
    payload.set_recipient(n.client_id());
    payload.set_x(n.index());
    payload.set_masking_key_share(key_shares[i].value.ExportForTransport());
    payload.set_self_mask_seed_share(seed_shares[i].value.ExportForTransport());
    ++i;
    crypto::SecretBytes plaintext =
        crypto::SecretBytes::Copy(payload.SerializeAsString());
    // The serialized payload held copies of the shares; wipe them.
    payload.mutable_masking_key_share()->assign(
        payload.masking_key_share().size(), '\0');
    payload.mutable_self_mask_seed_share()->assign(
        payload.self_mask_seed_share().size(), '\0');
    FEDGE_ASSIGN_OR_RETURN(
        crypto::SecretBytes key,
        DeriveShareKey(ctx.encryption.private_key,
                       n.keys().encryption_public_key(), ctx.params.context(),
                       ctx.identity.client_id, n.client_id()));
    std::string nonce = crypto::RandomGcmNonce();
    FEDGE_ASSIGN_OR_RETURN(
        std::string ciphertext,
        crypto::AesGcmEncrypt(key, nonce, plaintext.view(),
                              ShareAad(ctx.params.context(),
                                       ctx.identity.client_id, n.client_id())));
    v1::SecAggEncryptedShare* share = out->add_shares();
    share->set_recipient(n.client_id());
    share->set_nonce(nonce);
    share->set_ciphertext(std::move(ciphertext));
  }
  ClientStep step;
  step.message = std::move(message);
  step.next = std::make_unique<ClientMaskedInputState>(std::move(context_));
  return step;
}

}  // namespace fedge::secagg
