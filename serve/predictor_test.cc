#include "serve/predictor.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/models/initial_state.h"
#include "common/models/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::serve {
namespace {

using ::testing::HasSubstr;

models::ModelSpec MlpSpec() {
  models::ModelSpec spec;
  spec.kind = "mlp";
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.init_seed = 5;
  return spec;
}

v1::PredictRequest Request(int instances, int size, float value) {
  v1::PredictRequest request;
  for (int i = 0; i < instances; ++i) {
    v1::Instance* instance = request.add_instances();
    for (int j = 0; j < size; ++j) {
      instance->add_values(value * static_cast<float>((i + 1) * (j % 7)));
    }
  }
  return request;
}

TEST(PredictorTest, AnswersWhatTheModelComputes) {
  const models::ModelSpec spec = MlpSpec();
  auto state = models::InitialState(spec);
  ASSERT_TRUE(state.ok()) << state.status();
  auto predictor = Predictor::Create(spec, *state, 7, "abcd");
  ASSERT_TRUE(predictor.ok()) << predictor.status();
  const v1::PredictRequest request = Request(3, 784, 0.01f);
  auto response = (*predictor)->Predict(request);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->model_version(), 7u);
  EXPECT_EQ(response->model_sha256(), "abcd");
  ASSERT_EQ(response->predictions_size(), 3);

  // The same model, run here directly.
  auto model = models::CreateModel(spec);
  ASSERT_TRUE(model.ok());
  ASSERT_TRUE(models::LoadState(*state, **model).ok());
  (*model)->SetTraining(false);
  std::vector<float> batch;
  for (const auto& instance : request.instances()) {
    batch.insert(batch.end(), instance.values().begin(),
                 instance.values().end());
  }
  torch::NoGradGuard no_grad;
  torch::Tensor expected = torch::softmax(
      (*model)->Forward(torch::from_blob(batch.data(), {3, 1, 28, 28})), 1);
  for (int i = 0; i < 3; ++i) {
    const v1::Prediction& p = response->predictions(i);
    ASSERT_EQ(p.probabilities_size(), 10);
    double total = 0;
    for (int c = 0; c < 10; ++c) {
      EXPECT_NEAR(p.probabilities(c), expected[i][c].item<float>(), 1e-6);
      total += p.probabilities(c);
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
    EXPECT_EQ(p.label(), expected[i].argmax().item<int64_t>());
  }
}

TEST(PredictorTest, BadRequestsSayWhatIsWrong) {
  const models::ModelSpec spec = MlpSpec();
  auto predictor = Predictor::Create(spec, *models::InitialState(spec), 1, "");
  ASSERT_TRUE(predictor.ok());
  auto none = (*predictor)->Predict(v1::PredictRequest());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(none.status().message(), HasSubstr("this one holds 0"));
  auto short_instance = (*predictor)->Predict(Request(2, 783, 1));
  EXPECT_THAT(short_instance.status().message(),
              HasSubstr("instance 0 has 783 values; the model takes 784"));
  v1::PredictRequest nan = Request(1, 784, 1);
  nan.mutable_instances(0)->set_values(5, std::nanf(""));
  EXPECT_THAT((*predictor)->Predict(nan).status().message(),
              HasSubstr("instance 0 holds a value that is not finite"));
  EXPECT_EQ((*predictor)
                ->Predict(Request(Predictor::kMaxInstances + 1, 784, 1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PredictorTest, AStateOfAnotherModelIsRefused) {
  models::ModelSpec cnn = MlpSpec();
  cnn.kind = "cnn";
  auto predictor =
      Predictor::Create(cnn, *models::InitialState(MlpSpec()), 1, "");
  EXPECT_EQ(predictor.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fedge::serve
