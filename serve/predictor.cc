#include "serve/predictor.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/models/model.h"
#include "common/util/status_macros.h"

namespace fedge::serve {

absl::StatusOr<std::unique_ptr<Predictor>> Predictor::Create(
    const models::ModelSpec& spec, const tensor::ParameterSet& state,
    uint64_t version, std::string sha256_hex) {
  FEDGE_ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model,
                         models::CreateModel(spec));
  FEDGE_RETURN_IF_ERROR(models::LoadState(state, *model));
  model->SetTraining(false);
  return std::unique_ptr<Predictor>(
      new Predictor(spec, std::move(model), version, std::move(sha256_hex)));
}

Predictor::Predictor(const models::ModelSpec& spec,
                     std::unique_ptr<models::Model> model, uint64_t version,
                     std::string sha256_hex)
    : spec_(spec),
      version_(version),
      sha256_hex_(std::move(sha256_hex)),
      model_(std::move(model)) {
  for (int64_t d : spec_.input_shape) input_size_ *= d;
}

Predictor::~Predictor() = default;

absl::StatusOr<v1::PredictResponse> Predictor::Predict(
    const v1::PredictRequest& request) const {
  const int n = request.instances_size();
  if (n == 0 || n > kMaxInstances) {
    return absl::InvalidArgumentError(
        absl::StrCat("a request holds 1 to ", kMaxInstances,
                     " instances; this one holds ", n));
  }
  std::vector<float> batch;
  batch.reserve(static_cast<size_t>(n) * input_size_);
  for (int i = 0; i < n; ++i) {
    const auto& values = request.instances(i).values();
    if (values.size() != input_size_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "instance ", i, " has ", values.size(), " values; the model takes ",
          input_size_, " (its input shape flattened row-major)"));
    }
    for (float v : values) {
      if (!std::isfinite(v)) {
        return absl::InvalidArgumentError(
            absl::StrCat("instance ", i, " holds a value that is not finite"));
      }
    }
    batch.insert(batch.end(), values.begin(), values.end());
  }
  std::vector<int64_t> shape = {n};
  shape.insert(shape.end(), spec_.input_shape.begin(), spec_.input_shape.end());
  torch::Tensor probabilities;
  try {
    torch::InferenceMode inference;
    torch::Tensor input =
        torch::from_blob(batch.data(), shape, torch::kFloat32);
    absl::MutexLock lock(&mu_);
    probabilities = torch::softmax(model_->Forward(input), /*dim=*/1)
                        .to(torch::kFloat32)
                        .contiguous();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("the model failed: ", e.what()));
  }
  const int64_t classes = probabilities.size(1);
  const float* p = probabilities.data_ptr<float>();
  v1::PredictResponse response;
  response.set_model_version(version_);
  response.set_model_sha256(sha256_hex_);
  for (int i = 0; i < n; ++i) {
    v1::Prediction* prediction = response.add_predictions();
    const float* row = p + static_cast<int64_t>(i) * classes;
    int64_t best = 0;
    for (int64_t c = 0; c < classes; ++c) {
      prediction->add_probabilities(row[c]);
      if (row[c] > row[best]) best = c;
    }
    prediction->set_label(static_cast<uint32_t>(best));
  }
  return response;
}

}  // namespace fedge::serve
