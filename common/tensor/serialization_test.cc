#include "common/tensor/serialization.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::tensor {
namespace {

using ::testing::HasSubstr;

ParameterSet Example() {
  std::vector<float> values = {0.5f, -1.25f, 3e-38f, 7.0f, -0.0f,
                               std::numeric_limits<float>::max()};
  return *ParameterSet::FromValues({{"conv.weight", {1, 2, 2}}, {"conv.bias", {2}}},
                                   values);
}

TEST(SerializationTest, RoundTripIsBitExact) {
  ParameterSet params = Example();
  std::string blob = Serialize(params);
  EXPECT_EQ(blob.size(), SerializedSize(params.specs()));
  auto back = Deserialize(blob);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->specs(), params.specs());
  ASSERT_EQ(back->num_elements(), params.num_elements());
  for (size_t i = 0; i < params.num_elements(); ++i) {
    EXPECT_EQ(std::signbit(back->values()[i]), std::signbit(params.values()[i]));
    EXPECT_EQ(back->values()[i], params.values()[i]);
  }
}

TEST(SerializationTest, EmptySetRoundTrips) {
  ParameterSet empty = *ParameterSet::Zeros({});
  auto back = Deserialize(Serialize(empty));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->num_tensors(), 0u);
}

TEST(SerializationTest, TruncatedBlobIsRejected) {
  std::string blob = Serialize(Example());
  auto back = Deserialize(absl::string_view(blob).substr(0, blob.size() - 1));
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(back.status().message()),
              HasSubstr("23 bytes of values but its header describes 24"));
}

TEST(SerializationTest, PaddedBlobIsRejected) {
  std::string blob = Serialize(Example()) + "x";
  EXPECT_FALSE(Deserialize(blob).ok());
}

TEST(SerializationTest, BadMagicIsRejected) {
  std::string blob = Serialize(Example());
  blob[0] = 'X';
  auto back = Deserialize(blob);
  EXPECT_THAT(std::string(back.status().message()), HasSubstr("magic"));
}

TEST(SerializationTest, HeaderLengthBeyondBlobIsRejected) {
  std::string blob = Serialize(Example());
  blob[8] = '\xff';
  blob[9] = '\xff';
  auto back = Deserialize(blob);
  EXPECT_THAT(std::string(back.status().message()), HasSubstr("header claims"));
}

}  // namespace
}  // namespace fedge::tensor
