#include "common/secagg/quantizer.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/crypto/prg.h"

namespace fedge::secagg {
namespace {

constexpr size_t kBlock = 8192;

}  // namespace

double QuantizationStep(const v1::SecAggParameters& params) {
  return 2.0 * params.clip_range() / static_cast<double>(params.levels());
}

absl::StatusOr<std::vector<uint64_t>> QuantizeWeighted(
    absl::Span<const float> delta, uint64_t examples,
    const v1::SecAggParameters& params,
    const crypto::SecretBytes& rounding_seed) {
  if (delta.size() + 1 != params.num_elements()) {
    return absl::InvalidArgumentError(
        absl::StrCat("delta has ", delta.size(), " values; the round expects ",
                     params.num_elements() - 1));
  }
  if (examples == 0) {
    return absl::InvalidArgumentError("a client needs at least one example");
  }
  auto prg = crypto::AesCtrPrg::Create(rounding_seed);
  if (!prg.ok()) return prg.status();
  const uint64_t weight = std::min<uint64_t>(examples, params.max_weight());
  const double c = params.clip_range();
  const double levels = static_cast<double>(params.levels());
  const double scale = levels / (2.0 * c);
  std::vector<uint64_t> out(params.num_elements());
  std::vector<uint32_t> noise(kBlock);
  for (size_t start = 0; start < delta.size(); start += kBlock) {
    const size_t n = std::min(kBlock, delta.size() - start);
    (*prg)->Generate(reinterpret_cast<uint8_t*>(noise.data()), n * 4);
    for (size_t i = 0; i < n; ++i) {
      const float d = delta[start + i];
      if (!std::isfinite(d)) {
        return absl::InvalidArgumentError(
            absl::StrCat("delta value ", start + i,
                         " is not finite; it cannot be "
                         "aggregated"));
      }
      const double clipped = std::clamp(static_cast<double>(d), -c, c);
      const double x = (clipped + c) * scale;  // in [0, L]
      double floor_x = std::floor(x);
      // Round up with probability frac(x): unbiased.
      const double u = static_cast<double>(noise[i]) * 0x1.0p-32;
      uint64_t q = static_cast<uint64_t>(floor_x) + (u < x - floor_x ? 1 : 0);
      q = std::min<uint64_t>(q, params.levels());
      out[start + i] = q * weight;
    }
  }
  out.back() = weight;
  return out;
}

absl::StatusOr<WeightedMean> Dequantize(absl::Span<const uint64_t> sum,
                                        const v1::SecAggParameters& params) {
  if (sum.size() != params.num_elements()) {
    return absl::InvalidArgumentError("sum has the wrong number of values");
  }
  WeightedMean mean;
  mean.total_weight = sum.back();
  if (mean.total_weight == 0) {
    return absl::FailedPreconditionError("the summed weight is 0");
  }
  const double c = params.clip_range();
  const double step = QuantizationStep(params);
  const double w = static_cast<double>(mean.total_weight);
  mean.delta.resize(sum.size() - 1);
  // sum_i w_i q_i · step − c · sum_i w_i = sum_i w_i · delta_i (per value).
  for (size_t i = 0; i + 1 < sum.size(); ++i) {
    double weighted = static_cast<double>(sum[i]) * step - c * w;
    mean.delta[i] = static_cast<float>(weighted / w);
  }
  return mean;
}

}  // namespace fedge::secagg
