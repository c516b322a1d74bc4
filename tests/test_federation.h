#ifndef FEDGE_TESTS_TEST_FEDERATION_H_
#define FEDGE_TESTS_TEST_FEDERATION_H_

// Helpers for integration tests: a fresh PKI in a temp directory, configs
// for a real server on 127.0.0.1:0 with mutual TLS, edge clients in threads,
// and small slices of the real Fashion-MNIST data.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "client/edge_client.h"
#include "client/trainer.h"
#include "common/config/server_config.h"
#include "common/data/dataset.h"
#include "common/pki/authority.h"
#include "common/tensor/parameter_set.h"
#include "common/testing/temp_dir.h"
#include "fedge/v1/admin.grpc.pb.h"
#include "fedge/v1/federation.grpc.pb.h"
#include "server/federation_server.h"

namespace fedge::testing {

// A federation PKI with the given device ids issued.
struct TestPki {
  std::string dir;
  pki::PkiPaths paths() const { return pki::PkiPaths(dir); }
};
TestPki MakePki(const std::vector<std::string>& device_ids);

// A server config for a small, fast federation of `mlp` on 28x28 inputs:
// 127.0.0.1:0, no metrics endpoint, no central evaluation, plaintext FedAvg
// (secure aggregation off).
config::ServerConfig SmallServerConfig(const TestPki& pki,
                                       const std::string& run_dir,
                                       uint32_t rounds, uint32_t min_clients);

// `n` examples of the Fashion-MNIST test split starting at `offset`.
const data::Dataset& FashionMnistTest();
data::Dataset Slice(const data::Dataset& data, size_t offset, size_t n);

// Channel to `port` authenticated as `id` (a device of `pki`, or "admin"),
// on a connection of its own.
std::shared_ptr<grpc::Channel> DeviceChannel(const TestPki& pki,
                                             const std::string& id, int port);
std::shared_ptr<grpc::Channel> AdminChannel(const TestPki& pki, int port);

// Wraps the real LibTorch trainer and keeps every state it produced.
// `before_train`, if set, runs first; an error from it is returned instead
// of training (to make a client fail or vanish mid-round).
class RecordingTrainer final : public client::Trainer {
 public:
  explicit RecordingTrainer(std::unique_ptr<client::Trainer> inner,
                            std::function<absl::Status()> before_train = {})
      : inner_(std::move(inner)), before_train_(std::move(before_train)) {}
  absl::StatusOr<client::TrainResult> Train(
      const tensor::ParameterSet& global,
      const client::TrainOptions& options) override;
  uint64_t num_examples() const override { return inner_->num_examples(); }

  struct Record {
    tensor::ParameterSet global;
    tensor::ParameterSet trained;
    uint64_t num_examples;
    client::TrainOptions options;  // as the task set them
  };
  std::vector<Record> records() const;

 private:
  std::unique_ptr<client::Trainer> inner_;
  std::function<absl::Status()> before_train_;
  mutable absl::Mutex mu_;
  std::vector<Record> records_ ABSL_GUARDED_BY(mu_);
};

// An edge client running in its own thread with the real trainer.
class ClientThread {
 public:
  // `customize` may adjust the client's options; `before_train` is passed
  // to its RecordingTrainer.
  ClientThread(const TestPki& pki, const std::string& id, int port,
               data::Dataset data,
               std::function<void(client::EdgeClientOptions&)> customize = {},
               std::function<absl::Status()> before_train = {});
  ~ClientThread();
  void Start();
  // Waits for Run() to return and gives its status.
  absl::Status Join();
  void Stop() { client_->Stop(); }
  RecordingTrainer* trainer() const { return trainer_; }
  client::EdgeClient& client() { return *client_; }

 private:
  data::Dataset data_;
  RecordingTrainer* trainer_ = nullptr;  // owned by the client
  std::unique_ptr<client::EdgeClient> client_;
  std::thread thread_;
  absl::Status status_;
};

// A hand-driven device: joins, reads tasks and uploads exactly what a test
// tells it to, to play a client that misbehaves or vanishes.
class RawClient {
 public:
  RawClient(const TestPki& pki, const std::string& id, int port);

  // Joins from `region` and opens the task stream; returns the join's
  // status (the stream is open only if it is OK).
  grpc::Status Connect(const std::string& region = "eu-west");
  // The next task (a test failure if the stream ended).
  v1::Task NextTask();
  // Cancels the task stream, as a device that vanishes.
  void Disconnect();
  tensor::ParameterSet Download(const v1::ModelRef& ref);
  // Sends `chunks` as one upload; returns the server's status.
  grpc::Status Upload(const std::vector<v1::UpdateChunk>& chunks);
  grpc::Status Leave(bool withdraw_consent, const std::string& reason);

 private:
  std::unique_ptr<v1::Federation::Stub> stub_;
  grpc::ClientContext stream_context_;
  std::unique_ptr<grpc::ClientReader<v1::Task>> reader_;
};

// The example-weighted mean of `states`, computed in double precision.
std::vector<double> WeightedMean(
    const std::vector<std::pair<const tensor::ParameterSet*, uint64_t>>&
        states);

// Largest |a[i] - b[i]|.
double MaxAbsDiff(absl::Span<const float> a, const std::vector<double>& b);

// The model a committed round wrote to the run directory.
tensor::ParameterSet ReadCheckpoint(const std::string& run_dir, uint64_t round);

}  // namespace fedge::testing

#endif  // FEDGE_TESTS_TEST_FEDERATION_H_
