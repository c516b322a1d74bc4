#ifndef FEDGE_COMMON_SECAGG_SERVER_H_
#define FEDGE_COMMON_SECAGG_SERVER_H_

// The server's part in one secure aggregation: pure logic over messages, no
// I/O (the aggregator's round carries them). Stages, each closed by the
// caller when every expected message arrived or its deadline passed:
//   advertise keys → share keys → masked input → unmask → completed
// A stage that cannot close because too few clients remain for the
// threshold moves to 'aborted'; the round is then abandoned.
//
// Not thread-safe: the caller serialises access.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/secagg/server_state.h"

namespace fedge::secagg {

struct ServerSetup {
  uint64_t round = 0;
  v1::SecAggParameters params;
  std::vector<std::string> cohort;
  // Each cohort member's certificate (PEM), from its TLS connection. The
  // server forwards them so peers can check each other's key signatures.
  std::map<std::string, std::string> certificates;
};

class SecAggServer {
 public:
  // The neighbour graph's randomness is drawn from OpenSSL's CSPRNG.
  static absl::StatusOr<std::unique_ptr<SecAggServer>> Create(
      ServerSetup setup);

  absl::Status HandleAdvertiseKeys(const std::string& client,
                                   const v1::SecAggAdvertiseKeys& m) {
    return state_->HandleAdvertiseKeys(client, m);
  }
  absl::Status HandleShareKeys(const std::string& client,
                               const v1::SecAggShareKeys& m) {
    return state_->HandleShareKeys(client, m);
  }
  // Whether `client` may upload a masked input now (before reading it).
  absl::Status CheckMaskedInput(const std::string& client) const {
    return state_->CheckMaskedInput(client);
  }
  absl::Status HandleMaskedInput(const std::string& client,
                                 absl::string_view packed) {
    return state_->HandleMaskedInput(client, packed);
  }
  absl::Status HandleUnmask(const std::string& client,
                            const v1::SecAggUnmask& m) {
    return state_->HandleUnmask(client, m);
  }

  // Clients the open stage still waits for.
  std::set<std::string> Pending() const { return state_->Pending(); }

  // Closes the open stage and returns the next stage's requests. On error
  // the server is 'aborted' and the status says why.
  absl::StatusOr<ServerTransition> Close();

  // After the unmask stage closed: the sum of the survivors' inputs.
  absl::StatusOr<AggregateResult> Result() const { return state_->Result(); }

  const char* stage() const { return state_->name(); }
  bool aborted() const;

  // Test access to the protocol's bookkeeping.
  const ServerContext* context() const { return state_->context(); }

 private:
  explicit SecAggServer(std::unique_ptr<ServerState> state)
      : state_(std::move(state)) {}
  std::unique_ptr<ServerState> state_;
};

}  // namespace fedge::secagg

#endif  // FEDGE_COMMON_SECAGG_SERVER_H_
