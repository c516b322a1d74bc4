// Stage 0 on the server: collect each cohort member's two public keys (its
// signature is checked here too, so junk is refused early; the peers check
// it again, since they need not trust the server). At close, the clients
// that advertised (U1) are placed in the round's random neighbour graph and
// each is sent its neighbours' keys and certificates.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto/certificate_signature.h"
#include "common/secagg/key_schedule.h"
#include "common/secagg/server_state.h"
#include "common/util/status_macros.h"

namespace fedge::secagg {

absl::Status ServerAdvertiseKeysState::HandleAdvertiseKeys(
    const std::string& client, const v1::SecAggAdvertiseKeys& m) {
  ServerContext& ctx = *context_;
  if (!std::binary_search(ctx.cohort.begin(), ctx.cohort.end(), client)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "client ", client, " is not in round ", ctx.round, "'s cohort"));
  }
  if (ctx.advertised.count(client)) {
    return absl::AlreadyExistsError(
        absl::StrCat("client ", client, " already advertised its keys"));
  }
  if (m.encryption_public_key().size() != 32 ||
      m.masking_public_key().size() != 32 || m.signature().empty()) {
    return absl::InvalidArgumentError(
        "a key advertisement needs two 32-byte X25519 keys and a signature");
  }
  auto cert = ctx.certificates.find(client);
  if (cert == ctx.certificates.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no certificate known for ", client));
  }
  if (absl::Status s = crypto::VerifyWithCertificate(
          cert->second,
          SignedKeyBytes(ctx.params.context(), client,
                         m.encryption_public_key(), m.masking_public_key()),
          m.signature());
      !s.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("the key advertisement of ", client,
                     " is not signed by its certificate key"));
  }
  ctx.advertised[client] = m;
  return absl::OkStatus();
}

std::set<std::string> ServerAdvertiseKeysState::Pending() const {
  std::set<std::string> pending;
  for (const std::string& id : context_->cohort) {
    if (!context_->advertised.count(id)) pending.insert(id);
  }
  return pending;
}

absl::StatusOr<ServerTransition> ServerAdvertiseKeysState::Close() {
  ServerContext& ctx = *context_;
  const size_t t = ctx.params.threshold();
  std::vector<std::string> u1;
  for (const auto& [id, keys] : ctx.advertised) u1.push_back(id);
  if (u1.size() < t + 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "only ", u1.size(), " clients advertised keys; the threshold ", t,
        " needs at least ", t + 1));
  }
  FEDGE_ASSIGN_OR_RETURN(
      NeighbourGraph graph,
      NeighbourGraph::RandomHarary(u1, ctx.params.degree(), ctx.graph_seed));
  ServerTransition transition;
  for (const std::string& id : graph.ids()) {
    if (graph.Neighbours(id).size() < t) {
      return absl::FailedPreconditionError(
          absl::StrCat("client ", id, " has only ", graph.Neighbours(id).size(),
                       " neighbours, fewer than the threshold ", t));
    }
    v1::SecAggShareKeysRequest& request = transition.share_keys[id];
    request.set_round(ctx.round);
    request.set_own_index(graph.Index(id));
    for (const std::string& peer : graph.Neighbours(id)) {
      v1::SecAggNeighbour* n = request.add_neighbours();
      n->set_client_id(peer);
      n->set_index(graph.Index(peer));
      *n->mutable_keys() = ctx.advertised[peer];
      n->set_certificate_pem(ctx.certificates[peer]);
    }
  }
  ctx.graph = std::move(graph);
  transition.next = std::make_unique<ServerShareKeysState>(std::move(context_));
  return transition;
}

}  // namespace fedge::secagg
