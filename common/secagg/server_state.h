#ifndef FEDGE_COMMON_SECAGG_SERVER_STATE_H_
#define FEDGE_COMMON_SECAGG_SERVER_STATE_H_

// The server side of the protocol as explicit states, one class each: each
// takes the clients' messages of its stage and, when the stage closes,
// produces the next stage's requests and the next state. No I/O. Internal
// to common/secagg: use SecAggServer (server.h).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/crypto/secret_bytes.h"
#include "common/crypto/shamir.h"
#include "common/secagg/neighbour_graph.h"
#include "fedge/v1/secagg.pb.h"

namespace fedge::secagg {

// Which of a client's two secrets the server has asked its neighbours to
// reveal. The server asks for at most one per client, ever.
enum class Reveal { kNone, kSelfMaskSeed, kMaskingKey };

struct ServerContext {
  uint64_t round = 0;
  v1::SecAggParameters params;
  std::vector<std::string> cohort;                  // sorted
  std::map<std::string, std::string> certificates;  // id → PEM
  crypto::SecretBytes graph_seed;
  std::string ca_certificate_pem;

  std::map<std::string, v1::SecAggAdvertiseKeys> advertised;  // U1
  std::optional<NeighbourGraph> graph;                        // over U1
  // recipient → sender → encrypted shares (stage 1 → 2).
  std::map<std::string, std::map<std::string, v1::SecAggEncryptedShare>>
      shares_for;
  std::set<std::string> shared;  // U2
  std::set<std::string> masked;  // U3
  std::vector<uint64_t> sum;     // running sum of masked inputs
  std::map<std::string, Reveal> requested;
  // owner → revealed shares (only of the kind requested for the owner).
  std::map<std::string, std::vector<crypto::ShamirShare>> revealed;
  std::set<std::string> unmask_responders;

  // Records that the server asks for `kind` of `owner`; Internal error (and
  // nothing recorded) if it asked for the other kind before.
  absl::Status Request(const std::string& owner, Reveal kind);
};

class ServerState;

// Requests to send when a stage closes, by recipient.
template <typename Request>
using Requests = std::map<std::string, Request>;

struct ServerTransition {
  std::unique_ptr<ServerState> next;
  Requests<v1::SecAggShareKeysRequest> share_keys;
  Requests<v1::SecAggMaskedInputRequest> masked_input;
  Requests<v1::SecAggUnmaskRequest> unmask;
};

// The unmasked result.
struct AggregateResult {
  std::vector<uint64_t> sum;           // mod 2^b, num_elements values
  std::vector<std::string> survivors;  // whose inputs it is the sum of
};

class ServerState {
 public:
  explicit ServerState(std::unique_ptr<ServerContext> context)
      : context_(std::move(context)) {}
  virtual ~ServerState() = default;
  virtual const char* name() const = 0;

  // Stage messages; FailedPrecondition in states that do not take them.
  virtual absl::Status HandleAdvertiseKeys(const std::string& client,
                                           const v1::SecAggAdvertiseKeys& m);
  virtual absl::Status HandleShareKeys(const std::string& client,
                                       const v1::SecAggShareKeys& m);
  virtual absl::Status CheckMaskedInput(const std::string& client) const;
  virtual absl::Status HandleMaskedInput(const std::string& client,
                                         absl::string_view packed);
  virtual absl::Status HandleUnmask(const std::string& client,
                                    const v1::SecAggUnmask& m);
  // Clients whose message the open stage still waits for.
  virtual std::set<std::string> Pending() const { return {}; }
  // Closes the stage. An error means the round cannot complete (too few
  // clients left for the threshold); the caller abandons it.
  virtual absl::StatusOr<ServerTransition> Close();
  // The result, in the completed state only.
  virtual absl::StatusOr<AggregateResult> Result() const;

  const ServerContext* context() const { return context_.get(); }

 protected:
  absl::Status Unexpected(const char* message) const;
  std::unique_ptr<ServerContext> context_;
};

class ServerAdvertiseKeysState final : public ServerState {
 public:
  using ServerState::ServerState;
  const char* name() const override { return "advertise keys"; }
  absl::Status HandleAdvertiseKeys(const std::string& client,
                                   const v1::SecAggAdvertiseKeys& m) override;
  std::set<std::string> Pending() const override;
  absl::StatusOr<ServerTransition> Close() override;
};

class ServerShareKeysState final : public ServerState {
 public:
  using ServerState::ServerState;
  const char* name() const override { return "share keys"; }
  absl::Status HandleShareKeys(const std::string& client,
                               const v1::SecAggShareKeys& m) override;
  std::set<std::string> Pending() const override;
  absl::StatusOr<ServerTransition> Close() override;
};

class ServerMaskedInputState final : public ServerState {
 public:
  using ServerState::ServerState;
  const char* name() const override { return "masked input"; }
  absl::Status CheckMaskedInput(const std::string& client) const override;
  absl::Status HandleMaskedInput(const std::string& client,
                                 absl::string_view packed) override;
  std::set<std::string> Pending() const override;
  absl::StatusOr<ServerTransition> Close() override;
};

class ServerUnmaskState final : public ServerState {
 public:
  using ServerState::ServerState;
  const char* name() const override { return "unmask"; }
  absl::Status HandleUnmask(const std::string& client,
                            const v1::SecAggUnmask& m) override;
  std::set<std::string> Pending() const override;
  absl::StatusOr<ServerTransition> Close() override;
};

class ServerCompletedState final : public ServerState {
 public:
  ServerCompletedState(std::unique_ptr<ServerContext> context,
                       AggregateResult result)
      : ServerState(std::move(context)), result_(std::move(result)) {}
  const char* name() const override { return "completed"; }
  absl::StatusOr<AggregateResult> Result() const override { return result_; }

 private:
  AggregateResult result_;
};

class ServerAbortedState final : public ServerState {
 public:
  explicit ServerAbortedState(std::string reason)
      : ServerState(nullptr), reason_(std::move(reason)) {}
  const char* name() const override { return "aborted"; }
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

}  // namespace fedge::secagg

#endif  // FEDGE_COMMON_SECAGG_SERVER_STATE_H_
