#ifndef FEDGE_COMMON_CONFIG_SERVER_CONFIG_H_
#define FEDGE_COMMON_CONFIG_SERVER_CONFIG_H_

// The aggregator's configuration (`fedge server --config F`), as read from
// YAML by LoadServerConfig. Defaults are the values a reader sees in
// configs/server/server.yaml.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/client_config.h"
#include "common/data/data_source.h"
#include "common/models/model_spec.h"
#include "common/secagg/parameters.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::config {

struct TlsFiles {
  std::string ca_cert;  // the federation CA (trust anchor for clients)
  std::string cert;     // this server's certificate
  std::string key;      // its private key (must be mode 0600)
  std::string crl;      // revocation list written by `fedge pki revoke`
};

struct CohortConfig {
  // A round completes only if at least this many uploads were accepted;
  // otherwise it is abandoned and the previous model stands.
  uint32_t min_clients = 2;
  // A round starts once this many eligible clients are connected (0: the
  // same as min_clients). Larger than min_clients, it lets a round lose
  // clients and still complete.
  uint32_t available_clients = 0;
  // Fraction of connected eligible clients selected per round, in (0, 1].
  double fraction = 1.0;
  // Upper bound on the cohort size.
  uint32_t max_clients = 1000;
};

struct DeadlineConfig {
  // How long a round waits for min_clients to be connected.
  absl::Duration selection = absl::Minutes(5);
  // From the task being sent to the last accepted upload (download, train,
  // upload).
  absl::Duration training = absl::Minutes(10);
  // For federated evaluation reports.
  absl::Duration evaluation = absl::Minutes(2);
  // For each short secure aggregation stage (advertise keys, share keys,
  // unmask).
  absl::Duration secagg_stage = absl::Minutes(1);
};

struct LocalTrainingConfig {
  uint32_t local_epochs = 1;
  uint32_t batch_size = 32;
  double learning_rate = 0.01;
  double momentum = 0.0;
  double weight_decay = 0.0;
  uint64_t max_examples = 0;
};

struct StrategyConfig {
  // fedavg, fedprox; the server optimisers fedavgm, fedadagrad, fedadam,
  // fedyogi (they need only the sum, so they work with secure
  // aggregation); the robust aggregators median, trimmed_mean, krum,
  // multi_krum (plaintext rounds only: they need each update).
  std::string name = "fedavg";
  // Caps each client's example count used as its FedAvg weight (0: no cap),
  // so one client cannot dominate by claiming many examples.
  uint64_t max_example_weight = 0;
  // FedProx (name: fedprox): the weight mu of the proximal term
  // (mu / 2) * ||w - w_global||^2 clients add to their local loss.
  double proximal_mu = 0;
  // Server optimisers (Reddi et al., 2021): the server learning rate eta;
  // FedAvgM's momentum; the first-moment decay beta1 of FedAdagrad, FedAdam
  // and FedYogi, the second-moment decay beta2 of the last two, and the
  // adaptivity tau of all three.
  double server_learning_rate = 1.0;
  double server_momentum = 0.9;
  double beta1 = 0.9;
  double beta2 = 0.99;
  double tau = 1e-3;
  // trimmed_mean: the fraction beta of the largest and of the smallest
  // values dropped per coordinate, in [0, 0.5).
  double trim_fraction = 0.1;
  // krum, multi_krum: f, the Byzantine clients tolerated (a round needs
  // more than 2f + 2 updates); multi_krum averages the m best-scoring
  // updates (0: n - f).
  uint32_t byzantine = 1;
  uint32_t multi_krum_m = 0;
};

// Differential privacy (docs/privacy.md). With a mode other than "none"
// every accepted update counts once (weight 1), is clipped to L2 norm
// clip_norm, and Gaussian noise of standard deviation
// noise_multiplier * clip_norm is added to the sum.
struct PrivacyConfig {
  // none; central: the server clips each update and adds the noise
  // (plaintext rounds); distributed: each client clips and adds its share
  // of the noise before secure aggregation, so the server never sees a
  // noiseless sum.
  std::string mode = "none";
  double clip_norm = 1.0;         // S; the first clip norm if adaptive
  double noise_multiplier = 1.0;  // z
  // central only: clip at a privately estimated quantile of the update
  // norms (Andrew et al., 2021).
  bool adaptive_clipping = false;
  double target_quantile = 0.5;
  double clip_learning_rate = 0.2;
  // The noise on the count of clipped updates; 0: expected cohort / 20.
  double count_noise_stddev = 0;
  // The delta of the (epsilon, delta) reported; choose it well below
  // 1 / (number of clients).
  double delta = 1e-5;
  // Stop the run before a round would take epsilon past this; 0: no budget.
  double epsilon_budget = 0;

  bool enabled() const { return mode != "none"; }
  bool central() const { return mode == "central"; }
  bool distributed() const { return mode == "distributed"; }
};

struct LimitsConfig {
  // Uploads buffered at once; more wait (gRPC flow control holds them back),
  // so the server's memory is bounded by this many models plus the sum.
  uint32_t max_concurrent_uploads = 8;
  // gRPC's memory quota for the server's connections, in MiB (0: none).
  // Above about 80% of it gRPC reads only what a call needs and frees idle
  // connections' read buffers, so their memory stops growing with use
  // (docs/performance.md, "What grows"). When it is used up, gRPC cancels
  // streams, so it must leave room for the uploads in flight.
  uint32_t transport_memory_mib = 32;
};

struct EvaluationConfig {
  // Run federated evaluation on the round's cohort every N rounds (0: never).
  uint32_t federated_every = 0;
  // Central evaluation on a held-out set every N rounds (0: never).
  uint32_t central_every = 1;
  std::optional<data::DataSource> central_data;
  uint32_t batch_size = 256;
};

struct ComplianceConfig {
  // The record of processing activities (GDPR Art. 30(1)), as logged at
  // run start and printed in the audit report: the operator's declaration,
  // not something fedge can check.
  v1::ProcessingRecord record;
  // Where this aggregator runs, for the report's data residency matrix.
  std::string aggregator_region;
};

struct AuditConfig {
  // Ed25519 key (PKCS#8 PEM, mode 0600) that signs the audit log's
  // checkpoints. Default: audit.key next to tls.ca, where `fedge pki init`
  // writes it.
  std::string signing_key;
};

// A site aggregator (docs/three-tiers.md): this server takes part in an
// upstream aggregator's rounds as one client. For each upstream round it
// runs one round of its own with its devices, starting from the upstream
// model, and uploads the result as one update weighted by its devices'
// examples, so the upstream's FedAvg over sites is FedAvg over all devices.
struct UpstreamConfig {
  // The upstream aggregator's address ("": this server is the root).
  std::string server_address;
  // This site's identity towards the upstream: a device certificate issued
  // by the upstream federation's CA, named after the site.
  ClientTlsFiles tls;
  // Where this site is, declared when it joins (data residency).
  std::string region = "unspecified";
  BackoffConfig reconnect;
  bool enabled() const { return !server_address.empty(); }
};

struct ServerConfig {
  // Where the config was read from (for messages), and the SHA-256 (hex)
  // of its text, recorded in the audit log.
  std::string source_path;
  std::string source_sha256;

  std::string run_id;  // default: derived from the start time
  std::string run_dir = "runs/server";
  // What the server does once its run has ended: "exit" (after the final
  // model's grace below) or "serve" (keep answering late clients and
  // final-model downloads until stopped; a Kubernetes Deployment).
  std::string after_end = "exit";
  // With "exit": the longest the server keeps answering after the run ends,
  // so that clients told the run ended can fetch the final model. It leaves
  // sooner, once the edge has been quiet for 2 s. Zero: leave at once.
  absl::Duration final_model_grace = absl::Seconds(30);
  std::string purpose_id = "fedge-training";
  // Regions clients may join from (empty: any).
  std::vector<std::string> allowed_regions;
  uint64_t seed = 0;

  std::string listen_address = "127.0.0.1:50051";
  // Prometheus /metrics endpoint ("" disables it).
  std::string metrics_address = "127.0.0.1:9464";

  TlsFiles tls;

  models::ModelSpec model;
  uint32_t rounds = 5;
  CohortConfig cohort;
  DeadlineConfig deadlines;
  LocalTrainingConfig training;
  StrategyConfig strategy;
  PrivacyConfig privacy;
  // Secure aggregation (SecAgg+): on by default.
  secagg::SecAggConfig secure_aggregation;
  LimitsConfig limits;
  EvaluationConfig evaluation;
  AuditConfig audit;
  ComplianceConfig compliance;
  UpstreamConfig upstream;
  // Let fleet simulators (role simulator) act for virtual clients. Only for
  // simulation federations; `fedge sim` sets it on its own server.
  bool accept_virtual_clients = false;
};

// Whether `name` is a robust aggregator (median, trimmed_mean, krum,
// multi_krum): it needs each update, so plaintext rounds.
bool IsRobustStrategy(const std::string& name);

// The parameters that apply to strategy `s.name`, as (key, value) pairs with
// the config's key names (e.g. {"server_learning_rate", "0.1"} for fedadam).
std::vector<std::pair<std::string, std::string>> StrategyParameters(
    const StrategyConfig& s);

// Reads and validates a server config. Relative paths in the file are
// resolved against the file's directory. Any unknown key, wrong type or
// out-of-range value is InvalidArgument with a message of the form
// "FILE:LINE:COL: KEY: what is wrong (what is expected)".
absl::StatusOr<ServerConfig> LoadServerConfig(const std::string& path);

class MapReader;

// Reads a server config from a mapping. With `simulated`, the keys the fleet
// simulator sets itself (listen, metrics_listen, tls,
// simulation.accept_virtual_clients) are not part of the schema, so a
// simulation config that sets them is told so.
void ReadServerConfig(MapReader root, ServerConfig* out, bool simulated);

// Same, from YAML text (`origin` names it in messages); relative paths are
// resolved against `base_dir`.
absl::StatusOr<ServerConfig> ParseServerConfig(const std::string& yaml,
                                               const std::string& origin,
                                               const std::string& base_dir);

}  // namespace fedge::config

#endif  // FEDGE_COMMON_CONFIG_SERVER_CONFIG_H_
