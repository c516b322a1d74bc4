#include "common/secagg/server.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto/prg.h"

namespace fedge::secagg {

absl::StatusOr<std::unique_ptr<SecAggServer>> SecAggServer::Create(
    ServerSetup setup) {
  if (setup.params.threshold() < 2 || setup.params.num_elements() < 1 ||
      setup.params.context().empty()) {
    return absl::InvalidArgumentError("invalid secure aggregation parameters");
  }
  auto ctx = std::make_unique<ServerContext>();
  ctx->round = setup.round;
  ctx->params = std::move(setup.params);
  ctx->cohort = std::move(setup.cohort);
  std::sort(ctx->cohort.begin(), ctx->cohort.end());
  ctx->certificates = std::move(setup.certificates);
  ctx->graph_seed = crypto::SecretBytes::Random(crypto::kPrgSeedBytes);
  return std::unique_ptr<SecAggServer>(new SecAggServer(
      std::make_unique<ServerAdvertiseKeysState>(std::move(ctx))));
}

absl::StatusOr<ServerTransition> SecAggServer::Close() {
  absl::StatusOr<ServerTransition> transition = state_->Close();
  if (!transition.ok()) {
    state_ = std::make_unique<ServerAbortedState>(
        std::string(transition.status().message()));
    return transition.status();
  }
  state_ = std::move(transition->next);
  return transition;
}

bool SecAggServer::aborted() const {
  return dynamic_cast<const ServerAbortedState*>(state_.get()) != nullptr;
}

}  // namespace fedge::secagg
