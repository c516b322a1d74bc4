#include "simulations/device_model.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace fedge::sim {
namespace {

TEST(DeviceModelTest, DrawsAreDeterministicAndDependOnEveryInput) {
  EXPECT_EQ(UnitDraw(1, "a", 2, 3), UnitDraw(1, "a", 2, 3));
  EXPECT_NE(UnitDraw(1, "a", 2, 3), UnitDraw(2, "a", 2, 3));
  EXPECT_NE(UnitDraw(1, "a", 2, 3), UnitDraw(1, "b", 2, 3));
  EXPECT_NE(UnitDraw(1, "a", 2, 3), UnitDraw(1, "a", 4, 3));
  EXPECT_NE(UnitDraw(1, "a", 2, 3), UnitDraw(1, "a", 2, 4));
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    double u = UnitDraw(9, absl::StrCat("c", i));
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

TEST(DeviceModelTest, ProfilesAreLogUniformWithinTheirRanges) {
  FleetConfig fleet;
  fleet.examples_per_second = {10, 1000};
  fleet.bandwidth_mbps = {1, 100};
  fleet.latency_ms = {20, 20};
  int below_100 = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    DeviceProfile p = DrawProfile(fleet, 3, absl::StrCat("sim-", i));
    ASSERT_GE(p.examples_per_second, 10 * (1 - 1e-12));
    ASSERT_LE(p.examples_per_second, 1000 * (1 + 1e-12));
    ASSERT_GE(p.bytes_per_second, 1e6 / 8 * (1 - 1e-12));
    ASSERT_LE(p.bytes_per_second, 100e6 / 8 * (1 + 1e-12));
    ASSERT_NEAR(p.latency_seconds, 0.020, 1e-12);
    ASSERT_GE(p.online_from_hour, 0.0);
    ASSERT_LT(p.online_from_hour, 24.0);
    if (p.examples_per_second < 100) ++below_100;
  }
  // 100 is the geometric middle of [10, 1000]: half the devices are slower.
  EXPECT_NEAR(static_cast<double>(below_100) / n, 0.5, 0.04);
  // Unset ranges are not simulated.
  DeviceProfile unset = DrawProfile(FleetConfig{}, 3, "x");
  EXPECT_EQ(unset.examples_per_second, 0);
  EXPECT_EQ(unset.bytes_per_second, 0);
}

TEST(DeviceModelTest, VanishingFollowsEachStagesProbability) {
  FleetConfig fleet;
  fleet.dropout_advertise = 0.1;
  fleet.dropout_training = 0.3;
  int advertise = 0, share = 0, training = 0;
  const int n = 5000;
  for (int i = 0; i < n; ++i) {
    const std::string id = absl::StrCat("sim-", i);
    advertise += VanishesAt(fleet, 1, id, 1, Stage::kAdvertise);
    share += VanishesAt(fleet, 1, id, 1, Stage::kShare);
    training += VanishesAt(fleet, 1, id, 1, Stage::kTraining);
    ASSERT_EQ(VanishesAt(fleet, 1, id, 1, Stage::kTraining),
              VanishesAt(fleet, 1, id, 1, Stage::kTraining));
  }
  EXPECT_NEAR(advertise / static_cast<double>(n), 0.1, 0.015);
  EXPECT_EQ(share, 0);
  EXPECT_NEAR(training / static_cast<double>(n), 0.3, 0.02);
  // Another round draws again.
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = absl::StrCat("sim-", i);
    same += VanishesAt(fleet, 1, id, 1, Stage::kTraining) ==
            VanishesAt(fleet, 1, id, 2, Stage::kTraining);
  }
  EXPECT_LT(same, 1000);
}

TEST(DeviceModelTest, DiurnalWindowsCoverTheirHours) {
  FleetConfig fleet;
  fleet.availability = "diurnal";
  fleet.online_hours = 6;
  fleet.hours_per_round = 1;
  DeviceProfile p;
  p.online_from_hour = 22;  // online 22:00 to 04:00
  EXPECT_FALSE(IsOnline(fleet, p, 21));
  EXPECT_TRUE(IsOnline(fleet, p, 22));
  EXPECT_TRUE(IsOnline(fleet, p, 24 + 3));
  EXPECT_FALSE(IsOnline(fleet, p, 24 + 4));
  int online = 0;
  for (uint64_t round = 0; round < 24 * 10; ++round) {
    online += IsOnline(fleet, p, round);
  }
  EXPECT_EQ(online, 6 * 10);
  fleet.availability = "always";
  EXPECT_TRUE(IsOnline(fleet, p, 21));
}

TEST(DeviceModelTest, TrainingTimeAddsTransfersLatencyAndCompute) {
  DeviceProfile p;
  p.examples_per_second = 100;
  p.bytes_per_second = 1e6;
  p.latency_seconds = 0.05;
  // 2 MB down + 1 MB up at 1 MB/s, two latencies, 500 examples at 100/s.
  EXPECT_DOUBLE_EQ(SimulatedTrainingSeconds(p, 2000000, 1000000, 500),
                   3.0 + 0.1 + 5.0);
  DeviceProfile unsimulated;
  EXPECT_EQ(SimulatedTrainingSeconds(unsimulated, 2000000, 1000000, 500), 0);
}

}  // namespace
}  // namespace fedge::sim
