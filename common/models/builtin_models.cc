#include "common/models/builtin_models.h"

#include <ATen/CPUGeneratorImpl.h>
#include <dlfcn.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/models/data_check.h"
#include "common/models/model.h"
#include "common/models/torch_status.h"

namespace fedge::models {
namespace {

constexpr int64_t kMlpHidden = 200;
constexpr int64_t kCnnConv1Channels = 32;
constexpr int64_t kCnnConv2Channels = 64;
constexpr int64_t kCnnKernel = 5;
constexpr int64_t kCnnPadding = 2;
constexpr int64_t kCnnHidden = 512;
constexpr int64_t kCnnMinSide = 4;  // two 2×2 poolings

// LibTorch picks oneDNN for a 1×1 convolution from this batch size on (with
// one thread; with more, from 2); below it, its own slower kernel.
constexpr int64_t kOneDnnMinBatch = 16;

// True if sgemm_ comes from the reference (netlib) BLAS. Debian's LibTorch is
// built against the generic BLAS interface and, unless an optimised BLAS
// (OpenBLAS, BLIS) is installed as the libblas.so.3 alternative, runs
// torch::linear on the reference one at ~2.5 GFLOP/s. Decided once per
// process, from the library's resolved path (…/blas/libblas.so.3).
bool UsesReferenceBlas() {
  static const bool reference = [] {
    void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
    Dl_info info;
    if (sgemm == nullptr || dladdr(sgemm, &info) == 0 ||
        info.dli_fname == nullptr) {
      return false;
    }
    std::error_code error;
    const std::filesystem::path path =
        std::filesystem::canonical(info.dli_fname, error);
    return !error && path.parent_path().filename() == "blas";
  }();
  return reference;
}

// layer(x) for x [batch, in]. On the reference BLAS, a batch of
// kOneDnnMinBatch or more is computed as a 1×1 convolution, which LibTorch
// runs (forward and backward) through oneDNN: 3–7× faster for fedge's layer
// sizes on one thread. Same parameters, same result up to float rounding.
torch::Tensor Dense(const torch::nn::Linear& layer, const torch::Tensor& x) {
  const int64_t batch = x.size(0);
  if (batch < kOneDnnMinBatch || !UsesReferenceBlas()) {
    return torch::linear(x, layer->weight, layer->bias);
  }
  const torch::Tensor& weight = layer->weight;
  return torch::conv2d(x.reshape({batch, x.size(1), 1, 1}),
                       weight.view({weight.size(0), weight.size(1), 1, 1}),
                       layer->bias)
      .view({batch, weight.size(0)});
}

// Fills `weight` and `bias` from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in
// being the inputs feeding one output unit (in_features, or in_channels ×
// kernel area).
void InitLayer(torch::Tensor& weight, torch::Tensor& bias,
               at::Generator& generator) {
  const int64_t fan_in = weight.numel() / weight.size(0);
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  weight.uniform_(-bound, bound, generator);
  bias.uniform_(-bound, bound, generator);
}

class MlpNet : public torch::nn::Module {
 public:
  MlpNet(int64_t in_features, int64_t num_classes)
      : fc1_(
            register_module("fc1", torch::nn::Linear(in_features, kMlpHidden))),
        fc2_(register_module("fc2", torch::nn::Linear(kMlpHidden, kMlpHidden))),
        fc3_(register_module("fc3",
                             torch::nn::Linear(kMlpHidden, num_classes))) {}

  void Init(at::Generator& generator) {
    InitLayer(fc1_->weight, fc1_->bias, generator);
    InitLayer(fc2_->weight, fc2_->bias, generator);
    InitLayer(fc3_->weight, fc3_->bias, generator);
  }

  torch::Tensor forward(const torch::Tensor& input) {
    torch::Tensor x = input.flatten(1);
    x = torch::relu(Dense(fc1_, x));
    x = torch::relu(Dense(fc2_, x));
    return Dense(fc3_, x);
  }

 private:
  torch::nn::Linear fc1_;
  torch::nn::Linear fc2_;
  torch::nn::Linear fc3_;
};

torch::nn::Conv2dOptions CnnConv(int64_t in_channels, int64_t out_channels) {
  return torch::nn::Conv2dOptions(in_channels, out_channels, kCnnKernel)
      .padding(kCnnPadding);
}

class CnnNet : public torch::nn::Module {
 public:
  CnnNet(int64_t channels, int64_t height, int64_t width, int64_t num_classes)
      : conv1_(register_module(
            "conv1", torch::nn::Conv2d(CnnConv(channels, kCnnConv1Channels)))),
        conv2_(register_module(
            "conv2",
            torch::nn::Conv2d(CnnConv(kCnnConv1Channels, kCnnConv2Channels)))),
        fc1_(register_module(
            "fc1",
            torch::nn::Linear(kCnnConv2Channels * (height / 4) * (width / 4),
                              kCnnHidden))),
        fc2_(register_module("fc2",
                             torch::nn::Linear(kCnnHidden, num_classes))) {}

  void Init(at::Generator& generator) {
    InitLayer(conv1_->weight, conv1_->bias, generator);
    InitLayer(conv2_->weight, conv2_->bias, generator);
    InitLayer(fc1_->weight, fc1_->bias, generator);
    InitLayer(fc2_->weight, fc2_->bias, generator);
  }

  // Pooling before the ReLU gives the same values and gradients as ReLU then
  // pooling (ReLU is monotone) on a quarter of the elements.
  torch::Tensor forward(const torch::Tensor& input) {
    torch::Tensor x = torch::relu(torch::max_pool2d(conv1_->forward(input), 2));
    x = torch::relu(torch::max_pool2d(conv2_->forward(x), 2));
    x = torch::relu(Dense(fc1_, x.flatten(1)));
    return Dense(fc2_, x);
  }

 private:
  torch::nn::Conv2d conv1_;
  torch::nn::Conv2d conv2_;
  torch::nn::Linear fc1_;
  torch::nn::Linear fc2_;
};

// Adapts a torch::nn::Module with forward(Tensor) to Model. Every parameter
// of the built-in nets is trainable.
template <typename Net>
class BuiltinModel : public Model {
 public:
  explicit BuiltinModel(std::shared_ptr<Net> net) : net_(std::move(net)) {}

  torch::Tensor Forward(const torch::Tensor& input) override {
    return net_->forward(input);
  }

  std::vector<torch::Tensor> TrainableParameters() override {
    return net_->parameters(/*recurse=*/true);
  }

  void SetTraining(bool training) override { net_->train(training); }

  std::vector<std::pair<std::string, torch::Tensor>> NamedState() override {
    std::vector<std::pair<std::string, torch::Tensor>> state;
    for (const auto& item : net_->named_parameters(/*recurse=*/true)) {
      state.emplace_back(item.key(), item.value());
    }
    for (const auto& item : net_->named_buffers(/*recurse=*/true)) {
      state.emplace_back(item.key(), item.value());
    }
    return state;
  }

 private:
  std::shared_ptr<Net> net_;
};

template <typename Net>
std::unique_ptr<Model> Initialised(std::shared_ptr<Net> net, uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  {
    torch::NoGradGuard no_grad;
    net->Init(generator);
  }
  return std::make_unique<BuiltinModel<Net>>(std::move(net));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> CreateBuiltinModel(
    const ModelSpec& spec) {
  const std::vector<int64_t>& shape = spec.input_shape;
  if (spec.kind == "cnn" &&
      (shape.size() != 3 || shape[1] < kCnnMinSide || shape[2] < kCnnMinSide)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model kind cnn needs input_shape [channels, height, width] with "
        "height and width at least ",
        kCnnMinSide, "; got ", ShapeString(shape),
        " (use kind mlp for flat inputs)"));
  }
  try {
    if (spec.kind == "mlp") {
      int64_t in_features = 1;
      for (int64_t d : shape) in_features *= d;
      return Initialised(
          std::make_shared<MlpNet>(in_features, spec.num_classes),
          spec.init_seed);
    }
    if (spec.kind == "cnn") {
      return Initialised(std::make_shared<CnnNet>(shape[0], shape[1], shape[2],
                                                  spec.num_classes),
                         spec.init_seed);
    }
  } catch (const std::exception& e) {
    return StatusFromException(
        absl::StatusCode::kInternal,
        absl::StrCat("building the ", spec.kind, " model"), e);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", spec.kind, "\" is not a built-in model kind"));
}

}  // namespace fedge::models
