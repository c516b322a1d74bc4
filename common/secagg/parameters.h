#ifndef FEDGE_COMMON_SECAGG_PARAMETERS_H_
#define FEDGE_COMMON_SECAGG_PARAMETERS_H_

// Choosing a round's secure aggregation parameters: the neighbour graph's
// degree k and the Shamir threshold t from the cohort size and the tolerated
// dropout and corruption rates (as in Bell et al., CCS 2020, section 5), and
// the ring and quantization from the clip range, the weight cap and the
// cohort size, so that the sum cannot wrap.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "fedge/v1/secagg.pb.h"

namespace fedge::secagg {

// What an operator configures (secure_aggregation in the server config).
struct SecAggConfig {
  bool enabled = true;
  // 0: derived from the cohort size and the rates below.
  uint32_t threshold = 0;
  uint32_t degree = 0;
  // Fraction of a cohort that may drop out, and that may be corrupt
  // (colluding with the server), with the protocol still correct and secure.
  double dropout_rate = 0.3;
  double corruption_rate = 0.05;
  // Each delta coordinate is clipped to [-clip_range, clip_range].
  double clip_range = 1.0;
  // Bits of the ring the masked values and their sum live in.
  uint32_t ring_bits = 32;
  // Cap on a client's example count, its FedAvg weight.
  uint64_t max_weight = 1000;
};

struct GraphParameters {
  uint32_t degree = 0;     // k
  uint32_t threshold = 0;  // t
  bool complete = false;   // k = n - 1: every client neighbours every other
};

// The smallest even degree k of a random Harary graph over `n` clients such
// that, with `corruption_rate` corrupt clients and `dropout_rate` dropouts,
// the honest survivors stay connected except with probability 2^-40 and
// every client keeps at least t surviving neighbours except with probability
// 2^-20, while no client has t corrupt neighbours except with probability
// 2^-40; and that t. Falls back to the complete graph (SecAgg) when the
// cohort is too small for a sparse one. FailedPrecondition when no
// parameters satisfy the rates (the message says which to change).
absl::StatusOr<GraphParameters> ChooseGraphParameters(size_t n,
                                                      double dropout_rate,
                                                      double corruption_rate);

// Everything a round needs: graph parameters (explicit ones from `config`
// are checked, not replaced), quantization levels so that `n` clients of
// weight up to max_weight cannot wrap the ring, and the context string that
// binds keys and signatures to the round. `num_params` is the model's
// parameter count. InvalidArgument / FailedPrecondition with a message that
// names the setting to change.
absl::StatusOr<v1::SecAggParameters> DeriveParameters(
    const SecAggConfig& config, size_t n, uint64_t num_params,
    const std::string& context);

// Checks a config on its own (ranges), for config loading.
absl::Status ValidateConfig(const SecAggConfig& config);

}  // namespace fedge::secagg

#endif  // FEDGE_COMMON_SECAGG_PARAMETERS_H_
