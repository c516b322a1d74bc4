#include "server/round.h"

#include <thread>

#include "common/crypto/sha256.h"
#include "common/tensor/serialization.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

using tensor::ParameterSet;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::shared_ptr<const GlobalModel> Base() {
  return MakeGlobalModel(4,
                         *ParameterSet::FromValues({{"w", {2}}}, {1.0f, 1.0f}));
}

v1::UpdateHeader Header(const Round& round, uint64_t examples) {
  v1::UpdateHeader h;
  h.set_round(round.number());
  h.set_model_version(round.base().version);
  h.set_total_size(round.expectation().size_bytes);
  h.set_sha256(std::string(32, 'z'));
  h.mutable_metrics()->set_num_examples(examples);
  h.mutable_metrics()->set_loss(0.5);
  return h;
}

ParameterSet Delta(float a, float b) {
  return *ParameterSet::FromValues({{"w", {2}}}, {a, b});
}

RoundOptions Options(std::vector<std::string> cohort) {
  RoundOptions o;
  o.number = 5;
  o.base = Base();
  o.cohort = std::move(cohort);
  return o;
}

TEST(RoundTest, AcceptedUpdatesAverageByExamples) {
  Round round(Options({"a", "b"}));
  ASSERT_TRUE(
      round.Accept("a", Header(round, 3), Delta(4, 0).view(), 100).ok());
  ASSERT_TRUE(round.Accept("b", Header(round, 1), Delta(0, 4).view(), 50).ok());
  auto next = round.Aggregate();
  ASSERT_TRUE(next.ok());
  // 1 + (3*4 + 1*0)/4 = 4;  1 + (0 + 4)/4 = 2
  EXPECT_THAT(next->values(), ElementsAre(4.0f, 2.0f));
  EXPECT_EQ(round.bytes_up(), 150u);
  EXPECT_EQ(round.train_summary().num_examples, 4u);
}

TEST(RoundTest, ExampleWeightIsCapped) {
  RoundOptions o = Options({"a", "b"});
  o.max_example_weight = 2;
  Round round(o);
  ASSERT_TRUE(
      round.Accept("a", Header(round, 1000), Delta(4, 0).view(), 1).ok());
  ASSERT_TRUE(round.Accept("b", Header(round, 2), Delta(0, 4).view(), 1).ok());
  EXPECT_THAT(round.Aggregate()->values(), ElementsAre(3.0f, 3.0f));
}

TEST(RoundTest, KeptUpdatesAreHandedOverOnceForRobustAggregation) {
  RoundOptions o = Options({"a", "b", "c"});
  o.keep_updates = true;
  Round round(o);
  ASSERT_TRUE(round.Accept("b", Header(round, 3), Delta(4, 0).view(), 1).ok());
  ASSERT_TRUE(round.Accept("a", Header(round, 1), Delta(0, 4).view(), 1).ok());
  // A rejected upload is not kept.
  EXPECT_FALSE(round.Accept("c", Header(round, 0), Delta(9, 9).view(), 1).ok());
  std::vector<KeptUpdate> kept = round.TakeKeptUpdates();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].client_id, "b");
  EXPECT_THAT(kept[0].delta, ElementsAre(4.0f, 0.0f));
  EXPECT_EQ(kept[0].weight, 3u);
  EXPECT_EQ(kept[1].client_id, "a");
  EXPECT_TRUE(round.TakeKeptUpdates().empty());

  Round plain(Options({"a"}));
  ASSERT_TRUE(plain.Accept("a", Header(plain, 1), Delta(1, 1).view(), 1).ok());
  EXPECT_TRUE(plain.TakeKeptUpdates().empty());
}

TEST(RoundTest, ClientNotSelectedIsPermissionDenied) {
  Round round(Options({"a"}));
  absl::Status s = round.CheckUpload("mallory", Header(round, 1));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()), HasSubstr("not selected for round 5"));
}

TEST(RoundTest, DuplicateUploadIsRefusedAndNotCountedTwice) {
  Round round(Options({"a", "b"}));
  ASSERT_TRUE(round.Accept("a", Header(round, 1), Delta(1, 1).view(), 1).ok());
  absl::Status s = round.Accept("a", Header(round, 1), Delta(9, 9).view(), 1);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(round.num_accepted(), 1u);
  EXPECT_THAT(round.Aggregate()->values(), ElementsAre(2.0f, 2.0f));
}

TEST(RoundTest, DroppedClientCannotUploadAndSettles) {
  Round round(Options({"a", "b"}));
  round.Drop("b", "disconnected");
  EXPECT_EQ(round.CheckUpload("b", Header(round, 1)).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(round.Accept("a", Header(round, 1), Delta(1, 1).view(), 1).ok());
  EXPECT_TRUE(round.AwaitSettled(util::Clock::Real(), absl::InfinitePast()));
  auto participants = round.Participants();
  ASSERT_EQ(participants.size(), 2u);
  EXPECT_EQ(participants[0].outcome, "accepted");
  EXPECT_EQ(participants[1].outcome, "dropped");
  EXPECT_EQ(participants[1].reason, "disconnected");
}

TEST(RoundTest, ZeroExamplesIsRejected) {
  Round round(Options({"a"}));
  EXPECT_EQ(round.Accept("a", Header(round, 0), Delta(1, 1).view(), 1).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(round.num_accepted(), 0u);
}

TEST(RoundTest, CloseTrainingDropsPendingAndRefusesLateUploads) {
  Round round(Options({"a", "b"}));
  ASSERT_TRUE(round.Accept("a", Header(round, 1), Delta(1, 1).view(), 1).ok());
  EXPECT_THAT(round.CloseTraining("missed the training deadline"),
              ElementsAre("b"));
  EXPECT_EQ(round.CheckUpload("b", Header(round, 1)).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(RoundTest, RejectedAttemptThenDeadlineIsRecordedAsRejected) {
  Round round(Options({"a"}));
  round.RecordRejection("a", "bad digest");
  round.CloseTraining("missed the training deadline");
  auto p = round.Participants();
  EXPECT_EQ(p[0].outcome, "rejected");
}

TEST(RoundTest, AwaitSettledWakesWhenLastMemberDelivers) {
  Round round(Options({"a"}));
  std::thread t([&round] {
    ASSERT_TRUE(
        round.Accept("a", Header(round, 1), Delta(1, 1).view(), 1).ok());
  });
  EXPECT_TRUE(
      round.AwaitSettled(util::Clock::Real(), absl::Now() + absl::Seconds(30)));
  t.join();
}

TEST(RoundTest, EvaluationReportsAreWeightedAndCheckedOnce) {
  Round round(Options({"a", "b"}));
  round.OpenEvaluation(5, {"a", "b"});
  v1::EvaluationReport r;
  r.set_round(5);
  r.set_model_version(5);
  r.set_num_examples(30);
  r.set_accuracy(0.9);
  r.set_loss(0.3);
  ASSERT_TRUE(round.AcceptEvaluation("a", r).ok());
  EXPECT_EQ(round.AcceptEvaluation("a", r).code(),
            absl::StatusCode::kPermissionDenied);
  r.set_num_examples(10);
  r.set_accuracy(0.5);
  r.set_loss(0.7);
  ASSERT_TRUE(round.AcceptEvaluation("b", r).ok());
  EvalSummary s = round.eval_summary();
  EXPECT_EQ(s.reports, 2u);
  EXPECT_DOUBLE_EQ(s.accuracy, (30 * 0.9 + 10 * 0.5) / 40);
  EXPECT_DOUBLE_EQ(s.loss, (30 * 0.3 + 10 * 0.7) / 40);
}

TEST(RoundTest, EvaluationOfWrongVersionIsRefused) {
  Round round(Options({"a"}));
  round.OpenEvaluation(5, {"a"});
  v1::EvaluationReport r;
  r.set_round(5);
  r.set_model_version(4);
  r.set_num_examples(1);
  EXPECT_EQ(round.AcceptEvaluation("a", r).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace fedge::server
