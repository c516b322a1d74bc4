#ifndef FEDGE_COMMON_SECAGG_CLIENT_H_
#define FEDGE_COMMON_SECAGG_CLIENT_H_

// One client's part in one secure aggregation: pure logic over messages, no
// I/O (the edge runtime carries the messages). Stages:
//   Start           → advertise keys (signed with the device key)
//   OnShareKeys     → check neighbours' keys, send them encrypted shares
//   OnMaskedInput   → keep the shares received; mask the input
//   OnUnmask        → reveal the shares the server may have
// Any failed check moves the client to 'aborted' and wipes its secrets.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/secagg/client_state.h"
#include "fedge/v1/secagg.pb.h"

namespace fedge::secagg {

class SecAggClient {
 public:
  // Generates the round's key pairs and self-mask seed and returns the
  // client with its stage-0 message (advertise keys) in `advertisement`.
  static absl::StatusOr<std::unique_ptr<SecAggClient>> Start(
      ClientIdentity identity, uint64_t round,
      const v1::SecAggParameters& params, v1::SecAggMessage* advertisement);

  absl::StatusOr<v1::SecAggMessage> OnShareKeys(
      const v1::SecAggShareKeysRequest& request);
  // Returns the packed masked input for UploadUpdate. `input`: the ring
  // values of this client's quantized, weighted update (QuantizeWeighted).
  absl::StatusOr<std::string> OnMaskedInput(
      const v1::SecAggMaskedInputRequest& request,
      absl::Span<const uint64_t> input);
  absl::StatusOr<v1::SecAggMessage> OnUnmask(
      const v1::SecAggUnmaskRequest& request);

  const char* state() const { return state_->name(); }
  uint64_t round() const { return round_; }

 private:
  SecAggClient(std::unique_ptr<ClientState> state, uint64_t round)
      : state_(std::move(state)), round_(round) {}
  // Moves to the step's next state, or to 'aborted' on error.
  absl::StatusOr<ClientStep> Advance(absl::StatusOr<ClientStep> step);

  std::unique_ptr<ClientState> state_;
  uint64_t round_;
};

}  // namespace fedge::secagg

#endif  // FEDGE_COMMON_SECAGG_CLIENT_H_
