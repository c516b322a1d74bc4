#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "client/trainer.h"
#include "common/data/dataset.h"
#include "common/data/idx_reader.h"
#include "common/models/evaluator.h"
#include "common/models/initial_state.h"
#include "common/models/model_spec.h"
#include "common/models/torch_threads.h"
#include "common/tensor/parameter_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::client {
namespace {

using tensor::ParameterSet;
using ::testing::AllOf;
using ::testing::HasSubstr;

// Uniform in [-0.5, 0.5) from the top 53 bits.
float Noise(std::mt19937_64& rng) {
  return static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-53 - 0.5);
}

// Three well separated blobs in 4 dimensions: class c is centred on 2·e_c.
data::Dataset Blobs(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  data::Dataset data;
  data.example_shape = {4};
  data.num_classes = 3;
  for (size_t i = 0; i < n; ++i) {
    const int64_t label = static_cast<int64_t>(i % 3);
    for (int64_t d = 0; d < 4; ++d) {
      data.features.push_back((d == label ? 2.0f : 0.0f) + Noise(rng));
    }
    data.labels.push_back(label);
  }
  return data;
}

// 8×8 one-channel images, noisy, with a bright 4×4 patch in the quadrant
// given by the label (0..3).
data::Dataset Quadrants(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  data::Dataset data;
  data.example_shape = {1, 8, 8};
  data.num_classes = 4;
  for (size_t i = 0; i < n; ++i) {
    const int64_t label = static_cast<int64_t>(i % 4);
    for (int64_t y = 0; y < 8; ++y) {
      for (int64_t x = 0; x < 8; ++x) {
        const bool bright = (y / 4) * 2 + (x / 4) == label;
        data.features.push_back((bright ? 1.0f : 0.0f) + 0.5f * Noise(rng));
      }
    }
    data.labels.push_back(label);
  }
  return data;
}

models::ModelSpec Spec(const char* kind, std::vector<int64_t> input_shape,
                       int64_t num_classes) {
  models::ModelSpec spec;
  spec.kind = kind;
  spec.input_shape = std::move(input_shape);
  spec.num_classes = num_classes;
  spec.init_seed = 3;
  return spec;
}

models::ModelSpec BlobMlp() { return Spec("mlp", {4}, 3); }
models::ModelSpec QuadrantCnn() { return Spec("cnn", {1, 8, 8}, 4); }

ParameterSet Initial(const models::ModelSpec& spec) {
  absl::StatusOr<ParameterSet> state = models::InitialState(spec);
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? *std::move(state) : ParameterSet();
}

models::EvalMetrics Evaluate(const models::ModelSpec& spec,
                             const ParameterSet& state,
                             const data::Dataset& data) {
  absl::StatusOr<std::unique_ptr<models::Evaluator>> evaluator =
      models::Evaluator::Create(spec);
  EXPECT_TRUE(evaluator.ok()) << evaluator.status();
  if (!evaluator.ok()) return {};
  absl::StatusOr<models::EvalMetrics> metrics =
      (*evaluator)->Evaluate(state, data, 256);
  EXPECT_TRUE(metrics.ok()) << metrics.status();
  return metrics.ok() ? *metrics : models::EvalMetrics{};
}

bool BitIdentical(const ParameterSet& a, const ParameterSet& b) {
  return a.SameLayout(b) && a.num_elements() == b.num_elements() &&
         std::memcmp(a.values().data(), b.values().data(), a.num_bytes()) == 0;
}

class LocalTrainerTest : public ::testing::Test {
 protected:
  // One intra-op thread: reproducible, and fair to a one-core CI runner.
  void SetUp() override { models::SetTorchThreads(1); }
};

TEST_F(LocalTrainerTest, MlpLearnsSeparableBlobs) {
  const data::Dataset train = Blobs(300, 1);
  const data::Dataset test = Blobs(300, 2);
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      CreateLocalTrainer(BlobMlp(), &train);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  EXPECT_EQ((*trainer)->num_examples(), 300u);

  const ParameterSet initial = Initial(BlobMlp());
  const models::EvalMetrics before = Evaluate(BlobMlp(), initial, test);
  TrainOptions options;
  options.local_epochs = 5;
  options.batch_size = 16;
  options.learning_rate = 0.05f;
  options.momentum = 0.9f;
  options.seed = 7;
  absl::StatusOr<TrainResult> result = (*trainer)->Train(initial, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->num_examples, 300u);
  EXPECT_GT(result->seconds, 0);
  EXPECT_TRUE(result->trained.SameLayout(initial));

  const models::EvalMetrics after = Evaluate(BlobMlp(), result->trained, test);
  EXPECT_LT(after.loss, before.loss / 4);
  EXPECT_GE(after.accuracy, 0.98);
  EXPECT_LT(result->loss, before.loss / 4);
  EXPECT_GE(result->accuracy, 0.95);
}

TEST_F(LocalTrainerTest, CnnLearnsWhichQuadrantIsBright) {
  const data::Dataset train = Quadrants(200, 1);
  const data::Dataset test = Quadrants(200, 2);
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      CreateLocalTrainer(QuadrantCnn(), &train);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  const ParameterSet initial = Initial(QuadrantCnn());
  const models::EvalMetrics before = Evaluate(QuadrantCnn(), initial, test);
  TrainOptions options;
  options.local_epochs = 3;
  options.batch_size = 10;
  options.learning_rate = 0.05f;
  options.momentum = 0.5f;
  options.seed = 7;
  absl::StatusOr<TrainResult> result = (*trainer)->Train(initial, options);
  ASSERT_TRUE(result.ok()) << result.status();
  const models::EvalMetrics after =
      Evaluate(QuadrantCnn(), result->trained, test);
  EXPECT_LT(after.loss, before.loss / 4);
  EXPECT_GE(after.accuracy, 0.98);
}

TEST_F(LocalTrainerTest, SameSeedGivesBitIdenticalStatesOnOneThread) {
  // Batches of 16 and a last one of 12 (see Dense in builtin_models.cc: the
  // two sizes take different kernels).
  const data::Dataset train = Quadrants(60, 3);
  const ParameterSet initial = Initial(QuadrantCnn());
  TrainOptions options;
  options.local_epochs = 2;
  options.batch_size = 16;
  options.learning_rate = 0.05f;
  options.momentum = 0.9f;
  options.weight_decay = 1e-3f;
  options.seed = 11;

  absl::StatusOr<std::unique_ptr<Trainer>> first =
      CreateLocalTrainer(QuadrantCnn(), &train);
  absl::StatusOr<std::unique_ptr<Trainer>> second =
      CreateLocalTrainer(QuadrantCnn(), &train);
  ASSERT_TRUE(first.ok() && second.ok());
  absl::StatusOr<TrainResult> a = (*first)->Train(initial, options);
  absl::StatusOr<TrainResult> b = (*second)->Train(initial, options);
  // The same trainer again: nothing of the first round carries over.
  absl::StatusOr<TrainResult> c = (*first)->Train(initial, options);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(BitIdentical(a->trained, b->trained));
  EXPECT_TRUE(BitIdentical(a->trained, c->trained));
  EXPECT_EQ(a->loss, b->loss);
  EXPECT_EQ(a->accuracy, b->accuracy);
  EXPECT_FALSE(BitIdentical(a->trained, initial));

  options.seed = 12;
  absl::StatusOr<TrainResult> other = (*first)->Train(initial, options);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(BitIdentical(a->trained, other->trained));
}

// Squared distance between two states over every value.
double SquaredDistance(const ParameterSet& a, const ParameterSet& b) {
  double sum = 0;
  for (size_t i = 0; i < a.values().size(); ++i) {
    const double d = double{a.values()[i]} - double{b.values()[i]};
    sum += d * d;
  }
  return sum;
}

TEST_F(LocalTrainerTest, FedProxPullsTheLocalModelTowardsTheGlobalOne) {
  const data::Dataset train = Quadrants(60, 3);
  const ParameterSet initial = Initial(QuadrantCnn());
  TrainOptions options;
  options.local_epochs = 3;
  options.batch_size = 16;
  options.learning_rate = 0.05f;
  options.seed = 5;
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      CreateLocalTrainer(QuadrantCnn(), &train);
  ASSERT_TRUE(trainer.ok());
  absl::StatusOr<TrainResult> plain = (*trainer)->Train(initial, options);
  options.proximal_mu = 0.0f;
  absl::StatusOr<TrainResult> zero = (*trainer)->Train(initial, options);
  options.proximal_mu = 1.0f;
  absl::StatusOr<TrainResult> some = (*trainer)->Train(initial, options);
  options.proximal_mu = 10.0f;
  absl::StatusOr<TrainResult> strong = (*trainer)->Train(initial, options);
  ASSERT_TRUE(plain.ok() && zero.ok() && some.ok() && strong.ok());
  // mu = 0 is plain SGD, bit for bit; a larger mu keeps the model closer.
  EXPECT_TRUE(BitIdentical(plain->trained, zero->trained));
  const double d0 = SquaredDistance(plain->trained, initial);
  const double d1 = SquaredDistance(some->trained, initial);
  const double d10 = SquaredDistance(strong->trained, initial);
  EXPECT_LT(d1, d0);
  EXPECT_LT(d10, d1);
  EXPECT_GT(d10, 0);

  options.proximal_mu = -1.0f;
  absl::StatusOr<TrainResult> bad = (*trainer)->Train(initial, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("proximal_mu is -1"));
}

TEST_F(LocalTrainerTest, MaxExamplesCapsTheExamplesUsed) {
  const data::Dataset train = Blobs(100, 4);
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      CreateLocalTrainer(BlobMlp(), &train);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  const ParameterSet initial = Initial(BlobMlp());
  TrainOptions options;
  options.batch_size = 7;
  options.seed = 5;
  for (auto [cap, expected] : {std::pair<uint64_t, uint64_t>{30, 30},
                               {99, 99},
                               {100, 100},
                               {1000, 100},
                               {0, 100}}) {
    SCOPED_TRACE(cap);
    options.max_examples = cap;
    absl::StatusOr<TrainResult> result = (*trainer)->Train(initial, options);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->num_examples, expected);
    // Accuracy is a count over the examples used.
    const double hits = result->accuracy * static_cast<double>(expected);
    EXPECT_NEAR(hits, std::round(hits), 1e-9);
  }
  // The subset depends on the seed: two seeds train different models.
  options.max_examples = 30;
  absl::StatusOr<TrainResult> a = (*trainer)->Train(initial, options);
  options.seed = 6;
  absl::StatusOr<TrainResult> b = (*trainer)->Train(initial, options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(BitIdentical(a->trained, b->trained));
}

TEST_F(LocalTrainerTest, RejectsDataTheModelCannotTake) {
  data::Dataset images = Quadrants(8, 1);
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      CreateLocalTrainer(Spec("cnn", {1, 28, 28}, 4), &images);
  EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(trainer.status().message(),
              AllOf(HasSubstr("training data"), HasSubstr("[1, 8, 8]"),
                    HasSubstr("input_shape [1, 28, 28]")));

  data::Dataset bad_label = Blobs(9, 1);
  bad_label.labels[4] = 3;
  trainer = CreateLocalTrainer(BlobMlp(), &bad_label);
  EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(trainer.status().message(),
              AllOf(HasSubstr("label 3 of example 4"),
                    HasSubstr("num_classes must be at least 4")));

  data::Dataset empty;
  empty.example_shape = {4};
  trainer = CreateLocalTrainer(BlobMlp(), &empty);
  EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(trainer.status().message(), HasSubstr("empty"));

  trainer = CreateLocalTrainer(BlobMlp(), nullptr);
  EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument);

  trainer = CreateLocalTrainer(Spec("lstm", {4}, 3), &bad_label);
  EXPECT_EQ(trainer.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalTrainerTest, RejectsBadOptionsAndForeignState) {
  const data::Dataset train = Blobs(30, 1);
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      CreateLocalTrainer(BlobMlp(), &train);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  const ParameterSet initial = Initial(BlobMlp());

  struct Case {
    TrainOptions options;
    const char* message;
  };
  std::vector<Case> cases(5);
  cases[0].options.local_epochs = 0;
  cases[0].message = "local_epochs";
  cases[1].options.batch_size = 0;
  cases[1].message = "batch_size";
  cases[2].options.learning_rate = 0;
  cases[2].message = "learning_rate";
  cases[3].options.momentum = 1;
  cases[3].message = "momentum";
  cases[4].options.weight_decay = -1;
  cases[4].message = "weight_decay";
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<TrainResult> result = (*trainer)->Train(initial, c.options);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(result.status().message(), HasSubstr(c.message));
  }

  absl::StatusOr<TrainResult> result =
      (*trainer)->Train(Initial(Spec("mlp", {4}, 5)), TrainOptions());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("fc3.weight"));
}

TEST_F(LocalTrainerTest, DivergingTrainingIsAnErrorNamingTheLearningRate) {
  const data::Dataset train = Blobs(60, 1);
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      CreateLocalTrainer(BlobMlp(), &train);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  TrainOptions options;
  options.local_epochs = 3;
  options.learning_rate = 1e30f;
  absl::StatusOr<TrainResult> result =
      (*trainer)->Train(Initial(BlobMlp()), options);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(),
              AllOf(HasSubstr("diverged"), HasSubstr("learning_rate")));
}

// The FedAvg cnn on real Fashion-MNIST (Debian's dataset-fashion-mnist):
// one epoch on 2000 training images, evaluated on 1000 test images.
TEST_F(LocalTrainerTest, CnnLearnsFashionMnistInOneEpoch) {
  absl::StatusOr<data::Dataset> full_train =
      data::ReadFashionMnist(data::kDefaultFashionMnistDir, "train");
  absl::StatusOr<data::Dataset> full_test =
      data::ReadFashionMnist(data::kDefaultFashionMnistDir, "test");
  if (!full_train.ok() || !full_test.ok()) {
    GTEST_SKIP() << "Fashion-MNIST not installed: " << full_train.status();
  }
  std::vector<size_t> first(2000);
  for (size_t i = 0; i < first.size(); ++i) first[i] = i;
  const data::Dataset train = full_train->Subset(first);
  first.resize(1000);
  const data::Dataset test = full_test->Subset(first);

  const models::ModelSpec spec = Spec("cnn", {1, 28, 28}, 10);
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      CreateLocalTrainer(spec, &train);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  TrainOptions options;
  options.batch_size = 32;
  options.learning_rate = 0.05f;
  options.momentum = 0.9f;
  options.seed = 1;
  absl::StatusOr<TrainResult> result =
      (*trainer)->Train(Initial(spec), options);
  ASSERT_TRUE(result.ok()) << result.status();
  const models::EvalMetrics metrics = Evaluate(spec, result->trained, test);
  EXPECT_EQ(metrics.num_examples, 1000u);
  EXPECT_GE(metrics.accuracy, 0.60);
}

}  // namespace
}  // namespace fedge::client
