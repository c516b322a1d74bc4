#include "common/secagg/server_state.h"

#include "absl/strings/str_cat.h"

namespace fedge::secagg {

absl::Status ServerContext::Request(const std::string& owner, Reveal kind) {
  Reveal& current = requested[owner];
  if (current != Reveal::kNone && current != kind) {
    return absl::InternalError(absl::StrCat(
        "refusing to request both secrets of ", owner,
        ": its self-mask seed and its masking key together would reveal its "
        "input"));
  }
  current = kind;
  return absl::OkStatus();
}

absl::Status ServerState::Unexpected(const char* message) const {
  return absl::FailedPreconditionError(
      absl::StrCat("secure aggregation: ", message,
                   " is not accepted in stage '", name(), "'"));
}

absl::Status ServerState::HandleAdvertiseKeys(const std::string&,
                                              const v1::SecAggAdvertiseKeys&) {
  return Unexpected("a key advertisement");
}
absl::Status ServerState::HandleShareKeys(const std::string&,
                                          const v1::SecAggShareKeys&) {
  return Unexpected("a share-keys message");
}
absl::Status ServerState::CheckMaskedInput(const std::string&) const {
  return Unexpected("a masked input");
}
absl::Status ServerState::HandleMaskedInput(const std::string&,
                                            absl::string_view) {
  return Unexpected("a masked input");
}
absl::Status ServerState::HandleUnmask(const std::string&,
                                       const v1::SecAggUnmask&) {
  return Unexpected("an unmask message");
}
absl::StatusOr<ServerTransition> ServerState::Close() {
  return Unexpected("closing the stage");
}
absl::StatusOr<AggregateResult> ServerState::Result() const {
  return Unexpected("asking for the result");
}

}  // namespace fedge::secagg
