#include "common/secagg/client_state.h"

#include "absl/strings/str_cat.h"

namespace fedge::secagg {

absl::Status ClientState::Unexpected(const char* message) const {
  return absl::FailedPreconditionError(
      absl::StrCat("secure aggregation: a ", message,
                   " request arrived while the client "
                   "is in state '",
                   name(), "'"));
}

absl::StatusOr<ClientStep> ClientState::HandleShareKeys(
    const v1::SecAggShareKeysRequest&) {
  return Unexpected("share-keys");
}

absl::StatusOr<ClientStep> ClientState::HandleMaskedInput(
    const v1::SecAggMaskedInputRequest&, absl::Span<const uint64_t>) {
  return Unexpected("masked-input");
}

absl::StatusOr<ClientStep> ClientState::HandleUnmask(
    const v1::SecAggUnmaskRequest&) {
  return Unexpected("unmask");
}

}  // namespace fedge::secagg
