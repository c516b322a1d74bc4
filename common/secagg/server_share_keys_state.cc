// Stage 1 on the server: collect from each client of U1 exactly one
// encrypted share message per neighbour (the server cannot read them, it
// only routes them). At close, the clients that shared (U2) are sent the
// shares their neighbours in U2 addressed to them; every client of U2 must
// have at least t neighbours in U2, or its shares could never be
// reconstructed.

#include <set>

#include "absl/strings/str_cat.h"
#include "common/crypto/aes_gcm.h"
#include "common/secagg/server_state.h"

namespace fedge::secagg {

absl::Status ServerShareKeysState::HandleShareKeys(
    const std::string& client, const v1::SecAggShareKeys& m) {
  ServerContext& ctx = *context_;
  if (!ctx.advertised.count(client)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "client ", client, " did not advertise keys in round ", ctx.round));
  }
  if (ctx.shared.count(client)) {
    return absl::AlreadyExistsError(
        absl::StrCat("client ", client, " already shared its keys"));
  }
  const std::vector<std::string>& neighbours = ctx.graph->Neighbours(client);
  std::set<std::string> recipients;
  for (const v1::SecAggEncryptedShare& s : m.shares()) {
    if (!ctx.graph->AreNeighbours(client, s.recipient())) {
      return absl::InvalidArgumentError(
          absl::StrCat("client ", client, " addressed shares to ",
                       s.recipient(), ", who is not its neighbour"));
    }
    if (!recipients.insert(s.recipient()).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "client ", client, " sent shares to ", s.recipient(), " twice"));
    }
    if (s.nonce().size() != crypto::kAesGcmNonceBytes ||
        s.ciphertext().size() <= crypto::kAesGcmTagBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("client ", client, " sent a malformed encrypted share"));
    }
  }
  if (recipients.size() != neighbours.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("client ", client, " sent shares to ", recipients.size(),
                     " of its ", neighbours.size(), " neighbours"));
  }
  for (const v1::SecAggEncryptedShare& s : m.shares()) {
    ctx.shares_for[s.recipient()][client] = s;
  }
  ctx.shared.insert(client);
  return absl::OkStatus();
}

std::set<std::string> ServerShareKeysState::Pending() const {
  std::set<std::string> pending;
  for (const auto& [id, keys] : context_->advertised) {
    if (!context_->shared.count(id)) pending.insert(id);
  }
  return pending;
}

absl::StatusOr<ServerTransition> ServerShareKeysState::Close() {
  ServerContext& ctx = *context_;
  const size_t t = ctx.params.threshold();
  ServerTransition transition;
  for (const std::string& id : ctx.shared) {
    v1::SecAggMaskedInputRequest& request = transition.masked_input[id];
    request.set_round(ctx.round);
    size_t live_neighbours = 0;
    for (const std::string& peer : ctx.graph->Neighbours(id)) {
      if (!ctx.shared.count(peer)) continue;
      ++live_neighbours;
      const v1::SecAggEncryptedShare& s = ctx.shares_for[id][peer];
      v1::SecAggIncomingShare* in = request.add_shares();
      in->set_sender(peer);
      in->set_nonce(s.nonce());
      in->set_ciphertext(s.ciphertext());
    }
    if (live_neighbours < t) {
      return absl::FailedPreconditionError(absl::StrCat(
          "after the share-keys stage client ", id, " has ", live_neighbours,
          " neighbours left, fewer than the threshold ", t));
    }
  }
  if (ctx.shared.empty()) {
    return absl::FailedPreconditionError("no client shared its keys");
  }
  ctx.shares_for.clear();
  transition.next =
      std::make_unique<ServerMaskedInputState>(std::move(context_));
  return transition;
}

}  // namespace fedge::secagg
