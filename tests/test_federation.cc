#include "tests/test_federation.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "client/join_request.h"
#include "common/data/idx_reader.h"
#include "common/net/tls_credentials.h"
#include "common/tensor/serialization.h"
#include "common/util/file_util.h"
#include "gtest/gtest.h"
#include "server/global_model.h"

namespace fedge::testing {

TestPki MakePki(const std::vector<std::string>& device_ids) {
  TestPki pki{MakeTempDir("fedge_pki")};
  pki::InitOptions options;
  options.force = true;
  absl::Status status = pki::InitFederation(pki.dir, options);
  EXPECT_TRUE(status.ok()) << status;
  for (const std::string& id : device_ids) {
    status = pki::IssueClient(pki.dir, id);
    EXPECT_TRUE(status.ok()) << status;
  }
  return pki;
}

config::ServerConfig SmallServerConfig(const TestPki& pki,
                                       const std::string& run_dir,
                                       uint32_t rounds, uint32_t min_clients) {
  config::ServerConfig c;
  c.run_dir = run_dir;
  c.run_id = "test-run";
  c.purpose_id = "fedge-training";
  c.listen_address = "127.0.0.1:0";
  c.metrics_address = "";
  pki::PkiPaths paths = pki.paths();
  c.tls.ca_cert = paths.ca_cert();
  c.tls.cert = paths.server_cert();
  c.tls.key = paths.server_key();
  c.tls.crl = paths.crl();
  c.audit.signing_key = paths.audit_key();
  c.model.kind = "mlp";
  c.model.input_shape = {1, 28, 28};
  c.model.num_classes = 10;
  c.model.init_seed = 3;
  c.rounds = rounds;
  c.cohort.min_clients = min_clients;
  c.cohort.fraction = 1.0;
  c.deadlines.selection = absl::Seconds(60);
  c.deadlines.training = absl::Seconds(60);
  c.deadlines.evaluation = absl::Seconds(30);
  c.training.local_epochs = 1;
  c.training.batch_size = 20;
  c.training.learning_rate = 0.05;
  c.training.momentum = 0.5;
  c.evaluation.central_every = 0;
  c.evaluation.federated_every = 0;
  // Plaintext FedAvg, so tests can check the exact average; secure rounds
  // have their own tests (secure_aggregation_test.cc).
  c.secure_aggregation.enabled = false;
  return c;
}

const data::Dataset& FashionMnistTest() {
  static const data::Dataset* data = [] {
    auto d = data::ReadFashionMnist(data::kDefaultFashionMnistDir, "test");
    if (!d.ok()) {
      ADD_FAILURE() << d.status();
      return new data::Dataset();
    }
    return new data::Dataset(std::move(*d));
  }();
  return *data;
}

data::Dataset Slice(const data::Dataset& data, size_t offset, size_t n) {
  std::vector<size_t> indices;
  for (size_t i = 0; i < n; ++i) indices.push_back(offset + i);
  return data.Subset(indices);
}

namespace {

std::shared_ptr<grpc::Channel> ChannelFor(const std::string& ca,
                                          const std::string& cert,
                                          const std::string& key, int port) {
  auto creds = net::MakeClientCredentials({ca, cert, key, "localhost"});
  EXPECT_TRUE(creds.ok()) << creds.status();
  grpc::ChannelArguments args = creds->args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   creds->credentials, args);
}

}  // namespace

std::shared_ptr<grpc::Channel> DeviceChannel(const TestPki& pki,
                                             const std::string& id, int port) {
  pki::PkiPaths p = pki.paths();
  return ChannelFor(p.ca_cert(), p.client_cert(id), p.client_key(id), port);
}

std::shared_ptr<grpc::Channel> AdminChannel(const TestPki& pki, int port) {
  pki::PkiPaths p = pki.paths();
  return ChannelFor(p.ca_cert(), p.admin_cert(), p.admin_key(), port);
}

absl::StatusOr<client::TrainResult> RecordingTrainer::Train(
    const tensor::ParameterSet& global, const client::TrainOptions& options) {
  if (before_train_) {
    if (absl::Status s = before_train_(); !s.ok()) return s;
  }
  auto result = inner_->Train(global, options);
  if (result.ok()) {
    absl::MutexLock lock(&mu_);
    records_.push_back(
        {global, result->trained, result->num_examples, options});
  }
  return result;
}

std::vector<RecordingTrainer::Record> RecordingTrainer::records() const {
  absl::MutexLock lock(&mu_);
  return records_;
}

ClientThread::ClientThread(
    const TestPki& pki, const std::string& id, int port, data::Dataset data,
    std::function<void(client::EdgeClientOptions&)> customize,
    std::function<absl::Status()> before_train)
    : data_(std::move(data)) {
  client::EdgeClientOptions options;
  options.server_address = absl::StrCat("127.0.0.1:", port);
  pki::PkiPaths p = pki.paths();
  options.tls = net::ClientTlsFiles{p.ca_cert(), p.client_cert(id),
                                    p.client_key(id), "localhost"};
  options.region = "eu-west";
  options.consent.purpose_id = "fedge-training";
  options.consent.version = "2026-01";
  options.consent.given_at = absl::FromUnixSeconds(1790000000);
  options.backoff.initial = absl::Milliseconds(50);
  options.backoff.max = absl::Milliseconds(200);
  options.give_up_after = absl::Seconds(30);
  options.data = client::FootprintOf(data_);
  if (customize) customize(options);
  const data::Dataset* dataset = &data_;
  RecordingTrainer** slot = &trainer_;
  client_ = std::make_unique<client::EdgeClient>(
      options,
      [dataset, slot, before_train](const models::ModelSpec& spec)
          -> absl::StatusOr<std::unique_ptr<client::Trainer>> {
        auto inner = client::CreateLocalTrainer(spec, dataset);
        if (!inner.ok()) return inner.status();
        auto recording =
            std::make_unique<RecordingTrainer>(std::move(*inner), before_train);
        *slot = recording.get();
        return std::unique_ptr<client::Trainer>(std::move(recording));
      },
      [](const models::ModelSpec& spec) {
        return models::Evaluator::Create(spec);
      },
      &data_);
}

void ClientThread::Start() {
  thread_ = std::thread([this] { status_ = client_->Run(); });
}

absl::Status ClientThread::Join() {
  if (thread_.joinable()) thread_.join();
  return status_;
}

ClientThread::~ClientThread() {
  if (thread_.joinable()) {
    client_->Stop();
    thread_.join();
  }
}

std::vector<double> WeightedMean(
    const std::vector<std::pair<const tensor::ParameterSet*, uint64_t>>&
        states) {
  std::vector<double> sum(states.at(0).first->num_elements(), 0.0);
  double total = 0;
  for (const auto& [state, weight] : states) {
    absl::Span<const float> v = state->values();
    for (size_t i = 0; i < sum.size(); ++i) {
      sum[i] += static_cast<double>(weight) * v[i];
    }
    total += static_cast<double>(weight);
  }
  for (double& x : sum) x /= total;
  return sum;
}

double MaxAbsDiff(absl::Span<const float> a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  return worst;
}

tensor::ParameterSet ReadCheckpoint(const std::string& run_dir,
                                    uint64_t round) {
  auto blob = util::ReadFile(
      util::JoinPath(run_dir, server::CheckpointRelativePath(round)));
  EXPECT_TRUE(blob.ok()) << blob.status();
  auto state = tensor::Deserialize(blob.ok() ? *blob : "");
  EXPECT_TRUE(state.ok()) << state.status();
  return state.ok() ? *std::move(state) : tensor::ParameterSet();
}

RawClient::RawClient(const TestPki& pki, const std::string& id, int port)
    : stub_(v1::Federation::NewStub(DeviceChannel(pki, id, port))) {}

grpc::Status RawClient::Connect(const std::string& region) {
  grpc::ClientContext context;
  v1::JoinRequest request;
  request.set_region(region);
  request.mutable_consent()->set_purpose_id("fedge-training");
  request.mutable_consent()->set_consent_version("1");
  v1::JoinResponse response;
  grpc::Status joined = stub_->Join(&context, request, &response);
  if (!joined.ok()) return joined;
  v1::StreamTasksRequest stream_request;
  stream_request.set_session_id(response.session_id());
  reader_ = stub_->StreamTasks(&stream_context_, stream_request);
  return joined;
}

v1::Task RawClient::NextTask() {
  v1::Task task;
  EXPECT_TRUE(reader_ != nullptr && reader_->Read(&task));
  return task;
}

void RawClient::Disconnect() {
  stream_context_.TryCancel();
  if (reader_ != nullptr) reader_->Finish();
}

tensor::ParameterSet RawClient::Download(const v1::ModelRef& ref) {
  grpc::ClientContext context;
  v1::DownloadModelRequest request;
  request.set_version(ref.version());
  auto reader = stub_->DownloadModel(&context, request);
  v1::ModelChunk chunk;
  std::string blob;
  while (reader->Read(&chunk)) blob += chunk.data();
  EXPECT_TRUE(reader->Finish().ok());
  return *tensor::Deserialize(blob);
}

grpc::Status RawClient::Upload(const std::vector<v1::UpdateChunk>& chunks) {
  grpc::ClientContext context;
  v1::UploadUpdateResponse response;
  auto writer = stub_->UploadUpdate(&context, &response);
  for (const auto& chunk : chunks) {
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status RawClient::Leave(bool withdraw_consent,
                              const std::string& reason) {
  grpc::ClientContext context;
  v1::LeaveRequest request;
  request.set_withdraw_consent(withdraw_consent);
  request.set_reason(reason);
  v1::LeaveResponse response;
  return stub_->Leave(&context, request, &response);
}

}  // namespace fedge::testing
