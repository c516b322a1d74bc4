// Stage 2 on the client: decrypt and keep the shares the neighbours that
// completed stage 1 sent, then mask the input with the self mask and one
// pairwise mask per such neighbour:
//   y = x + PRG(b_u) + sum_{v < u... } ±PRG(s_uv)   (mod 2^b)
// with + when u sorts before v and − otherwise, so that pairwise masks
// cancel in the sum of all survivors.

#include "absl/strings/str_cat.h"
#include "common/crypto/aes_gcm.h"
#include "common/crypto/shamir.h"
#include "common/secagg/client_state.h"
#include "common/secagg/key_schedule.h"
#include "common/secagg/ring.h"
#include "common/util/status_macros.h"

namespace fedge::secagg {

absl::StatusOr<ClientStep> ClientMaskedInputState::HandleMaskedInput(
    const v1::SecAggMaskedInputRequest& request,
    absl::Span<const uint64_t> input) {
  ClientContext& ctx = *context_;
  const std::string& self = ctx.identity.client_id;
  if (request.round() != ctx.round) {
    return absl::FailedPreconditionError(
        absl::StrCat("masked-input request is for round ", request.round(),
                     ", this client is in round ", ctx.round));
  }
  if (input.size() != ctx.params.num_elements()) {
    return absl::InvalidArgumentError(
        absl::StrCat("input has ", input.size(), " values, the round expects ",
                     ctx.params.num_elements()));
  }
  for (const v1::SecAggIncomingShare& in : request.shares()) {
    auto it = ctx.neighbours.find(in.sender());
    if (it == ctx.neighbours.end()) {
      return absl::PermissionDeniedError(absl::StrCat(
          "received shares from ", in.sender(), ", who is not a neighbour"));
    }
    if (ctx.held.count(in.sender())) {
      return absl::InvalidArgumentError(
          absl::StrCat("received shares from ", in.sender(), " twice"));
    }
    FEDGE_ASSIGN_OR_RETURN(
        crypto::SecretBytes key,
        DeriveShareKey(ctx.encryption.private_key,
                       it->second.encryption_public_key, ctx.params.context(),
                       self, in.sender()));
    auto plaintext = crypto::AesGcmDecrypt(
        key, in.nonce(), in.ciphertext(),
        ShareAad(ctx.params.context(), in.sender(), self));
    if (!plaintext.ok()) {
      return absl::PermissionDeniedError(
          absl::StrCat("the shares from ", in.sender(),
                       " do not decrypt: they were altered or misaddressed"));
    }
    v1::SecAggSharePayload payload;
    if (!payload.ParseFromArray(plaintext->data(),
                                static_cast<int>(plaintext->size())) ||
        payload.sender() != in.sender() || payload.recipient() != self ||
        payload.x() != ctx.own_index ||
        payload.masking_key_share().size() != crypto::kShamirShareBytes ||
        payload.self_mask_seed_share().size() != crypto::kShamirShareBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("the shares from ", in.sender(), " are malformed"));
    }
    ClientContext::HeldShares held;
    held.masking_key = crypto::SecretBytes::Copy(payload.masking_key_share());
    held.self_mask_seed =
        crypto::SecretBytes::Copy(payload.self_mask_seed_share());
    payload.mutable_masking_key_share()->assign(crypto::kShamirShareBytes,
                                                '\0');
    payload.mutable_self_mask_seed_share()->assign(crypto::kShamirShareBytes,
                                                   '\0');
    ctx.held[in.sender()] = std::move(held);
  }

  const uint32_t bits = ctx.params.ring_bits();
  // The self mask and one pairwise mask per neighbour (+ when this client
  // sorts first, − otherwise), applied in one pass. `seeds` never grows
  // past its reserved size, so the terms' pointers into it stay valid.
  std::vector<crypto::SecretBytes> seeds;
  seeds.reserve(ctx.held.size());
  std::vector<MaskTerm> terms;
  terms.reserve(ctx.held.size() + 1);
  terms.push_back({&ctx.self_mask_seed, /*subtract=*/false});
  for (const auto& [peer, shares] : ctx.held) {
    FEDGE_ASSIGN_OR_RETURN(
        crypto::SecretBytes seed,
        DerivePairwiseSeed(ctx.masking.private_key,
                           ctx.neighbours[peer].masking_public_key,
                           ctx.params.context(), self, peer));
    seeds.push_back(std::move(seed));
    terms.push_back({&seeds.back(), /*subtract=*/peer < self});
  }
  std::vector<uint64_t> masked(input.begin(), input.end());
  FEDGE_RETURN_IF_ERROR(ApplyMasks(terms, bits, absl::MakeSpan(masked)));
  ClientStep step;
  step.masked_input = Pack(masked, bits);
  step.next = std::make_unique<ClientUnmaskState>(std::move(context_));
  return step;
}

}  // namespace fedge::secagg
