// Inference at the edge: the `cnn` answering predictions with LibTorch on one
// intra-op thread (run the program under `taskset -c 0` for one core in
// all). Three ways in, each against the same model:
//   BM_Forward/batch:B   the model's forward pass and softmax alone, the
//                        limit the others are compared with
//   BM_Http/batch:B      POST /v1/predict with JSON, one request per
//                        connection, as a device's app would send it
//   BM_Grpc/batch:B      the Inference/Predict call on one channel
// Each reports p50 and p99 latency (ms) over its requests and the
// predictions answered per second.

#include <benchmark/benchmark.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/models/initial_state.h"
#include "common/models/torch_threads.h"
#include "common/tensor/serialization.h"
#include "common/testing/http_client.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "fedge/v1/inference.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "serve/inference_server.h"

namespace fedge::bench {
namespace {

models::ModelSpec CnnSpec() {
  models::ModelSpec spec;
  spec.kind = "cnn";
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  return spec;
}

v1::PredictRequest Request(int batch) {
  v1::PredictRequest request;
  for (int i = 0; i < batch; ++i) {
    v1::Instance* instance = request.add_instances();
    for (int j = 0; j < 784; ++j) {
      instance->add_values(static_cast<float>((i + j) % 17) / 17.0f);
    }
  }
  return request;
}

// One server for all benchmarks, serving the initial cnn.
serve::InferenceServer& Server() {
  static serve::InferenceServer* server = [] {
    models::SetTorchThreads(1);
    const std::string dir = testing::MakeTempDir("serve-bench");
    util::WriteFileAtomically(
        util::JoinPath(dir, "round-000001.fedge"),
        tensor::Serialize(*models::InitialState(CnnSpec())))
        .IgnoreError();
    serve::InferenceServerOptions options;
    options.spec = CnnSpec();
    options.model_path = dir;
    options.http_address = "127.0.0.1:0";
    options.grpc_address = "127.0.0.1:0";
    return serve::InferenceServer::Start(options)->release();
  }();
  return *server;
}

void Report(benchmark::State& state, std::vector<double> seconds, int batch) {
  std::sort(seconds.begin(), seconds.end());
  auto at = [&](double q) {
    return seconds[static_cast<size_t>(q * (seconds.size() - 1))];
  };
  state.counters["p50_ms"] = 1e3 * at(0.5);
  state.counters["p99_ms"] = 1e3 * at(0.99);
  state.counters["predictions_per_s"] = benchmark::Counter(
      static_cast<double>(seconds.size()) * batch, benchmark::Counter::kIsRate);
}

template <typename Call>
void Measure(benchmark::State& state, Call call) {
  std::vector<double> seconds;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    if (!call()) {
      state.SkipWithError("request failed");
      return;
    }
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  Report(state, std::move(seconds), static_cast<int>(state.range(0)));
}

void BM_Forward(benchmark::State& state) {
  const v1::PredictRequest request = Request(static_cast<int>(state.range(0)));
  std::shared_ptr<const serve::Predictor> predictor = Server().current();
  Measure(state, [&] { return predictor->Predict(request).ok(); });
}

void BM_Http(benchmark::State& state) {
  std::string body;
  if (!google::protobuf::util::MessageToJsonString(
           Request(static_cast<int>(state.range(0))), &body)
           .ok()) {
    state.SkipWithError("cannot encode the request");
    return;
  }
  const int port = Server().http_port();
  Measure(state, [&] {
    return testing::HttpRequest(port, "POST", "/v1/predict", body)
               .rfind("HTTP/1.1 200", 0) == 0;
  });
}

void BM_Grpc(benchmark::State& state) {
  const v1::PredictRequest request = Request(static_cast<int>(state.range(0)));
  auto stub = v1::Inference::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", Server().grpc_port()),
                          grpc::InsecureChannelCredentials()));
  Measure(state, [&] {
    grpc::ClientContext context;
    v1::PredictResponse response;
    return stub->Predict(&context, request, &response).ok();
  });
}

BENCHMARK(BM_Forward)->ArgName("batch")->Arg(1)->Arg(32)->UseRealTime();
BENCHMARK(BM_Http)->ArgName("batch")->Arg(1)->Arg(32)->UseRealTime();
BENCHMARK(BM_Grpc)->ArgName("batch")->Arg(1)->Arg(32)->UseRealTime();

}  // namespace
}  // namespace fedge::bench

BENCHMARK_MAIN();
