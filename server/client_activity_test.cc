#include "server/client_activity.h"

#include <thread>

#include "gtest/gtest.h"

namespace fedge::server {
namespace {

constexpr absl::Duration kQuiet = absl::Milliseconds(200);

TEST(ClientActivityTest, QuietOnceNothingHappensForTheQuietPeriod) {
  ClientActivity activity(util::Clock::Real());
  const absl::Time start = absl::Now();
  EXPECT_TRUE(activity.AwaitQuiet(kQuiet, start + absl::Seconds(30)));
  EXPECT_GE(absl::Now() - start, kQuiet - absl::Milliseconds(5));
}

TEST(ClientActivityTest, ARunningDownloadHoldsTheQuietOffUntilTheDeadline) {
  ClientActivity activity(util::Clock::Real());
  activity.DownloadStarted();
  const absl::Time start = absl::Now();
  EXPECT_FALSE(activity.AwaitQuiet(kQuiet, start + absl::Seconds(1)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(990));
  EXPECT_EQ(activity.downloads_in_flight(), 1);
}

TEST(ClientActivityTest, TheQuietCountsFromTheLastDownloadsEnd) {
  ClientActivity activity(util::Clock::Real());
  activity.DownloadStarted();
  absl::Time ended;
  std::thread downloader([&] {
    absl::SleepFor(absl::Milliseconds(500));
    ended = absl::Now();
    activity.DownloadEnded();
  });
  EXPECT_TRUE(activity.AwaitQuiet(kQuiet, absl::Now() + absl::Seconds(30)));
  const absl::Time quiet_at = absl::Now();
  downloader.join();
  EXPECT_GE(quiet_at - ended, kQuiet - absl::Milliseconds(5));
  EXPECT_EQ(activity.downloads_in_flight(), 0);
}

TEST(ClientActivityTest, CallsInTheQuietPeriodStartItAgain) {
  ClientActivity activity(util::Clock::Real());
  absl::Time last_touch;
  std::thread client([&] {
    for (int i = 0; i < 5; ++i) {
      absl::SleepFor(absl::Milliseconds(100));
      last_touch = absl::Now();
      activity.Touch();
    }
  });
  EXPECT_TRUE(activity.AwaitQuiet(kQuiet, absl::Now() + absl::Seconds(30)));
  const absl::Time quiet_at = absl::Now();
  client.join();
  EXPECT_GE(quiet_at - last_touch, kQuiet - absl::Milliseconds(5));
}

TEST(ClientActivityTest, InterruptEndsTheWait) {
  ClientActivity activity(util::Clock::Real());
  activity.DownloadStarted();
  std::thread stopper([&] {
    absl::SleepFor(absl::Milliseconds(100));
    activity.Interrupt();
  });
  const absl::Time start = absl::Now();
  EXPECT_FALSE(activity.AwaitQuiet(kQuiet, start + absl::Seconds(30)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  stopper.join();
  // Later waits end at once.
  EXPECT_FALSE(activity.AwaitQuiet(kQuiet, absl::Now() + absl::Seconds(30)));
}

}  // namespace
}  // namespace fedge::server
