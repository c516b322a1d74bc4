#ifndef FEDGE_COMMON_SECAGG_CLIENT_STATE_H_
#define FEDGE_COMMON_SECAGG_CLIENT_STATE_H_

// The client side of the protocol as explicit states, one class each. A
// state takes the server's message for its stage and returns the next state
// and what to send; it does no I/O. Internal to common/secagg: use
// SecAggClient (client.h).

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/crypto/secret_bytes.h"
#include "common/crypto/x25519.h"
#include "fedge/v1/secagg.pb.h"

namespace fedge::secagg {

// Who the client is, for signing its keys and checking its peers'.
struct ClientIdentity {
  std::string client_id;
  std::string private_key_pem;  // the device certificate's key
  std::string ca_certificate_pem;
};

// What the client carries from stage to stage.
struct ClientContext {
  ClientIdentity identity;
  uint64_t round = 0;
  v1::SecAggParameters params;
  crypto::X25519KeyPair encryption;  // for the shares' encryption keys
  crypto::X25519KeyPair masking;     // for the pairwise masks
  crypto::SecretBytes self_mask_seed;
  uint32_t own_index = 0;
  struct Neighbour {
    uint32_t index = 0;
    std::string encryption_public_key;
    std::string masking_public_key;
  };
  std::map<std::string, Neighbour> neighbours;
  // Shares of neighbours' secrets held by this client (stage 2 on).
  struct HeldShares {
    crypto::SecretBytes masking_key;
    crypto::SecretBytes self_mask_seed;
  };
  std::map<std::string, HeldShares> held;
};

class ClientState;

struct ClientStep {
  std::unique_ptr<ClientState> next;
  // For Federation.SubmitSecAgg, if the stage sends one.
  std::optional<v1::SecAggMessage> message;
  // The packed masked input (stage 2), for UploadUpdate.
  std::string masked_input;
};

class ClientState {
 public:
  explicit ClientState(std::unique_ptr<ClientContext> context)
      : context_(std::move(context)) {}
  virtual ~ClientState() = default;
  virtual const char* name() const = 0;

  // Each returns FailedPrecondition in states that do not expect it.
  virtual absl::StatusOr<ClientStep> HandleShareKeys(
      const v1::SecAggShareKeysRequest& request);
  virtual absl::StatusOr<ClientStep> HandleMaskedInput(
      const v1::SecAggMaskedInputRequest& request,
      absl::Span<const uint64_t> input);
  virtual absl::StatusOr<ClientStep> HandleUnmask(
      const v1::SecAggUnmaskRequest& request);

 protected:
  absl::Status Unexpected(const char* message) const;
  std::unique_ptr<ClientContext> context_;
};

// After advertising keys: waits for the neighbours' keys (stage 1).
class ClientShareKeysState final : public ClientState {
 public:
  using ClientState::ClientState;
  const char* name() const override { return "share keys"; }
  absl::StatusOr<ClientStep> HandleShareKeys(
      const v1::SecAggShareKeysRequest& request) override;
};

// After sharing keys: waits for the shares addressed to it, then masks its
// input (stage 2).
class ClientMaskedInputState final : public ClientState {
 public:
  using ClientState::ClientState;
  const char* name() const override { return "masked input"; }
  absl::StatusOr<ClientStep> HandleMaskedInput(
      const v1::SecAggMaskedInputRequest& request,
      absl::Span<const uint64_t> input) override;
};

// After uploading: waits for the unmask request (stage 3).
class ClientUnmaskState final : public ClientState {
 public:
  using ClientState::ClientState;
  const char* name() const override { return "unmask"; }
  absl::StatusOr<ClientStep> HandleUnmask(
      const v1::SecAggUnmaskRequest& request) override;
};

// Done; every secret wiped.
class ClientCompletedState final : public ClientState {
 public:
  ClientCompletedState() : ClientState(nullptr) {}
  const char* name() const override { return "completed"; }
};

// Gave up (a check failed); every secret wiped.
class ClientAbortedState final : public ClientState {
 public:
  ClientAbortedState() : ClientState(nullptr) {}
  const char* name() const override { return "aborted"; }
};

}  // namespace fedge::secagg

#endif  // FEDGE_COMMON_SECAGG_CLIENT_STATE_H_
