#include "common/tensor/parameter_set.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::tensor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParameterSetTest, EntriesAreViewsIntoOneVector) {
  auto params = ParameterSet::FromValues({{"w", {2, 2}}, {"b", {2}}, {"s", {}}},
                                         {1, 2, 3, 4, 5, 6, 7});
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->num_elements(), 7u);
  EXPECT_THAT(params->tensor(0), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(params->tensor(1), ElementsAre(5, 6));
  EXPECT_THAT(params->tensor(2), ElementsAre(7));
  params->mutable_tensor(1)[0] = 50;
  EXPECT_EQ(params->values()[4], 50);
}

TEST(ParameterSetTest, SizeMismatchIsRejected) {
  auto params = ParameterSet::FromValues({{"w", {2, 3}}}, {1, 2, 3});
  EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(params.status().message()),
              HasSubstr("3 values but its specs describe 6"));
}

TEST(ParameterSetTest, NegativeAndHugeShapesAreRejected) {
  EXPECT_FALSE(ParameterSet::Zeros({{"w", {-1, 3}}}).ok());
  EXPECT_FALSE(ParameterSet::Zeros({{"w", {1 << 20, 1 << 20}}}).ok());
}

TEST(ParameterSetTest, CheckSameLayoutNamesFirstDifference) {
  std::vector<TensorSpec> model = {{"a", {3}}, {"b", {2, 2}}};
  EXPECT_TRUE(CheckSameLayout(model, model).ok());
  absl::Status status = CheckSameLayout(model, {{"a", {3}}, {"b", {4}}});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "tensor 1 is b[4], expected b[2,2]");
  status = CheckSameLayout(model, {{"a", {3}}});
  EXPECT_EQ(status.message(), "update has 1 tensors, the model has 2");
}

}  // namespace
}  // namespace fedge::tensor
