#include "common/tensor/serialization.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::tensor {
namespace {

using ::testing::HasSubstr;

ParameterSet Example() {
  std::vector<float> values = {0.5f, -1.25f, 3e-38f,
                               7.0f, -0.0f,  std::numeric_limits<float>::max()};
  return *ParameterSet::FromValues(
      {{"conv.weight", {1, 2, 2}}, {"conv.bias", {2}}}, values);
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
    EXPECT_EQ(std::signbit(back->values()[i]),
              std::signbit(params.values()[i]));
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

TEST(SerializationTest, ValuesStartAlignedAndViewNeedsNoCopy) {
  ParameterSet params = Example();
  std::string blob = Serialize(params);
  auto view = ParseView(blob);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->specs, params.specs());
  // The view points into the blob, 16-byte aligned relative to its start.
  const char* first = reinterpret_cast<const char*>(view->values.data());
  EXPECT_GE(first, blob.data());
  EXPECT_EQ((first - blob.data()) % 16, 0);
  EXPECT_EQ(first + params.num_bytes(), blob.data() + blob.size());
  ASSERT_EQ(view->values.size(), params.num_elements());
  EXPECT_EQ(view->values[3], 7.0f);
  EXPECT_EQ(view->tensor(1)[1], params.values()[5]);
}

TEST(SerializationTest, NonZeroPaddingIsRejected) {
  ParameterSet params = Example();
  std::string blob = Serialize(params);
  size_t padding_end = blob.size() - params.num_bytes();
  uint32_t header_len = static_cast<unsigned char>(blob[8]);
  size_t padding_start = 12 + header_len;
  ASSERT_LT(padding_start, padding_end) << "example needs padding";
  blob[padding_start] = 'x';
  auto back = Deserialize(blob);
  EXPECT_THAT(std::string(back.status().message()), HasSubstr("padding"));
}

TEST(SerializationTest, MisalignedViewIsRefusedButDeserializeCopes) {
  std::string blob = Serialize(Example());
  std::string shifted = "x" + blob;
  absl::string_view misaligned = absl::string_view(shifted).substr(1);
  EXPECT_EQ(ParseView(misaligned).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto copy = Deserialize(misaligned);
  ASSERT_TRUE(copy.ok()) << copy.status();
  EXPECT_EQ(copy->values()[0], 0.5f);
}

}  // namespace
}  // namespace fedge::tensor
