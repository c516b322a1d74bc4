// Stage 3 on the server: collect the revealed shares (only of the secret
// that was asked for, for each owner: a share of the other kind is refused
// and never stored), then reconstruct each survivor's self-mask seed and
// each dropped client's masking key and remove their masks from the sum:
//   sum -= PRG(b_u)                                  for u in U3
//   sum -= sign(v, u) · PRG(s_uv)   for u in U2 \ U3, v in N(u) ∩ U3
// where sign(v, u) is the sign v used for u in its masked input.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto/prg.h"
#include "common/crypto/x25519.h"
#include "common/secagg/key_schedule.h"
#include "common/secagg/ring.h"
#include "common/secagg/server_state.h"
#include "common/util/status_macros.h"

namespace fedge::secagg {

absl::Status ServerUnmaskState::HandleUnmask(const std::string& client,
                                             const v1::SecAggUnmask& m) {
  ServerContext& ctx = *context_;
  if (!ctx.masked.count(client)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "client ", client, " was not asked to help unmask round ", ctx.round));
  }
  if (ctx.unmask_responders.count(client)) {
    return absl::AlreadyExistsError(
        absl::StrCat("client ", client, " already sent its unmask shares"));
  }
  const uint32_t x = ctx.graph->Index(client);
  std::set<std::string> owners;
  // Check everything before storing anything.
  for (const v1::SecAggRevealedShare& s : m.shares()) {
    if (!ctx.graph->AreNeighbours(client, s.owner()) ||
        !ctx.shared.count(s.owner())) {
      return absl::InvalidArgumentError(
          absl::StrCat("client ", client, " revealed a share of ", s.owner(),
                       ", whose shares it was not asked for"));
    }
    if (!owners.insert(s.owner()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "client ", client, " revealed shares of ", s.owner(), " twice"));
    }
    Reveal asked = ctx.requested[s.owner()];
    Reveal got =
        s.self_mask_seed() ? Reveal::kSelfMaskSeed : Reveal::kMaskingKey;
    if (asked != got) {
      return absl::PermissionDeniedError(
          absl::StrCat("client ", client, " revealed the ",
                       s.self_mask_seed() ? "self-mask seed" : "masking key",
                       " share of ", s.owner(),
                       ", which was not asked for; the server keeps only one "
                       "kind of share per client"));
    }
    if (s.value().size() != crypto::kShamirShareBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("client ", client, " revealed a malformed share"));
    }
  }
  for (const v1::SecAggRevealedShare& s : m.shares()) {
    crypto::ShamirShare share;
    share.x = x;
    share.value = crypto::SecretBytes::Copy(s.value());
    ctx.revealed[s.owner()].push_back(std::move(share));
  }
  ctx.unmask_responders.insert(client);
  return absl::OkStatus();
}

std::set<std::string> ServerUnmaskState::Pending() const {
  std::set<std::string> pending;
  for (const std::string& id : context_->masked) {
    if (!context_->unmask_responders.count(id)) pending.insert(id);
  }
  return pending;
}

absl::StatusOr<ServerTransition> ServerUnmaskState::Close() {
  ServerContext& ctx = *context_;
  const size_t t = ctx.params.threshold();
  const uint32_t bits = ctx.params.ring_bits();
  // Every mask to take away: survivors' self masks, and the pairwise masks
  // between each dropped client and its surviving neighbours. Removed in
  // one pass over the sum.
  std::vector<crypto::SecretBytes> seeds;
  std::vector<bool> subtract;
  for (const std::string& owner : ctx.shared) {
    const std::vector<crypto::ShamirShare>& shares = ctx.revealed[owner];
    if (shares.size() < t) {
      return absl::FailedPreconditionError(
          absl::StrCat("only ", shares.size(), " neighbours of ", owner,
                       " revealed shares, fewer than the threshold ", t));
    }
    const bool survivor = ctx.masked.count(owner) > 0;
    FEDGE_ASSIGN_OR_RETURN(crypto::SecretBytes secret,
                           crypto::ShamirReconstruct(shares, t, 32));
    if (survivor) {
      seeds.push_back(std::move(secret));
      subtract.push_back(true);
      continue;
    }
    // A dropped client: its masking key must match the key it advertised,
    // or the shares were corrupted.
    FEDGE_ASSIGN_OR_RETURN(crypto::X25519PublicKey pub,
                           crypto::X25519PublicFromPrivate(secret));
    if (std::string(reinterpret_cast<const char*>(pub.data()), pub.size()) !=
        ctx.advertised[owner].masking_public_key()) {
      return absl::DataLossError(absl::StrCat(
          "the masking key reconstructed for ", owner,
          " does not match the key it advertised: its shares were corrupted"));
    }
    for (const std::string& v : ctx.graph->Neighbours(owner)) {
      if (!ctx.masked.count(v)) continue;
      FEDGE_ASSIGN_OR_RETURN(
          crypto::SecretBytes seed,
          DerivePairwiseSeed(secret, ctx.advertised[v].masking_public_key(),
                             ctx.params.context(), owner, v));
      // v added +PRG when v sorts first, −PRG otherwise; undo it.
      seeds.push_back(std::move(seed));
      subtract.push_back(v < owner);
    }
  }
  std::vector<MaskTerm> terms;
  terms.reserve(seeds.size());
  for (size_t i = 0; i < seeds.size(); ++i) {
    terms.push_back({&seeds[i], subtract[i]});
  }
  auto sum = absl::MakeSpan(ctx.sum);
  FEDGE_RETURN_IF_ERROR(ApplyMasks(terms, bits, sum));
  Reduce(bits, sum);
  AggregateResult result;
  result.sum = std::move(ctx.sum);
  result.survivors.assign(ctx.masked.begin(), ctx.masked.end());
  ctx.revealed.clear();
  ServerTransition transition;
  transition.next = std::make_unique<ServerCompletedState>(std::move(context_),
                                                           std::move(result));
  return transition;
}

}  // namespace fedge::secagg
