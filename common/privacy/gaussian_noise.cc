#include "common/privacy/gaussian_noise.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/base/internal/endian.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "common/crypto/prg.h"
#include "common/crypto/secret_bytes.h"
#include "common/util/status_macros.h"

namespace fedge::privacy {
namespace {

// One PRG call fills 512 words, enough for 256 Box-Muller pairs.
constexpr size_t kBufferBytes = 4096;

constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace

namespace internal {

double UniformFromWord(uint64_t word) {
  // 0x1p-53: the spacing of doubles just below 1, so every value is exact.
  return static_cast<double>(word >> 11) * 0x1p-53;
}

}  // namespace internal

absl::StatusOr<GaussianNoise> GaussianNoise::Create(
    const crypto::SecretBytes& seed) {
  if (seed.size() != crypto::kPrgSeedBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Gaussian noise seed must be ", crypto::kPrgSeedBytes, " bytes, got ",
        seed.size(), "; pass crypto::SecretBytes::Random(",
        crypto::kPrgSeedBytes, ") for fresh noise"));
  }
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesCtrPrg> prg,
                         crypto::AesCtrPrg::Create(seed));
  return GaussianNoise(std::move(prg));
}

GaussianNoise::GaussianNoise(std::unique_ptr<crypto::AesCtrPrg> prg)
    : prg_(std::move(prg)),
      buffer_(kBufferBytes),
      buffer_pos_(kBufferBytes) {}  // empty: the first word refills

uint64_t GaussianNoise::NextWord() {
  if (buffer_pos_ + sizeof(uint64_t) > buffer_.size()) {
    prg_->Generate(buffer_.mutable_data(), buffer_.size());
    buffer_pos_ = 0;
  }
  const uint64_t word =
      absl::little_endian::Load64(buffer_.data() + buffer_pos_);
  buffer_pos_ += sizeof(uint64_t);
  return word;
}

double GaussianNoise::NextUniform() {
  // A zero comes once in 2^53 words; drawing again keeps log(u) finite
  // without biasing the other values.
  for (;;) {
    const double u = internal::UniformFromWord(NextWord());
    if (u > 0.0) return u;
  }
}

double GaussianNoise::Next() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double u1 = NextUniform();
  const double u2 = NextUniform();
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = kTwoPi * u2;
  spare_ = radius * std::sin(angle);
  has_spare_ = true;
  return radius * std::cos(angle);
}

absl::Status GaussianNoise::Add(double stddev, absl::Span<float> values) {
  if (!(stddev >= 0.0) || !std::isfinite(stddev)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Gaussian noise standard deviation must be finite and >= 0, got ",
        stddev));
  }
  // Adding 0 * N(0, 1) would still turn -0.0f into +0.0f when the sample is
  // positive; skip the loop so that no noise means no change at all.
  if (stddev == 0.0) return absl::OkStatus();
  for (float& value : values) {
    value = static_cast<float>(static_cast<double>(value) + stddev * Next());
  }
  return absl::OkStatus();
}

}  // namespace fedge::privacy
