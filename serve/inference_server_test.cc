#include "serve/inference_server.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/models/initial_state.h"
#include "common/tensor/serialization.h"
#include "common/testing/http_client.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "fedge/v1/inference.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace fedge::serve {
namespace {

using ::fedge::testing::HttpBody;
using ::fedge::testing::HttpRequest;
using ::testing::HasSubstr;

models::ModelSpec Spec() {
  models::ModelSpec spec;
  spec.kind = "mlp";
  spec.input_shape = {1, 28, 28};
  spec.num_classes = 10;
  spec.init_seed = 2;
  return spec;
}

// Writes round `round`'s checkpoint into `dir`: the initial mlp with its
// values scaled by `round`, so every round predicts differently.
void WriteCheckpoint(const std::string& dir, int round) {
  tensor::ParameterSet state = *models::InitialState(Spec());
  for (float& v : state.mutable_values()) v *= static_cast<float>(round);
  ASSERT_TRUE(
      util::WriteFileAtomically(
          util::JoinPath(dir, absl::StrFormat("round-%06d.fedge", round)),
          tensor::Serialize(state))
          .ok());
}

std::string JsonRequest(int instances) {
  std::string values;
  for (int j = 0; j < 784; ++j) {
    absl::StrAppend(&values, j == 0 ? "" : ",", (j % 13) * 0.05);
  }
  std::string body = "{\"instances\":[";
  for (int i = 0; i < instances; ++i) {
    absl::StrAppend(&body, i == 0 ? "" : ",", "{\"values\":[", values, "]}");
  }
  return body + "]}";
}

std::unique_ptr<InferenceServer> Start(
    const std::string& path, absl::Duration wait = absl::ZeroDuration()) {
  InferenceServerOptions options;
  options.spec = Spec();
  options.model_path = path;
  options.http_address = "127.0.0.1:0";
  options.grpc_address = "127.0.0.1:0";
  options.poll_interval = absl::Milliseconds(50);
  options.wait_for_model = wait;
  auto server = InferenceServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

TEST(InferenceServerTest, AnswersOverHttpAndGrpcWithTheNewestCheckpoint) {
  const std::string dir = fedge::testing::MakeTempDir("serve");
  WriteCheckpoint(dir, 1);
  WriteCheckpoint(dir, 3);
  auto server = Start(dir);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->current()->version(), 3u);

  std::string response =
      HttpRequest(server->http_port(), "POST", "/v1/predict", JsonRequest(2));
  ASSERT_THAT(response, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(response, HasSubstr("application/json"));
  v1::PredictResponse http;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(HttpBody(response), &http)
          .ok())
      << response;
  EXPECT_EQ(http.model_version(), 3u);
  ASSERT_EQ(http.predictions_size(), 2);
  EXPECT_EQ(http.predictions(0).probabilities_size(), 10);

  // gRPC gives the same answer for the same request.
  v1::PredictRequest request;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(JsonRequest(2), &request)
          .ok());
  auto stub = v1::Inference::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server->grpc_port()),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::PredictResponse rpc;
  ASSERT_TRUE(stub->Predict(&context, request, &rpc).ok());
  EXPECT_EQ(rpc.model_version(), 3u);
  EXPECT_EQ(rpc.predictions(1).label(), http.predictions(1).label());
  EXPECT_FLOAT_EQ(rpc.predictions(1).probabilities(4),
                  http.predictions(1).probabilities(4));

  // Bad requests: a clear 400, over HTTP, and INVALID_ARGUMENT over gRPC.
  response = HttpRequest(server->http_port(), "POST", "/v1/predict", "[1,2");
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(response, HasSubstr("the body is not a PredictRequest in JSON"));
  response = HttpRequest(server->http_port(), "POST", "/v1/predict",
                         "{\"instances\":[{\"values\":[1,2,3]}]}");
  EXPECT_THAT(response, HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(response, HasSubstr("instance 0 has 3 values"));
  grpc::ClientContext bad_context;
  EXPECT_EQ(
      stub->Predict(&bad_context, v1::PredictRequest(), &rpc).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  // Metrics count both transports and their outcomes, with latency.
  const std::string metrics =
      fedge::testing::HttpGet(server->http_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("fedge_serve_model_version 3"));
  EXPECT_THAT(metrics, HasSubstr("fedge_serve_requests_total{code=\"OK\","
                                 "transport=\"http\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("fedge_serve_requests_total{code=\"OK\","
                                 "transport=\"grpc\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("fedge_serve_request_seconds_bucket"));
  EXPECT_THAT(fedge::testing::HttpGet(server->http_port(), "/healthz"),
              HasSubstr("ok"));
  server->Shutdown();
}

// New checkpoints arrive while four threads keep asking: every request is
// answered, by one model or the next, never by an older one than before.
TEST(InferenceServerTest, SwapsModelsWithoutFailingARequest) {
  const std::string dir = fedge::testing::MakeTempDir("serve-swap");
  WriteCheckpoint(dir, 1);
  auto server = Start(dir);
  ASSERT_NE(server, nullptr);
  const std::string body = JsonRequest(1);
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0}, went_back{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      uint64_t newest = 0;
      while (!stop.load()) {
        const std::string response =
            HttpRequest(server->http_port(), "POST", "/v1/predict", body);
        v1::PredictResponse parsed;
        if (response.find("HTTP/1.1 200") != 0 ||
            !google::protobuf::util::JsonStringToMessage(HttpBody(response),
                                                         &parsed)
                 .ok()) {
          ++failed;
          continue;
        }
        if (parsed.model_version() < newest) ++went_back;
        newest = parsed.model_version();
        ++answered;
      }
    });
  }
  for (int round = 2; round <= 6; ++round) {
    absl::SleepFor(absl::Milliseconds(150));
    WriteCheckpoint(dir, round);
  }
  // Wait for the poller to pick up the last one.
  for (int i = 0; i < 100 && server->current()->version() != 6; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(100));
  stop.store(true);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(server->current()->version(), 6u);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(went_back.load(), 0);
  EXPECT_GT(answered.load(), 20);
  EXPECT_THAT(fedge::testing::HttpGet(server->http_port(), "/metrics"),
              HasSubstr("fedge_serve_model_swaps_total 5"));
  server->Shutdown();
}

// A client's state directory: the model it keeps, once it has one.
TEST(InferenceServerTest, ServesAClientsModelOnceItArrives) {
  const std::string dir = fedge::testing::MakeTempDir("serve-client");
  std::thread writer([&] {
    absl::SleepFor(absl::Milliseconds(300));
    tensor::ParameterSet state = *models::InitialState(Spec());
    ASSERT_TRUE(
        util::WriteFileAtomically(util::JoinPath(dir, "global_model.fedge"),
                                  tensor::Serialize(state))
            .ok());
    ASSERT_TRUE(util::WriteFileAtomically(
                    util::JoinPath(dir, "global_model.version"), "12")
                    .ok());
  });
  auto server = Start(dir, absl::Seconds(10));
  writer.join();
  ASSERT_NE(server, nullptr);
  for (int i = 0; i < 100 && server->current()->version() != 12; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(server->current()->version(), 12u);
  server->Shutdown();

  // Without waiting, an empty directory is a clear NotFound.
  InferenceServerOptions options;
  options.spec = Spec();
  options.model_path = fedge::testing::MakeTempDir("serve-empty");
  options.http_address = "127.0.0.1:0";
  auto empty = InferenceServer::Start(options);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(empty.status().message(), HasSubstr("holds no model yet"));

  // A model of another architecture than the flags describe.
  options.model_path = dir;
  options.spec.kind = "cnn";
  auto mismatched = InferenceServer::Start(options);
  EXPECT_EQ(mismatched.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(mismatched.status().message(),
              HasSubstr("does not fit the model described by --kind"));
}

}  // namespace
}  // namespace fedge::serve
