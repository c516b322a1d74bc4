// Secure aggregation end to end over gRPC with mutual TLS: real clients
// train, mask and upload; two of them vanish mid-round; the server unmasks
// exactly the survivors' sum.

#include "absl/strings/str_cat.h"
#include "common/crypto/sha256.h"
#include "common/secagg/parameters.h"
#include "common/secagg/quantizer.h"
#include "common/secagg/ring.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_federation.h"

namespace fedge::testing {
namespace {

// The rounding seed each client uses, so the test can redo its
// quantization. (It decides rounding only; masks stay random.)
crypto::SecretBytes RoundingSeed(const std::string& id, uint64_t round) {
  return crypto::SecretBytes::Copy(crypto::DigestBytes(
      crypto::Sha256(absl::StrCat("rounding/", id, "/", round))));
}

TEST(SecureAggregationTest, EightClientsTwoKilledMidRoundSumTheSixSurvivors) {
  std::vector<std::string> ids;
  for (int i = 1; i <= 8; ++i) ids.push_back(absl::StrCat("c", i));
  TestPki pki = MakePki(ids);
  std::string run_dir = MakeTempDir("fedge_run");
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 1, 4);
  config.cohort.available_clients = 8;
  // Dropouts must be noticed as disconnects, not by waiting this out.
  config.deadlines.training = absl::Seconds(30);
  config.secure_aggregation.enabled = true;
  config.secure_aggregation.clip_range = 0.5;
  config.secure_aggregation.max_weight = 1000;
  server::ServerOptions options;
  options.config = config;
  options.show_progress = false;
  auto server = server::FederationServer::Start(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();

  const data::Dataset& data = FashionMnistTest();
  std::vector<std::unique_ptr<ClientThread>> clients;
  std::map<std::string, uint64_t> examples;
  size_t offset = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string id = ids[i];
    const bool victim = i >= 6;  // c7 and c8 vanish when asked to train
    examples[id] = 100 + 20 * i;
    auto self = std::make_shared<ClientThread*>(nullptr);
    auto thread = std::make_unique<ClientThread>(
        pki, id, (*server)->port(), Slice(data, offset, examples[id]),
        [id](client::EdgeClientOptions& o) {
          o.rounding_seed = [id](uint64_t round) {
            return RoundingSeed(id, round);
          };
        },
        [victim, self]() -> absl::Status {
          if (!victim) return absl::OkStatus();
          (*self)->Stop();  // the process dies: its connection goes away
          return absl::CancelledError("killed mid-round");
        });
    *self = thread.get();
    offset += examples[id];
    clients.push_back(std::move(thread));
  }
  for (auto& c : clients) c->Start();
  ASSERT_TRUE((*server)->Wait().ok());
  for (size_t i = 0; i < clients.size(); ++i) {
    absl::Status s = clients[i]->Join();
    if (i < 6) {
      EXPECT_TRUE(s.ok()) << ids[i] << ": " << s;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kCancelled) << ids[i];
    }
  }

  auto rounds = (*server)->store().ListRounds();
  ASSERT_TRUE(rounds.ok());
  ASSERT_EQ(rounds->size(), 1u);
  const server::RoundRecord& round = (*rounds)[0];
  ASSERT_EQ(round.status, "completed") << round.reason;
  EXPECT_EQ(round.completed, 6u);
  EXPECT_EQ(round.dropped, 2u);

  // Redo each survivor's quantization and sum the ring values: the server's
  // model must be exactly base + Dequantize(that sum).
  tensor::ParameterSet base = ReadCheckpoint(run_dir, 0);
  tensor::ParameterSet got = ReadCheckpoint(run_dir, 1);
  auto params = secagg::DeriveParameters(config.secure_aggregation, 8,
                                         base.num_elements(), "test-run/1");
  ASSERT_TRUE(params.ok());
  std::vector<uint64_t> sum(params->num_elements(), 0);
  std::vector<std::pair<const tensor::ParameterSet*, uint64_t>> trained;
  std::vector<RecordingTrainer::Record> records[6];
  for (int i = 0; i < 6; ++i) {
    records[i] = clients[i]->trainer()->records();
    ASSERT_EQ(records[i].size(), 1u);
    const auto& rec = records[i][0];
    tensor::ParameterSet delta = rec.trained;
    absl::Span<float> d = delta.mutable_values();
    for (size_t j = 0; j < d.size(); ++j) d[j] -= rec.global.values()[j];
    auto q = secagg::QuantizeWeighted(delta.values(), rec.num_examples, *params,
                                      RoundingSeed(ids[i], 1));
    ASSERT_TRUE(q.ok()) << q.status();
    for (size_t j = 0; j < sum.size(); ++j) sum[j] += (*q)[j];
    trained.push_back({&rec.trained, rec.num_examples});
  }
  secagg::Reduce(params->ring_bits(), absl::MakeSpan(sum));
  auto mean = secagg::Dequantize(sum, *params);
  ASSERT_TRUE(mean.ok());
  uint64_t expected_weight = 0;
  for (int i = 0; i < 6; ++i) expected_weight += examples[ids[i]];
  EXPECT_EQ(mean->total_weight, expected_weight);
  tensor::ParameterSet expected = base;
  absl::Span<float> e = expected.mutable_values();
  for (size_t j = 0; j < e.size(); ++j) e[j] += mean->delta[j];
  ASSERT_EQ(got.num_elements(), expected.num_elements());
  size_t differing = 0;
  for (size_t j = 0; j < e.size(); ++j) differing += got.values()[j] != e[j];
  EXPECT_EQ(differing, 0u) << "the unmasked sum is not the survivors' sum";

  // And the model is plaintext FedAvg of the same six, within quantization.
  std::vector<double> fedavg = WeightedMean(trained);
  EXPECT_LE(MaxAbsDiff(got.values(), fedavg),
            secagg::QuantizationStep(*params) + 1e-6);
  EXPECT_GT(MaxAbsDiff(base.values(), fedavg), 1e-3);  // it learned something
}

}  // namespace
}  // namespace fedge::testing
