#include "common/config/server_config.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/config/config_test_util.h"
#include "common/config/yaml_reader.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::config {
namespace {

using ::fedge::config::testing::RepoPath;
using ::testing::HasSubstr;

// Lines 1-4: the required TLS files.
constexpr char kTls[] =
    "tls:\n"
    "  ca: ca.crt\n"
    "  cert: server.crt\n"
    "  key: server.key\n";
// Lines 1-6: the smallest valid server config.
const std::string kMinimal =
    std::string(kTls) + "evaluation:\n  central_every: 0\n";

absl::StatusOr<ServerConfig> Parse(const std::string& yaml,
                                   const std::string& base_dir = "/srv") {
  return ParseServerConfig(yaml, "server.yaml", base_dir);
}

std::string Error(const std::string& yaml) {
  absl::StatusOr<ServerConfig> config = Parse(yaml);
  if (config.ok()) return "OK";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

TEST(ServerConfigTest, LoadsTheExampleConfig) {
  const std::string path = RepoPath("configs/server/server.yaml");
  const std::string dir = ConfigBaseDir(path);
  absl::StatusOr<ServerConfig> loaded = LoadServerConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const ServerConfig& c = *loaded;
  EXPECT_EQ(c.source_path, path);
  EXPECT_EQ(c.run_id, "");
  EXPECT_EQ(c.run_dir, dir + "/runs/server");
  EXPECT_EQ(c.purpose_id, "fedge-training");
  EXPECT_TRUE(c.allowed_regions.empty());
  EXPECT_EQ(c.seed, 0u);
  EXPECT_EQ(c.listen_address, "127.0.0.1:50051");
  EXPECT_EQ(c.metrics_address, "127.0.0.1:9464");
  EXPECT_EQ(c.tls.ca_cert, dir + "/pki/ca.crt");
  EXPECT_EQ(c.tls.cert, dir + "/pki/server.crt");
  EXPECT_EQ(c.tls.key, dir + "/pki/server.key");
  EXPECT_EQ(c.tls.crl, dir + "/pki/crl.pem");
  EXPECT_EQ(c.model.kind, "cnn");
  EXPECT_EQ(c.model.torchscript_path, "");
  EXPECT_EQ(c.model.input_shape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(c.model.num_classes, 10);
  EXPECT_EQ(c.model.init_seed, 1u);
  EXPECT_EQ(c.rounds, 5u);
  EXPECT_EQ(c.cohort.min_clients, 2u);
  EXPECT_EQ(c.cohort.fraction, 1.0);
  EXPECT_EQ(c.cohort.max_clients, 1000u);
  EXPECT_EQ(c.deadlines.selection, absl::Minutes(5));
  EXPECT_EQ(c.deadlines.training, absl::Minutes(10));
  EXPECT_EQ(c.deadlines.evaluation, absl::Minutes(2));
  EXPECT_EQ(c.training.local_epochs, 1u);
  EXPECT_EQ(c.training.batch_size, 32u);
  EXPECT_EQ(c.training.learning_rate, 0.01);
  EXPECT_EQ(c.training.momentum, 0.0);
  EXPECT_EQ(c.training.weight_decay, 0.0);
  EXPECT_EQ(c.training.max_examples, 0u);
  EXPECT_EQ(c.strategy.name, "fedavg");
  EXPECT_EQ(c.strategy.max_example_weight, 0u);
  EXPECT_EQ(c.evaluation.federated_every, 0u);
  EXPECT_EQ(c.evaluation.central_every, 1u);
  EXPECT_EQ(c.evaluation.batch_size, 256u);
  ASSERT_TRUE(c.evaluation.central_data.has_value());
  EXPECT_EQ(c.evaluation.central_data->format, "fashion_mnist");
  EXPECT_EQ(c.evaluation.central_data->dir,
            "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(c.evaluation.central_data->split, "test");
  EXPECT_FALSE(c.evaluation.central_data->partition.has_value());
}

// The example file documents the defaults: its values must be the ones a
// config that leaves the keys out gets.
TEST(ServerConfigTest, LoadsTheExampleSiteConfig) {
  const std::string path = RepoPath("configs/server/site.yaml");
  const std::string dir = ConfigBaseDir(path);
  absl::StatusOr<ServerConfig> loaded = LoadServerConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const ServerConfig& c = *loaded;
  EXPECT_TRUE(c.upstream.enabled());
  EXPECT_EQ(c.upstream.server_address, "cloud.example.org:50051");
  EXPECT_EQ(c.upstream.region, "eu-north");
  EXPECT_EQ(c.upstream.tls.ca_cert, dir + "/upstream-pki/ca.crt");
  EXPECT_EQ(c.upstream.tls.key, dir + "/upstream-pki/site-oslo.key");
  EXPECT_EQ(c.tls.ca_cert, dir + "/site-pki/ca.crt");
  EXPECT_TRUE(c.secure_aggregation.enabled);
  EXPECT_EQ(c.strategy.name, "fedavg");
  EXPECT_EQ(c.evaluation.central_every, 0u);
}

TEST(ServerConfigTest, ExampleConfigShowsTheDefaults) {
  const std::string path = RepoPath("configs/server/server.yaml");
  absl::StatusOr<ServerConfig> example = LoadServerConfig(path);
  ASSERT_TRUE(example.ok()) << example.status();
  absl::StatusOr<ServerConfig> minimal =
      ParseServerConfig(std::string(kTls) + "evaluation:\n  central_data: {}\n",
                        "m.yaml", ConfigBaseDir(path));
  ASSERT_TRUE(minimal.ok()) << minimal.status();
  const ServerConfig defaults;
  EXPECT_EQ(minimal->run_dir, example->run_dir);
  EXPECT_EQ(example->run_id, defaults.run_id);
  EXPECT_EQ(example->purpose_id, defaults.purpose_id);
  EXPECT_EQ(example->after_end, defaults.after_end);
  EXPECT_EQ(example->final_model_grace, defaults.final_model_grace);
  EXPECT_EQ(example->listen_address, defaults.listen_address);
  EXPECT_EQ(example->metrics_address, defaults.metrics_address);
  EXPECT_EQ(example->model.kind, defaults.model.kind);
  EXPECT_EQ(example->model.input_shape, defaults.model.input_shape);
  EXPECT_EQ(example->model.num_classes, defaults.model.num_classes);
  EXPECT_EQ(example->model.init_seed, defaults.model.init_seed);
  EXPECT_EQ(example->rounds, defaults.rounds);
  EXPECT_EQ(example->cohort.min_clients, defaults.cohort.min_clients);
  EXPECT_EQ(example->cohort.fraction, defaults.cohort.fraction);
  EXPECT_EQ(example->cohort.max_clients, defaults.cohort.max_clients);
  EXPECT_EQ(example->deadlines.selection, defaults.deadlines.selection);
  EXPECT_EQ(example->deadlines.training, defaults.deadlines.training);
  EXPECT_EQ(example->deadlines.evaluation, defaults.deadlines.evaluation);
  EXPECT_EQ(example->training.learning_rate, defaults.training.learning_rate);
  EXPECT_EQ(example->training.batch_size, defaults.training.batch_size);
  EXPECT_EQ(example->evaluation.central_every,
            defaults.evaluation.central_every);
  EXPECT_EQ(example->evaluation.batch_size, defaults.evaluation.batch_size);
}

TEST(ServerConfigTest, MinimalConfigTakesDefaults) {
  absl::StatusOr<ServerConfig> c = Parse(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->source_path, "server.yaml");
  EXPECT_EQ(c->run_dir, "/srv/runs/server");
  EXPECT_EQ(c->tls.crl, "");
  EXPECT_EQ(c->rounds, 5u);
  EXPECT_EQ(c->evaluation.central_every, 0u);
  EXPECT_FALSE(c->evaluation.central_data.has_value());
}

TEST(ServerConfigTest, AuditKeyDefaultsToTheOneBesideTheCa) {
  absl::StatusOr<ServerConfig> c = Parse(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->audit.signing_key, "/srv/audit.key");
  c = Parse(kMinimal + "audit: {signing_key: keys/audit.key}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->audit.signing_key, "/srv/keys/audit.key");
  // The text's digest goes into the audit log; any change changes it.
  EXPECT_EQ(c->source_sha256.size(), 64u);
  EXPECT_NE(Parse(kMinimal + "rounds: 5\n")->source_sha256,
            Parse(kMinimal)->source_sha256);
}

TEST(ServerConfigTest, ComplianceSectionIsRead) {
  absl::StatusOr<ServerConfig> c =
      Parse(kMinimal +
            "compliance:\n"
            "  controller: {name: Example Health, contact: privacy@example}\n"
            "  dpo: {name: D. Protection, contact: dpo@example}\n"
            "  purposes: [triage model]\n"
            "  legal_basis: consent\n"
            "  data_subjects: [patients]\n"
            "  data_categories: [images]\n"
            "  recipients: [none]\n"
            "  transfers: []\n"
            "  retention: 90 days\n"
            "  security_measures: [disk encryption]\n"
            "  aggregator_region: eu-west\n");
  ASSERT_TRUE(c.ok()) << c.status();
  const v1::ProcessingRecord& r = c->compliance.record;
  EXPECT_EQ(r.controller().name(), "Example Health");
  EXPECT_EQ(r.dpo().contact(), "dpo@example");
  EXPECT_THAT(r.purposes(), ::testing::ElementsAre("triage model"));
  EXPECT_THAT(r.data_subject_categories(), ::testing::ElementsAre("patients"));
  EXPECT_EQ(r.legal_basis(), "consent");
  EXPECT_EQ(r.retention(), "90 days");
  EXPECT_EQ(c->compliance.aggregator_region, "eu-west");
  EXPECT_THAT(Error(kMinimal + "compliance: {controller: {email: x}}\n"),
              HasSubstr("compliance.controller.email"));
}

TEST(ServerConfigTest, UnknownKeyIsReportedWithSuggestion) {
  EXPECT_EQ(Error(kMinimal + "cohort:\n  minimun: 3\n"),
            "server.yaml:8:3: cohort.minimun: unknown key (did you mean "
            "'min_clients'?); known keys: min_clients, fraction, max_clients, "
            "available_clients");
  EXPECT_EQ(Error(kMinimal + "round: 3\n"),
            "server.yaml:7:1: round: unknown key (did you mean 'rounds'?); "
            "known keys: run, listen, metrics_listen, tls, audit, model, "
            "rounds, cohort, deadlines, training, strategy, "
            "secure_aggregation, limits, simulation, evaluation, privacy, "
            "compliance, upstream");
}

TEST(ServerConfigTest, TransportMemoryQuota) {
  EXPECT_EQ(Parse(kMinimal)->limits.transport_memory_mib, 32u);
  EXPECT_EQ(Parse(kMinimal + "limits: {transport_memory_mib: 0}\n")
                ->limits.transport_memory_mib,
            0u);
  EXPECT_EQ(Parse(kMinimal + "limits: {transport_memory_mib: 256}\n")
                ->limits.transport_memory_mib,
            256u);
  EXPECT_EQ(Error(kMinimal + "limits: {transport_memory_mib: 4}\n"),
            "server.yaml:7:32: limits.transport_memory_mib: 4 is too small "
            "(expected 0 for no quota, or at least 16 MiB)");
}

TEST(ServerConfigTest, WrongTypeIsReported) {
  EXPECT_EQ(Error(kMinimal + "rounds: five\n"),
            "server.yaml:7:9: rounds: expected an integer, got 'five'");
  EXPECT_EQ(Error(kMinimal + "cohort: {min_clients: 2.5}\n"),
            "server.yaml:7:23: cohort.min_clients: expected an integer, got "
            "'2.5'");
  EXPECT_EQ(Error(kMinimal + "training:\n  max_examples: -10\n"),
            "server.yaml:8:17: training.max_examples: expected a non-negative "
            "integer, got '-10'");
  EXPECT_EQ(Error(kMinimal + "run: {allowed_regions: eu}\n"),
            "server.yaml:7:24: run.allowed_regions: expected a sequence of "
            "strings such as [a, b], got 'eu'");
}

TEST(ServerConfigTest, OutOfRangeIsReported) {
  EXPECT_EQ(Error(kMinimal + "cohort:\n  fraction: 1.5\n"),
            "server.yaml:8:13: cohort.fraction: 1.5 is out of range "
            "(expected 0 < fraction <= 1)");
  EXPECT_EQ(Error(kMinimal + "rounds: 0\n"),
            "server.yaml:7:9: rounds: 0 is out of range (expected rounds >= "
            "1)");
  EXPECT_EQ(Error(kMinimal + "training: {learning_rate: 0, batch_size: 0}\n"),
            "server.yaml:7:27: training.learning_rate: 0 is out of range "
            "(expected learning_rate > 0)\n"
            "server.yaml:7:42: training.batch_size: 0 is out of range "
            "(expected batch_size >= 1)");
  EXPECT_EQ(Error(kMinimal + "listen: 50051\n"),
            "server.yaml:7:9: listen: '50051' is not a host:port address "
            "(expected e.g. 127.0.0.1:50051, 0.0.0.0:50051 or [::1]:50051)");
}

TEST(ServerConfigTest, MissingRequiredKeyIsReported) {
  EXPECT_EQ(Error("tls:\n  ca: ca.crt\n  cert: s.crt\n"
                  "evaluation: {central_every: 0}\n"),
            "server.yaml: tls.key: required key is missing");
  EXPECT_EQ(Error("rounds: 3\nevaluation: {central_every: 0}\n"),
            "server.yaml: tls.ca: required key is missing\n"
            "server.yaml: tls.cert: required key is missing\n"
            "server.yaml: tls.key: required key is missing");
}

TEST(ServerConfigTest, DuplicateKeyIsReported) {
  EXPECT_EQ(Error(kMinimal + "rounds: 5\nrounds: 6\n"),
            "server.yaml:8:1: rounds: duplicate key (first set on line 7); "
            "keep one of the two");
}

TEST(ServerConfigTest, YamlSyntaxErrorIsReported) {
  EXPECT_EQ(Error(kMinimal + "cohort:\n  min_clients: 2\n fraction: 0.5\n"),
            "server.yaml:9:2: YAML syntax error: end of map not found");
}

TEST(ServerConfigTest, EmptyFileIsReported) {
  EXPECT_EQ(Error(""),
            "server.yaml: the config is empty (expected a mapping of keys to "
            "values, such as 'rounds: 5')");
}

TEST(ServerConfigTest, DataSourceKeyOfAnotherFormatIsReported) {
  EXPECT_EQ(Error(std::string(kTls) + "evaluation:\n"
                                      "  central_data:\n"
                                      "    format: csv\n"
                                      "    path: eval.csv\n"
                                      "    split: test\n"),
            "server.yaml:9:12: evaluation.central_data.split: only used with "
            "format 'fashion_mnist', but evaluation.central_data.format is "
            "'csv' (a csv source is one file, 'path', read as set by "
            "label_column, has_header, example_shape, num_classes and "
            "feature_scale)");
}

TEST(ServerConfigTest, CohortMinAboveMaxIsReported) {
  EXPECT_EQ(Error(kMinimal + "cohort: {min_clients: 5, max_clients: 3}\n"),
            "server.yaml:7:23: cohort.min_clients: 5 is greater than "
            "cohort.max_clients (3); a round could never complete");
}

TEST(ServerConfigTest, AvailableClientsBelowMinIsReported) {
  EXPECT_EQ(
      Error(kMinimal + "cohort: {min_clients: 3, available_clients: 2}\n"),
      "server.yaml:7:45: cohort.available_clients: 2 is less than "
      "cohort.min_clients (3); a round must start with at least as many "
      "clients as it needs to complete");
  auto ok = ParseServerConfig(
      kMinimal + "cohort: {min_clients: 2, available_clients: 3}\n",
      "server.yaml", "");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->cohort.available_clients, 3u);
}

TEST(ServerConfigTest, CentralEvaluationNeedsData) {
  EXPECT_EQ(Error(std::string(kTls) + "evaluation:\n  central_every: 2\n"),
            "server.yaml:6:18: evaluation.central_every: 2 needs "
            "evaluation.central_data, the held-out data set to evaluate on "
            "(add it, or set central_every: 0 to turn central evaluation "
            "off)");
  // Without an explicit central_every, a config without central_data simply
  // has no central evaluation.
  EXPECT_TRUE(config::ParseServerConfig(kTls, "server.yaml", "").ok());
}

TEST(ServerConfigTest, TorchscriptModelNeedsItsFile) {
  EXPECT_EQ(Error(kMinimal + "model:\n  kind: torchscript\n"),
            "server.yaml:8:9: model.kind: 'torchscript' needs "
            "model.torchscript, the file saved with torch.jit.save");
}

TEST(ServerConfigTest, StrategyNameListsAcceptedNames) {
  EXPECT_EQ(Error(kMinimal + "strategy: {name: fedsgd}\n"),
            "server.yaml:7:18: strategy.name: unknown value 'fedsgd' "
            "(accepted: fedavg, fedprox, fedavgm, fedadagrad, fedadam, "
            "fedyogi, median, trimmed_mean, krum, multi_krum)");
}

TEST(ServerConfigTest, FedProxNeedsItsMuAndOnlyItUsesIt) {
  absl::StatusOr<ServerConfig> c =
      Parse(kMinimal + "strategy: {name: fedprox, proximal_mu: 0.01}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->strategy.proximal_mu, 0.01);
  EXPECT_THAT(Error(kMinimal + "strategy: {name: fedprox}\n"),
              HasSubstr("strategy.name: fedprox needs strategy.proximal_mu "
                        "> 0"));
  EXPECT_THAT(Error(kMinimal + "strategy: {proximal_mu: 0.1}\n"),
              HasSubstr("strategy.proximal_mu: applies only to strategy "
                        "fedprox, not fedavg"));
  EXPECT_THAT(Error(kMinimal + "strategy: {name: fedprox, proximal_mu: -1}\n"),
              HasSubstr("strategy.proximal_mu"));
}

TEST(ServerConfigTest, StrategyParametersBelongToTheirStrategies) {
  absl::StatusOr<ServerConfig> c =
      Parse(kMinimal +
            "strategy: {name: fedadam, server_learning_rate: 0.1, beta1: 0.8, "
            "beta2: 0.95, tau: 0.01}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->strategy.server_learning_rate, 0.1);
  EXPECT_EQ(c->strategy.beta1, 0.8);
  EXPECT_EQ(c->strategy.tau, 0.01);
  EXPECT_THAT(Error(kMinimal + "strategy: {name: fedavgm, beta1: 0.5}\n"),
              HasSubstr("strategy.beta1: applies only to strategy "
                        "fedadagrad, fedadam, fedyogi, not fedavgm"));
  EXPECT_THAT(Error(kMinimal + "strategy: {name: fedadam, beta2: 1.0}\n"),
              HasSubstr("strategy.beta2"));
  EXPECT_THAT(
      Error(kMinimal + "strategy: {name: trimmed_mean, trim_fraction: 0.5}\n"),
      HasSubstr("strategy.trim_fraction"));
}

TEST(ServerConfigTest, RobustStrategiesNeedPlaintextRounds) {
  EXPECT_THAT(Error(kMinimal + "strategy: {name: krum}\n"),
              HasSubstr("strategy.name: krum needs each client's update, "
                        "which secure aggregation hides from the server by "
                        "design; set secure_aggregation.enabled: false"));
  absl::StatusOr<ServerConfig> c =
      Parse(kMinimal +
            "strategy: {name: multi_krum, byzantine: 2, multi_krum_m: 3}\n"
            "secure_aggregation: {enabled: false}\n"
            "cohort: {min_clients: 7}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->strategy.byzantine, 2u);
  EXPECT_EQ(c->strategy.multi_krum_m, 3u);
}

TEST(ServerConfigTest, StrategyParametersListsThoseOfTheStrategy) {
  StrategyConfig s;
  s.name = "fedadagrad";
  s.server_learning_rate = 0.25;
  EXPECT_THAT(
      StrategyParameters(s),
      ::testing::ElementsAre(
          std::pair<std::string, std::string>{"server_learning_rate", "0.25"},
          std::pair<std::string, std::string>{"beta1", "0.9"},
          std::pair<std::string, std::string>{"tau", "0.001"}));
  s.name = "fedavg";
  EXPECT_TRUE(StrategyParameters(s).empty());
}

TEST(ServerConfigTest, PrivacyIsOffByDefaultAndChecked) {
  absl::StatusOr<ServerConfig> off = Parse(kMinimal);
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->privacy.enabled());
  EXPECT_THAT(Error(kMinimal + "privacy: {clip_norm: 1}\n"),
              HasSubstr("privacy.clip_norm: has no effect with privacy.mode: "
                        "none"));
  EXPECT_THAT(Error(kMinimal + "privacy: {mode: local}\n"),
              HasSubstr("privacy.mode: unknown value 'local' (accepted: "
                        "none, central, distributed)"));

  absl::StatusOr<ServerConfig> distributed =
      Parse(kMinimal +
            "privacy: {mode: distributed, clip_norm: 0.5, noise_multiplier: "
            "1.1, delta: 1e-6, epsilon_budget: 8}\n"
            "strategy: {max_example_weight: 100}\n");
  ASSERT_TRUE(distributed.ok()) << distributed.status();
  EXPECT_TRUE(distributed->privacy.distributed());
  EXPECT_EQ(distributed->privacy.noise_multiplier, 1.1);
  EXPECT_EQ(distributed->privacy.delta, 1e-6);
  EXPECT_EQ(distributed->privacy.epsilon_budget, 8);
  // Every update counts once under differential privacy.
  EXPECT_EQ(distributed->strategy.max_example_weight, 1u);
  EXPECT_EQ(distributed->secure_aggregation.max_weight, 1u);

  EXPECT_THAT(Error(kMinimal + "privacy: {mode: distributed, delta: 1}\n"),
              HasSubstr("privacy.delta"));
  EXPECT_THAT(
      Error(kMinimal + "privacy: {mode: central, noise_multiplier: 0}\n"),
      HasSubstr("privacy.noise_multiplier"));
}

TEST(ServerConfigTest, PrivacyModesMatchSecureAggregation) {
  EXPECT_THAT(Error(kMinimal + "privacy: {mode: central}\n"),
              HasSubstr("privacy.mode: central has the server clip each "
                        "update and add the noise, so the server must see "
                        "each update; set secure_aggregation.enabled: false"));
  EXPECT_THAT(Error(kMinimal + "privacy: {mode: distributed}\n"
                               "secure_aggregation: {enabled: false}\n"),
              HasSubstr("privacy.mode: distributed needs "
                        "secure_aggregation.enabled: true"));
  EXPECT_THAT(Error(kMinimal +
                    "privacy: {mode: distributed, adaptive_clipping: true}\n"),
              HasSubstr("privacy.adaptive_clipping: is available with mode: "
                        "central only"));
  EXPECT_THAT(
      Error(kMinimal + "privacy: {mode: central, target_quantile: 0.7}\n"
                       "secure_aggregation: {enabled: false}\n"),
      HasSubstr("privacy.target_quantile: applies only with "
                "privacy.adaptive_clipping: true"));
  EXPECT_THAT(Error(kMinimal + "privacy: {mode: central}\n"
                               "secure_aggregation: {enabled: false}\n"
                               "strategy: {name: median}\n"),
              HasSubstr("strategy.name: median cannot be combined with "
                        "differential privacy"));
  absl::StatusOr<ServerConfig> adaptive =
      Parse(kMinimal +
            "privacy: {mode: central, adaptive_clipping: true, "
            "target_quantile: 0.7, clip_learning_rate: 0.1}\n"
            "secure_aggregation: {enabled: false}\n"
            "strategy: {name: fedadam, server_learning_rate: 0.01}\n");
  ASSERT_TRUE(adaptive.ok()) << adaptive.status();
  EXPECT_EQ(adaptive->privacy.target_quantile, 0.7);
}

TEST(ServerConfigTest, KrumNeedsMoreThanTwiceTheByzantineClientsPerRound) {
  EXPECT_THAT(Error(kMinimal + "strategy: {name: krum, byzantine: 2}\n"
                               "secure_aggregation: {enabled: false}\n"
                               "cohort: {min_clients: 6}\n"),
              HasSubstr("cohort.min_clients: krum with strategy.byzantine: 2 "
                        "needs at least 2f + 3 = 7 updates a round"));
}

TEST(ServerConfigTest, SecureAggregationIsOnByDefaultAndChecked) {
  auto c = Parse(std::string(kTls));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->secure_aggregation.enabled);
  EXPECT_EQ(c->secure_aggregation.ring_bits, 32u);
  auto custom = Parse(std::string(kTls) +
                      "secure_aggregation: {enabled: true, threshold: 3, "
                      "degree: 6, bits: 40, clip_range: 0.25, max_weight: 500, "
                      "dropout_rate: 0.2, corruption_rate: 0.1}\n");
  ASSERT_TRUE(custom.ok()) << custom.status();
  EXPECT_EQ(custom->secure_aggregation.threshold, 3u);
  EXPECT_EQ(custom->secure_aggregation.degree, 6u);
  EXPECT_EQ(custom->secure_aggregation.ring_bits, 40u);
  EXPECT_DOUBLE_EQ(custom->secure_aggregation.clip_range, 0.25);
  EXPECT_EQ(Error(kMinimal + "secure_aggregation: {degree: 5}\n"),
            "server.yaml:7:30: secure_aggregation.degree: 5 must be even "
            "(each client is joined to degree/2 neighbours on either side), "
            "or 0 to derive it");
  EXPECT_EQ(Error(kMinimal + "secure_aggregation: {threshold: 8, degree: 4}\n"),
            "server.yaml:7:33: secure_aggregation.threshold: 8 is greater "
            "than secure_aggregation.degree (4): no client could be unmasked");
  EXPECT_EQ(Error(kMinimal + "secure_aggregation: {bits: 64}\n"),
            "server.yaml:7:28: secure_aggregation.bits: 64 is out of range "
            "(expected 8 <= bits <= 62)");
}

TEST(ServerConfigTest, AllProblemsAreReportedTogether) {
  EXPECT_EQ(Error(kMinimal + "rounds: 0\ncohort: {fraction: 0}\nfoo: 1\n"),
            "server.yaml:7:9: rounds: 0 is out of range (expected rounds >= "
            "1)\n"
            "server.yaml:8:20: cohort.fraction: 0 is out of range (expected "
            "0 < fraction <= 1)\n"
            "server.yaml:9:1: foo: unknown key; known keys: run, listen, "
            "metrics_listen, tls, audit, model, rounds, cohort, deadlines, "
            "training, strategy, secure_aggregation, limits, simulation, "
            "evaluation, privacy, compliance, upstream");
}

TEST(ServerConfigTest, RelativePathsResolveAgainstTheBaseDir) {
  absl::StatusOr<ServerConfig> c = Parse(
      "tls: {ca: ../pki/ca.crt, cert: /etc/fedge/server.crt, key: server.key, "
      "crl: crl.pem}\n"
      "run: {dir: /var/lib/fedge}\n"
      "evaluation:\n"
      "  central_data: {format: idx, images: data/i.gz, labels: data/l.gz}\n",
      "/srv/fedge");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tls.ca_cert, "/srv/fedge/../pki/ca.crt");
  EXPECT_EQ(c->tls.cert, "/etc/fedge/server.crt");
  EXPECT_EQ(c->tls.key, "/srv/fedge/server.key");
  EXPECT_EQ(c->tls.crl, "/srv/fedge/crl.pem");
  EXPECT_EQ(c->run_dir, "/var/lib/fedge");
  ASSERT_TRUE(c->evaluation.central_data.has_value());
  EXPECT_EQ(c->evaluation.central_data->images_path, "/srv/fedge/data/i.gz");
  EXPECT_EQ(c->evaluation.central_data->labels_path, "/srv/fedge/data/l.gz");
}

TEST(ServerConfigTest, LoadResolvesPathsAgainstTheFilesDirectory) {
  const std::string dir = ::testing::TempDir() + "/server_config_test";
  ASSERT_TRUE(util::MakeDirectories(dir).ok());
  const std::string path = dir + "/server.yaml";
  ASSERT_TRUE(util::WriteFileAtomically(path, kMinimal).ok());
  absl::StatusOr<ServerConfig> c = LoadServerConfig(path);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->source_path, path);
  EXPECT_EQ(c->tls.ca_cert, dir + "/ca.crt");
  EXPECT_EQ(c->run_dir, dir + "/runs/server");
}

TEST(ServerConfigTest, MissingFileIsNotFound) {
  const std::string path = ::testing::TempDir() + "/absent/server.yaml";
  absl::StatusOr<ServerConfig> c = LoadServerConfig(path);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr(path));
}

TEST(ServerConfigTest, DeadlinesAreDurations) {
  absl::StatusOr<ServerConfig> c =
      Parse(kMinimal +
            "deadlines: {selection: 250ms, training: 1h30m, "
            "evaluation: 45s}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->deadlines.selection, absl::Milliseconds(250));
  EXPECT_EQ(c->deadlines.training, absl::Minutes(90));
  EXPECT_EQ(c->deadlines.evaluation, absl::Seconds(45));

  EXPECT_EQ(Error(kMinimal + "deadlines:\n  training: 0s\n"),
            "server.yaml:8:13: deadlines.training: 0s is out of range "
            "(expected training > 0)");
  EXPECT_EQ(Error(kMinimal + "deadlines:\n  selection: 10\n"),
            "server.yaml:8:14: deadlines.selection: expected a duration such "
            "as 250ms, 30s, 5m or 1h, got '10' (a number needs a unit)");
}

TEST(ServerConfigTest, MetricsCanBeDisabled) {
  absl::StatusOr<ServerConfig> c = Parse(kMinimal + "metrics_listen: \"\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->metrics_address, "");
}

TEST(ServerConfigTest, ReadsRunSettings) {
  absl::StatusOr<ServerConfig> c =
      Parse(kMinimal +
            "run:\n  id: exp-7\n  purpose: research\n  seed: 99\n"
            "  allowed_regions: [eu-west, eu-north]\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->run_id, "exp-7");
  EXPECT_EQ(c->purpose_id, "research");
  EXPECT_EQ(c->seed, 99u);
  EXPECT_EQ(c->allowed_regions,
            (std::vector<std::string>{"eu-west", "eu-north"}));
  EXPECT_EQ(c->after_end, "exit");
  EXPECT_EQ(c->final_model_grace, absl::Seconds(30));
  EXPECT_EQ(Error(kMinimal + "run: {id: a/b}\n"),
            "server.yaml:7:11: run.id: 'a/b' is not a valid name (expected 1 "
            "to 64 letters, digits, '.', '_' or '-', not starting with '.' or "
            "'-')");
}

TEST(ServerConfigTest, ReadsWhatTheServerDoesAfterTheRun) {
  absl::StatusOr<ServerConfig> c =
      Parse(kMinimal + "run: {after_end: serve, final_model_grace: 0s}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->after_end, "serve");
  EXPECT_EQ(c->final_model_grace, absl::ZeroDuration());
  EXPECT_EQ(Error(kMinimal + "run: {after_end: linger}\n"),
            "server.yaml:7:18: run.after_end: unknown value 'linger' "
            "(accepted: exit, serve)");
  EXPECT_THAT(Error(kMinimal + "run: {final_model_grace: -1s}\n"),
              HasSubstr("run.final_model_grace: -1s is out of range"));
}

// Lines 7-13 when appended to kMinimal: a site's link to its upstream.
constexpr char kUpstream[] =
    "upstream:\n"
    "  server: cloud.example.org:50051\n"
    "  region: eu-north\n"
    "  tls:\n"
    "    ca: root/ca.crt\n"
    "    cert: root/site-oslo.crt\n"
    "    key: root/site-oslo.key\n";

TEST(ServerConfigTest, UpstreamMakesASiteAggregator) {
  absl::StatusOr<ServerConfig> root = Parse(kMinimal);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_FALSE(root->upstream.enabled());

  absl::StatusOr<ServerConfig> site =
      Parse(kMinimal + kUpstream + "  reconnect: {initial: 2s, max: 1m}\n");
  ASSERT_TRUE(site.ok()) << site.status();
  const UpstreamConfig& u = site->upstream;
  EXPECT_TRUE(u.enabled());
  EXPECT_EQ(u.server_address, "cloud.example.org:50051");
  EXPECT_EQ(u.region, "eu-north");
  EXPECT_EQ(u.tls.ca_cert, "/srv/root/ca.crt");
  EXPECT_EQ(u.tls.cert, "/srv/root/site-oslo.crt");
  EXPECT_EQ(u.tls.key, "/srv/root/site-oslo.key");
  EXPECT_EQ(u.reconnect.initial, absl::Seconds(2));
  EXPECT_EQ(u.reconnect.max, absl::Minutes(1));
}

TEST(ServerConfigTest, UpstreamNeedsItsServerAndCertificates) {
  EXPECT_THAT(Error(kMinimal + "upstream:\n  region: eu-north\n"),
              HasSubstr("upstream.server: required"));
  EXPECT_THAT(Error(kMinimal + "upstream:\n  server: cloud:50051\n"),
              HasSubstr("upstream.tls"));
  EXPECT_THAT(Error(kMinimal + kUpstream +
                    "  reconnect: {max: 1s, "
                    "initial: 5s}\n"),
              HasSubstr("upstream.reconnect.max: 1s is less than "
                        "upstream.reconnect.initial (5s)"));
}

TEST(ServerConfigTest, SiteLeavesRoundsStrategyAndPrivacyToTheUpstream) {
  EXPECT_THAT(Error(kMinimal + kUpstream + "rounds: 3\n"),
              HasSubstr("rounds: a site aggregator (upstream: is set) runs "
                        "one round for each round of its upstream"));
  EXPECT_THAT(Error(kMinimal + kUpstream +
                    "secure_aggregation: {enabled: false}\nstrategy: {name: "
                    "fedadam}\n"),
              HasSubstr("strategy.name: a site aggregator sends its devices' "
                        "example-weighted mean upstream"));
  EXPECT_THAT(Error(kMinimal + kUpstream +
                    "strategy: {name: fedavg, server_learning_rate: 0.5}\n"),
              HasSubstr("use fedavg or fedprox with server_learning_rate 1"));
  EXPECT_THAT(Error(kMinimal + kUpstream +
                    "privacy: {mode: distributed, clip_norm: 0.5, "
                    "noise_multiplier: 1.1}\n"),
              HasSubstr("differential privacy is accounted where the model "
                        "is released"));
  // A site with secure aggregation and FedProx is fine.
  auto ok = Parse(kMinimal + kUpstream +
                  "strategy: {name: fedprox, proximal_mu: 0.01}\n");
  EXPECT_TRUE(ok.ok()) << ok.status();
}

}  // namespace
}  // namespace fedge::config
