#include "common/config/client_config.h"

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/config/config_test_util.h"
#include "common/config/yaml_reader.h"
#include "gtest/gtest.h"

namespace fedge::config {
namespace {

using ::fedge::config::testing::RepoPath;

// Lines 1-4: the smallest valid client config.
constexpr char kMinimal[] =
    "tls:\n"
    "  ca: ca.crt\n"
    "  cert: device.crt\n"
    "  key: device.key\n";

absl::StatusOr<ClientConfig> Parse(const std::string& yaml) {
  return ParseClientConfig(yaml, "client.yaml", "/dev-cfg");
}

std::string Error(const std::string& yaml) {
  absl::StatusOr<ClientConfig> config = Parse(yaml);
  if (config.ok()) return "OK";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

TEST(ClientConfigTest, LoadsTheExampleConfig) {
  const std::string path = RepoPath("configs/client/client.yaml");
  const std::string dir = ConfigBaseDir(path);
  absl::StatusOr<ClientConfig> loaded = LoadClientConfig(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const ClientConfig& c = *loaded;
  const ClientConfig defaults;
  EXPECT_EQ(c.source_path, path);
  EXPECT_EQ(c.server_address, "localhost:50051");
  EXPECT_EQ(c.server_address, defaults.server_address);
  EXPECT_EQ(c.tls.ca_cert, dir + "/pki/ca.crt");
  EXPECT_EQ(c.tls.cert, dir + "/pki/device-1.crt");
  EXPECT_EQ(c.tls.key, dir + "/pki/device-1.key");
  EXPECT_EQ(c.tls.server_name, "");
  EXPECT_EQ(c.region, "unspecified");
  EXPECT_EQ(c.consent.purpose_id, "fedge-training");
  EXPECT_EQ(c.consent.version, "1");
  EXPECT_EQ(c.consent.given_at, absl::UnixEpoch());
  EXPECT_EQ(c.data.format, "fashion_mnist");
  EXPECT_EQ(c.data.dir, "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(c.data.split, "train");
  EXPECT_FALSE(c.data.partition.has_value());
  EXPECT_EQ(c.torchscript_path, "");
  EXPECT_EQ(c.threads, 1u);
  EXPECT_EQ(c.state_dir, dir + "/client-state");
  EXPECT_EQ(c.reconnect.initial, absl::Milliseconds(500));
  EXPECT_EQ(c.reconnect.max, absl::Seconds(30));
  EXPECT_EQ(c.reconnect.multiplier, 2.0);
  EXPECT_EQ(c.reconnect.jitter, 0.2);
  EXPECT_EQ(c.reconnect.give_up_after, absl::ZeroDuration());
  EXPECT_EQ(c.serve.listen, "");
  EXPECT_EQ(c.serve.grpc, "");
  EXPECT_EQ(c.reconnect.initial, defaults.reconnect.initial);
  EXPECT_EQ(c.reconnect.max, defaults.reconnect.max);
  EXPECT_EQ(c.reconnect.jitter, defaults.reconnect.jitter);
}

TEST(ClientConfigTest, MinimalConfigTakesDefaults) {
  absl::StatusOr<ClientConfig> c = Parse(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tls.ca_cert, "/dev-cfg/ca.crt");
  EXPECT_EQ(c->state_dir, "/dev-cfg/client-state");
  EXPECT_EQ(c->region, "unspecified");
  EXPECT_EQ(c->data.format, "fashion_mnist");
  EXPECT_EQ(c->threads, 1u);
}

TEST(ClientConfigTest, ReadsEverySetting) {
  absl::StatusOr<ClientConfig> c =
      Parse(std::string(kMinimal) +
            "server: aggregator.example.org:443\n"
            "region: eu-west\n"
            "consent: {purpose: research, version: 3b, "
            "given_at: 2024-05-01T12:00:00Z}\n"
            "data:\n"
            "  format: csv\n"
            "  path: /data/local.csv\n"
            "  label_column: -1\n"
            "  partition: {index: 1, count: 3, seed: 7}\n"
            "model: {torchscript: model.pt}\n"
            "threads: 4\n"
            "state_dir: /var/lib/fedge-client\n"
            "reconnect: {initial: 1s, max: 1m, multiplier: 1.5, jitter: 0, "
            "give_up_after: 2h}\n"
            "serve: {listen: 127.0.0.1:8080, grpc: \"[::1]:9090\"}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server_address, "aggregator.example.org:443");
  EXPECT_EQ(c->region, "eu-west");
  EXPECT_EQ(c->consent.purpose_id, "research");
  EXPECT_EQ(c->consent.version, "3b");
  EXPECT_EQ(c->consent.given_at, absl::FromUnixSeconds(1714564800));
  EXPECT_EQ(c->data.format, "csv");
  EXPECT_EQ(c->data.csv_path, "/data/local.csv");
  EXPECT_EQ(c->data.csv.label_column, -1);
  ASSERT_TRUE(c->data.partition.has_value());
  EXPECT_EQ(c->data.partition->index, 1u);
  EXPECT_EQ(c->data.partition->spec.count, 3u);
  EXPECT_EQ(c->data.partition->spec.seed, 7u);
  EXPECT_EQ(c->torchscript_path, "/dev-cfg/model.pt");
  EXPECT_EQ(c->threads, 4u);
  EXPECT_EQ(c->state_dir, "/var/lib/fedge-client");
  EXPECT_EQ(c->reconnect.initial, absl::Seconds(1));
  EXPECT_EQ(c->reconnect.max, absl::Minutes(1));
  EXPECT_EQ(c->reconnect.multiplier, 1.5);
  EXPECT_EQ(c->reconnect.jitter, 0.0);
  EXPECT_EQ(c->reconnect.give_up_after, absl::Hours(2));
  EXPECT_EQ(c->serve.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->serve.grpc, "[::1]:9090");
}

TEST(ClientConfigTest, MissingRequiredKeyIsReported) {
  EXPECT_EQ(Error("tls:\n  ca: ca.crt\n  key: device.key\n"),
            "client.yaml: tls.cert: required key is missing");
}

TEST(ClientConfigTest, UnknownKeyIsReportedWithSuggestion) {
  EXPECT_EQ(Error(std::string(kMinimal) + "reconnect:\n  initail: 1s\n"),
            "client.yaml:6:3: reconnect.initail: unknown key (did you mean "
            "'initial'?); known keys: initial, max, multiplier, jitter, "
            "give_up_after");
  EXPECT_EQ(Error(std::string(kMinimal) + "model: {kind: cnn}\n"),
            "client.yaml:5:9: model.kind: unknown key; known keys: "
            "torchscript");
}

TEST(ClientConfigTest, WrongTypeIsReported) {
  EXPECT_EQ(Error(std::string(kMinimal) + "threads: -2\n"),
            "client.yaml:5:10: threads: expected a non-negative integer, got "
            "'-2'");
  EXPECT_EQ(Error(std::string(kMinimal) + "consent:\n  given_at: yesterday\n"),
            "client.yaml:6:13: consent.given_at: expected an RFC 3339 time "
            "such as 2024-05-01T12:00:00Z, got 'yesterday'");
  EXPECT_EQ(Error(std::string(kMinimal) +
                  "data:\n  format: csv\n  path: d.csv\n  has_header: yes\n"),
            "client.yaml:8:15: data.has_header: expected true or false, got "
            "'yes'");
}

TEST(ClientConfigTest, ReconnectRanges) {
  EXPECT_EQ(Error(std::string(kMinimal) + "reconnect: {jitter: 1.0}\n"),
            "client.yaml:5:21: reconnect.jitter: 1.0 is out of range "
            "(expected 0 <= jitter < 1)");
  EXPECT_EQ(Error(std::string(kMinimal) + "reconnect: {multiplier: 0.5}\n"),
            "client.yaml:5:25: reconnect.multiplier: 0.5 is out of range "
            "(expected multiplier >= 1)");
  EXPECT_EQ(Error(std::string(kMinimal) + "reconnect: {give_up_after: -1s}\n"),
            "client.yaml:5:28: reconnect.give_up_after: -1s is out of range "
            "(expected give_up_after >= 0)");
}

TEST(ClientConfigTest, ReconnectMaxBelowInitialIsReported) {
  EXPECT_EQ(
      Error(std::string(kMinimal) + "reconnect: {initial: 10s, max: 2s}\n"),
      "client.yaml:5:32: reconnect.max: 2s is less than "
      "reconnect.initial (10s)");
}

TEST(ClientConfigTest, DataKeyOfAnotherFormatIsReported) {
  EXPECT_EQ(Error(std::string(kMinimal) +
                  "data:\n  format: csv\n  path: d.csv\n  images: i.gz\n"),
            "client.yaml:8:11: data.images: only used with format 'idx', but "
            "data.format is 'csv' (a csv source is one file, 'path', read as "
            "set by label_column, has_header, example_shape, num_classes and "
            "feature_scale)");
}

TEST(ClientConfigTest, EmptyStateDirIsRejected) {
  EXPECT_EQ(Error(std::string(kMinimal) + "state_dir: \"\"\n"),
            "client.yaml:5:12: state_dir: must not be empty");
}

TEST(ClientConfigTest, ServeAddressIsChecked) {
  EXPECT_EQ(Error(std::string(kMinimal) + "serve:\n  listen: 8080\n"),
            "client.yaml:6:11: serve.listen: '8080' is not a host:port "
            "address (expected e.g. 127.0.0.1:50051, 0.0.0.0:50051 or "
            "[::1]:50051, or \"\" to disable)");
  EXPECT_EQ(Error(std::string(kMinimal) + "serve: {http: 127.0.0.1:8080}\n"),
            "client.yaml:5:9: serve.http: unknown key; known keys: listen, "
            "grpc");
}

}  // namespace
}  // namespace fedge::config
