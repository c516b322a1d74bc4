// Stage 2 on the server: add each masked input of a client of U2 to one
// running sum (mod 2^b) as it is accepted. At close, the clients whose input
// was added (U3) are asked, for each neighbour, either for its self-mask
// seed share (the neighbour is in U3) or for its masking key share (it
// shared keys but its input never arrived) — never both for one client.

#include "absl/strings/str_cat.h"
#include "common/secagg/ring.h"
#include "common/secagg/server_state.h"
#include "common/util/status_macros.h"

namespace fedge::secagg {

absl::Status ServerMaskedInputState::CheckMaskedInput(
    const std::string& client) const {
  if (!context_->shared.count(client)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "client ", client, " did not share keys in round ", context_->round,
        ", so its masked input cannot be unmasked"));
  }
  if (context_->masked.count(client)) {
    return absl::AlreadyExistsError(
        absl::StrCat("a masked input from ", client, " was already accepted"));
  }
  return absl::OkStatus();
}

absl::Status ServerMaskedInputState::HandleMaskedInput(
    const std::string& client, absl::string_view packed) {
  FEDGE_RETURN_IF_ERROR(CheckMaskedInput(client));
  ServerContext& ctx = *context_;
  if (ctx.sum.empty()) ctx.sum.assign(ctx.params.num_elements(), 0);
  if (packed.size() !=
      PackedSize(ctx.params.num_elements(), ctx.params.ring_bits())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "masked input of ", client, " has ", packed.size(), " bytes, expected ",
        PackedSize(ctx.params.num_elements(), ctx.params.ring_bits())));
  }
  FEDGE_RETURN_IF_ERROR(
      UnpackAdd(packed, ctx.params.ring_bits(), absl::MakeSpan(ctx.sum)));
  ctx.masked.insert(client);
  return absl::OkStatus();
}

std::set<std::string> ServerMaskedInputState::Pending() const {
  std::set<std::string> pending;
  for (const std::string& id : context_->shared) {
    if (!context_->masked.count(id)) pending.insert(id);
  }
  return pending;
}

absl::StatusOr<ServerTransition> ServerMaskedInputState::Close() {
  ServerContext& ctx = *context_;
  const size_t t = ctx.params.threshold();
  if (ctx.masked.empty()) {
    return absl::FailedPreconditionError("no masked input arrived");
  }
  // Every client of U2 needs t neighbours in U3 to answer for it.
  for (const std::string& id : ctx.shared) {
    size_t responders = 0;
    for (const std::string& peer : ctx.graph->Neighbours(id)) {
      if (ctx.masked.count(peer)) ++responders;
    }
    if (responders < t) {
      return absl::FailedPreconditionError(
          absl::StrCat("only ", responders, " neighbours of ", id,
                       " delivered masked inputs, fewer than the threshold ", t,
                       ": its masks cannot be removed"));
    }
  }
  for (const std::string& id : ctx.shared) {
    FEDGE_RETURN_IF_ERROR(ctx.Request(id, ctx.masked.count(id)
                                              ? Reveal::kSelfMaskSeed
                                              : Reveal::kMaskingKey));
  }
  ServerTransition transition;
  for (const std::string& id : ctx.masked) {
    v1::SecAggUnmaskRequest& request = transition.unmask[id];
    request.set_round(ctx.round);
    for (const std::string& peer : ctx.graph->Neighbours(id)) {
      if (!ctx.shared.count(peer)) continue;
      if (ctx.masked.count(peer)) {
        request.add_survivors(peer);
      } else {
        request.add_dropped(peer);
      }
    }
  }
  transition.next = std::make_unique<ServerUnmaskState>(std::move(context_));
  return transition;
}

}  // namespace fedge::secagg
