#include "common/net/backoff.h"

#include "gtest/gtest.h"

namespace fedge::net {
namespace {

TEST(BackoffTest, GrowsGeometricallyUpToMaxWithoutJitter) {
  Backoff backoff({absl::Milliseconds(100), absl::Milliseconds(500), 2.0, 0.0},
                  1);
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(200));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(400));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(500));
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(500));
  backoff.Reset();
  EXPECT_EQ(backoff.Next(), absl::Milliseconds(100));
}

TEST(BackoffTest, JitterStaysWithinBoundsAndVaries) {
  Backoff backoff({absl::Seconds(1), absl::Seconds(1), 2.0, 0.2}, 42);
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 1000; ++i) {
    absl::Duration d = backoff.Next();
    EXPECT_GE(d, absl::Milliseconds(800));
    EXPECT_LE(d, absl::Milliseconds(1200));
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  // 1000 draws spread over most of the ±20% band.
  EXPECT_LT(lo, absl::Milliseconds(820));
  EXPECT_GT(hi, absl::Milliseconds(1180));
}

TEST(BackoffTest, DifferentSeedsDesynchronise) {
  Backoff a({absl::Seconds(1), absl::Seconds(10), 2.0, 0.5}, 1);
  Backoff b({absl::Seconds(1), absl::Seconds(10), 2.0, 0.5}, 2);
  EXPECT_NE(a.Next(), b.Next());
}

}  // namespace
}  // namespace fedge::net
