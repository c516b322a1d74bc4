#include "server/session_registry.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A task stream that completes each write at once, as a fast client would.
class FakeStream : public TaskStream {
 public:
  void Bind(ClientSession* session) { session_ = session; }
  void StartWrite(const v1::Task* task) override {
    written.push_back(*task);
    session_->OnWriteDone(true);
  }
  void Finish(const grpc::Status& status) override {
    finished = status;
    session_->OnDone();
  }
  std::vector<v1::Task> written;
  std::optional<grpc::Status> finished;

 private:
  ClientSession* session_ = nullptr;
};

JoinInfo Info(const std::string& id) {
  JoinInfo info;
  info.peer.id = id;
  return info;
}

v1::Task Finished() {
  v1::Task task;
  task.mutable_finished()->set_reason("run finished: 4 rounds completed");
  return task;
}

// Joins `id` and opens its task stream.
std::shared_ptr<ClientSession> Connect(SessionRegistry& registry,
                                       const std::string& id,
                                       FakeStream& stream) {
  std::shared_ptr<ClientSession> session = registry.Create(Info(id));
  stream.Bind(session.get());
  EXPECT_TRUE(session->Attach(&stream));
  return session;
}

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
