#include "server/session_registry.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/session_test_support.h"

namespace fedge::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using session_testing::Connect;
using session_testing::FakeStream;
using session_testing::Finished;
using session_testing::Info;

TEST(SessionRegistryFinishRunTest, StreamingClientIsSentRunFinishedAndClosed) {
  SessionRegistry registry(util::Clock::Real());
  FakeStream stream;
  auto session = Connect(registry, "a", stream);
  ASSERT_EQ(registry.NumStreaming(), 1u);
  registry.FinishRun(Finished());
  ASSERT_EQ(stream.written.size(), 1u);
  EXPECT_TRUE(stream.written[0].has_finished());
  ASSERT_TRUE(stream.finished.has_value());
  EXPECT_TRUE(stream.finished->ok());
  EXPECT_EQ(registry.NumStreaming(), 0u);
}

TEST(SessionRegistryFinishRunTest,
     JoinedClientGetsRunFinishedWhenItsStreamOpens) {
  SessionRegistry registry(util::Clock::Real());
  std::shared_ptr<ClientSession> session = registry.Create(Info("a"));
  registry.FinishRun(Finished());
  FakeStream stream;
  stream.Bind(session.get());
  ASSERT_TRUE(session->Attach(&stream));
  ASSERT_EQ(stream.written.size(), 1u);
  EXPECT_TRUE(stream.written[0].has_finished());
  ASSERT_TRUE(stream.finished.has_value());
  EXPECT_TRUE(stream.finished->ok());
}

TEST(SessionRegistryFinishRunTest,
     ClientReconnectingAfterTheEndIsToldAndClosed) {
  SessionRegistry registry(util::Clock::Real());
  registry.FinishRun(Finished());
  FakeStream stream;
  Connect(registry, "b", stream);
  ASSERT_EQ(stream.written.size(), 1u);
  EXPECT_EQ(stream.written[0].finished().reason(),
            "run finished: 4 rounds completed");
  ASSERT_TRUE(stream.finished.has_value());
  EXPECT_TRUE(stream.finished->ok());
  // No round waits for it.
  EXPECT_EQ(registry.NumStreaming(), 0u);
  EXPECT_THAT(registry.AwaitToldFinished({"b"}, absl::InfinitePast()),
              IsEmpty());
}

TEST(SessionRegistryFinishRunTest, StreamOpenedBeforeTheEndIsNotToldTwice) {
  SessionRegistry registry(util::Clock::Real());
  FakeStream stream;
  Connect(registry, "a", stream);
  registry.FinishRun(Finished());
  registry.FinishRun(Finished());
  EXPECT_EQ(stream.written.size(), 1u);
}

TEST(SessionRegistryFinishRunTest, AwaitReturnsTheClientsNotToldByTheDeadline) {
  SessionRegistry registry(util::Clock::Real());
  FakeStream a;
  Connect(registry, "a", a);
  registry.FinishRun(Finished());
  EXPECT_THAT(registry.AwaitToldFinished({"c", "a", "b"},
                                         absl::Now() + absl::Milliseconds(50)),
              ElementsAre("c", "b"));
}

TEST(SessionRegistryFinishRunTest, AwaitEndsWhenTheLastClientReturns) {
  SessionRegistry registry(util::Clock::Real());
  registry.FinishRun(Finished());
  FakeStream stream;
  std::thread returning([&] { Connect(registry, "a", stream); });
  const absl::Time start = absl::Now();
  std::vector<std::string> untold =
      registry.AwaitToldFinished({"a"}, start + absl::Seconds(60));
  returning.join();
  EXPECT_THAT(untold, IsEmpty());
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_EQ(stream.written.size(), 1u);
}

TEST(SessionRegistryFinishRunTest, InterruptEndsTheWait) {
  SessionRegistry registry(util::Clock::Real());
  registry.FinishRun(Finished());
  std::thread stopper([&] { registry.Interrupt(); });
  const absl::Time start = absl::Now();
  EXPECT_THAT(registry.AwaitToldFinished({"a"}, start + absl::Seconds(60)),
              ElementsAre("a"));
  stopper.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

}  // namespace
}  // namespace fedge::server
