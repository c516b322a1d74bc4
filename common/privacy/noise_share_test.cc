#include "common/privacy/noise_share.h"

#include <cmath>
#include <limits>
#include <vector>

#include "gtest/gtest.h"

namespace fedge::privacy {
namespace {

double Norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

TEST(NoiseShareTest, ClipsWithoutNoiseAndLeavesShortDeltasAlone) {
  std::vector<float> long_delta = {3, 4};  // norm 5
  ASSERT_TRUE(ClipAndAddNoiseShare(absl::MakeSpan(long_delta), 1.0, 0).ok());
  EXPECT_NEAR(Norm(long_delta), 1.0, 1e-6);
  EXPECT_NEAR(long_delta[0] / long_delta[1], 0.75, 1e-6);  // same direction
  std::vector<float> short_delta = {0.3f, 0.4f};
  ASSERT_TRUE(ClipAndAddNoiseShare(absl::MakeSpan(short_delta), 1.0, 0).ok());
  EXPECT_EQ(short_delta, (std::vector<float>{0.3f, 0.4f}));
}

TEST(NoiseShareTest, AddsFreshNoiseOfTheGivenStddev) {
  const size_t n = 200000;
  std::vector<float> a(n, 0.0f), b(n, 0.0f);
  ASSERT_TRUE(ClipAndAddNoiseShare(absl::MakeSpan(a), 0, 0.25).ok());
  ASSERT_TRUE(ClipAndAddNoiseShare(absl::MakeSpan(b), 0, 0.25).ok());
  const double var = Norm(a) * Norm(a) / n;
  EXPECT_NEAR(var / 0.0625, 1.0, 5 * std::sqrt(2.0 / n));
  EXPECT_NE(a, b);  // each call draws a new CSPRNG seed
}

TEST(NoiseShareTest, RejectsBadInputAndLeavesTheDeltaUnchanged) {
  std::vector<float> delta = {1, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(ClipAndAddNoiseShare(absl::MakeSpan(delta), 1, 1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(delta[0], 1.0f);
  std::vector<float> ok = {1, 2};
  EXPECT_FALSE(ClipAndAddNoiseShare(absl::MakeSpan(ok), -1, 0).ok());
  EXPECT_FALSE(ClipAndAddNoiseShare(absl::MakeSpan(ok), 1, -0.5).ok());
  EXPECT_FALSE(ClipAndAddNoiseShare(absl::MakeSpan(ok), 1,
                                    std::numeric_limits<double>::infinity())
                   .ok());
  EXPECT_EQ(ok, (std::vector<float>{1, 2}));
}

}  // namespace
}  // namespace fedge::privacy
