#include "common/privacy/noise_share.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/crypto/prg.h"
#include "common/crypto/secret_bytes.h"
#include "common/privacy/adaptive_clipping.h"
#include "common/privacy/gaussian_noise.h"
#include "common/util/status_macros.h"

namespace fedge::privacy {

absl::Status ClipAndAddNoiseShare(absl::Span<float> delta, double clip_norm,
                                  double noise_stddev) {
  if (!(clip_norm >= 0) || !std::isfinite(clip_norm) || !(noise_stddev >= 0) ||
      !std::isfinite(noise_stddev)) {
    return absl::InvalidArgumentError(
        absl::StrCat("clip norm (", clip_norm, ") and noise stddev (",
                     noise_stddev, ") must be finite and non-negative"));
  }
  for (float v : delta) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError("the delta holds a non-finite value");
    }
  }
  if (clip_norm > 0) ClipToNorm(delta, clip_norm);
  if (noise_stddev > 0) {
    // Fresh from the CSPRNG: the noise protects this client's update only if
    // nobody can predict it.
    FEDGE_ASSIGN_OR_RETURN(GaussianNoise noise,
                           GaussianNoise::Create(crypto::SecretBytes::Random(
                               crypto::kPrgSeedBytes)));
    FEDGE_RETURN_IF_ERROR(noise.Add(noise_stddev, delta));
  }
  return absl::OkStatus();
}

}  // namespace fedge::privacy
