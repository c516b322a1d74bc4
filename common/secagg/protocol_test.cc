// The whole SecAgg+ protocol, client and server state machines exchanging
// real messages (no network): exact sums with dropouts at every stage, the
// threshold, tampering, and the rule that the server never holds both secrets
// of one client.

#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/pki/authority.h"
#include "common/secagg/client.h"
#include "common/secagg/parameters.h"
#include "common/secagg/quantizer.h"
#include "common/secagg/ring.h"
#include "common/secagg/server.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::secagg {
namespace {

using ::testing::HasSubstr;

constexpr int kMaxClients = 16;

// One PKI for all tests: device certificates and keys for kMaxClients ids.
struct Devices {
  std::string ca_pem;
  std::map<std::string, std::string> cert_pem, key_pem;
};

const Devices& TestDevices() {
  static const Devices* devices = [] {
    auto* d = new Devices();
    std::string dir = fedge::testing::MakeTempDir("secagg_pki");
    pki::InitOptions options;
    options.force = true;
    EXPECT_TRUE(pki::InitFederation(dir, options).ok());
    pki::PkiPaths paths(dir);
    d->ca_pem = *util::ReadFile(paths.ca_cert());
    for (int i = 0; i < kMaxClients; ++i) {
      std::string id = absl::StrCat("dev-", 10 + i);
      EXPECT_TRUE(pki::IssueClient(dir, id).ok());
      d->cert_pem[id] = *util::ReadFile(paths.client_cert(id));
      d->key_pem[id] = *util::ReadFile(paths.client_key(id));
    }
    return d;
  }();
  return *devices;
}

std::vector<std::string> Cohort(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back(absl::StrCat("dev-", 10 + i));
  return ids;
}

// Drops: which clients stop responding from which stage on (0..3).
using Drops = std::map<std::string, int>;

struct Outcome {
  absl::Status status;  // OK, or why the server aborted
  AggregateResult result;
  std::set<std::string> expected;  // clients that delivered masked inputs
  std::unique_ptr<SecAggServer> server;
};

// Drives one aggregation of `inputs` (ring values per client) with `drops`.
// `tamper` may edit the share-keys requests before they reach the clients.
Outcome Aggregate(
    const v1::SecAggParameters& params,
    const std::map<std::string, std::vector<uint64_t>>& inputs,
    const Drops& drops,
    const std::function<void(Requests<v1::SecAggShareKeysRequest>&)>& tamper =
        nullptr) {
  const Devices& devices = TestDevices();
  Outcome run;
  ServerSetup setup;
  setup.round = 7;
  setup.params = params;
  for (const auto& [id, input] : inputs) {
    setup.cohort.push_back(id);
    setup.certificates[id] = devices.cert_pem.at(id);
  }
  run.server = *SecAggServer::Create(setup);
  SecAggServer& server = *run.server;
  auto alive = [&](const std::string& id, int stage) {
    auto it = drops.find(id);
    return it == drops.end() || it->second > stage;
  };
  std::map<std::string, std::unique_ptr<SecAggClient>> clients;
  for (const auto& [id, input] : inputs) {
    if (!alive(id, 0)) continue;
    v1::SecAggMessage ad;
    auto client = SecAggClient::Start(
        {id, devices.key_pem.at(id), devices.ca_pem}, 7, params, &ad);
    EXPECT_TRUE(client.ok()) << client.status();
    EXPECT_TRUE(server.HandleAdvertiseKeys(id, ad.advertise_keys()).ok());
    clients[id] = std::move(*client);
  }
  auto t1 = server.Close();
  if (!t1.ok()) return run.status = t1.status(), std::move(run);
  if (tamper) tamper(t1->share_keys);
  for (auto& [id, request] : t1->share_keys) {
    if (!alive(id, 1)) continue;
    auto msg = clients[id]->OnShareKeys(request);
    if (!msg.ok()) return run.status = msg.status(), std::move(run);
    EXPECT_TRUE(server.HandleShareKeys(id, msg->share_keys()).ok());
  }
  auto t2 = server.Close();
  if (!t2.ok()) return run.status = t2.status(), std::move(run);
  for (auto& [id, request] : t2->masked_input) {
    if (!alive(id, 2)) continue;
    auto packed = clients[id]->OnMaskedInput(request, inputs.at(id));
    EXPECT_TRUE(packed.ok()) << packed.status();
    EXPECT_EQ(packed->size(),
              PackedSize(params.num_elements(), params.ring_bits()));
    EXPECT_TRUE(server.HandleMaskedInput(id, *packed).ok());
    run.expected.insert(id);
  }
  auto t3 = server.Close();
  if (!t3.ok()) return run.status = t3.status(), std::move(run);
  for (auto& [id, request] : t3->unmask) {
    if (!alive(id, 3)) continue;
    auto msg = clients[id]->OnUnmask(request);
    EXPECT_TRUE(msg.ok()) << msg.status();
    EXPECT_TRUE(server.HandleUnmask(id, msg->unmask()).ok());
  }
  auto t4 = server.Close();
  if (!t4.ok()) return run.status = t4.status(), std::move(run);
  run.result = *server.Result();
  return run;
}

v1::SecAggParameters Params(int n, uint64_t m, uint32_t bits,
                            double dropout = 0.3) {
  SecAggConfig config;
  config.ring_bits = bits;
  config.dropout_rate = dropout;
  config.max_weight = 1;
  auto p = DeriveParameters(config, n, m - 1, absl::StrCat("test-run/7/", n));
  EXPECT_TRUE(p.ok()) << p.status();
  return *p;
}

std::map<std::string, std::vector<uint64_t>> RandomInputs(
    const std::vector<std::string>& ids, uint64_t m, uint32_t bits,
    std::mt19937_64& rng) {
  std::map<std::string, std::vector<uint64_t>> inputs;
  for (const std::string& id : ids) {
    std::vector<uint64_t> v(m);
    for (uint64_t& x : v) x = rng() & RingMask(bits);
    inputs[id] = std::move(v);
  }
  return inputs;
}

std::vector<uint64_t> RingSum(
    const std::map<std::string, std::vector<uint64_t>>& inputs,
    const std::set<std::string>& who, uint32_t bits) {
  std::vector<uint64_t> sum(inputs.begin()->second.size(), 0);
  for (const std::string& id : who) {
    for (size_t i = 0; i < sum.size(); ++i) sum[i] += inputs.at(id)[i];
  }
  Reduce(bits, absl::MakeSpan(sum));
  return sum;
}

TEST(SecAggProtocolTest, NoDropoutsGiveTheExactRingSum) {
  std::mt19937_64 rng(1);
  auto ids = Cohort(6);
  v1::SecAggParameters params = Params(6, 50, 32);
  auto inputs = RandomInputs(ids, 50, 32, rng);
  Outcome run = Aggregate(params, inputs, {});
  ASSERT_TRUE(run.status.ok()) << run.status;
  EXPECT_EQ(run.result.sum, RingSum(inputs, run.expected, 32));
  EXPECT_EQ(run.result.survivors.size(), 6u);
}

// Many seeds: cohorts of 3..16 clients, vectors of 1..400 values, rings of
// 16..62 bits, clients dropping at every stage within the tolerated rate.
TEST(SecAggProtocolTest, RandomisedDropoutsAtEveryStageGiveExactSums) {
  const uint32_t widths[] = {16, 20, 32, 40, 62};
  int completed = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    std::mt19937_64 rng(seed);
    const int n = 3 + static_cast<int>(rng() % (kMaxClients - 2));
    const uint64_t m = 1 + rng() % 400;
    const uint32_t bits = widths[rng() % 5];
    auto ids = Cohort(n);
    v1::SecAggParameters params = Params(n, m, bits);
    auto inputs = RandomInputs(ids, m, bits, rng);
    // Up to floor(0.3 n) clients drop, each at a random stage.
    Drops drops;
    const int max_drops = static_cast<int>(0.3 * n);
    int k = max_drops == 0 ? 0 : static_cast<int>(rng() % (max_drops + 1));
    std::vector<std::string> shuffled = ids;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (int i = 0; i < k; ++i)
      drops[shuffled[i]] = static_cast<int>(rng() % 4);
    Outcome run = Aggregate(params, inputs, drops);
    ASSERT_TRUE(run.status.ok())
        << "seed " << seed << " n=" << n << " t=" << params.threshold()
        << " k=" << params.degree() << ": " << run.status;
    std::set<std::string> survivors(run.result.survivors.begin(),
                                    run.result.survivors.end());
    EXPECT_EQ(survivors, run.expected) << "seed " << seed;
    // Everyone who did not drop before stage 3 delivered an input.
    for (const std::string& id : ids) {
      auto d = drops.find(id);
      EXPECT_EQ(survivors.count(id) == 1, d == drops.end() || d->second >= 3)
          << id;
    }
    EXPECT_EQ(run.result.sum, RingSum(inputs, survivors, bits))
        << "seed " << seed;
    ++completed;
  }
  EXPECT_EQ(completed, 40);
}

TEST(SecAggProtocolTest, SparseGraphAggregatesExactly) {
  // A 16-client round with a 4-regular graph and threshold 2.
  SecAggConfig config;
  config.degree = 4;
  config.threshold = 2;
  config.max_weight = 1;
  auto params = DeriveParameters(config, 16, 99, "sparse/7");
  ASSERT_TRUE(params.ok());
  std::mt19937_64 rng(3);
  auto inputs = RandomInputs(Cohort(16), 100, 32, rng);
  Outcome run = Aggregate(*params, inputs, {{"dev-12", 2}});
  ASSERT_TRUE(run.status.ok()) << run.status;
  for (const std::string& id : run.server->context()->cohort) {
    if (run.server->context()->graph->Neighbours(id).empty()) continue;
    EXPECT_EQ(run.server->context()->graph->Neighbours(id).size(), 4u);
  }
  EXPECT_EQ(run.result.sum, RingSum(inputs, run.expected, 32));
  EXPECT_EQ(run.expected.size(), 15u);
}

TEST(SecAggProtocolTest, DequantizedAverageIsWithinQuantizationError) {
  const int n = 8;
  const size_t m = 1000;
  SecAggConfig config;
  config.clip_range = 0.5;
  config.max_weight = 100;
  auto params = DeriveParameters(config, n, m, "quant/7");
  ASSERT_TRUE(params.ok());
  std::mt19937_64 rng(11);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  std::map<std::string, std::vector<uint64_t>> inputs;
  std::map<std::string, std::vector<float>> deltas;
  std::map<std::string, uint64_t> weights;
  for (const std::string& id : Cohort(n)) {
    std::vector<float> d(m);
    for (float& x : d) x = std::clamp(normal(rng), -0.5f, 0.5f);
    weights[id] = 1 + rng() % 100;
    inputs[id] = *QuantizeWeighted(d, weights[id], *params,
                                   crypto::SecretBytes::Random(32));
    deltas[id] = std::move(d);
  }
  Outcome run = Aggregate(*params, inputs, {{"dev-11", 2}, {"dev-14", 3}});
  ASSERT_TRUE(run.status.ok()) << run.status;
  auto mean = Dequantize(run.result.sum, *params);
  ASSERT_TRUE(mean.ok());
  double total = 0;
  for (const std::string& id : run.expected) total += weights[id];
  EXPECT_EQ(mean->total_weight, static_cast<uint64_t>(total));
  double worst = 0;
  for (size_t i = 0; i < m; ++i) {
    double expected = 0;
    for (const std::string& id : run.expected) {
      expected += weights[id] * deltas[id][i];
    }
    expected /= total;
    worst = std::max(worst, std::abs(mean->delta[i] - expected));
  }
  // Each client's rounding moves a value by less than one level; the float
  // result adds at most a float's rounding (values are below 0.5).
  EXPECT_LE(worst, QuantizationStep(*params) + 1e-7);
  EXPECT_GT(worst, 0.0);  // quantization did round
}

TEST(SecAggProtocolTest, TooManyDropoutsAbandonTheRoundAtTheThreshold) {
  // 5 clients, complete graph, threshold 3 (explicit): after 3 drop in the
  // masked-input stage, the survivors' neighbours cannot reach 3.
  SecAggConfig config;
  config.threshold = 3;
  config.max_weight = 1;
  auto params = DeriveParameters(config, 5, 9, "abandon/7");
  ASSERT_TRUE(params.ok());
  std::mt19937_64 rng(2);
  auto inputs = RandomInputs(Cohort(5), 10, 32, rng);
  Outcome run =
      Aggregate(*params, inputs, {{"dev-10", 2}, {"dev-11", 2}, {"dev-12", 2}});
  EXPECT_EQ(run.status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(run.status.message()),
              HasSubstr("fewer than the threshold 3"));
  EXPECT_TRUE(run.server->aborted());
  // Nothing is revealed for an abandoned round: no unmask request was made.
  EXPECT_TRUE(run.server->context() == nullptr);
}

TEST(SecAggProtocolTest, TooFewAdvertisementsAbandonAtOnce) {
  SecAggConfig config;
  config.threshold = 3;
  config.max_weight = 1;
  auto params = DeriveParameters(config, 4, 9, "few/7");
  std::mt19937_64 rng(2);
  auto inputs = RandomInputs(Cohort(4), 10, 32, rng);
  Outcome run = Aggregate(*params, inputs, {{"dev-10", 0}, {"dev-11", 0}});
  EXPECT_THAT(std::string(run.status.message()),
              HasSubstr("only 2 clients advertised keys"));
}

TEST(SecAggProtocolTest, ATamperedKeyAdvertisementIsDetectedByItsPeers) {
  std::mt19937_64 rng(4);
  v1::SecAggParameters params = Params(5, 10, 32);
  auto inputs = RandomInputs(Cohort(5), 10, 32, rng);
  // A server substituting dev-11's masking key in what it forwards to dev-10.
  Outcome run = Aggregate(
      params, inputs, {}, [](Requests<v1::SecAggShareKeysRequest>& requests) {
        for (auto& n : *requests["dev-10"].mutable_neighbours()) {
          if (n.client_id() == "dev-11") {
            n.mutable_keys()->set_masking_public_key(std::string(32, '\x42'));
          }
        }
      });
  EXPECT_EQ(run.status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(run.status.message()),
              HasSubstr("dev-11 are not signed by its certificate"));
}

TEST(SecAggProtocolTest, AnotherClientsCertificateIsDetected) {
  std::mt19937_64 rng(4);
  v1::SecAggParameters params = Params(5, 10, 32);
  auto inputs = RandomInputs(Cohort(5), 10, 32, rng);
  const Devices& devices = TestDevices();
  Outcome run = Aggregate(
      params, inputs, {}, [&](Requests<v1::SecAggShareKeysRequest>& requests) {
        for (auto& n : *requests["dev-10"].mutable_neighbours()) {
          if (n.client_id() == "dev-11") {
            n.set_certificate_pem(devices.cert_pem.at("dev-15"));
          }
        }
      });
  EXPECT_EQ(run.status.code(), absl::StatusCode::kPermissionDenied);
}

TEST(SecAggProtocolTest, ServerRefusesAnAdvertisementWithABadSignature) {
  const Devices& devices = TestDevices();
  v1::SecAggParameters params = Params(3, 4, 32);
  ServerSetup setup;
  setup.round = 7;
  setup.params = params;
  for (const std::string& id : Cohort(3)) {
    setup.cohort.push_back(id);
    setup.certificates[id] = devices.cert_pem.at(id);
  }
  auto server = *SecAggServer::Create(setup);
  v1::SecAggMessage ad;
  auto client = SecAggClient::Start(
      {"dev-10", devices.key_pem.at("dev-10"), devices.ca_pem}, 7, params, &ad);
  ASSERT_TRUE(client.ok());
  v1::SecAggAdvertiseKeys keys = ad.advertise_keys();
  keys.set_encryption_public_key(std::string(32, '\x01'));
  EXPECT_EQ(server->HandleAdvertiseKeys("dev-10", keys).code(),
            absl::StatusCode::kPermissionDenied);
  // The same advertisement presented as another client's.
  EXPECT_EQ(server->HandleAdvertiseKeys("dev-11", ad.advertise_keys()).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(server->HandleAdvertiseKeys("dev-10", ad.advertise_keys()).ok());
  EXPECT_EQ(server->HandleAdvertiseKeys("dev-10", ad.advertise_keys()).code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(SecAggProtocolTest, ServerNeverRequestsBothSecretsOfOneClient) {
  ServerContext ctx;
  EXPECT_TRUE(ctx.Request("a", Reveal::kSelfMaskSeed).ok());
  EXPECT_TRUE(ctx.Request("a", Reveal::kSelfMaskSeed).ok());
  absl::Status both = ctx.Request("a", Reveal::kMaskingKey);
  EXPECT_EQ(both.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ctx.requested["a"], Reveal::kSelfMaskSeed);
}

// Drives a round to the unmask stage and returns the server, the unmask
// requests and the clients.
struct AtUnmask {
  std::unique_ptr<SecAggServer> server;
  Requests<v1::SecAggUnmaskRequest> requests;
  std::map<std::string, std::unique_ptr<SecAggClient>> clients;
};

AtUnmask RunToUnmask(int n, const Drops& drops) {
  const Devices& devices = TestDevices();
  v1::SecAggParameters params = Params(n, 8, 32);
  AtUnmask out;
  ServerSetup setup;
  setup.round = 7;
  setup.params = params;
  for (const std::string& id : Cohort(n)) {
    setup.cohort.push_back(id);
    setup.certificates[id] = devices.cert_pem.at(id);
  }
  out.server = *SecAggServer::Create(setup);
  for (const std::string& id : Cohort(n)) {
    v1::SecAggMessage ad;
    out.clients[id] = *SecAggClient::Start(
        {id, devices.key_pem.at(id), devices.ca_pem}, 7, params, &ad);
    EXPECT_TRUE(out.server->HandleAdvertiseKeys(id, ad.advertise_keys()).ok());
  }
  auto to_share = out.server->Close();
  for (auto& [id, r] : to_share->share_keys) {
    auto m = out.clients[id]->OnShareKeys(r);
    EXPECT_TRUE(out.server->HandleShareKeys(id, m->share_keys()).ok());
  }
  auto to_mask = out.server->Close();
  for (auto& [id, r] : to_mask->masked_input) {
    if (drops.count(id)) continue;
    auto packed =
        out.clients[id]->OnMaskedInput(r, std::vector<uint64_t>(8, 1));
    EXPECT_TRUE(out.server->HandleMaskedInput(id, *packed).ok());
  }
  out.requests = out.server->Close()->unmask;
  return out;
}

TEST(SecAggProtocolTest, ServerRefusesASecondKindOfShareAndNeverStoresIt) {
  AtUnmask at = RunToUnmask(5, {{"dev-14", 2}});
  // dev-10 answers honestly, then a client tries to also reveal the masking
  // key share of a survivor (dev-11): refused, nothing of it stored.
  auto honest = at.clients["dev-10"]->OnUnmask(at.requests["dev-10"]);
  ASSERT_TRUE(honest.ok()) << honest.status();
  v1::SecAggUnmask extra = honest->unmask();
  v1::SecAggRevealedShare* bad = extra.add_shares();
  bad->set_owner("dev-11");
  bad->set_self_mask_seed(false);
  bad->set_value(std::string(crypto::kShamirShareBytes, '\x07'));
  // A duplicate owner is refused as such; put the forbidden one alone.
  v1::SecAggUnmask only_bad;
  *only_bad.add_shares() = *bad;
  absl::Status refused = at.server->HandleUnmask("dev-12", only_bad);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("masking key share of dev-11, which was not asked"));
  ASSERT_TRUE(at.server->HandleUnmask("dev-10", honest->unmask()).ok());
  const ServerContext* ctx = at.server->context();
  // Survivors' entries hold self-mask seed shares only; the dropped client's
  // masking key shares only: one kind per client, by construction.
  EXPECT_EQ(ctx->requested.at("dev-11"), Reveal::kSelfMaskSeed);
  EXPECT_EQ(ctx->requested.at("dev-14"), Reveal::kMaskingKey);
  for (const auto& [owner, shares] : ctx->revealed) {
    EXPECT_LE(shares.size(), 1u) << owner;  // only dev-10 answered
  }
}

TEST(SecAggProtocolTest, ClientRefusesToRevealBothSharesOfANeighbour) {
  AtUnmask at = RunToUnmask(5, {{"dev-14", 2}});
  v1::SecAggUnmaskRequest greedy = at.requests["dev-10"];
  greedy.add_dropped("dev-11");  // dev-11 is also listed as a survivor
  auto refused = at.clients["dev-10"]->OnUnmask(greedy);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("refusing to reveal both"));
  EXPECT_STREQ(at.clients["dev-10"]->state(), "aborted");
}

TEST(SecAggProtocolTest, MisaddressedSharesDoNotDecrypt) {
  const Devices& devices = TestDevices();
  v1::SecAggParameters params = Params(4, 8, 32);
  ServerSetup setup;
  setup.round = 7;
  setup.params = params;
  std::map<std::string, std::unique_ptr<SecAggClient>> clients;
  for (const std::string& id : Cohort(4)) {
    setup.cohort.push_back(id);
    setup.certificates[id] = devices.cert_pem.at(id);
  }
  auto server = *SecAggServer::Create(setup);
  for (const std::string& id : Cohort(4)) {
    v1::SecAggMessage ad;
    clients[id] = *SecAggClient::Start(
        {id, devices.key_pem.at(id), devices.ca_pem}, 7, params, &ad);
    ASSERT_TRUE(server->HandleAdvertiseKeys(id, ad.advertise_keys()).ok());
  }
  auto to_share = server->Close();
  for (auto& [id, r] : to_share->share_keys) {
    auto m = clients[id]->OnShareKeys(r);
    ASSERT_TRUE(server->HandleShareKeys(id, m->share_keys()).ok());
  }
  auto requests = server->Close()->masked_input;
  // Give dev-10 the ciphertext meant for dev-11, labelled as from the same
  // sender.
  v1::SecAggMaskedInputRequest wrong = requests["dev-10"];
  for (int i = 0; i < wrong.shares_size(); ++i) {
    for (const auto& s : requests["dev-11"].shares()) {
      if (s.sender() == wrong.shares(i).sender()) {
        *wrong.mutable_shares(i)->mutable_ciphertext() = s.ciphertext();
        *wrong.mutable_shares(i)->mutable_nonce() = s.nonce();
      }
    }
  }
  auto packed =
      clients["dev-10"]->OnMaskedInput(wrong, std::vector<uint64_t>(8, 0));
  EXPECT_EQ(packed.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(packed.status().message()),
              HasSubstr("do not decrypt"));
}

}  // namespace
}  // namespace fedge::secagg
