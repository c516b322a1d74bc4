// `fedge client --serve`: a real server and an edge client that trains and
// serves the global model it holds (serve::ClientModelServer hooked into the
// client as the CLI does), over loopback with mutual TLS. Requests fired all
// through the run must all succeed, the served model must follow each new
// global model, and after the run it must be the last committed round's.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/crypto/sha256.h"
#include "common/models/model.h"
#include "common/testing/http_client.h"
#include "common/util/file_util.h"
#include "fedge/v1/inference.grpc.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "serve/client_model_server.h"
#include "server/global_model.h"
#include "tests/test_federation.h"

namespace fedge::testing {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kRounds = 2;
// Answers each model version must give before the test moves on.
constexpr int kAnswersPerVersion = 20;

std::unique_ptr<server::FederationServer> StartServer(
    config::ServerConfig config) {
  server::ServerOptions options;
  options.config = std::move(config);
  options.show_progress = false;
  auto server = server::FederationServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

v1::PredictRequest Request(const data::Dataset& data, size_t offset, size_t n) {
  v1::PredictRequest request;
  for (size_t i = offset; i < offset + n; ++i) {
    absl::Span<const float> example = data.example(i);
    request.add_instances()->mutable_values()->Add(example.begin(),
                                                   example.end());
  }
  return request;
}

// What the requests fired during the run got back.
struct Answers {
  absl::Mutex mu;
  std::map<uint64_t, int> by_version ABSL_GUARDED_BY(mu);
  int failed ABSL_GUARDED_BY(mu) = 0;
  int went_back ABSL_GUARDED_BY(mu) = 0;
  std::string first_failure ABSL_GUARDED_BY(mu);

  void Record(bool ok, uint64_t version, uint64_t* newest,
              const std::string& failure) {
    absl::MutexLock lock(&mu);
    if (!ok) {
      if (failed++ == 0) first_failure = failure;
      return;
    }
    if (version < *newest) ++went_back;
    *newest = version;
    ++by_version[version];
  }
  // Waits until `version` has answered kAnswersPerVersion requests.
  bool AwaitVersion(uint64_t version, absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    auto enough = [this, version]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return by_version[version] >= kAnswersPerVersion || failed > 0;
    };
    return mu.AwaitWithTimeout(absl::Condition(&enough), timeout) &&
           failed == 0;
  }
};

// One edge client, two rounds: the client serves from its first download,
// swaps at every new global model, and ends on the final one.
TEST(ClientServeTest, ServesEachNewGlobalModelWithoutAFailedRequest) {
  TestPki pki = MakePki({"edge-1"});
  const std::string run_dir = MakeTempDir("fedge_serve_run");
  const std::string state_dir = MakeTempDir("fedge_serve_state");
  auto server = StartServer(SmallServerConfig(pki, run_dir, kRounds, 1));
  ASSERT_NE(server, nullptr);

  serve::ClientModelServerOptions serve_options;
  serve_options.state_dir = state_dir;
  serve_options.http_address = "127.0.0.1:0";
  serve_options.grpc_address = "127.0.0.1:0";
  // Longer than the test: every swap must come from the client's own call.
  serve_options.poll_interval = absl::Hours(1);
  auto created = serve::ClientModelServer::Create(serve_options);
  ASSERT_TRUE(created.ok()) << created.status();
  serve::ClientModelServer& serving = **created;

  Answers answers;
  absl::Notification serving_started;
  absl::Mutex stored_mu;
  std::vector<uint64_t> stored;
  std::atomic<int> trainings{0};
  ClientThread client(
      pki, "edge-1", server->port(), Slice(FashionMnistTest(), 0, 300),
      [&](client::EdgeClientOptions& options) {
        options.state_dir = state_dir;
        options.fetch_final_model = true;
        options.on_joined = [&](const models::ModelSpec& spec) {
          EXPECT_TRUE(serving.SetSpec(spec).ok());
        };
        options.on_model_stored = [&](uint64_t version) {
          EXPECT_TRUE(serving.ModelStored().ok());
          {
            absl::MutexLock lock(&stored_mu);
            stored.push_back(version);
          }
          if (serving.current() != nullptr &&
              !serving_started.HasBeenNotified()) {
            serving_started.Notify();
          }
        };
      },
      // Round r trains on model r-1: let that model answer requests first,
      // so every swap happens while requests are being fired.
      [&]() -> absl::Status {
        const uint64_t model = static_cast<uint64_t>(trainings++);
        if (!answers.AwaitVersion(model, absl::Seconds(30))) {
          return absl::InternalError("the served model did not answer");
        }
        return absl::OkStatus();
      });
  client.Start();
  ASSERT_TRUE(serving_started.WaitForNotificationWithTimeout(absl::Seconds(60)))
      << "the client never started serving";
  const int http_port = serving.http_port();
  const int grpc_port = serving.grpc_port();
  ASSERT_NE(http_port, 0);
  ASSERT_NE(grpc_port, 0);

  const data::Dataset& test = FashionMnistTest();
  std::string body;
  ASSERT_TRUE(
      google::protobuf::util::MessageToJsonString(Request(test, 1000, 2), &body)
          .ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  for (int t = 0; t < 3; ++t) {
    load.emplace_back([&] {
      uint64_t newest = 0;
      while (!stop.load()) {
        const std::string response =
            HttpRequest(http_port, "POST", "/v1/predict", body);
        v1::PredictResponse parsed;
        const bool ok = response.rfind("HTTP/1.1 200", 0) == 0 &&
                        google::protobuf::util::JsonStringToMessage(
                            HttpBody(response), &parsed)
                            .ok() &&
                        parsed.predictions_size() == 2;
        answers.Record(ok, parsed.model_version(), &newest, response);
      }
    });
  }
  load.emplace_back([&] {
    auto stub = v1::Inference::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                            grpc::InsecureChannelCredentials()));
    const v1::PredictRequest request = Request(test, 1000, 2);
    uint64_t newest = 0;
    while (!stop.load()) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      v1::PredictResponse response;
      grpc::Status status = stub->Predict(&context, request, &response);
      answers.Record(status.ok() && response.predictions_size() == 2,
                     response.model_version(), &newest, status.error_message());
    }
  });

  ASSERT_TRUE(server->Wait().ok());
  EXPECT_TRUE(client.Join().ok());
  // The final model, fetched when the run ended, answers too.
  EXPECT_TRUE(answers.AwaitVersion(kRounds, absl::Seconds(30)));
  stop.store(true);
  for (std::thread& t : load) t.join();

  {
    absl::MutexLock lock(&answers.mu);
    EXPECT_EQ(answers.failed, 0) << answers.first_failure;
    EXPECT_EQ(answers.went_back, 0);
    // Every global model answered: the initial one, round 1's, round 2's.
    for (uint64_t version = 0; version <= kRounds; ++version) {
      EXPECT_GE(answers.by_version[version], kAnswersPerVersion)
          << "version " << version;
    }
    EXPECT_EQ(answers.by_version.size(), kRounds + 1);
  }
  {
    absl::MutexLock lock(&stored_mu);
    EXPECT_EQ(stored, (std::vector<uint64_t>{0, 1, 2}));
  }
  EXPECT_EQ(client.client().stats().rounds_trained, kRounds);

  // The model served is the last committed round's checkpoint, byte for byte.
  std::shared_ptr<const serve::Predictor> served = serving.current();
  ASSERT_NE(served, nullptr);
  EXPECT_EQ(served->version(), kRounds);
  auto checkpoint = util::ReadFile(
      util::JoinPath(run_dir, server::CheckpointRelativePath(kRounds)));
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(served->sha256_hex(), crypto::ToHex(crypto::Sha256(*checkpoint)));

  // Its predictions over HTTP and gRPC equal a direct forward of that
  // checkpoint.
  const size_t n = 8;
  const v1::PredictRequest request = Request(test, 2000, n);
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(request, &json).ok());
  const std::string response =
      HttpRequest(http_port, "POST", "/v1/predict", json);
  ASSERT_THAT(response, HasSubstr("HTTP/1.1 200"));
  v1::PredictResponse http;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(HttpBody(response), &http)
          .ok())
      << response;
  auto stub = v1::Inference::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port),
                          grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::PredictResponse rpc;
  ASSERT_TRUE(stub->Predict(&context, request, &rpc).ok());

  const config::ServerConfig config = SmallServerConfig(pki, run_dir, 2, 1);
  models::ModelSpec spec;
  spec.kind = config.model.kind;
  spec.input_shape = config.model.input_shape;
  spec.num_classes = config.model.num_classes;
  auto model = models::CreateModel(spec);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_TRUE(
      models::LoadState(ReadCheckpoint(run_dir, kRounds), **model).ok());
  (*model)->SetTraining(false);
  std::vector<float> batch;
  for (size_t i = 0; i < n; ++i) {
    absl::Span<const float> example = test.example(2000 + i);
    batch.insert(batch.end(), example.begin(), example.end());
  }
  torch::Tensor expected;
  {
    torch::InferenceMode inference;
    expected =
        torch::softmax((*model)->Forward(torch::from_blob(
                           batch.data(), {static_cast<int64_t>(n), 1, 28, 28})),
                       1)
            .contiguous();
  }
  ASSERT_EQ(http.model_version(), kRounds);
  ASSERT_EQ(rpc.model_version(), kRounds);
  ASSERT_EQ(http.predictions_size(), static_cast<int>(n));
  ASSERT_EQ(rpc.predictions_size(), static_cast<int>(n));
  for (size_t i = 0; i < n; ++i) {
    const v1::Prediction& h = http.predictions(static_cast<int>(i));
    const v1::Prediction& g = rpc.predictions(static_cast<int>(i));
    ASSERT_EQ(h.probabilities_size(), 10);
    ASSERT_EQ(g.probabilities_size(), 10);
    EXPECT_EQ(h.label(), expected[i].argmax().item<int64_t>()) << i;
    EXPECT_EQ(g.label(), h.label()) << i;
    for (int c = 0; c < 10; ++c) {
      const float want = expected[i][c].item<float>();
      EXPECT_NEAR(h.probabilities(c), want, 1e-6) << i << "," << c;
      EXPECT_FLOAT_EQ(g.probabilities(c), h.probabilities(c)) << i << "," << c;
    }
  }

  // Latency and swaps are in /metrics: round 1's and round 2's models
  // replaced the initial one.
  const std::string metrics = HttpGet(http_port, "/metrics");
  EXPECT_THAT(metrics, HasSubstr("fedge_serve_model_swaps_total 2"));
  EXPECT_THAT(metrics, HasSubstr("fedge_serve_model_version 2"));
  EXPECT_THAT(metrics, HasSubstr("fedge_serve_request_seconds_bucket"));
  EXPECT_THAT(metrics, HasSubstr("transport=\"grpc\""));
  EXPECT_THAT(metrics, HasSubstr("transport=\"http\""));

  serving.Shutdown();
  server->Shutdown();
}

}  // namespace
}  // namespace fedge::testing
