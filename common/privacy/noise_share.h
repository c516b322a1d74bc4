#ifndef FEDGE_COMMON_PRIVACY_NOISE_SHARE_H_
#define FEDGE_COMMON_PRIVACY_NOISE_SHARE_H_

// A client's part in distributed differential privacy: before its delta is
// quantized and masked for secure aggregation, the client clips it to L2
// norm S and adds its share of the Gaussian noise. With t or more inputs in
// the unmasked sum, shares of standard deviation z·S/√t add up to at least
// the noise N(0, (z·S)²) that central DP-FedAvg would add, so the server
// never sees a sum with less noise than the accountant assumes.

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace fedge::privacy {

// Clips `delta` to L2 norm `clip_norm` (0: no clipping), then adds
// N(0, noise_stddev²) to each value (0: no noise), drawn through
// GaussianNoise from a fresh CSPRNG seed. InvalidArgument if `delta` holds a
// non-finite value or a parameter is negative or not finite; `delta` is
// unchanged then.
absl::Status ClipAndAddNoiseShare(absl::Span<float> delta, double clip_norm,
                                  double noise_stddev);

}  // namespace fedge::privacy

#endif  // FEDGE_COMMON_PRIVACY_NOISE_SHARE_H_
