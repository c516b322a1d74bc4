#include "common/models/evaluator.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "common/data/dataset.h"
#include "common/models/initial_state.h"
#include "common/models/model_spec.h"
#include "common/tensor/parameter_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::models {
namespace {

using tensor::ParameterSet;
using ::testing::AllOf;
using ::testing::HasSubstr;

ModelSpec TinyMlp() {
  ModelSpec spec;
  spec.kind = "mlp";
  spec.input_shape = {2};
  spec.num_classes = 3;
  return spec;
}

// An mlp state whose logits are exactly [relu(x0), relu(x1), 0.25]: the two
// hidden layers pass the inputs through units 0 and 1, the last layer reads
// them out and class 2 has a constant bias.
ParameterSet PassThroughState() {
  absl::StatusOr<ParameterSet> initial = InitialState(TinyMlp());
  EXPECT_TRUE(initial.ok()) << initial.status();
  ParameterSet state = *std::move(initial);
  for (float& v : state.mutable_values()) v = 0;
  // fc1.weight [200, 2], fc2.weight [200, 200], fc3.weight [3, 200].
  state.mutable_tensor(0)[0 * 2 + 0] = 1;
  state.mutable_tensor(0)[1 * 2 + 1] = 1;
  state.mutable_tensor(2)[0 * 200 + 0] = 1;
  state.mutable_tensor(2)[1 * 200 + 1] = 1;
  state.mutable_tensor(4)[0 * 200 + 0] = 1;
  state.mutable_tensor(4)[1 * 200 + 1] = 1;
  state.mutable_tensor(5)[2] = 0.25f;  // fc3.bias
  return state;
}

data::Dataset TinyData() {
  data::Dataset data;
  data.example_shape = {2};
  data.num_classes = 3;
  // Predictions: class 0, 1, 0, 1, 2 (all logits ≤ 0.25 but the bias).
  data.features = {2, 0, 0, 1, 1, 0, 0, 3, -1, -2};
  data.labels = {0, 1, 2, 0, 2};
  return data;
}

// Cross-entropy of logits [a, b, 0.25] for `label`.
double CrossEntropy(double a, double b, int label) {
  const double logits[3] = {a, b, 0.25};
  const double log_sum =
      std::log(std::exp(logits[0]) + std::exp(logits[1]) + std::exp(logits[2]));
  return log_sum - logits[label];
}

TEST(EvaluatorTest, LossAndAccuracyMatchHandComputedValues) {
  absl::StatusOr<std::unique_ptr<Evaluator>> evaluator =
      Evaluator::Create(TinyMlp());
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();
  const double expected_loss =
      (CrossEntropy(2, 0, 0) + CrossEntropy(0, 1, 1) + CrossEntropy(1, 0, 2) +
       CrossEntropy(0, 3, 0) + CrossEntropy(0, 0, 2)) /
      5;
  // Batch sizes that divide the data, leave a remainder, and exceed it.
  for (int64_t batch_size : {1, 2, 5, 64}) {
    SCOPED_TRACE(batch_size);
    absl::StatusOr<EvalMetrics> metrics =
        (*evaluator)->Evaluate(PassThroughState(), TinyData(), batch_size);
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    EXPECT_EQ(metrics->num_examples, 5u);
    EXPECT_EQ(metrics->accuracy, 3.0 / 5.0);
    EXPECT_NEAR(metrics->loss, expected_loss, 1e-6);
  }
}

TEST(EvaluatorTest, EvaluatesEachStateItIsGiven) {
  absl::StatusOr<std::unique_ptr<Evaluator>> evaluator =
      Evaluator::Create(TinyMlp());
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();
  // All-zero weights: uniform logits, loss log 3, and argmax picks class 0
  // (the first of equal maxima) for every example.
  ParameterSet zeros = PassThroughState();
  for (float& v : zeros.mutable_values()) v = 0;
  absl::StatusOr<EvalMetrics> metrics =
      (*evaluator)->Evaluate(zeros, TinyData(), 2);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_NEAR(metrics->loss, std::log(3.0), 1e-6);
  EXPECT_EQ(metrics->accuracy, 2.0 / 5.0);

  metrics = (*evaluator)->Evaluate(PassThroughState(), TinyData(), 2);
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->accuracy, 3.0 / 5.0);
}

TEST(EvaluatorTest, RejectsDataTheModelCannotTake) {
  absl::StatusOr<std::unique_ptr<Evaluator>> evaluator =
      Evaluator::Create(TinyMlp());
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();
  const ParameterSet state = PassThroughState();

  data::Dataset empty;
  empty.example_shape = {2};
  absl::StatusOr<EvalMetrics> metrics = (*evaluator)->Evaluate(state, empty, 4);
  EXPECT_EQ(metrics.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(metrics.status().message(),
              AllOf(HasSubstr("evaluation data"), HasSubstr("empty")));

  data::Dataset wrong_shape = TinyData();
  wrong_shape.example_shape = {1, 2};
  metrics = (*evaluator)->Evaluate(state, wrong_shape, 4);
  EXPECT_EQ(metrics.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(metrics.status().message(),
              AllOf(HasSubstr("[1, 2]"), HasSubstr("input_shape [2]")));

  data::Dataset bad_label = TinyData();
  bad_label.labels[3] = 3;
  metrics = (*evaluator)->Evaluate(state, bad_label, 4);
  EXPECT_EQ(metrics.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(metrics.status().message(),
              AllOf(HasSubstr("label 3 of example 3"), HasSubstr("[0, 3)")));

  data::Dataset short_features = TinyData();
  short_features.features.pop_back();
  metrics = (*evaluator)->Evaluate(state, short_features, 4);
  EXPECT_EQ(metrics.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(metrics.status().message(), HasSubstr("9 feature values"));

  metrics = (*evaluator)->Evaluate(state, TinyData(), 0);
  EXPECT_EQ(metrics.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(metrics.status().message(), HasSubstr("batch_size"));
}

TEST(EvaluatorTest, RejectsStateOfAnotherModel) {
  absl::StatusOr<std::unique_ptr<Evaluator>> evaluator =
      Evaluator::Create(TinyMlp());
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();
  ModelSpec other = TinyMlp();
  other.num_classes = 4;
  absl::StatusOr<ParameterSet> state = InitialState(other);
  ASSERT_TRUE(state.ok()) << state.status();
  absl::StatusOr<EvalMetrics> metrics =
      (*evaluator)->Evaluate(*state, TinyData(), 4);
  EXPECT_EQ(metrics.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(metrics.status().message(), HasSubstr("fc3.weight"));
}

TEST(EvaluatorTest, CreateFailsOnBadSpec) {
  ModelSpec spec = TinyMlp();
  spec.kind = "transformer";
  EXPECT_EQ(Evaluator::Create(spec).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fedge::models
