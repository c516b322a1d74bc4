#include "server/update_validation.h"

#include <limits>
#include <string>

#include "common/crypto/sha256.h"
#include "common/tensor/serialization.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

using tensor::ParameterSet;
using ::testing::HasSubstr;

UpdateExpectation Expect() {
  UpdateExpectation e;
  e.round = 3;
  e.model_version = 2;
  e.layout = {{"w", {2, 2}}, {"b", {2}}};
  e.size_bytes = tensor::SerializedSize(e.layout);
  return e;
}

v1::UpdateHeader Header(uint64_t round, uint64_t version, uint64_t size) {
  v1::UpdateHeader h;
  h.set_round(round);
  h.set_model_version(version);
  h.set_total_size(size);
  h.set_sha256(std::string(32, 'x'));
  return h;
}

TEST(UpdateValidationTest, MatchingHeaderPasses) {
  EXPECT_TRUE(
      CheckUpdateHeader(Header(3, 2, Expect().size_bytes), Expect()).ok());
}

TEST(UpdateValidationTest, OtherRoundIsFailedPrecondition) {
  absl::Status s = CheckUpdateHeader(Header(2, 2, 10), Expect());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "update is for round 2 but round 3 is open");
}

TEST(UpdateValidationTest, StaleModelVersionIsFailedPrecondition) {
  absl::Status s = CheckUpdateHeader(Header(3, 1, 10), Expect());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("model version 1"));
}

TEST(UpdateValidationTest, LargerThanModelIsResourceExhausted) {
  absl::Status s =
      CheckUpdateHeader(Header(3, 2, Expect().size_bytes + 1), Expect());
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(s.message()), HasSubstr("larger than the model"));
}

TEST(UpdateValidationTest, MissingDigestIsInvalid) {
  v1::UpdateHeader h = Header(3, 2, 10);
  h.clear_sha256();
  EXPECT_EQ(CheckUpdateHeader(h, Expect()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UpdateValidationTest, WellFormedUpdateParses) {
  ParameterSet p =
      *ParameterSet::FromValues(Expect().layout, {1, 2, 3, 4, 5, 6});
  // The view points into the bytes, so they must outlive it.
  const std::string bytes = tensor::Serialize(p);
  auto parsed = ParseUpdate(bytes, Expect());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->values[5], 6.0f);
}

TEST(UpdateValidationTest, WrongShapeNamesTensor) {
  ParameterSet p =
      *ParameterSet::FromValues({{"w", {4}}, {"b", {2}}}, {1, 2, 3, 4, 5, 6});
  auto parsed = ParseUpdate(tensor::Serialize(p), Expect());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()),
              HasSubstr("tensor 0 is w[4], expected w[2,2]"));
}

TEST(UpdateValidationTest, NaNIsRejectedWithPosition) {
  ParameterSet p = *ParameterSet::FromValues(
      Expect().layout,
      {1, 2, 3, 4, 5, std::numeric_limits<float>::quiet_NaN()});
  auto parsed = ParseUpdate(tensor::Serialize(p), Expect());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "update contains NaN at element 1 of b");
}

TEST(UpdateValidationTest, InfIsRejected) {
  ParameterSet p = *ParameterSet::FromValues(
      Expect().layout,
      {1, -std::numeric_limits<float>::infinity(), 3, 4, 5, 6});
  auto parsed = ParseUpdate(tensor::Serialize(p), Expect());
  EXPECT_THAT(std::string(parsed.status().message()),
              HasSubstr("Inf at element 1 of w"));
}

TEST(UpdateValidationTest, GarbageIsRejected) {
  auto parsed = ParseUpdate("not a tensor", Expect());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fedge::server
