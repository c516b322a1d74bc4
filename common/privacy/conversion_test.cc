#include "common/privacy/conversion.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::privacy {
namespace {

using ::testing::HasSubstr;

std::vector<double> OrdersTwoToThirtyTwo() {
  std::vector<double> orders;
  for (int order = 2; order <= 32; ++order) orders.push_back(order);
  return orders;
}

TEST(EpsilonFromRdpTest, ImprovedConversionOfConstantRdpMatchesHandValue) {
  // google/differential-privacy, python/dp_accounting/rdp/
  // rdp_privacy_accountant_test.py, test_compute_epsilon_delta_pure_dp:
  // R = 1.1 at orders 2..32, delta = 1e-5 gives 1.32783806176 at order 32
  // ("epsilon computed by hand").
  const std::vector<double> orders = OrdersTwoToThirtyTwo();
  const std::vector<double> rdp(orders.size(), 1.1);
  absl::StatusOr<PrivacySpent> spent =
      EpsilonFromRdp(orders, rdp, 1e-5, RdpConversion::kImproved);
  ASSERT_TRUE(spent.ok()) << spent.status();
  EXPECT_NEAR(spent->epsilon, 1.32783806176, 1e-10);
  EXPECT_EQ(spent->order, 32);
  EXPECT_EQ(spent->delta, 1e-5);
}

TEST(EpsilonFromRdpTest, ClassicConversionOfConstantRdp) {
  // Mironov 2017, Proposition 3: 1.1 + log(1e5) / 31, best at the largest
  // order when R does not grow with it.
  const std::vector<double> orders = OrdersTwoToThirtyTwo();
  const std::vector<double> rdp(orders.size(), 1.1);
  absl::StatusOr<PrivacySpent> spent =
      EpsilonFromRdp(orders, rdp, 1e-5, RdpConversion::kClassic);
  ASSERT_TRUE(spent.ok()) << spent.status();
  EXPECT_NEAR(spent->epsilon, 1.1 + std::log(1e5) / 31, 1e-14);
  EXPECT_EQ(spent->order, 32);
}

TEST(EpsilonFromRdpTest, ImprovedIsBelowClassicAtEveryOrder) {
  for (double order : {1.25, 2.0, 4.5, 20.0, 512.0}) {
    for (double delta : {1e-3, 1e-5, 1e-9}) {
      const std::vector<double> orders = {order};
      const std::vector<double> rdp = {0.3};
      const double improved =
          EpsilonFromRdp(orders, rdp, delta, RdpConversion::kImproved)->epsilon;
      const double classic =
          EpsilonFromRdp(orders, rdp, delta, RdpConversion::kClassic)->epsilon;
      EXPECT_NEAR(classic - improved,
                  std::log(order / (order - 1)) + std::log(order) / (order - 1),
                  1e-12);
    }
  }
}

TEST(EpsilonFromRdpTest, NothingRevealedIsZeroEpsilon) {
  const std::vector<double> orders = {2.0, 64.0};
  const std::vector<double> rdp = {0.0, 0.0};
  for (RdpConversion conversion :
       {RdpConversion::kImproved, RdpConversion::kClassic}) {
    absl::StatusOr<PrivacySpent> spent =
        EpsilonFromRdp(orders, rdp, 1e-5, conversion);
    ASSERT_TRUE(spent.ok()) << spent.status();
    EXPECT_EQ(spent->epsilon, 0.0);
  }
}

TEST(EpsilonFromRdpTest, NegativeBoundIsReportedAsZero) {
  // With a large delta and a tiny R the improved bound dips below zero.
  absl::StatusOr<PrivacySpent> spent =
      EpsilonFromRdp({512.0}, {1e-9}, 0.5, RdpConversion::kImproved);
  ASSERT_TRUE(spent.ok()) << spent.status();
  EXPECT_EQ(spent->epsilon, 0.0);
}

TEST(EpsilonFromRdpTest, RejectsBadInputsByName) {
  const std::vector<double> orders = {2.0, 3.0};
  const std::vector<double> rdp = {0.1, 0.2};
  for (double delta :
       {0.0, 1.0, 1.5, -1e-5, std::numeric_limits<double>::quiet_NaN()}) {
    absl::StatusOr<PrivacySpent> spent =
        EpsilonFromRdp(orders, rdp, delta, RdpConversion::kImproved);
    EXPECT_EQ(spent.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(spent.status().message(), HasSubstr("delta must be in (0, 1)"));
  }
  EXPECT_EQ(
      EpsilonFromRdp(orders, {0.1}, 1e-5, RdpConversion::kImproved).status(),
      absl::InvalidArgumentError(
          "need one RDP value per order, got 2 orders and 1 values"));
  EXPECT_EQ(
      EpsilonFromRdp({}, {}, 1e-5, RdpConversion::kImproved).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(EpsilonFromRdp({1.0, 2.0}, rdp, 1e-5, RdpConversion::kImproved)
                  .status()
                  .message(),
              HasSubstr("RDP order"));
  EXPECT_THAT(
      EpsilonFromRdp(orders, {0.1, -0.2}, 1e-5, RdpConversion::kImproved)
          .status()
          .message(),
      HasSubstr("RDP must be non-negative"));
}

}  // namespace
}  // namespace fedge::privacy
