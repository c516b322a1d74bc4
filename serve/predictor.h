#ifndef FEDGE_SERVE_PREDICTOR_H_
#define FEDGE_SERVE_PREDICTOR_H_

// One global model, ready to answer predictions. Immutable once made:
// hot swapping replaces the whole Predictor, so a request always sees one
// model from start to end.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/models/model_spec.h"
#include "common/tensor/parameter_set.h"
#include "fedge/v1/inference.pb.h"

namespace fedge::models {
class Model;
}

namespace fedge::serve {

class Predictor {
 public:
  // The model `spec` describes with `state` loaded, in evaluation mode.
  // InvalidArgument if the state does not fit the architecture.
  static absl::StatusOr<std::unique_ptr<Predictor>> Create(
      const models::ModelSpec& spec, const tensor::ParameterSet& state,
      uint64_t version, std::string sha256_hex);
  ~Predictor();

  // At most this many instances per request.
  static constexpr int kMaxInstances = 1024;

  // Class probabilities for each instance. InvalidArgument, naming the
  // instance, if there are none or more than kMaxInstances, an instance does
  // not have the input shape's number of values, or a value is not finite.
  // Thread-safe.
  absl::StatusOr<v1::PredictResponse> Predict(
      const v1::PredictRequest& request) const;

  uint64_t version() const { return version_; }
  const std::string& sha256_hex() const { return sha256_hex_; }
  int64_t input_size() const { return input_size_; }

 private:
  Predictor(const models::ModelSpec& spec, std::unique_ptr<models::Model> model,
            uint64_t version, std::string sha256_hex);

  models::ModelSpec spec_;
  int64_t input_size_ = 1;
  uint64_t version_;
  std::string sha256_hex_;
  // LibTorch modules are not safe to run from two threads at once.
  mutable absl::Mutex mu_;
  std::unique_ptr<models::Model> model_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::serve

#endif  // FEDGE_SERVE_PREDICTOR_H_
