// End-to-end tests of a real aggregator and real edge clients over loopback
// gRPC with mutual TLS: the FedAvg result, refusals at the handshake, and the
// round surviving bad uploads and disconnects.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>

#include "absl/strings/str_split.h"
#include "common/crypto/sha256.h"
#include "common/privacy/accountant.h"
#include "common/tensor/chunking.h"
#include "common/tensor/serialization.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_federation.h"

namespace fedge::testing {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<server::FederationServer> StartServer(
    config::ServerConfig config) {
  server::ServerOptions options;
  options.config = std::move(config);
  options.show_progress = false;
  auto server = server::FederationServer::Start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(*server) : nullptr;
}

std::vector<std::string> ReadLines(const std::string& path) {
  auto text = util::ReadFile(path);
  if (!text.ok()) return {};
  return absl::StrSplit(*text, '\n', absl::SkipEmpty());
}

// Global model after each round is the example-weighted average of the
// clients' locally trained models, computed here independently from what
// each client's trainer produced.
TEST(FederationTest, TwoRoundsOfFedAvgEqualExampleWeightedAverage) {
  TestPki pki = MakePki({"c1", "c2", "c3"});
  std::string run_dir = MakeTempDir("fedge_run");
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 2, 3);
  config.evaluation.federated_every = 1;
  auto server = StartServer(config);
  ASSERT_NE(server, nullptr);
  const data::Dataset& data = FashionMnistTest();
  std::vector<std::unique_ptr<ClientThread>> clients;
  const size_t sizes[] = {200, 300, 400};
  size_t offset = 0;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<ClientThread>(
        pki, absl::StrCat("c", i + 1), server->port(),
        Slice(data, offset, sizes[i])));
    offset += sizes[i];
  }
  for (auto& c : clients) c->Start();
  ASSERT_TRUE(server->Wait().ok());
  for (auto& c : clients) EXPECT_TRUE(c->Join().ok());

  for (uint64_t round = 1; round <= 2; ++round) {
    tensor::ParameterSet previous = ReadCheckpoint(run_dir, round - 1);
    std::vector<std::pair<const tensor::ParameterSet*, uint64_t>> trained;
    std::vector<RecordingTrainer::Record> records[3];
    for (int i = 0; i < 3; ++i) {
      records[i] = clients[i]->trainer()->records();
      ASSERT_EQ(records[i].size(), 2u);
      const auto& rec = records[i][round - 1];
      // Each client trained from exactly the committed previous model.
      ASSERT_TRUE(rec.global.SameLayout(previous));
      EXPECT_TRUE(std::equal(rec.global.values().begin(),
                             rec.global.values().end(),
                             previous.values().begin()));
      EXPECT_EQ(rec.num_examples, sizes[i]);
      trained.push_back({&rec.trained, rec.num_examples});
    }
    std::vector<double> expected = WeightedMean(trained);
    tensor::ParameterSet global = ReadCheckpoint(run_dir, round);
    // FedAvg over deltas in double precision differs from this direct
    // average only by float32 rounding.
    EXPECT_LT(MaxAbsDiff(global.values(), expected), 1e-5) << "round " << round;
    // And it really moved: the model is not the previous one.
    EXPECT_GT(MaxAbsDiff(previous.values(), expected), 1e-3);
  }

  auto rounds = server->store().ListRounds();
  ASSERT_TRUE(rounds.ok());
  ASSERT_EQ(rounds->size(), 2u);
  for (const auto& r : *rounds) {
    EXPECT_EQ(r.status, "completed");
    EXPECT_EQ(r.completed, 3u);
  }
  std::vector<std::string> lines =
      ReadLines(util::JoinPath(run_dir, "metrics.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[1], HasSubstr("\"round\":2,\"status\":\"completed\""));
  EXPECT_THAT(lines[1], HasSubstr("\"selected\":3,\"completed\":3"));
  // Federated evaluation: every client evaluated the new model on its data.
  EXPECT_THAT(lines[1],
              HasSubstr("\"federated_eval\":{\"reports\":3,\"examples\":900"));
  for (auto& c : clients) EXPECT_EQ(c->client().stats().evaluations, 2u);
}

TEST(FederationTest, FedProxSendsItsMuAndAggregatesLikeFedAvg) {
  TestPki pki = MakePki({"c1", "c2"});
  std::string run_dir = MakeTempDir("fedge_run");
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 1, 2);
  config.strategy.name = "fedprox";
  config.strategy.proximal_mu = 0.5;
  auto server = StartServer(config);
  ASSERT_NE(server, nullptr);
  const data::Dataset& data = FashionMnistTest();
  ClientThread c1(pki, "c1", server->port(), Slice(data, 0, 200));
  ClientThread c2(pki, "c2", server->port(), Slice(data, 200, 100));
  c1.Start();
  c2.Start();
  ASSERT_TRUE(server->Wait().ok());
  ASSERT_TRUE(c1.Join().ok());
  ASSERT_TRUE(c2.Join().ok());
  auto r1 = c1.trainer()->records();
  auto r2 = c2.trainer()->records();
  ASSERT_EQ(r1.size(), 1u);
  ASSERT_EQ(r2.size(), 1u);
  EXPECT_EQ(r1[0].options.proximal_mu, 0.5f);
  EXPECT_EQ(r2[0].options.proximal_mu, 0.5f);
  std::vector<double> expected =
      WeightedMean({{&r1[0].trained, 200}, {&r2[0].trained, 100}});
  EXPECT_LT(MaxAbsDiff(ReadCheckpoint(run_dir, 1).values(), expected), 1e-5);
}

absl::Status JoinWith(std::shared_ptr<grpc::Channel> channel) {
  auto stub = v1::Federation::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::JoinRequest request;
  request.mutable_consent()->set_purpose_id("fedge-training");
  request.mutable_consent()->set_consent_version("1");
  v1::JoinResponse response;
  grpc::Status status = stub->Join(&context, request, &response);
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

TEST(FederationTest, ForeignRevokedAndCertificatelessClientsAreRefused) {
  TestPki pki = MakePki({"good", "revoked", "later"});
  TestPki foreign = MakePki({"good"});
  ASSERT_TRUE(pki::RevokeClient(pki.dir, "revoked").ok());
  std::string run_dir = MakeTempDir("fedge_run");
  auto server = StartServer(SmallServerConfig(pki, run_dir, 1, 5));
  ASSERT_NE(server, nullptr);
  const int port = server->port();

  EXPECT_TRUE(JoinWith(DeviceChannel(pki, "good", port)).ok());
  // A certificate from another federation's CA: the handshake fails, so the
  // call never reaches the service.
  absl::Status foreign_status = JoinWith(DeviceChannel(foreign, "good", port));
  EXPECT_EQ(foreign_status.code(), absl::StatusCode::kUnavailable)
      << foreign_status;
  absl::Status revoked_status = JoinWith(DeviceChannel(pki, "revoked", port));
  EXPECT_EQ(revoked_status.code(), absl::StatusCode::kUnavailable)
      << revoked_status;
  // Revoked while the server runs: refused from the next connection on.
  EXPECT_TRUE(JoinWith(DeviceChannel(pki, "later", port)).ok());
  ASSERT_TRUE(pki::RevokeClient(pki.dir, "later").ok());
  EXPECT_EQ(JoinWith(DeviceChannel(pki, "later", port)).code(),
            absl::StatusCode::kUnavailable);
  // TLS without a client certificate.
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = *util::ReadFile(pki.paths().ca_cert());
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  EXPECT_EQ(JoinWith(grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                               grpc::SslCredentials(ssl), args))
                .code(),
            absl::StatusCode::kUnavailable);

  auto clients = server->store().ListClients();
  ASSERT_TRUE(clients.ok());
  std::vector<std::string> ids;
  for (const auto& c : *clients) ids.push_back(c.client_id);
  // Only the two accepted joins reached the store.
  EXPECT_THAT(ids, ::testing::ElementsAre("good", "later"));
  server->Shutdown();
}

// A client driven by hand through the raw gRPC API, to send what a real
// client never would.
// An upload of `blob` split into `chunk_size` chunks with a correct header.
std::vector<v1::UpdateChunk> Chunks(const v1::TrainTask& task,
                                    const std::string& blob,
                                    size_t chunk_size = 64 << 10,
                                    uint64_t examples = 100) {
  std::vector<v1::UpdateChunk> chunks;
  for (tensor::ChunkSlice s : tensor::SliceChunks(blob.size(), chunk_size)) {
    v1::UpdateChunk chunk;
    chunk.set_offset(s.offset);
    chunk.set_data(blob.substr(s.offset, s.size));
    chunks.push_back(std::move(chunk));
  }
  v1::UpdateHeader* h = chunks[0].mutable_header();
  h->set_round(task.round());
  h->set_model_version(task.model().version());
  h->set_total_size(blob.size());
  h->set_sha256(crypto::DigestBytes(crypto::Sha256(blob)));
  h->mutable_metrics()->set_num_examples(examples);
  return chunks;
}

tensor::ParameterSet ZeroDelta(const tensor::ParameterSet& model) {
  return *tensor::ParameterSet::Zeros(model.specs());
}

TEST(FederationTest, BadUploadsAreRejectedWithTheirReasonAndTheRoundCompletes) {
  // "late" holds the round open until mallory is done, so that every
  // attempt below meets an open round.
  TestPki pki = MakePki({"c1", "c2", "mallory", "late"});
  std::string run_dir = MakeTempDir("fedge_run");
  auto server = StartServer(SmallServerConfig(pki, run_dir, 1, 4));
  ASSERT_NE(server, nullptr);
  const data::Dataset& data = FashionMnistTest();
  ClientThread c1(pki, "c1", server->port(), Slice(data, 0, 200));
  ClientThread c2(pki, "c2", server->port(), Slice(data, 200, 100));
  RawClient mallory(pki, "mallory", server->port());
  RawClient late(pki, "late", server->port());
  ASSERT_TRUE(mallory.Connect().ok());
  ASSERT_TRUE(late.Connect().ok());
  c1.Start();
  c2.Start();
  v1::Task task = mallory.NextTask();
  ASSERT_TRUE(task.has_train());
  const v1::TrainTask& train = task.train();
  tensor::ParameterSet global = mallory.Download(train.model());
  const std::string good = tensor::Serialize(ZeroDelta(global));

  struct Case {
    std::string name;
    std::vector<v1::UpdateChunk> chunks;
    grpc::StatusCode code;
    std::string message;
  };
  std::vector<Case> cases;
  {  // Same number of values, another shape.
    std::vector<tensor::TensorSpec> specs = global.specs();
    std::swap(specs[0].shape[0], specs[0].shape[1]);
    auto p = tensor::ParameterSet::Zeros(specs);
    cases.push_back({"wrong shape", Chunks(train, tensor::Serialize(*p)),
                     grpc::StatusCode::INVALID_ARGUMENT,
                     "does not match the model: tensor 0 is"});
  }
  {  // One tensor missing: smaller than the model.
    std::vector<tensor::TensorSpec> specs = global.specs();
    specs.pop_back();
    auto p = tensor::ParameterSet::Zeros(specs);
    cases.push_back({"wrong size", Chunks(train, tensor::Serialize(*p)),
                     grpc::StatusCode::INVALID_ARGUMENT,
                     "tensors, the model has"});
  }
  {
    v1::TrainTask other = train;
    other.set_round(train.round() + 1);
    cases.push_back({"other round", Chunks(other, good),
                     grpc::StatusCode::FAILED_PRECONDITION,
                     "update is for round 2 but round 1 is open"});
  }
  {
    v1::TrainTask other = train;
    other.mutable_model()->set_version(train.model().version() + 7);
    cases.push_back({"other model version", Chunks(other, good),
                     grpc::StatusCode::FAILED_PRECONDITION,
                     "trained from model version 7"});
  }
  {
    auto chunks = Chunks(train, good);
    chunks[0].mutable_header()->set_sha256(
        crypto::DigestBytes(crypto::Sha256("something else")));
    cases.push_back({"bad digest", chunks, grpc::StatusCode::DATA_LOSS,
                     "SHA-256 of the received bytes"});
  }
  for (float bad : {std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    tensor::ParameterSet p = ZeroDelta(global);
    p.mutable_values()[12345] = bad;
    cases.push_back({std::isnan(bad) ? "NaN" : "Inf",
                     Chunks(train, tensor::Serialize(p)),
                     grpc::StatusCode::INVALID_ARGUMENT,
                     std::isnan(bad) ? "contains NaN at element 12345"
                                     : "contains Inf at element 12345"});
  }
  {
    std::string big = good + std::string(1000, '\0');
    cases.push_back({"larger than the model", Chunks(train, big),
                     grpc::StatusCode::RESOURCE_EXHAUSTED,
                     "larger than the model"});
  }
  {  // Declares the right size, sends more.
    auto chunks = Chunks(train, good);
    v1::UpdateChunk extra;
    extra.set_offset(good.size());
    extra.set_data("overflow");
    chunks.push_back(extra);
    cases.push_back({"more bytes than declared", chunks,
                     grpc::StatusCode::RESOURCE_EXHAUSTED,
                     "more than its declared"});
  }
  {
    auto chunks = Chunks(train, good);
    ASSERT_GE(chunks.size(), 3u);
    std::swap(chunks[1], chunks[2]);
    cases.push_back({"reordered chunks", chunks,
                     grpc::StatusCode::INVALID_ARGUMENT,
                     "chunks must arrive in order"});
  }
  {
    auto chunks = Chunks(train, good);
    chunks.pop_back();
    cases.push_back({"truncated stream", chunks,
                     grpc::StatusCode::INVALID_ARGUMENT, "stream ended after"});
  }
  {
    auto chunks = Chunks(train, good);
    chunks[0].clear_header();
    cases.push_back({"no header", chunks, grpc::StatusCode::INVALID_ARGUMENT,
                     "must carry its header"});
  }
  for (const Case& c : cases) {
    grpc::Status status = mallory.Upload(c.chunks);
    EXPECT_EQ(status.error_code(), c.code)
        << c.name << ": " << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(c.message)) << c.name;
  }
  // The round is still open and a valid upload is accepted, once.
  grpc::Status ok = mallory.Upload(Chunks(train, good, 64 << 10, 100));
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  grpc::Status again = mallory.Upload(Chunks(train, good, 64 << 10, 100));
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << again.error_message();
  ASSERT_TRUE(late.NextTask().has_train());
  grpc::Status late_ok = late.Upload(Chunks(train, good, 64 << 10, 100));
  EXPECT_TRUE(late_ok.ok()) << late_ok.error_message();

  // Its accepted upload earned mallory a receipt, then the run ended.
  v1::Task receipt = mallory.NextTask();
  EXPECT_TRUE(receipt.has_receipt());
  EXPECT_EQ(receipt.receipt().client_id(), "mallory");
  v1::Task finished = mallory.NextTask();
  EXPECT_TRUE(finished.has_finished());
  ASSERT_TRUE(server->Wait().ok());
  ASSERT_TRUE(c1.Join().ok());
  ASSERT_TRUE(c2.Join().ok());

  // None of the rejected uploads touched the sum: the model is exactly the
  // weighted average of c1, c2 and the zero deltas (the old model) of
  // mallory and late.
  auto r1 = c1.trainer()->records();
  auto r2 = c2.trainer()->records();
  ASSERT_EQ(r1.size(), 1u);
  ASSERT_EQ(r2.size(), 1u);
  std::vector<double> expected = WeightedMean(
      {{&r1[0].trained, 200}, {&r2[0].trained, 100}, {&global, 200}});
  EXPECT_LT(MaxAbsDiff(ReadCheckpoint(run_dir, 1).values(), expected), 1e-5);
  auto rounds = server->store().ListRounds();
  ASSERT_EQ(rounds->size(), 1u);
  EXPECT_EQ((*rounds)[0].completed, 4u);
}

TEST(FederationTest, DisconnectedClientIsDroppedAndTheRoundCompletes) {
  TestPki pki = MakePki({"c1", "c2", "gone"});
  std::string run_dir = MakeTempDir("fedge_run");
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 1, 2);
  config.cohort.available_clients = 3;
  auto server = StartServer(config);
  ASSERT_NE(server, nullptr);
  const data::Dataset& data = FashionMnistTest();
  ClientThread c1(pki, "c1", server->port(), Slice(data, 0, 150));
  ClientThread c2(pki, "c2", server->port(), Slice(data, 150, 250));
  RawClient gone(pki, "gone", server->port());
  ASSERT_TRUE(gone.Connect().ok());
  c1.Start();
  c2.Start();
  ASSERT_TRUE(gone.NextTask().has_train());
  gone.Disconnect();
  ASSERT_TRUE(server->Wait().ok());
  ASSERT_TRUE(c1.Join().ok());
  ASSERT_TRUE(c2.Join().ok());

  auto rounds = server->store().ListRounds();
  ASSERT_EQ(rounds->size(), 1u);
  EXPECT_EQ((*rounds)[0].status, "completed");
  EXPECT_EQ((*rounds)[0].completed, 2u);
  EXPECT_EQ((*rounds)[0].dropped, 1u);
  bool found = false;
  for (const auto& p : (*rounds)[0].participants) {
    if (p.client_id == "gone") {
      found = true;
      EXPECT_EQ(p.outcome, "dropped");
      EXPECT_EQ(p.reason, "disconnected");
    }
  }
  EXPECT_TRUE(found);
  auto r1 = c1.trainer()->records();
  auto r2 = c2.trainer()->records();
  std::vector<double> expected =
      WeightedMean({{&r1.at(0).trained, 150}, {&r2.at(0).trained, 250}});
  EXPECT_LT(MaxAbsDiff(ReadCheckpoint(run_dir, 1).values(), expected), 1e-5);
}

TEST(FederationTest, RoundBelowMinimumIsAbandonedAndThePreviousModelStands) {
  TestPki pki = MakePki({"c1", "c2", "gone"});
  std::string run_dir = MakeTempDir("fedge_run");
  auto server = StartServer(SmallServerConfig(pki, run_dir, 1, 3));
  ASSERT_NE(server, nullptr);
  const data::Dataset& data = FashionMnistTest();
  ClientThread c1(pki, "c1", server->port(), Slice(data, 0, 100));
  ClientThread c2(pki, "c2", server->port(), Slice(data, 100, 100));
  RawClient gone(pki, "gone", server->port());
  ASSERT_TRUE(gone.Connect().ok());
  c1.Start();
  c2.Start();
  ASSERT_TRUE(gone.NextTask().has_train());
  gone.Disconnect();
  ASSERT_TRUE(server->Wait().ok());
  ASSERT_TRUE(c1.Join().ok());
  ASSERT_TRUE(c2.Join().ok());

  auto rounds = server->store().ListRounds();
  ASSERT_EQ(rounds->size(), 1u);
  EXPECT_EQ((*rounds)[0].status, "abandoned");
  EXPECT_THAT((*rounds)[0].reason,
              HasSubstr("only 2 of 3 updates were accepted (1 dropped"));
  auto latest = server->store().LatestModel();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->version, 0u);
  EXPECT_EQ(server->run_state().model()->version, 0u);
  EXPECT_FALSE(util::PathExists(
      util::JoinPath(run_dir, server::CheckpointRelativePath(1))));
  std::vector<std::string> lines =
      ReadLines(util::JoinPath(run_dir, "metrics.jsonl"));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("\"status\":\"abandoned\""));
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Interrupts a server (as Ctrl-C would) once round `round` is training.
class InterruptAtTraining final : public server::RunObserver {
 public:
  explicit InterruptAtTraining(uint64_t round) : round_(round) {}
  void SetServer(server::FederationServer* server) {
    absl::MutexLock lock(&mu_);
    server_ = server;
  }
  void OnStage(uint64_t round, const std::string& stage) override {
    if (round != round_ || stage != "training") return;
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return server_ != nullptr;
    };
    mu_.Await(absl::Condition(&ready));
    server_->Interrupt("server shutting down");
  }

 private:
  const uint64_t round_;
  absl::Mutex mu_;
  server::FederationServer* server_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// Clients started while the server is down wait for it; when the server is
// stopped mid-run they reconnect by themselves, and a new server on the same
// run directory resumes after the last recorded round.
TEST(FederationTest, ClientsOutliveServerRestartsAndTheRunResumes) {
  TestPki pki = MakePki({"c1", "c2"});
  std::string run_dir = MakeTempDir("fedge_run");
  const int port = FreePort();
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 3, 2);
  config.listen_address = absl::StrCat("127.0.0.1:", port);
  const data::Dataset& data = FashionMnistTest();
  ClientThread c1(pki, "c1", port, Slice(data, 0, 100));
  ClientThread c2(pki, "c2", port, Slice(data, 100, 100));
  c1.Start();  // nothing listens yet: both retry with backoff
  c2.Start();

  InterruptAtTraining interrupter(2);
  {
    server::ServerOptions options;
    options.config = config;
    options.show_progress = false;
    options.observer = &interrupter;
    auto first = server::FederationServer::Start(std::move(options));
    ASSERT_TRUE(first.ok()) << first.status();
    interrupter.SetServer(first->get());
    ASSERT_TRUE((*first)->Wait().ok());  // like Ctrl-C in round 2
    EXPECT_EQ((*first)->run_state().summary().state, "stopped");
    (*first)->Shutdown();
  }
  server::ServerOptions options;
  options.config = config;
  options.show_progress = false;
  auto second = server::FederationServer::Start(std::move(options));
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_TRUE((*second)->Wait().ok());
  EXPECT_TRUE(c1.Join().ok());
  EXPECT_TRUE(c2.Join().ok());

  auto rounds = (*second)->store().ListRounds();
  ASSERT_TRUE(rounds.ok());
  ASSERT_EQ(rounds->size(), 3u);
  EXPECT_EQ((*rounds)[0].status, "completed");
  EXPECT_EQ((*rounds)[1].status, "abandoned");
  EXPECT_EQ((*rounds)[1].reason, "server stopped (server shutting down)");
  EXPECT_EQ((*rounds)[2].status, "completed");
  // Round 3 started from round 1's model: nothing was lost or applied twice.
  EXPECT_EQ((*rounds)[2].base_model_version, 1u);
  EXPECT_EQ((*rounds)[2].model_version, 3u);
  EXPECT_GE(c1.client().stats().joins, 2u);
  EXPECT_GE(c2.client().stats().joins, 2u);
}

// The last epsilon in a run directory's metrics.jsonl.
double LastEpsilon(const std::string& run_dir) {
  double epsilon = -1;
  for (const std::string& line :
       ReadLines(util::JoinPath(run_dir, "metrics.jsonl"))) {
    const size_t at = line.find("\"epsilon\":");
    if (at != std::string::npos) {
      epsilon = std::strtod(line.c_str() + at + 10, nullptr);
    }
  }
  return epsilon;
}

// A server optimiser's state and the privacy ledger are saved with each
// round; a server resuming the run picks both up, and without the ledger it
// refuses to go on rather than understate the privacy spent.
TEST(FederationTest, OptimizerStateAndPrivacyLedgerSurviveARestart) {
  TestPki pki = MakePki({"c1", "c2"});
  std::string run_dir = MakeTempDir("fedge_run");
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 2, 2);
  config.strategy.name = "fedavgm";
  config.strategy.server_learning_rate = 1.0;
  config.strategy.max_example_weight = 1;
  config.privacy.mode = "central";
  config.privacy.clip_norm = 1.0;
  config.privacy.noise_multiplier = 2.0;
  config.privacy.delta = 1e-5;
  const data::Dataset& data = FashionMnistTest();
  auto run_rounds = [&](uint32_t rounds) {
    config.rounds = rounds;
    auto server = StartServer(config);
    if (server == nullptr) return;
    ClientThread c1(pki, "c1", server->port(), Slice(data, 0, 100));
    ClientThread c2(pki, "c2", server->port(), Slice(data, 100, 100));
    c1.Start();
    c2.Start();
    EXPECT_TRUE(server->Wait().ok());
    EXPECT_TRUE(c1.Join().ok());
    EXPECT_TRUE(c2.Join().ok());
    server->Shutdown();
  };
  run_rounds(2);
  EXPECT_TRUE(
      util::PathExists(util::JoinPath(run_dir, "strategy/round-000002.state")));
  EXPECT_TRUE(
      util::PathExists(util::JoinPath(run_dir, "privacy/round-000002.state")));
  run_rounds(3);  // resumes for round 3

  // q = 2 of 2 connected clients each round: epsilon of three rounds, not of
  // one (the ledger was restored).
  privacy::RdpAccountant three;
  three.Compose(1.0, 2.0, 3);
  EXPECT_NEAR(LastEpsilon(run_dir), three.Epsilon(1e-5)->epsilon, 1e-9);
  // Only the two newest rounds' states are kept.
  EXPECT_FALSE(
      util::PathExists(util::JoinPath(run_dir, "privacy/round-000001.state")));

  // Without the ledger the server will not resume.
  ASSERT_EQ(std::remove(
                util::JoinPath(run_dir, "privacy/round-000003.state").c_str()),
            0);
  config.rounds = 4;
  server::ServerOptions options;
  options.config = config;
  options.show_progress = false;
  auto refused = server::FederationServer::Start(std::move(options));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("the privacy ledger of round 3"));
}

}  // namespace
}  // namespace fedge::testing
