#include "simulations/sim_config.h"

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::sim {
namespace {

using ::testing::HasSubstr;

constexpr char kMinimal[] = R"(name: t
seed: 4
run_dir: runs/x/../t
server:
  model:
    kind: mlp
    input_shape: [1, 28, 28]
    num_classes: 10
  rounds: 3
  cohort:
    min_clients: 2
fleet:
  clients: 50
  data:
    format: fashion_mnist
    split: test
  partition:
    scheme: dirichlet
    alpha: 0.5
  devices:
    examples_per_second: [5, 500]
  dropout:
    share: 0.2
  availability:
    mode: diurnal
    online_hours: 6
)";

absl::StatusOr<SimConfig> Parse(const std::string& yaml) {
  return ParseSimConfig(yaml, "sim.yaml", "/base");
}

TEST(SimConfigTest, ReadsTheFleetAndSeedsEverythingFromOneSeed) {
  absl::StatusOr<SimConfig> c = Parse(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->name, "t");
  EXPECT_EQ(c->run_dir, "/base/runs/t");
  EXPECT_EQ(c->seed, 4u);
  EXPECT_EQ(c->server.seed, 4u);
  EXPECT_EQ(c->server.rounds, 3u);
  EXPECT_EQ(c->fleet.clients, 50u);
  EXPECT_EQ(c->fleet.partition.count, 50u);
  EXPECT_EQ(c->fleet.partition.seed, 4u);
  EXPECT_DOUBLE_EQ(c->fleet.partition.alpha, 0.5);
  EXPECT_DOUBLE_EQ(c->fleet.examples_per_second.lo, 5);
  EXPECT_DOUBLE_EQ(c->fleet.examples_per_second.hi, 500);
  EXPECT_DOUBLE_EQ(c->fleet.dropout_share, 0.2);
  EXPECT_EQ(c->fleet.dropout_training, 0);
  EXPECT_EQ(c->fleet.availability, "diurnal");
  EXPECT_DOUBLE_EQ(c->fleet.online_hours, 6);

  SetSeed(9, &*c);
  EXPECT_EQ(c->server.seed, 9u);
  EXPECT_EQ(c->fleet.partition.seed, 9u);
}

TEST(SimConfigTest, APartitionSeedOfItsOwnIsKept) {
  std::string yaml = kMinimal;
  yaml.replace(yaml.find("    alpha: 0.5"), 14, "    alpha: 0.5\n    seed: 77");
  absl::StatusOr<SimConfig> c = Parse(yaml);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->fleet.partition.seed, 77u);
  SetSeed(9, &*c);
  EXPECT_EQ(c->fleet.partition.seed, 77u);
}

struct BadCase {
  std::string from;
  std::string to;
  std::string message;
};

TEST(SimConfigTest, BadValuesNameTheKeyAndSayWhatToDo) {
  const std::vector<BadCase> cases = {
      {"  clients: 50", "  clients: 0", "clients"},
      {"  clients: 50", "  clients: 1", "min_clients"},
      {"    examples_per_second: [5, 500]", "    examples_per_second: [500, 5]",
       "low <= high"},
      {"    share: 0.2", "    share: 1.0", "share"},
      {"    mode: diurnal", "    mode: weekly", "mode"},
      {"  rounds: 3", "  rounds: 3\n  listen: 0.0.0.0:1", "listen"},
      {"  rounds: 3", "  rounds: 3\n  run:\n    dir: elsewhere",
       "use the top-level run_dir"},
      {"  rounds: 3", "  rounds: 3\n  run:\n    seed: 3",
       "use the top-level seed"},
      {"fleet:", "fleet:\n  colour: blue", "colour"},
      {"  rounds: 3", "  rounds: 3\n  evaluation:\n    federated_every: 1",
       "use central_every"},
      {"fleet:", "fleet:\n  attack: {fraction: 1.0}", "attack.fraction"},
      {"fleet:", "fleet:\n  attack: {kind: backdoor}", "attack.kind"},
      {"fleet:", "fleet:\n  attack: {kind: sign_flip, scale: 3}",
       "attack.scale: applies only to kind: scale"},
  };
  for (const BadCase& bad : cases) {
    std::string yaml = kMinimal;
    const size_t at = yaml.find(bad.from);
    ASSERT_NE(at, std::string::npos) << bad.from;
    yaml.replace(at, bad.from.size(), bad.to);
    absl::StatusOr<SimConfig> c = Parse(yaml);
    ASSERT_FALSE(c.ok()) << bad.to;
    EXPECT_THAT(c.status().message(), HasSubstr("sim.yaml:")) << bad.to;
    EXPECT_THAT(c.status().message(), HasSubstr(bad.message)) << bad.to;
  }
}

TEST(SimConfigTest, AnAttackIsReadWithItsParameters) {
  std::string yaml = kMinimal;
  yaml.replace(yaml.find("fleet:"), 6,
               "fleet:\n  attack: {fraction: 0.2, kind: gaussian, sigma: 0.5}");
  absl::StatusOr<SimConfig> c = Parse(yaml);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->fleet.attack.fraction, 0.2);
  EXPECT_EQ(c->fleet.attack.kind, "gaussian");
  EXPECT_EQ(c->fleet.attack.sigma, 0.5);
  // No attack unless asked for.
  EXPECT_EQ(Parse(kMinimal)->fleet.attack.fraction, 0);
}

// The example configs the docs point users to all load (tests run from the
// source tree).
TEST(SimConfigTest, EveryExampleConfigLoads) {
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator("configs/sim")) {
    if (entry.path().extension() != ".yaml") continue;
    absl::StatusOr<SimConfig> config = LoadSimConfig(entry.path().string());
    EXPECT_TRUE(config.ok()) << entry.path() << ": " << config.status();
    ++loaded;
  }
  EXPECT_GE(loaded, 7);
}

}  // namespace
}  // namespace fedge::sim
