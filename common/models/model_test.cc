// Tests of model.cc, builtin_models.cc and torchscript_model.cc: the one test
// file of common/models that includes LibTorch.

#include "common/models/model.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/models/initial_state.h"
#include "common/models/model_spec.h"
#include "common/tensor/parameter_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::tensor {
// Readable failure messages for TensorSpec matchers.
void PrintTo(const TensorSpec& spec, std::ostream* os) {
  *os << spec.DebugString();
}
}  // namespace fedge::tensor

namespace fedge::models {
namespace {

using tensor::ParameterSet;
using tensor::TensorSpec;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::HasSubstr;

ModelSpec Spec(const std::string& kind, std::vector<int64_t> input_shape,
               int64_t num_classes, uint64_t seed = 1) {
  ModelSpec spec;
  spec.kind = kind;
  spec.input_shape = std::move(input_shape);
  spec.num_classes = num_classes;
  spec.init_seed = seed;
  return spec;
}

std::unique_ptr<Model> MustCreate(const ModelSpec& spec) {
  absl::StatusOr<std::unique_ptr<Model>> model = CreateModel(spec);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *std::move(model) : nullptr;
}

bool BitIdentical(const ParameterSet& a, const ParameterSet& b) {
  return a.SameLayout(b) && a.num_elements() == b.num_elements() &&
         std::memcmp(a.values().data(), b.values().data(), a.num_bytes()) == 0;
}

TEST(BuiltinModelTest, MlpStateSpecsAreFc1ToFc3) {
  std::unique_ptr<Model> model = MustCreate(Spec("mlp", {1, 28, 28}, 10));
  ASSERT_NE(model, nullptr);
  EXPECT_THAT(
      StateSpecs(*model),
      ElementsAre(
          TensorSpec{"fc1.weight", {200, 784}}, TensorSpec{"fc1.bias", {200}},
          TensorSpec{"fc2.weight", {200, 200}}, TensorSpec{"fc2.bias", {200}},
          TensorSpec{"fc3.weight", {10, 200}}, TensorSpec{"fc3.bias", {10}}));
  EXPECT_EQ(model->TrainableParameters().size(), 6u);
}

TEST(BuiltinModelTest, CnnStateSpecsAreTheFedAvgCnn) {
  std::unique_ptr<Model> model = MustCreate(Spec("cnn", {1, 28, 28}, 10));
  ASSERT_NE(model, nullptr);
  EXPECT_THAT(StateSpecs(*model),
              ElementsAre(TensorSpec{"conv1.weight", {32, 1, 5, 5}},
                          TensorSpec{"conv1.bias", {32}},
                          TensorSpec{"conv2.weight", {64, 32, 5, 5}},
                          TensorSpec{"conv2.bias", {64}},
                          TensorSpec{"fc1.weight", {512, 3136}},
                          TensorSpec{"fc1.bias", {512}},
                          TensorSpec{"fc2.weight", {10, 512}},
                          TensorSpec{"fc2.bias", {10}}));
  EXPECT_EQ(model->TrainableParameters().size(), 8u);
}

TEST(BuiltinModelTest, CnnSizesFollowTheInputShape) {
  // 30 → 15 → 7 and 18 → 9 → 4 after the two poolings.
  std::unique_ptr<Model> model = MustCreate(Spec("cnn", {3, 30, 18}, 7));
  ASSERT_NE(model, nullptr);
  std::vector<TensorSpec> specs = StateSpecs(*model);
  ASSERT_EQ(specs.size(), 8u);
  EXPECT_EQ(specs[0], (TensorSpec{"conv1.weight", {32, 3, 5, 5}}));
  EXPECT_EQ(specs[4], (TensorSpec{"fc1.weight", {512, 64 * 7 * 4}}));
  EXPECT_EQ(specs[6], (TensorSpec{"fc2.weight", {7, 512}}));
  torch::Tensor logits = model->Forward(torch::zeros({2, 3, 30, 18}));
  EXPECT_EQ(logits.sizes().vec(), (std::vector<int64_t>{2, 7}));
}

TEST(BuiltinModelTest, MlpForwardFlattensAnyInputShape) {
  std::unique_ptr<Model> model = MustCreate(Spec("mlp", {2, 3, 4}, 5));
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(StateSpecs(*model)[0], (TensorSpec{"fc1.weight", {200, 24}}));
  torch::Tensor logits = model->Forward(torch::zeros({6, 2, 3, 4}));
  EXPECT_EQ(logits.sizes().vec(), (std::vector<int64_t>{6, 5}));
}

// Batches of 16 or more run the dense layers as 1×1 convolutions (see Dense
// in builtin_models.cc); smaller ones as torch::linear. Both compute the same
// function.
TEST(BuiltinModelTest, LargeAndSmallBatchesGiveTheSameLogits) {
  for (const char* kind : {"mlp", "cnn"}) {
    SCOPED_TRACE(kind);
    std::unique_ptr<Model> model = MustCreate(Spec(kind, {1, 28, 28}, 10));
    ASSERT_NE(model, nullptr);
    torch::NoGradGuard no_grad;
    torch::Tensor input = torch::rand({32, 1, 28, 28});
    torch::Tensor whole = model->Forward(input);
    std::vector<torch::Tensor> parts;
    for (int64_t first = 0; first < 32; first += 8) {
      parts.push_back(model->Forward(input.narrow(0, first, 8)));
    }
    EXPECT_TRUE(torch::allclose(whole, torch::cat(parts), /*rtol=*/1e-4,
                                /*atol=*/1e-5));
  }
}

TEST(BuiltinModelTest, CnnRejectsInputWithoutChannelsHeightWidth) {
  absl::StatusOr<std::unique_ptr<Model>> model =
      CreateModel(Spec("cnn", {28, 28}, 10));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(),
              AllOf(HasSubstr("cnn"), HasSubstr("[channels, height, width]"),
                    HasSubstr("[28, 28]")));
  model = CreateModel(Spec("cnn", {1, 3, 28}, 10));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CreateModelTest, RejectsUnknownKindAndBadSpecs) {
  absl::StatusOr<std::unique_ptr<Model>> model =
      CreateModel(Spec("resnet", {1, 28, 28}, 10));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(),
              AllOf(HasSubstr("resnet"), HasSubstr("mlp, cnn or torchscript")));

  model = CreateModel(Spec("mlp", {}, 10));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("input_shape is empty"));

  model = CreateModel(Spec("mlp", {1, 0, 28}, 10));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("[1, 0, 28]"));

  model = CreateModel(Spec("mlp", {4}, 0));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("num_classes is 0"));
}

TEST(BuiltinModelTest, SameSeedGivesIdenticalStateWhateverTheGlobalSeed) {
  for (const char* kind : {"mlp", "cnn"}) {
    SCOPED_TRACE(kind);
    torch::manual_seed(1);
    std::unique_ptr<Model> a = MustCreate(Spec(kind, {1, 28, 28}, 10, 42));
    torch::manual_seed(2);
    std::unique_ptr<Model> b = MustCreate(Spec(kind, {1, 28, 28}, 10, 42));
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(BitIdentical(ExtractState(*a), ExtractState(*b)));
  }
}

TEST(BuiltinModelTest, DifferentSeedGivesDifferentState) {
  for (const char* kind : {"mlp", "cnn"}) {
    SCOPED_TRACE(kind);
    ParameterSet a = ExtractState(*MustCreate(Spec(kind, {1, 28, 28}, 10, 1)));
    ParameterSet b = ExtractState(*MustCreate(Spec(kind, {1, 28, 28}, 10, 2)));
    ASSERT_TRUE(a.SameLayout(b));
    // Every tensor differs, not just one.
    for (size_t i = 0; i < a.num_tensors(); ++i) {
      EXPECT_NE(std::vector<float>(a.tensor(i).begin(), a.tensor(i).end()),
                std::vector<float>(b.tensor(i).begin(), b.tensor(i).end()))
          << a.specs()[i].name;
    }
  }
}

TEST(BuiltinModelTest, InitIsUniformWithinOneOverSqrtFanIn) {
  ParameterSet state =
      ExtractState(*MustCreate(Spec("cnn", {1, 28, 28}, 10, 7)));
  // conv1: fan_in 1·5·5; fc1: fan_in 3136.
  for (auto [index, fan_in] :
       {std::pair<size_t, double>{0, 25}, {1, 25}, {4, 3136}, {5, 3136}}) {
    SCOPED_TRACE(state.specs()[index].name);
    const double bound = 1.0 / std::sqrt(fan_in);
    float lo = 0, hi = 0;
    for (float v : state.tensor(index)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    EXPECT_GE(lo, -bound);
    EXPECT_LE(hi, bound);
    // 32 or more uniform draws come within 20% of both ends.
    EXPECT_LT(lo, -0.8 * bound);
    EXPECT_GT(hi, 0.8 * bound);
  }
}

TEST(StateTest, ExtractLoadRoundTripIsBitExact) {
  std::unique_ptr<Model> source = MustCreate(Spec("cnn", {1, 28, 28}, 10, 3));
  std::unique_ptr<Model> target = MustCreate(Spec("cnn", {1, 28, 28}, 10, 4));
  ParameterSet state = ExtractState(*source);
  ASSERT_FALSE(BitIdentical(state, ExtractState(*target)));
  ASSERT_TRUE(LoadState(state, *target).ok());
  EXPECT_TRUE(BitIdentical(state, ExtractState(*target)));
  torch::Tensor input = torch::rand({2, 1, 28, 28});
  EXPECT_TRUE(torch::equal(source->Forward(input), target->Forward(input)));
}

TEST(StateTest, LoadStateWithWrongLayoutFailsNamingTensorAndChangesNothing) {
  std::unique_ptr<Model> model = MustCreate(Spec("mlp", {1, 28, 28}, 10, 5));
  ParameterSet before = ExtractState(*model);

  // Different num_classes: the first mismatch is fc3.weight, after four
  // tensors that would fit.
  ParameterSet other = ExtractState(*MustCreate(Spec("mlp", {1, 28, 28}, 5)));
  absl::Status status = LoadState(other, *model);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("fc3.weight[5,200]"),
                                      HasSubstr("fc3.weight[10,200]")));
  EXPECT_TRUE(BitIdentical(before, ExtractState(*model)));

  // Too few tensors.
  std::vector<TensorSpec> specs(before.specs().begin(),
                                before.specs().end() - 1);
  absl::StatusOr<ParameterSet> shorter = ParameterSet::Zeros(specs);
  ASSERT_TRUE(shorter.ok());
  status = LoadState(*shorter, *model);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(BitIdentical(before, ExtractState(*model)));
}

TEST(InitialStateTest, EqualsExtractStateOfCreateModel) {
  for (const char* kind : {"mlp", "cnn"}) {
    SCOPED_TRACE(kind);
    ModelSpec spec = Spec(kind, {1, 28, 28}, 10, 11);
    absl::StatusOr<ParameterSet> initial = InitialState(spec);
    ASSERT_TRUE(initial.ok()) << initial.status();
    EXPECT_TRUE(BitIdentical(*initial, ExtractState(*MustCreate(spec))));
  }
  EXPECT_EQ(InitialState(Spec("nope", {1}, 2)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A TorchScript module built in C++, saved to a file: logits =
// head(flatten(x)) * scale + offset, with a trainable head (a child module,
// registered first), a frozen parameter, a float buffer and an int64 buffer.
std::string SaveScriptModule(const std::string& name, int64_t in_features,
                             int64_t num_classes, const std::string& forward) {
  torch::jit::Module head("Head");
  head.register_parameter(
      "weight",
      torch::arange(num_classes * in_features, torch::kFloat)
          .reshape({num_classes, in_features})
          .div(100.0)
          .set_requires_grad(true),
      /*is_buffer=*/false);
  head.register_parameter(
      "bias", torch::arange(num_classes, torch::kFloat).set_requires_grad(true),
      /*is_buffer=*/false);
  torch::jit::Module module("Scripted");
  module.register_module("head", head);
  module.register_parameter("offset", torch::full({1}, 0.5), false);
  module.register_buffer("scale", torch::full({1}, 2.0));
  module.register_buffer("steps", torch::tensor({7}, torch::kLong));
  module.define(forward);
  const std::string path = ::testing::TempDir() + "/" + name + ".pt";
  module.save(path);
  return path;
}

constexpr char kLinearForward[] = R"(
def forward(self, x):
    y = torch.matmul(torch.flatten(x, 1), self.head.weight.t()) + self.head.bias
    return y * self.scale + self.offset
)";

ModelSpec ScriptSpec(const std::string& path, std::vector<int64_t> input_shape,
                     int64_t num_classes) {
  ModelSpec spec = Spec("torchscript", std::move(input_shape), num_classes);
  spec.torchscript_path = path;
  return spec;
}

TEST(TorchScriptModelTest, LoadsParametersThenBuffersWithDottedNames) {
  const std::string path = SaveScriptModule("linear", 6, 3, kLinearForward);
  std::unique_ptr<Model> model = MustCreate(ScriptSpec(path, {2, 3}, 3));
  ASSERT_NE(model, nullptr);
  EXPECT_THAT(
      StateSpecs(*model),
      ElementsAre(TensorSpec{"head.weight", {3, 6}},
                  TensorSpec{"head.bias", {3}}, TensorSpec{"offset", {1}},
                  TensorSpec{"scale", {1}}, TensorSpec{"steps", {1}}));
  // "offset" does not require grad, so it is state but not trained.
  EXPECT_EQ(model->TrainableParameters().size(), 2u);

  // forward on ones: row c = (sum of weight row c + c) * 2 + 0.5.
  torch::Tensor logits = model->Forward(torch::ones({1, 2, 3}));
  ASSERT_EQ(logits.sizes().vec(), (std::vector<int64_t>{1, 3}));
  for (int64_t c = 0; c < 3; ++c) {
    double row_sum = 0;
    for (int64_t i = 0; i < 6; ++i) row_sum += (c * 6 + i) / 100.0;
    EXPECT_NEAR(logits[0][c].item<double>(), (row_sum + c) * 2 + 0.5, 1e-5);
  }
}

TEST(TorchScriptModelTest, SgdStepChangesOnlyParametersThatRequireGrad) {
  const std::string path = SaveScriptModule("trainable", 4, 2, kLinearForward);
  std::unique_ptr<Model> model = MustCreate(ScriptSpec(path, {4}, 2));
  ASSERT_NE(model, nullptr);
  const ParameterSet before = ExtractState(*model);
  model->SetTraining(true);
  torch::optim::SGD optimizer(model->TrainableParameters(),
                              torch::optim::SGDOptions(0.1));
  torch::Tensor loss = torch::nn::functional::cross_entropy(
      model->Forward(torch::ones({3, 4})), torch::tensor({0, 1, 1}));
  loss.backward();
  optimizer.step();
  const ParameterSet after = ExtractState(*model);
  ASSERT_TRUE(after.SameLayout(before));
  for (size_t i = 0; i < before.num_tensors(); ++i) {
    const std::string& name = before.specs()[i].name;
    const bool changed =
        std::vector<float>(before.tensor(i).begin(), before.tensor(i).end()) !=
        std::vector<float>(after.tensor(i).begin(), after.tensor(i).end());
    EXPECT_EQ(changed, name == "head.weight" || name == "head.bias") << name;
  }
}

TEST(TorchScriptModelTest, Int64BufferRoundTripsThroughFloat32) {
  const std::string path = SaveScriptModule("int_buffer", 4, 2, kLinearForward);
  std::unique_ptr<Model> model = MustCreate(ScriptSpec(path, {4}, 2));
  ASSERT_NE(model, nullptr);
  ParameterSet state = ExtractState(*model);
  ASSERT_EQ(state.specs()[4].name, "steps");
  EXPECT_EQ(state.tensor(4)[0], 7.0f);

  // An averaged value is rounded back to the nearest integer.
  state.mutable_tensor(4)[0] = 11.75f;
  state.mutable_tensor(3)[0] = 3.0f;  // scale
  ASSERT_TRUE(LoadState(state, *model).ok());
  torch::Tensor steps = model->NamedState()[4].second;
  EXPECT_EQ(steps.scalar_type(), torch::kLong);
  EXPECT_EQ(steps.item<int64_t>(), 12);
  ParameterSet again = ExtractState(*model);
  EXPECT_EQ(again.tensor(4)[0], 12.0f);
  EXPECT_EQ(again.tensor(3)[0], 3.0f);
}

TEST(TorchScriptModelTest, InitialStateIsTheSavedState) {
  const std::string path = SaveScriptModule("initial", 4, 2, kLinearForward);
  absl::StatusOr<ParameterSet> state = InitialState(ScriptSpec(path, {4}, 2));
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->num_tensors(), 5u);
  EXPECT_THAT(
      std::vector<float>(state->tensor(0).begin(), state->tensor(0).end()),
      ElementsAre(FloatEq(0.0f), FloatEq(0.01f), FloatEq(0.02f), FloatEq(0.03f),
                  FloatEq(0.04f), FloatEq(0.05f), FloatEq(0.06f),
                  FloatEq(0.07f)));
  EXPECT_EQ(state->tensor(3)[0], 2.0f);
}

TEST(TorchScriptModelTest, WrongOutputShapeIsRejectedWithTheSignature) {
  // 3 logits where the spec says 10 classes.
  const std::string path = SaveScriptModule("three", 4, 3, kLinearForward);
  absl::StatusOr<std::unique_ptr<Model>> model =
      CreateModel(ScriptSpec(path, {4}, 10));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(),
              AllOf(HasSubstr(path), HasSubstr("returned"),
                    HasSubstr("of shape [1, 3]"), HasSubstr("[1, 10]"),
                    HasSubstr("num_classes")));
}

TEST(TorchScriptModelTest, ForwardFailingOnTheInputShapeIsRejected) {
  // The module wants 4 features; the spec gives 5.
  const std::string path = SaveScriptModule("five", 4, 2, kLinearForward);
  absl::StatusOr<std::unique_ptr<Model>> model =
      CreateModel(ScriptSpec(path, {5}, 2));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(),
              AllOf(HasSubstr(path), HasSubstr("failed on a zero input"),
                    HasSubstr("[1, 5]")));
}

TEST(TorchScriptModelTest, NonTensorOutputIsRejected) {
  const std::string path = SaveScriptModule("tuple", 4, 2, R"(
def forward(self, x):
    return (x, x)
)");
  absl::StatusOr<std::unique_ptr<Model>> model =
      CreateModel(ScriptSpec(path, {4}, 2));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("forward(x) must"));
}

TEST(TorchScriptModelTest, MissingFileIsNotFoundNamingIt) {
  const std::string path = ::testing::TempDir() + "/no_such_model.pt";
  absl::StatusOr<std::unique_ptr<Model>> model =
      CreateModel(ScriptSpec(path, {4}, 2));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(model.status().message(), HasSubstr(path));

  model = CreateModel(ScriptSpec("", {4}, 2));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("torchscript_path"));
}

TEST(TorchScriptModelTest, FileThatIsNotTorchScriptIsInvalidArgument) {
  const std::string path = ::testing::TempDir() + "/not_a_model.pt";
  std::ofstream(path) << "this is not a zip archive";
  absl::StatusOr<std::unique_ptr<Model>> model =
      CreateModel(ScriptSpec(path, {4}, 2));
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(),
              AllOf(HasSubstr(path), HasSubstr("TorchScript")));
}

}  // namespace
}  // namespace fedge::models
