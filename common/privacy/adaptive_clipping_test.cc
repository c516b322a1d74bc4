#include "common/privacy/adaptive_clipping.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "common/crypto/secret_bytes.h"
#include "common/privacy/gaussian_noise.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::privacy {
namespace {

using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The paper's settings, with m = 10 clients per round so that hand
// computation stays simple.
AdaptiveClippingConfig HandConfig() {
  AdaptiveClippingConfig config;
  config.initial_clip_norm = 1.0;
  config.target_quantile = 0.5;
  config.clip_learning_rate = 0.2;
  config.noise_multiplier = 1.0;
  config.expected_clients_per_round = 10;
  config.count_noise_stddev = 1.0;  // above z / 2
  return config;
}

AdaptiveClipper MakeClipper(const AdaptiveClippingConfig& config) {
  absl::StatusOr<AdaptiveClipper> clipper = AdaptiveClipper::Create(config);
  EXPECT_TRUE(clipper.ok()) << clipper.status();
  return std::move(clipper).value();
}

GaussianNoise MakeNoise(uint8_t tag) {
  crypto::SecretBytes seed(32);
  seed.mutable_data()[0] = tag;
  absl::StatusOr<GaussianNoise> noise = GaussianNoise::Create(seed);
  EXPECT_TRUE(noise.ok()) << noise.status();
  return std::move(noise).value();
}

double Norm(const std::vector<float>& v) {
  double sum = 0.0;
  for (float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

// --- the noise multiplier of the update sum -------------------------------

TEST(AdaptiveUpdateNoiseMultiplierTest, MatchesHandComputation) {
  struct Case {
    double z, sigma_b, z_delta;
  };
  // z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2), by hand:
  const Case cases[] = {
      // (1 - 1/4)^(-1/2) = 2 / sqrt(3)
      {1.0, 1.0, 1.1547005383792515},
      // m = 100, sigma_b = 100 / 20 = 5: (1 - 1/100)^(-1/2)
      {1.0, 5.0, 1.0050378152592121},
      // (4 - 1)^(-1/2) = 1 / sqrt(3)
      {0.5, 0.5, 0.5773502691896258},
      // (1/4 - 1/400)^(-1/2) = 20 / sqrt(99)
      {2.0, 10.0, 2.0100756305184242},
      // (1 - 1/1.21)^(-1/2) = 1.1 / sqrt(0.21)
      {1.0, 0.55, 2.4003967925959158},
  };
  for (const Case& c : cases) {
    absl::StatusOr<double> z_delta =
        AdaptiveUpdateNoiseMultiplier(c.z, c.sigma_b);
    ASSERT_TRUE(z_delta.ok()) << z_delta.status();
    EXPECT_NEAR(*z_delta, c.z_delta, 1e-15 * c.z_delta)
        << "z " << c.z << " sigma_b " << c.sigma_b;
    EXPECT_GE(*z_delta, c.z);
  }
}

// The defining identity: update noise and count noise together are one
// Gaussian mechanism with multiplier z, z^-2 = z_delta^-2 + (2 sigma_b)^-2.
TEST(AdaptiveUpdateNoiseMultiplierTest, ComposesBackToTheTotal) {
  for (double z : {1e-150, 0.3, 0.7, 1.0, 1.3, 4.0, 1e3}) {
    for (double ratio : {0.51, 0.6, 1.0, 2.0, 50.0}) {  // sigma_b / z
      const double sigma_b = ratio * z;
      absl::StatusOr<double> z_delta =
          AdaptiveUpdateNoiseMultiplier(z, sigma_b);
      ASSERT_TRUE(z_delta.ok()) << z_delta.status();
      // Multiplied through by z^2, to compare at every scale:
      // (z / z_delta)^2 + (z / (2 sigma_b))^2 = 1.
      const double total =
          std::pow(z / *z_delta, 2) + std::pow(1.0 / (2.0 * ratio), 2);
      EXPECT_NEAR(total, 1.0, 1e-13) << "z " << z << " sigma_b " << sigma_b;
    }
  }
}

TEST(AdaptiveUpdateNoiseMultiplierTest, ZeroNoiseMultiplierGivesZero) {
  EXPECT_EQ(AdaptiveUpdateNoiseMultiplier(0.0, 0.0).value(), 0.0);
  EXPECT_EQ(AdaptiveUpdateNoiseMultiplier(0.0, 3.0).value(), 0.0);
}

TEST(AdaptiveUpdateNoiseMultiplierTest, CountNoiseAtOrBelowHalfZIsRejected) {
  for (double sigma_b : {0.0, 0.25, 0.5}) {  // z / 2 = 0.5
    absl::StatusOr<double> z_delta =
        AdaptiveUpdateNoiseMultiplier(1.0, sigma_b);
    EXPECT_EQ(z_delta.status().code(), absl::StatusCode::kInvalidArgument)
        << sigma_b;
    EXPECT_THAT(z_delta.status().message(),
                HasSubstr("sigma_b must be greater than z / 2 = 0.5"));
  }
  // (2 sigma_b)^-2 = z^-2 exactly, at another scale.
  EXPECT_FALSE(AdaptiveUpdateNoiseMultiplier(3.0, 1.5).ok());
}

TEST(AdaptiveUpdateNoiseMultiplierTest, RejectsNegativeOrNonFiniteArguments) {
  for (auto [z, sigma_b] :
       std::vector<std::pair<double, double>>{{-1.0, 5.0},
                                              {kNaN, 5.0},
                                              {kInf, 5.0},
                                              {1.0, -5.0},
                                              {1.0, kNaN},
                                              {1.0, kInf},
                                              {0.0, -1.0}}) {
    EXPECT_EQ(AdaptiveUpdateNoiseMultiplier(z, sigma_b).status().code(),
              absl::StatusCode::kInvalidArgument)
        << z << " " << sigma_b;
  }
}

TEST(AdaptiveClippingConfigTest, RecommendedCountNoiseIsOneTwentiethOfM) {
  EXPECT_EQ(RecommendedCountNoiseStddev(100), 5.0);
  EXPECT_EQ(RecommendedCountNoiseStddev(1000), 50.0);
  EXPECT_EQ(RecommendedCountNoiseStddev(10), 0.5);
}

// --- config validation ----------------------------------------------------

TEST(AdaptiveClippingConfigTest, AcceptsThePapersSettings) {
  AdaptiveClippingConfig config;
  config.noise_multiplier = 1.0;
  config.expected_clients_per_round = 100;
  config.count_noise_stddev = RecommendedCountNoiseStddev(100);
  EXPECT_TRUE(ValidateAdaptiveClippingConfig(config).ok());
  EXPECT_EQ(config.initial_clip_norm, 0.1);
  EXPECT_EQ(config.target_quantile, 0.5);
  EXPECT_EQ(config.clip_learning_rate, 0.2);
}

TEST(AdaptiveClippingConfigTest, AcceptsNoPrivacyWithoutCountNoise) {
  AdaptiveClippingConfig config = HandConfig();
  config.noise_multiplier = 0.0;
  config.count_noise_stddev = 0.0;
  absl::StatusOr<AdaptiveClipper> clipper = AdaptiveClipper::Create(config);
  ASSERT_TRUE(clipper.ok()) << clipper.status();
  EXPECT_EQ(clipper->UpdateNoiseMultiplier(), 0.0);
  EXPECT_EQ(clipper->UpdateNoiseStddev(), 0.0);
}

TEST(AdaptiveClippingConfigTest, RejectsEachFieldOutOfRange) {
  struct Case {
    void (*mutate)(AdaptiveClippingConfig&);
    const char* field;
  };
  const Case cases[] = {
      {[](AdaptiveClippingConfig& c) { c.initial_clip_norm = 0.0; },
       "initial_clip_norm"},
      {[](AdaptiveClippingConfig& c) { c.initial_clip_norm = -1.0; },
       "initial_clip_norm"},
      {[](AdaptiveClippingConfig& c) { c.initial_clip_norm = kInf; },
       "initial_clip_norm"},
      {[](AdaptiveClippingConfig& c) { c.initial_clip_norm = kNaN; },
       "initial_clip_norm"},
      {[](AdaptiveClippingConfig& c) { c.target_quantile = 0.0; },
       "target_quantile"},
      {[](AdaptiveClippingConfig& c) { c.target_quantile = 1.0; },
       "target_quantile"},
      {[](AdaptiveClippingConfig& c) { c.target_quantile = kNaN; },
       "target_quantile"},
      {[](AdaptiveClippingConfig& c) { c.clip_learning_rate = 0.0; },
       "clip_learning_rate"},
      {[](AdaptiveClippingConfig& c) { c.clip_learning_rate = -0.2; },
       "clip_learning_rate"},
      {[](AdaptiveClippingConfig& c) { c.clip_learning_rate = kInf; },
       "clip_learning_rate"},
      {[](AdaptiveClippingConfig& c) { c.expected_clients_per_round = 0; },
       "expected_clients_per_round"},
      {[](AdaptiveClippingConfig& c) { c.noise_multiplier = -1.0; },
       "noise_multiplier must be finite and >= 0, got -1"},
      {[](AdaptiveClippingConfig& c) { c.noise_multiplier = kNaN; },
       "noise_multiplier must be finite"},
      {[](AdaptiveClippingConfig& c) { c.count_noise_stddev = -1.0; },
       "count_noise_stddev must be finite and >= 0, got -1"},
      {[](AdaptiveClippingConfig& c) { c.count_noise_stddev = kInf; },
       "count_noise_stddev must be finite"},
      {[](AdaptiveClippingConfig& c) { c.count_noise_stddev = 0.5; },
       "count_noise_stddev: count noise standard deviation sigma_b = 0.5 is "
       "too small for noise multiplier z = 1"},
  };
  for (const Case& c : cases) {
    AdaptiveClippingConfig config = HandConfig();
    c.mutate(config);
    absl::Status status = ValidateAdaptiveClippingConfig(config);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(status.message(), HasSubstr(c.field));
    EXPECT_EQ(AdaptiveClipper::Create(config).status(), status);
  }
}

TEST(AdaptiveClippingConfigTest, TooSmallCountNoiseNamesTheRecommendation) {
  AdaptiveClippingConfig config = HandConfig();
  config.expected_clients_per_round = 100;
  config.noise_multiplier = 1.0;
  config.count_noise_stddev = 0.4;
  absl::Status status = ValidateAdaptiveClippingConfig(config);
  EXPECT_THAT(status.message(), HasSubstr("must be greater than z / 2 = 0.5"));
  EXPECT_THAT(status.message(),
              HasSubstr("expected_clients_per_round / 20 = 5 would do"));

  // With 5 clients a round, m / 20 = 0.25 is itself too small for z = 1.
  config.expected_clients_per_round = 5;
  status = ValidateAdaptiveClippingConfig(config);
  EXPECT_THAT(status.message(),
              HasSubstr("even the recommended expected_clients_per_round / "
                        "20 = 0.25 is too small"));
}

// --- the geometric update -------------------------------------------------

TEST(AdaptiveClipperTest, StartsAtInitialClipNorm) {
  AdaptiveClippingConfig config = HandConfig();
  config.initial_clip_norm = 0.25;
  config.count_noise_stddev = 1.0;
  AdaptiveClipper clipper = MakeClipper(config);
  EXPECT_EQ(clipper.clip_norm(), 0.25);
  EXPECT_EQ(clipper.rounds(), 0u);
  EXPECT_EQ(clipper.count_noise_stddev(), 1.0);
  EXPECT_NEAR(clipper.UpdateNoiseMultiplier(), 1.1547005383792515, 1e-15);
  EXPECT_NEAR(clipper.UpdateNoiseStddev(), 0.25 * 1.1547005383792515, 1e-15);
}

// C = 1, gamma = 0.5, eta = 0.2, m = 10: C' = exp(-0.2 (b - 0.5)).
TEST(AdaptiveClipperTest, HandComputedGeometricUpdates) {
  struct Case {
    uint32_t at_or_below, clients;
    double noise;
    double expected;  // C after one round from C = 1
  };
  const Case cases[] = {
      // All 10 below: b = 1, C = exp(-0.2 * 0.5).
      {10, 10, 0.0, std::exp(-0.1)},
      // None below: b = 0, C = exp(0.1).
      {0, 10, 0.0, std::exp(0.1)},
      // Half below: b = gamma, no change.
      {5, 10, 0.0, 1.0},
      // Half below plus noise 2: b = (5 + 2) / 10 = 0.7, C = exp(-0.04).
      {5, 10, 2.0, std::exp(-0.04)},
      // Noise -1.5: b = (5 - 1.5) / 10 = 0.35, C = exp(0.03).
      {5, 10, -1.5, std::exp(0.03)},
      // 6 clients of the expected 10, all below: the centred count is
      // 6 - 3 = 3, b = 3 / 10 + 1/2 = 0.8, C = exp(-0.06).
      {6, 6, 0.0, std::exp(-0.06)},
      // 12 clients, 3 below: b = (3 - 6) / 10 + 1/2 = 0.2, C = exp(0.06).
      {3, 12, 0.0, std::exp(0.06)},
      // No clients at all: b = 1/2, no change.
      {0, 0, 0.0, 1.0},
      // Noise pushing b above 1 or below 0 is clamped: b = 1.5 -> 1.
      {10, 10, 5.0, std::exp(-0.1)},
      // b = -0.7 -> 0.
      {0, 10, -7.0, std::exp(0.1)},
  };
  for (const Case& c : cases) {
    AdaptiveClipper clipper = MakeClipper(HandConfig());
    ASSERT_TRUE(clipper.EndRound(c.at_or_below, c.clients, c.noise).ok());
    EXPECT_NEAR(clipper.clip_norm(), c.expected, 1e-15)
        << c.at_or_below << "/" << c.clients << " noise " << c.noise;
    EXPECT_EQ(clipper.rounds(), 1u);
  }
}

TEST(AdaptiveClipperTest, RoundsCompose) {
  AdaptiveClippingConfig config = HandConfig();
  config.initial_clip_norm = 2.0;
  config.target_quantile = 0.8;
  AdaptiveClipper clipper = MakeClipper(config);
  // b = 1: C = 2 exp(-0.2 * 0.2).
  ASSERT_TRUE(clipper.EndRound(10, 10, 0.0).ok());
  EXPECT_NEAR(clipper.clip_norm(), 2.0 * std::exp(-0.04), 1e-15);
  // b = 0.3: C *= exp(-0.2 * (0.3 - 0.8)) = exp(0.1).
  ASSERT_TRUE(clipper.EndRound(3, 10, 0.0).ok());
  EXPECT_NEAR(clipper.clip_norm(), 2.0 * std::exp(-0.04 + 0.1), 1e-15);
  // b = 0.8: no change.
  ASSERT_TRUE(clipper.EndRound(7, 10, 1.0).ok());
  EXPECT_NEAR(clipper.clip_norm(), 2.0 * std::exp(0.06), 1e-15);
  EXPECT_EQ(clipper.rounds(), 3u);
  EXPECT_NEAR(clipper.UpdateNoiseStddev(),
              clipper.UpdateNoiseMultiplier() * clipper.clip_norm(), 1e-15);
}

TEST(AdaptiveClipperTest, OneRoundChangesClipNormByAtMostExpEtaMaxSide) {
  AdaptiveClippingConfig config = HandConfig();
  config.target_quantile = 0.3;  // max(gamma, 1 - gamma) = 0.7
  for (double noise : {-1e6, -3.0, 0.0, 3.0, 1e6}) {
    for (uint32_t below : {0u, 5u, 10u}) {
      AdaptiveClipper clipper = MakeClipper(config);
      ASSERT_TRUE(clipper.EndRound(below, 10, noise).ok());
      EXPECT_LE(std::abs(std::log(clipper.clip_norm())), 0.2 * 0.7 + 1e-15);
    }
  }
}

TEST(AdaptiveClipperTest, ClipNormStaysPositiveAndFinite) {
  AdaptiveClippingConfig config = HandConfig();
  config.clip_learning_rate = 500.0;  // e^-250 a round
  AdaptiveClipper clipper = MakeClipper(config);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(clipper.EndRound(10, 10, 0).ok());
  EXPECT_GT(clipper.clip_norm(), 0.0);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(clipper.EndRound(0, 10, 0).ok());
  EXPECT_TRUE(std::isfinite(clipper.clip_norm()));
}

TEST(AdaptiveClipperTest, EndRoundRejectsBadInputAndKeepsState) {
  AdaptiveClipper clipper = MakeClipper(HandConfig());
  ASSERT_TRUE(clipper.EndRound(10, 10, 0.0).ok());
  const double clip = clipper.clip_norm();

  absl::Status status = clipper.EndRound(11, 10, 0.0);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("11 clients at or below"));
  for (double noise : {kNaN, kInf, -kInf}) {
    status = clipper.EndRound(5, 10, noise);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("count noise must be finite"));
  }
  EXPECT_EQ(clipper.clip_norm(), clip);
  EXPECT_EQ(clipper.rounds(), 1u);
}

// Update norms drawn from a log-normal distribution, exp(N(mu, 1)), whose
// gamma quantile is exp(mu + Phi^-1(gamma)). Each round draws m = 100 norms,
// counts those at or below C, adds the paper's count noise (sigma_b = m/20)
// and ends the round. After a burn-in, log C averages to the log of the
// target quantile: the noise on b (binomial 0.05 plus count noise 0.05) makes
// log C wander with a standard deviation near 0.04 about it, so the mean of
// 400 rounds sits within 0.1 of it with a wide margin.
struct ConvergenceCase {
  double gamma;
  double quantile_z;  // Phi^-1(gamma)
  double mu;
  double initial_clip;
};

double SimulatedLogClip(const ConvergenceCase& c, GaussianNoise& noise,
                        bool vary_participation) {
  AdaptiveClippingConfig config;
  config.initial_clip_norm = c.initial_clip;
  config.target_quantile = c.gamma;
  config.clip_learning_rate = 0.2;
  config.noise_multiplier = 1.0;
  config.expected_clients_per_round = 100;
  config.count_noise_stddev = RecommendedCountNoiseStddev(100);
  AdaptiveClipper clipper = MakeClipper(config);

  constexpr int kBurnIn = 300;
  constexpr int kMeasured = 400;
  double sum_log_clip = 0.0;
  for (int round = 0; round < kBurnIn + kMeasured; ++round) {
    uint32_t clients = 100;
    if (vary_participation) {
      // Around m, as when some sampled clients drop out and others stay.
      clients = static_cast<uint32_t>(
          std::clamp(std::lround(100.0 + 15.0 * noise.Next()), 40L, 160L));
    }
    uint32_t below = 0;
    for (uint32_t i = 0; i < clients; ++i) {
      below += std::exp(c.mu + noise.Next()) <= clipper.clip_norm();
    }
    EXPECT_TRUE(clipper
                    .EndRound(below, clients,
                              clipper.count_noise_stddev() * noise.Next())
                    .ok());
    if (round >= kBurnIn) sum_log_clip += std::log(clipper.clip_norm());
  }
  return sum_log_clip / kMeasured;
}

TEST(AdaptiveClipperTest, ConvergesToTargetQuantileOfNorms) {
  const ConvergenceCase cases[] = {
      // The median of exp(N(0, 1)) is 1; start 10x below it.
      {0.5, 0.0, 0.0, 0.1},
      // Start 100x above.
      {0.5, 0.0, 0.0, 100.0},
      // The 80th percentile of exp(N(-1, 1)): exp(-1 + 0.8416).
      {0.8, 0.8416212335729143, -1.0, 0.1},
      // The 20th percentile of exp(N(2, 1)): exp(2 - 0.8416).
      {0.2, -0.8416212335729143, 2.0, 0.1},
  };
  GaussianNoise noise = MakeNoise(1);
  for (const ConvergenceCase& c : cases) {
    const double target = c.mu + c.quantile_z;
    const double log_clip =
        SimulatedLogClip(c, noise, /*vary_participation=*/false);
    EXPECT_NEAR(log_clip, target, 0.1)
        << "gamma " << c.gamma << " from C0 " << c.initial_clip
        << ": C = " << std::exp(log_clip) << ", target " << std::exp(target);
  }
}

// With the public divisor m, a round of n != m clients estimates b as
// (k - n/2)/m + 1/2, which is 1/2 exactly when k = n/2 whatever n: gamma =
// 0.5 still finds the median when participation varies from round to round.
TEST(AdaptiveClipperTest, ConvergesToMedianWithVaryingParticipation) {
  GaussianNoise noise = MakeNoise(2);
  const double log_clip = SimulatedLogClip({0.5, 0.0, 0.5, 0.1}, noise,
                                           /*vary_participation=*/true);
  EXPECT_NEAR(log_clip, 0.5, 0.1) << "C = " << std::exp(log_clip);
}

// --- state ----------------------------------------------------------------

TEST(AdaptiveClipperTest, SerializedStateHasTheDocumentedLayout) {
  AdaptiveClipper clipper = MakeClipper(HandConfig());  // C = 1, 0 rounds
  EXPECT_EQ(absl::BytesToHexString(clipper.SerializeState()),
            "01"                                   // version
            "0000000000000000"                     // rounds
            "000000000000f03f");                   // 1.0, little-endian
  ASSERT_TRUE(clipper.EndRound(5, 10, 0.0).ok());  // C stays 1
  EXPECT_EQ(absl::BytesToHexString(clipper.SerializeState()),
            "01"
            "0100000000000000"
            "000000000000f03f");
}

TEST(AdaptiveClipperTest, RestoreResumesWhereTheRunStopped) {
  AdaptiveClipper original = MakeClipper(HandConfig());
  ASSERT_TRUE(original.EndRound(9, 10, 0.3).ok());
  ASSERT_TRUE(original.EndRound(8, 10, -1.1).ok());
  const std::string state = original.SerializeState();
  ASSERT_EQ(state.size(), 17u);

  AdaptiveClipper restored = MakeClipper(HandConfig());
  ASSERT_TRUE(restored.RestoreState(state).ok());
  EXPECT_EQ(restored.clip_norm(), original.clip_norm());
  EXPECT_EQ(restored.rounds(), 2u);
  EXPECT_EQ(restored.UpdateNoiseStddev(), original.UpdateNoiseStddev());

  ASSERT_TRUE(original.EndRound(2, 10, 0.5).ok());
  ASSERT_TRUE(restored.EndRound(2, 10, 0.5).ok());
  EXPECT_EQ(restored.clip_norm(), original.clip_norm());
  EXPECT_EQ(restored.SerializeState(), original.SerializeState());
}

TEST(AdaptiveClipperTest, RestoreRejectsBadStateAndKeepsState) {
  AdaptiveClipper clipper = MakeClipper(HandConfig());
  ASSERT_TRUE(clipper.EndRound(10, 10, 0.0).ok());
  const std::string good = clipper.SerializeState();
  const double clip = clipper.clip_norm();

  auto with_clip = [&](double value) {
    std::string bytes = good;
    uint64_t bits;
    std::memcpy(&bits, &value, 8);
    for (int i = 0; i < 8; ++i) bytes[9 + i] = static_cast<char>(bits >> 8 * i);
    return bytes;
  };
  struct Case {
    std::string bytes;
    const char* message;
  };
  std::string version_2 = good;
  version_2[0] = 2;
  const Case cases[] = {
      {"", "is 0 bytes, expected 17"},
      {good.substr(0, 16), "is 16 bytes"},
      {good + "x", "is 18 bytes"},
      {version_2, "format version 2"},
      {with_clip(0.0), "not a positive finite number"},
      {with_clip(-1.0), "not a positive finite number"},
      {with_clip(kInf), "not a positive finite number"},
      {with_clip(kNaN), "not a positive finite number"},
  };
  for (const Case& c : cases) {
    absl::Status status = clipper.RestoreState(c.bytes);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
  EXPECT_EQ(clipper.clip_norm(), clip);
  EXPECT_EQ(clipper.rounds(), 1u);
  ASSERT_TRUE(clipper.RestoreState(with_clip(3.5)).ok());
  EXPECT_EQ(clipper.clip_norm(), 3.5);
}

// --- ClipToNorm -------------------------------------------------------------

TEST(ClipToNormTest, BelowOrAtBoundIsUnchanged) {
  std::vector<float> delta = {3.0f, -4.0f};
  EXPECT_EQ(ClipToNorm(absl::MakeSpan(delta), 10.0), 5.0);
  EXPECT_EQ(delta, (std::vector<float>{3.0f, -4.0f}));
  EXPECT_EQ(ClipToNorm(absl::MakeSpan(delta), 5.0), 5.0);  // exactly at C
  EXPECT_EQ(delta, (std::vector<float>{3.0f, -4.0f}));
  EXPECT_EQ(ClipToNorm(absl::MakeSpan(delta), kInf), 5.0);
  EXPECT_EQ(delta, (std::vector<float>{3.0f, -4.0f}));
}

TEST(ClipToNormTest, AboveBoundIsScaledToTheBound) {
  std::vector<float> delta = {3.0f, -4.0f, 0.0f};
  EXPECT_EQ(ClipToNorm(absl::MakeSpan(delta), 1.0), 5.0);
  EXPECT_NEAR(delta[0], 0.6f, 1e-7);
  EXPECT_NEAR(delta[1], -0.8f, 1e-7);
  EXPECT_EQ(delta[2], 0.0f);
  EXPECT_LE(Norm(delta), 1.0);
  EXPECT_NEAR(Norm(delta), 1.0, 1e-6);
}

TEST(ClipToNormTest, ZeroAndEmptyVectors) {
  std::vector<float> zeros(100, 0.0f);
  EXPECT_EQ(ClipToNorm(absl::MakeSpan(zeros), 1.0), 0.0);
  EXPECT_EQ(zeros, std::vector<float>(100, 0.0f));
  EXPECT_EQ(ClipToNorm(absl::Span<float>(), 1.0), 0.0);
}

// Random directions and scales over 40 orders of magnitude: the clipped norm
// is within float precision of C and never above it, and the direction is
// kept (every value scaled by the same factor).
TEST(ClipToNormTest, ClippedNormNeverExceedsBound) {
  GaussianNoise noise = MakeNoise(3);
  for (size_t size : {1, 2, 7, 1000, 100003}) {
    for (double scale : {1e-20, 1e-3, 1.0, 37.0, 1e20}) {
      std::vector<float> delta(size);
      for (float& x : delta) x = static_cast<float>(scale * noise.Next());
      const std::vector<float> original = delta;
      const double norm = Norm(delta);
      const double clip = norm * (0.01 + 0.9 * std::abs(noise.Next()) / 4.0);
      ASSERT_GT(norm, clip);
      EXPECT_NEAR(ClipToNorm(absl::MakeSpan(delta), clip), norm, 1e-12 * norm);
      const double clipped = Norm(delta);
      EXPECT_LE(clipped, clip) << size << " " << scale;
      EXPECT_GE(clipped, clip * (1.0 - 1e-6)) << size << " " << scale;
      const double factor = clip / norm;
      for (size_t i = 0; i < size; i += 1 + size / 50) {
        EXPECT_NEAR(delta[i], original[i] * factor,
                    1e-6 * std::abs(original[i] * factor) + 1e-38)
            << i;
      }
    }
  }
}

// 1e4 followed by a million ones: a float accumulator stalls at 1e8 (its
// spacing there is 8), a double one reaches 1e8 + 1e6.
TEST(ClipToNormTest, AccumulatesInDouble) {
  std::vector<float> delta(1000001, 1.0f);
  delta[0] = 1e4f;
  const double norm = ClipToNorm(absl::MakeSpan(delta), 1e9);
  EXPECT_NEAR(norm, std::sqrt(1.01e8), 1e-6);
}

TEST(ClipToNormTest, NonPositiveOrNaNBoundZeroesTheDelta) {
  for (double clip : {0.0, -1.0, kNaN}) {
    std::vector<float> delta = {3.0f, -4.0f};
    EXPECT_EQ(ClipToNorm(absl::MakeSpan(delta), clip), 5.0) << clip;
    EXPECT_EQ(delta, (std::vector<float>{0.0f, 0.0f})) << clip;
  }
}

TEST(ClipToNormTest, NonFiniteValuesAreReportedAndLeftAlone) {
  std::vector<float> inf_delta = {1.0f, std::numeric_limits<float>::infinity()};
  EXPECT_EQ(ClipToNorm(absl::MakeSpan(inf_delta), 1.0), kInf);
  EXPECT_EQ(inf_delta[0], 1.0f);
  std::vector<float> nan_delta = {1.0f,
                                  std::numeric_limits<float>::quiet_NaN()};
  EXPECT_TRUE(std::isnan(ClipToNorm(absl::MakeSpan(nan_delta), 1.0)));
  EXPECT_EQ(nan_delta[0], 1.0f);
}

}  // namespace
}  // namespace fedge::privacy
