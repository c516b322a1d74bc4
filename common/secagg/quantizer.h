#ifndef FEDGE_COMMON_SECAGG_QUANTIZER_H_
#define FEDGE_COMMON_SECAGG_QUANTIZER_H_

// From a float delta to ring values and back. A client clips each coordinate
// to [-c, c], maps it to [0, L] and rounds stochastically (unbiased: the
// expected value is exact), multiplies by its weight w = min(examples, W),
// and appends w itself as one more value. The server's unmasked sum is then
// (sum of w·q, sum of w), from which it recovers the example-weighted mean
// delta. With n·W·L < 2^b (DeriveParameters) no value of the sum of n
// clients can wrap.

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/crypto/secret_bytes.h"
#include "fedge/v1/secagg.pb.h"

namespace fedge::secagg {

// The ring values of one client's input: num_elements = delta.size() + 1.
// `rounding_seed` (32 bytes) drives the stochastic rounding through the
// AES-CTR PRG; clients draw it from the CSPRNG (a simulator may derive it to
// be reproducible; it is not a mask). `examples` is capped at max_weight;
// InvalidArgument if it is 0, the size does not match, or a value is not
// finite.
absl::StatusOr<std::vector<uint64_t>> QuantizeWeighted(
    absl::Span<const float> delta, uint64_t examples,
    const v1::SecAggParameters& params,
    const crypto::SecretBytes& rounding_seed);

struct WeightedMean {
  std::vector<float> delta;  // the example-weighted mean delta
  uint64_t total_weight = 0;
};

// Recovers the weighted mean delta from an unmasked sum (num_elements
// values, reduced mod 2^b). FailedPrecondition if the summed weight is 0.
absl::StatusOr<WeightedMean> Dequantize(absl::Span<const uint64_t> sum,
                                        const v1::SecAggParameters& params);

// The largest difference quantization can make to one coordinate of the
// weighted mean (one level: 2c / L), for tests and reports.
double QuantizationStep(const v1::SecAggParameters& params);

}  // namespace fedge::secagg

#endif  // FEDGE_COMMON_SECAGG_QUANTIZER_H_
