#include "common/privacy/rdp.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::privacy {
namespace {

using ::testing::HasSubstr;

double Rdp(double q, double z, double order) {
  absl::StatusOr<double> rdp = SampledGaussianRdp(q, z, order);
  EXPECT_TRUE(rdp.ok()) << rdp.status();
  return rdp.ok() ? *rdp : std::numeric_limits<double>::quiet_NaN();
}

// A_alpha straight from its definition, independent of both series: the
// alpha-th moment of the likelihood ratio of the mixture
// (1-q) N(0, z^2) + q N(1, z^2) against N(0, z^2), integrated with
// composite Simpson in long double over where the integrand lives.
long double AByIntegration(double q, double z, double alpha) {
  const long double zl = z;
  const long double lo = -30.0L * zl - 1.0L;
  const long double hi = static_cast<long double>(alpha) + 30.0L * zl + 1.0L;
  constexpr int kIntervals = 20000;  // even, as Simpson needs
  const long double h = (hi - lo) / kIntervals;
  auto integrand = [&](long double x) {
    const long double normal =
        std::exp(-x * x / (2 * zl * zl)) / (zl * std::sqrt(2.0L * M_PIl));
    const long double ratio =
        (1.0L - q) + q * std::exp((2 * x - 1) / (2 * zl * zl));
    return normal * std::pow(ratio, static_cast<long double>(alpha));
  };
  long double sum = integrand(lo) + integrand(hi);
  for (int i = 1; i < kIntervals; ++i) {
    sum += (i % 2 == 1 ? 4.0L : 2.0L) * integrand(lo + i * h);
  }
  return sum * h / 3.0L;
}

// The binomial expansion for integer alpha summed term by term in long
// double, with no logarithms, for orders small enough not to overflow.
long double AByDirectSum(double q, double z, int alpha) {
  long double sum = 0.0L;
  long double binom = 1.0L;  // C(alpha, k)
  for (int k = 0; k <= alpha; ++k) {
    sum += binom * std::pow(static_cast<long double>(q), k) *
           std::pow(1.0L - q, alpha - k) *
           std::exp(static_cast<long double>(k * k - k) / (2.0L * z * z));
    binom = binom * (alpha - k) / (k + 1);
  }
  return sum;
}

TEST(SampledGaussianRdpTest, FullParticipationIsThePlainGaussianMechanism) {
  // Mironov 2017: N(0, z^2) noise on a sensitivity-1 query is
  // (alpha, alpha / 2z^2)-RDP. Exact, since q = 1 takes the closed form.
  for (double z : {0.5, 1.0, 1.1, 10.0}) {
    for (double order : {1.25, 2.0, 2.5, 20.0, 512.0}) {
      EXPECT_EQ(Rdp(1.0, z, order), order / (2.0 * z * z));
    }
  }
  // TF Privacy rdp_accountant_test.py, test_compute_rdp_no_sampling.
  EXPECT_EQ(Rdp(1.0, 10.0, 20.0), 0.1);
}

TEST(SampledGaussianRdpTest, NoSamplingRevealsNothing) {
  EXPECT_EQ(Rdp(0.0, 10.0, 20.0), 0.0);
  EXPECT_EQ(Rdp(0.0, 1.0, 2.5), 0.0);
}

TEST(SampledGaussianRdpTest, IntegerOrdersMatchDirectBinomialSum) {
  for (double q : {0.01, 0.1, 0.3, 0.9}) {
    for (double z : {0.8, 1.0, 2.0}) {
      for (int order = 2; order <= 10; ++order) {
        const double expected =
            static_cast<double>(std::log(AByDirectSum(q, z, order))) /
            (order - 1);
        EXPECT_NEAR(Rdp(q, z, order), expected, 1e-12 * expected)
            << "q = " << q << ", z = " << z << ", order = " << order;
      }
    }
  }
}

TEST(SampledGaussianRdpTest, FractionalOrdersMatchNumericalIntegration) {
  for (double q : {0.01, 0.1, 0.5}) {
    for (double z : {0.7, 1.1, 3.0}) {
      for (double order : {1.25, 1.5, 2.5, 4.5, 7.3}) {
        const double expected =
            static_cast<double>(std::log(AByIntegration(q, z, order))) /
            (order - 1);
        EXPECT_NEAR(Rdp(q, z, order), expected, 1e-9 * expected)
            << "q = " << q << ", z = " << z << ", order = " << order;
      }
    }
  }
}

TEST(SampledGaussianRdpTest, IntegerOrdersMatchNumericalIntegration) {
  for (double q : {0.01, 0.5}) {
    for (double z : {0.7, 3.0}) {
      for (double order : {2.0, 5.0}) {
        const double expected =
            static_cast<double>(std::log(AByIntegration(q, z, order))) /
            (order - 1);
        EXPECT_NEAR(Rdp(q, z, order), expected, 1e-9 * expected)
            << "q = " << q << ", z = " << z << ", order = " << order;
      }
    }
  }
}

TEST(SampledGaussianRdpTest, FractionalSeriesIsContinuousAtIntegers) {
  // Either side of an integer the fractional series runs; at it the finite
  // expansion does. The two must meet.
  for (double order : {2.0, 3.0, 10.0, 32.0}) {
    const double at = Rdp(0.05, 1.0, order);
    EXPECT_NEAR(Rdp(0.05, 1.0, order - 1e-9), at, 1e-6 * at);
    EXPECT_NEAR(Rdp(0.05, 1.0, order + 1e-9), at, 1e-6 * at);
  }
}

TEST(SampledGaussianRdpTest, MatchesTensorFlowPrivacyReferenceValues) {
  // tensorflow/privacy privacy/analysis/rdp_accountant_test.py (Mironov et
  // al.'s reference implementation): test_compute_rdp_scalar,
  // compute_rdp(q=0.1, noise=2, steps=10, order=5) = 0.07737 (5 places).
  EXPECT_NEAR(10 * Rdp(0.1, 2.0, 5.0), 0.07737, 5e-6);

  // test_compute_rdp_sequence / google/differential-privacy dp_accounting
  // test_compute_rdp_poisson_sampled_gaussian: q = 0.01, noise 2.5, 50
  // steps, rtol 1e-4.
  const std::vector<double> orders = {1.5, 2.5, 5, 50, 100};
  const std::vector<double> expected = {6.5007e-04, 1.0854e-03, 2.1808e-03,
                                        2.3846e-02, 1.6742e+02};
  absl::StatusOr<std::vector<double>> rdp =
      ComposedSampledGaussianRdp(0.01, 2.5, 50, orders);
  ASSERT_TRUE(rdp.ok()) << rdp.status();
  for (size_t i = 0; i < orders.size(); ++i) {
    EXPECT_NEAR((*rdp)[i], expected[i], 1e-4 * expected[i])
        << "order " << orders[i];
  }
}

TEST(SampledGaussianRdpTest, CompositionMultipliesByRounds) {
  const std::vector<double> orders = {1.5, 4.0, 32.0};
  absl::StatusOr<std::vector<double>> rdp =
      ComposedSampledGaussianRdp(0.02, 1.3, 1000, orders);
  ASSERT_TRUE(rdp.ok()) << rdp.status();
  for (size_t i = 0; i < orders.size(); ++i) {
    EXPECT_EQ((*rdp)[i], 1000 * Rdp(0.02, 1.3, orders[i]));
  }
}

TEST(SampledGaussianRdpTest, GrowsWithOrderSamplingRateAndLessNoise) {
  const std::vector<double> orders = {1.25, 1.5, 2,  2.5, 3,   4.5,
                                      5,    8,   16, 64,  256, 512};
  for (size_t i = 1; i < orders.size(); ++i) {
    EXPECT_LE(Rdp(0.01, 1.1, orders[i - 1]), Rdp(0.01, 1.1, orders[i]));
  }
  EXPECT_LT(Rdp(0.01, 1.1, 8), Rdp(0.02, 1.1, 8));
  EXPECT_LT(Rdp(0.01, 1.1, 8), Rdp(0.01, 1.0, 8));
  EXPECT_LT(Rdp(0.01, 1.1, 2.5), Rdp(0.02, 1.1, 2.5));
  EXPECT_LT(Rdp(0.01, 1.1, 2.5), Rdp(0.01, 1.0, 2.5));
}

TEST(SampledGaussianRdpTest, StaysFiniteAtExtremeParameters) {
  // Parameters of TF Privacy's multi-precision comparison
  // (test_compute_log_a_equals_mp), where exp of the terms overflows.
  struct Case {
    double q, z, order;
  };
  for (const Case& c :
       {Case{1e-7, 0.1, 1.01}, Case{1e-6, 0.1, 256}, Case{1e-5, 0.1, 256.1},
        Case{1e-6, 1, 27}, Case{0.99, 0.1, 256}, Case{0.999, 100, 256.1},
        Case{0.5, 0.5, 512}}) {
    const double rdp = Rdp(c.q, c.z, c.order);
    EXPECT_TRUE(std::isfinite(rdp)) << c.q << " " << c.z << " " << c.order;
    EXPECT_GE(rdp, 0.0);
  }
  // A fractional order sits between its integer neighbours.
  EXPECT_LE(Rdp(1e-5, 0.1, 256), Rdp(1e-5, 0.1, 256.1));
  EXPECT_LE(Rdp(1e-5, 0.1, 256.1), Rdp(1e-5, 0.1, 257));
}

TEST(SampledGaussianRdpTest, RejectsBadInputsByName) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (double q : {1.5, -0.1, nan}) {
    absl::StatusOr<double> rdp = SampledGaussianRdp(q, 1.0, 2.0);
    EXPECT_EQ(rdp.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(rdp.status().message(), HasSubstr("sampling rate q"));
  }
  for (double z : {0.0, -1.0, inf, nan}) {
    absl::StatusOr<double> rdp = SampledGaussianRdp(0.1, z, 2.0);
    EXPECT_EQ(rdp.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(rdp.status().message(), HasSubstr("noise multiplier"));
  }
  for (double order : {1.0, 0.5, 2e6, inf, nan}) {
    absl::StatusOr<double> rdp = SampledGaussianRdp(0.1, 1.0, order);
    EXPECT_EQ(rdp.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(rdp.status().message(), HasSubstr("RDP order"));
  }
  EXPECT_EQ(ComposedSampledGaussianRdp(0.1, 1.0, 3, {2.0, 1.0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fedge::privacy
