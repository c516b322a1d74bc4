#ifndef FEDGE_SERVER_STRATEGY_STATE_H_
#define FEDGE_SERVER_STRATEGY_STATE_H_

// A server optimiser's state (momentum, second moments) beside each
// checkpoint, so that a restarted server resumes the strategy where the
// committed model left it. The file of round r is
// RUN_DIR/strategy/round-NNNNNN.state: the SHA-256 of the state, then the
// state. Like the checkpoint, it is written atomically before the store
// records the round; the file of round r - 2 and older is then removed.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "server/strategy/aggregation_strategy.h"

namespace fedge::server {

// Saves `strategy`'s state as round `round`'s. No-op for a strategy without
// state.
absl::Status SaveStrategyState(const std::string& run_dir, uint64_t round,
                               const AggregationStrategy& strategy);

// Restores `strategy`'s state from round `round`'s file. NotFound if there is
// none (the run started with a strategy without state); DataLoss if the file
// is damaged; InvalidArgument if it was saved by another rule or for another
// model. No-op (OK) for a strategy without state or for round 0.
absl::Status RestoreStrategyState(const std::string& run_dir, uint64_t round,
                                  AggregationStrategy* strategy);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_STRATEGY_STATE_H_
