#include "common/privacy/log_math.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace fedge::privacy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(LogAddExpTest, AddsInLinearSpace) {
  EXPECT_NEAR(LogAddExp(std::log(2.0), std::log(3.0)), std::log(5.0), 1e-15);
  EXPECT_NEAR(LogAddExp(std::log(3.0), std::log(2.0)), std::log(5.0), 1e-15);
}

TEST(LogAddExpTest, NegativeInfinityIsZero) {
  EXPECT_EQ(LogAddExp(-kInf, 1.5), 1.5);
  EXPECT_EQ(LogAddExp(1.5, -kInf), 1.5);
  EXPECT_EQ(LogAddExp(-kInf, -kInf), -kInf);
}

TEST(LogAddExpTest, DoesNotOverflowWhereExpWould) {
  EXPECT_NEAR(LogAddExp(1000.0, 1000.0), 1000.0 + std::log(2.0), 1e-12);
}

TEST(LogSubExpTest, SubtractsInLinearSpace) {
  EXPECT_NEAR(LogSubExp(std::log(5.0), std::log(3.0)), std::log(2.0), 1e-15);
  EXPECT_EQ(LogSubExp(2.0, -kInf), 2.0);
  EXPECT_EQ(LogSubExp(2.0, 2.0), -kInf);
}

TEST(LogErfcTest, MatchesErfcWhereItIsRepresentable) {
  for (double x = -6.0; x <= 26.0; x += 0.25) {
    const double expected = std::log(std::erfc(x));
    EXPECT_NEAR(LogErfc(x), expected, 1e-13 * std::max(1.0, std::abs(expected)))
        << "x = " << x;
  }
}

TEST(LogErfcTest, StaysFiniteWhereErfcUnderflows) {
  // erfc(40) ~ 1e-697 is below the smallest double. Reference from mpmath at
  // 50 digits: log(erfc(40)) = -1604.26155665327355565981...
  EXPECT_NEAR(LogErfc(40.0), -1604.2615566532735557, 1e-11);
}

}  // namespace
}  // namespace fedge::privacy
