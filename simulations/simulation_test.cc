// Whole simulations on small fleets: the real aggregator and virtual
// clients over loopback with mutual TLS, on slices of Fashion-MNIST.

#include "simulations/simulation.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/join_request.h"
#include "client/server_connection.h"
#include "common/crypto/sha256.h"
#include "common/pki/authority.h"
#include "common/pki/memory_issuer.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"
#include "fedge/v1/federation.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/federation_server.h"
#include "simulations/device_model.h"
#include "simulations/fleet.h"
#include "simulations/shard_runner.h"
#include "simulations/sim_config.h"

namespace fedge::sim {
namespace {

using ::testing::HasSubstr;

// A small simulation: `mlp`, the Fashion-MNIST test split as the fleet's
// pool, 64 examples per client and round, no central evaluation. `extra`
// is appended under `fleet:` (indented by the caller).
std::string SmallConfig(uint32_t clients, uint32_t rounds, double fraction,
                        uint32_t min_clients, bool secure,
                        const std::string& fleet_extra = "",
                        const std::string& server_extra = "") {
  return absl::StrFormat(R"(name: test
seed: 5
server:
  model:
    kind: mlp
    input_shape: [1, 28, 28]
    num_classes: 10
    seed: 3
  rounds: %d
  cohort:
    min_clients: %d
    fraction: %g
  training:
    local_epochs: 1
    batch_size: 16
    learning_rate: 0.05
    max_examples: 64
  secure_aggregation:
    enabled: %s
    clip_range: 1.0
    max_weight: 64
  evaluation:
    central_every: 0
%s
fleet:
  clients: %d
  data:
    format: fashion_mnist
    split: test
  partition:
    scheme: iid
%s)",
                         rounds, min_clients, fraction,
                         secure ? "true" : "false", server_extra, clients,
                         fleet_extra);
}

SimConfig Parse(const std::string& yaml, const std::string& run_dir) {
  absl::StatusOr<SimConfig> config = ParseSimConfig(yaml, "test.yaml", "/");
  EXPECT_TRUE(config.ok()) << config.status() << "\n" << yaml;
  config->run_dir = run_dir;
  return *config;
}

SimulationResult RunSimulation(SimConfig config) {
  SimulationOptions options;
  options.show_progress = false;
  std::ostringstream out;
  options.out = &out;
  absl::StatusOr<std::unique_ptr<Simulation>> sim =
      Simulation::Create(std::move(config), options);
  EXPECT_TRUE(sim.ok()) << sim.status();
  if (!sim.ok()) return {};
  absl::StatusOr<SimulationResult> result = (*sim)->Run();
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : SimulationResult{};
}

// A simulation of `yaml` and what its results are checked against.
struct Scenario {
  FleetConfig fleet;
  uint64_t seed = 0;
  SimulationResult result;
};

Scenario RunScenario(const std::string& yaml, const std::string& name) {
  SimConfig config = Parse(yaml, fedge::testing::MakeTempDir(name) + "/run");
  Scenario scenario{config.fleet, config.seed, {}};
  scenario.result = RunSimulation(std::move(config));
  return scenario;
}

std::vector<std::string> Digests(const SimulationResult& result) {
  std::vector<std::string> digests;
  for (const RoundRow& row : result.rounds) digests.push_back(row.model_sha256);
  return digests;
}

// A federation PKI with simulators shard-0 and shard-1, and an aggregator
// of it running `sim.server` that accepts virtual clients, as `fedge
// server` would run it.
absl::StatusOr<std::unique_ptr<server::FederationServer>> StartServer(
    const SimConfig& sim, const std::string& pki_dir,
    const std::string& run_dir) {
  FEDGE_RETURN_IF_ERROR(pki::InitFederation(pki_dir, pki::InitOptions{}));
  for (const char* id : {"shard-0", "shard-1"}) {
    FEDGE_RETURN_IF_ERROR(pki::IssueSimulator(pki_dir, id));
  }
  server::ServerOptions options;
  options.config = AggregatorConfig(sim, pki_dir, run_dir);
  options.show_progress = false;
  return server::FederationServer::Start(std::move(options));
}

TEST(SimulationTest, SameSeedSameModelsDifferentSeedDifferentModels) {
  const std::string dir = fedge::testing::MakeTempDir("sim-determinism");
  const std::string yaml = SmallConfig(12, 2, 0.5, 4, /*secure=*/true);

  SimulationResult first = RunSimulation(Parse(yaml, dir + "/a"));
  SimulationResult second = RunSimulation(Parse(yaml, dir + "/b"));
  ASSERT_EQ(first.rounds.size(), 2u);
  for (const RoundRow& row : first.rounds) {
    EXPECT_EQ(row.status, "completed") << row.reason;
    EXPECT_EQ(row.selected, 6u);
    EXPECT_EQ(row.completed, 6u);
    EXPECT_EQ(row.model_sha256.size(), 64u);
  }
  EXPECT_EQ(first.model_version, 2u);
  EXPECT_EQ(Digests(first), Digests(second));
  EXPECT_EQ(first.model_sha256, second.model_sha256);
  EXPECT_NE(first.rounds[0].model_sha256, first.rounds[1].model_sha256);

  SimConfig other = Parse(yaml, dir + "/c");
  SetSeed(6, &other);
  SimulationResult third = RunSimulation(std::move(other));
  ASSERT_EQ(third.rounds.size(), 2u);
  EXPECT_NE(third.rounds[0].model_sha256, first.rounds[0].model_sha256);
  EXPECT_NE(third.model_sha256, first.model_sha256);

  // The run directory holds what the docs promise.
  for (const char* name : {"partition.json", "metrics.csv", "report.html",
                           "server/metrics.jsonl", "pki/ca.crt"}) {
    EXPECT_TRUE(util::PathExists(util::JoinPath(dir + "/a", name))) << name;
  }
  absl::StatusOr<std::string> csv =
      util::ReadFile(util::JoinPath(dir + "/a", "metrics.csv"));
  ASSERT_TRUE(csv.ok());
  EXPECT_THAT(*csv, HasSubstr(first.rounds[1].model_sha256));
}

TEST(SimulationTest, RefusesANonEmptyRunDirectoryUnlessOverwriting) {
  const std::string dir = fedge::testing::MakeTempDir("sim-claim");
  ASSERT_TRUE(util::WriteFileAtomically(dir + "/keep.txt", "mine").ok());
  SimulationOptions options;
  options.show_progress = false;
  options.out = nullptr;
  const std::string yaml = SmallConfig(4, 1, 1.0, 2, /*secure=*/false);
  absl::StatusOr<std::unique_ptr<Simulation>> refused =
      Simulation::Create(Parse(yaml, dir), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("--overwrite"));
  EXPECT_TRUE(util::PathExists(dir + "/keep.txt"));

  options.overwrite = true;
  EXPECT_TRUE(Simulation::Create(Parse(yaml, dir), options).ok());
  EXPECT_FALSE(util::PathExists(dir + "/keep.txt"));
}

// Plaintext rounds with every client selected: the clients that vanish
// while training (drawn from the seed) and the devices too slow for the
// training deadline are exactly the ones missing from each round.
TEST(SimulationTest, DropoutsAndStragglersAreTheExpectedClients) {
  const uint32_t n = 16;
  const std::string yaml = SmallConfig(n, 2, 1.0, 2, /*secure=*/false,
                                       "  devices:\n"
                                       "    examples_per_second: [0.5, 50]\n"
                                       "  dropout:\n"
                                       "    training: 0.25\n",
                                       "  deadlines:\n"
                                       "    training: 30s\n");
  const Scenario run = RunScenario(yaml, "sim-dropout");
  const FleetConfig& fleet = run.fleet;
  const uint64_t seed = run.seed;
  ASSERT_EQ(run.result.rounds.size(), 2u);

  // Each client of 625 test examples trains 64 of them; bandwidth and
  // latency are not simulated, so a device straggles when 64 examples take
  // it longer than the 30 s deadline.
  for (const RoundRow& row : run.result.rounds) {
    uint32_t vanished = 0;
    uint32_t stragglers = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::string id = VirtualClientId(i, n);
      if (VanishesAt(fleet, seed, id, row.round, Stage::kTraining)) {
        ++vanished;
      } else if (64.0 / DrawProfile(fleet, seed, id).examples_per_second >
                 30.0) {
        ++stragglers;
      }
    }
    SCOPED_TRACE(absl::StrCat("round ", row.round));
    EXPECT_GT(vanished, 0u);  // the scenario tests something
    EXPECT_GT(stragglers, 0u);
    EXPECT_EQ(row.status, "completed") << row.reason;
    EXPECT_EQ(row.available, n);
    EXPECT_EQ(row.selected, n);
    EXPECT_EQ(row.fleet_dropouts, vanished);
    EXPECT_EQ(row.stragglers, stragglers);
    EXPECT_EQ(row.completed, n - vanished - stragglers);
    EXPECT_EQ(row.dropped, vanished + stragglers);
  }
}

// Secure rounds: clients vanish when their keys are due, when their shares
// are due, while they train and when their unmask shares are due; the
// masked inputs of the others make up the round, and the sum is unmasked
// despite the missing ones, without waiting out a stage's deadline.
TEST(SimulationTest, SecureRoundsSurviveDropoutsAtEveryStage) {
  const uint32_t n = 24;
  const std::string yaml = SmallConfig(n, 2, 1.0, 8, /*secure=*/true,
                                       "  dropout:\n"
                                       "    advertise: 0.1\n"
                                       "    share: 0.1\n"
                                       "    training: 0.1\n"
                                       "    unmask: 0.1\n",
                                       // A client gone at the unmask stage
                                       // must not hold the round up until
                                       // this deadline.
                                       "  deadlines:\n"
                                       "    secagg_stage: 2m\n");
  const Scenario run = RunScenario(yaml, "sim-secure-dropout");
  const FleetConfig& fleet = run.fleet;
  const uint64_t seed = run.seed;
  ASSERT_EQ(run.result.rounds.size(), 2u);
  for (const RoundRow& row : run.result.rounds) {
    uint32_t vanished = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::string id = VirtualClientId(i, n);
      for (Stage stage : {Stage::kAdvertise, Stage::kShare, Stage::kTraining}) {
        if (VanishesAt(fleet, seed, id, row.round, stage)) {
          ++vanished;
          break;
        }
      }
    }
    SCOPED_TRACE(absl::StrCat("round ", row.round));
    EXPECT_GT(vanished, 0u);
    EXPECT_EQ(row.status, "completed") << row.reason;
    EXPECT_EQ(row.selected, n);
    // Clients that vanish at the unmask stage uploaded their masked
    // input: they are in the sum, and their neighbours answer for them.
    uint32_t gone_at_unmask = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::string id = VirtualClientId(i, n);
      bool earlier = false;
      for (Stage stage : {Stage::kAdvertise, Stage::kShare, Stage::kTraining}) {
        earlier = earlier || VanishesAt(fleet, seed, id, row.round, stage);
      }
      if (!earlier && VanishesAt(fleet, seed, id, row.round, Stage::kUnmask)) {
        ++gone_at_unmask;
      }
    }
    EXPECT_GT(gone_at_unmask, 0u);
    EXPECT_EQ(row.fleet_dropouts, vanished + gone_at_unmask);
    EXPECT_EQ(row.completed, n - vanished);
    EXPECT_LT(row.total_seconds, 60.0);
  }
}

// Two shards of the same fleet, each in its own ShardRunner, against one
// aggregator: the same cohorts and the same models as the one-process run.
TEST(SimulationTest, TwoShardsAgainstOneServerEqualTheUnshardedRun) {
  const uint32_t n = 10;
  const std::string dir = fedge::testing::MakeTempDir("sim-shards");
  // The server waits for the whole fleet before each selection, in both
  // runs, so both select from the same clients.
  const std::string yaml =
      SmallConfig(n, 2, 0.5, 4, /*secure=*/true, "",
                  absl::StrFormat("  deadlines:\n    selection: 2m\n"));
  SimConfig local = Parse(yaml, dir + "/local");
  local.server.cohort.available_clients = n;
  SimulationResult unsharded = RunSimulation(local);
  ASSERT_EQ(unsharded.rounds.size(), 2u);
  for (const RoundRow& row : unsharded.rounds) {
    EXPECT_EQ(row.selected, n / 2);  // the fraction, not the whole fleet
  }

  // The same aggregator config, as `fedge server` would run it.
  const std::string pki_dir = dir + "/pki";
  auto server = StartServer(local, pki_dir, dir + "/server");
  ASSERT_TRUE(server.ok()) << server.status();

  std::vector<absl::StatusOr<ShardResult>> results(2, absl::UnknownError(""));
  std::vector<std::thread> shards;
  for (uint32_t i = 0; i < 2; ++i) {
    ShardOptions shard;
    shard.config = local;
    shard.shard = i;
    shard.shard_count = 2;
    shard.server_address = absl::StrCat("127.0.0.1:", (*server)->port());
    shard.pki_dir = pki_dir;
    shard.simulator_id = absl::StrCat("shard-", i);
    shard.server_name = "localhost";
    shard.show_progress = false;
    shard.out = nullptr;
    absl::StatusOr<std::unique_ptr<ShardRunner>> runner =
        ShardRunner::Create(std::move(shard));
    ASSERT_TRUE(runner.ok()) << runner.status();
    shards.emplace_back(
        [&results, i, r = std::shared_ptr<ShardRunner>(std::move(*runner))] {
          results[i] = r->Run();
        });
  }
  absl::Status finished = (*server)->Wait();
  for (std::thread& t : shards) t.join();
  ASSERT_TRUE(finished.ok()) << finished;
  size_t clients = 0;
  for (const absl::StatusOr<ShardResult>& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->failed, 0u);
    EXPECT_EQ(result->finished, result->clients);
    clients += result->clients;
  }
  EXPECT_EQ(clients, n);

  std::shared_ptr<const server::GlobalModel> model =
      (*server)->run_state().model();
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->version, unsharded.model_version);
  EXPECT_EQ(crypto::ToHex(model->sha256), unsharded.model_sha256);
  (*server)->Shutdown();
}

// A simulator speaks for a virtual client only with that client's own
// certificate from the federation's CA.
TEST(SimulationTest, VirtualClientsMustPresentTheirOwnCertificate) {
  const std::string dir = fedge::testing::MakeTempDir("sim-auth");
  SimConfig sim =
      Parse(SmallConfig(4, 1, 1.0, 2, /*secure=*/false), dir + "/unused");
  const std::string pki_dir = dir + "/pki";
  auto server = StartServer(sim, pki_dir, dir + "/server");
  ASSERT_TRUE(server.ok()) << server.status();
  const pki::PkiPaths paths(pki_dir);
  net::ClientTlsFiles tls;
  tls.ca_cert = paths.ca_cert();
  tls.cert = paths.simulator_cert("shard-0");
  tls.key = paths.simulator_key("shard-0");
  tls.server_name = "localhost";
  auto channel = client::ServerConnection::OpenChannel(
      absl::StrCat("127.0.0.1:", (*server)->port()), tls);
  ASSERT_TRUE(channel.ok()) << channel.status();

  auto issuer = pki::MemoryIssuer::Load(pki_dir);
  ASSERT_TRUE(issuer.ok()) << issuer.status();
  auto own = (*issuer)->IssueDevice("sim-1");
  auto other = (*issuer)->IssueDevice("sim-2");
  ASSERT_TRUE(own.ok() && other.ok());
  const std::string foreign_dir = dir + "/foreign";
  ASSERT_TRUE(pki::InitFederation(foreign_dir, pki::InitOptions{}).ok());
  auto foreign = (*pki::MemoryIssuer::Load(foreign_dir))->IssueDevice("sim-1");
  ASSERT_TRUE(foreign.ok());

  auto join = [&](const std::string& id, const std::string* pem) {
    auto stub = v1::Federation::NewStub(*channel);
    grpc::ClientContext context;
    context.AddMetadata("fedge-virtual-client", id);
    if (pem != nullptr) {
      context.AddMetadata("fedge-virtual-certificate-bin", *pem);
    }
    config::ConsentConfig consent;
    consent.purpose_id = sim.server.purpose_id;
    consent.version = "1";
    v1::JoinRequest request =
        client::MakeJoinRequest("test", consent, v1::DataFootprint());
    v1::JoinResponse response;
    return stub->Join(&context, request, &response);
  };
  grpc::Status none = join("sim-1", nullptr);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(none.error_message(), HasSubstr("certificate"));
  grpc::Status borrowed = join("sim-1", &other->certificate_pem);
  EXPECT_EQ(borrowed.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(borrowed.error_message(), HasSubstr("sim-2"));
  grpc::Status forged = join("sim-1", &foreign->certificate_pem);
  EXPECT_EQ(forged.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(forged.error_message(), HasSubstr("does not verify"));
  grpc::Status ok = join("sim-1", &own->certificate_pem);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  (*server)->Stop("test over");
  (*server)->Shutdown();
}

}  // namespace
}  // namespace fedge::sim
