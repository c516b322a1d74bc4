// Stage 3 on the client: for each neighbour the server says delivered its
// masked input, reveal the share of its self-mask seed; for each neighbour
// that dropped after stage 1, the share of its masking key. Never both for
// one neighbour: together they would let the server remove that
// neighbour's masks and read its input.

#include <set>

#include "absl/strings/str_cat.h"
#include "common/secagg/client_state.h"

namespace fedge::secagg {

absl::StatusOr<ClientStep> ClientUnmaskState::HandleUnmask(
    const v1::SecAggUnmaskRequest& request) {
  ClientContext& ctx = *context_;
  if (request.round() != ctx.round) {
    return absl::FailedPreconditionError(
        absl::StrCat("unmask request is for round ", request.round(),
                     ", this client is in round ", ctx.round));
  }
  std::set<std::string> survivors(request.survivors().begin(),
                                  request.survivors().end());
  for (const std::string& id : request.dropped()) {
    if (survivors.count(id)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "refusing to reveal both the self-mask seed share and the masking "
          "key share of ",
          id, ": that would expose its input"));
    }
  }
  v1::SecAggMessage message;
  message.set_round(ctx.round);
  v1::SecAggUnmask* out = message.mutable_unmask();
  auto reveal = [&](const std::string& id,
                    bool self_mask_seed) -> absl::Status {
    if (id == ctx.identity.client_id) {
      return absl::InvalidArgumentError(
          "an unmask request may not name the client itself");
    }
    auto it = ctx.held.find(id);
    if (it == ctx.held.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("asked to reveal shares of ", id,
                       ", for whom this client holds none"));
    }
    v1::SecAggRevealedShare* share = out->add_shares();
    share->set_owner(id);
    share->set_self_mask_seed(self_mask_seed);
    share->set_value(self_mask_seed
                         ? it->second.self_mask_seed.ExportForTransport()
                         : it->second.masking_key.ExportForTransport());
    return absl::OkStatus();
  };
  for (const std::string& id : survivors) {
    if (absl::Status s = reveal(id, true); !s.ok()) return s;
  }
  std::set<std::string> dropped(request.dropped().begin(),
                                request.dropped().end());
  if (dropped.size() != static_cast<size_t>(request.dropped_size())) {
    return absl::InvalidArgumentError("unmask request lists a client twice");
  }
  for (const std::string& id : dropped) {
    if (absl::Status s = reveal(id, false); !s.ok()) return s;
  }
  ClientStep step;
  step.message = std::move(message);
  step.next = std::make_unique<ClientCompletedState>();
  return step;
}

}  // namespace fedge::secagg
