#include "simulations/sim_config.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/config/common_schema.h"
#include "common/config/value_checks.h"
#include "common/config/yaml_reader.h"
#include "common/crypto/sha256.h"
#include "common/util/status_macros.h"

namespace fedge::sim {
namespace {

using config::AtLeast;
using config::AtLeastLessThan;
using config::MapReader;

// `key: [lo, hi]` with 0 <= lo <= hi.
void ReadRange(MapReader m, const char* key, Range* out) {
  std::vector<double> values;
  if (!m.Optional(key, &values)) return;
  if (!m.Has(key)) return;
  if (values.size() != 2 || !(values[0] >= 0) || !(values[1] >= values[0])) {
    m.Fail(key, "expected [low, high] with 0 <= low <= high");
    return;
  }
  out->lo = values[0];
  out->hi = values[1];
}

void ReadFleet(MapReader fleet, FleetConfig* f) {
  fleet.Required("clients", &f->clients, AtLeast<uint32_t>(1));
  MapReader data = fleet.Child("data");
  if (data.present()) {
    config::ReadDataSource(data, &f->data);
    if (data.Has("partition")) {
      data.Fail("partition",
                "the fleet's pool is not partitioned here; use "
                "fleet.partition");
    }
  }
  MapReader partition = fleet.Child("partition");
  config::ReadPartitionSpec(partition, &f->partition);
  f->partition_seed_set = partition.Has("seed");
  f->partition.count = f->clients;
  MapReader devices = fleet.Child("devices");
  ReadRange(devices, "examples_per_second", &f->examples_per_second);
  ReadRange(devices, "bandwidth_mbps", &f->bandwidth_mbps);
  ReadRange(devices, "latency_ms", &f->latency_ms);
  MapReader dropout = fleet.Child("dropout");
  const auto probability = AtLeastLessThan(0.0, 1.0);
  dropout.Optional("advertise", &f->dropout_advertise, probability);
  dropout.Optional("share", &f->dropout_share, probability);
  dropout.Optional("training", &f->dropout_training, probability);
  dropout.Optional("unmask", &f->dropout_unmask, probability);
  MapReader availability = fleet.Child("availability");
  availability.Optional("mode", &f->availability,
                        config::OneOf({"always", "diurnal"}));
  availability.Optional("online_hours", &f->online_hours,
                        config::GreaterThanAtMost(0.0, 24.0));
  availability.Optional("hours_per_round", &f->hours_per_round,
                        config::GreaterThan(0.0));
  fleet.Optional("time_scale", &f->time_scale, AtLeast(0.0));
  fleet.Optional("threads", &f->threads, config::Between<uint32_t>(0, 1024));
  MapReader attack = fleet.Child("attack");
  attack.Optional("fraction", &f->attack.fraction, AtLeastLessThan(0.0, 1.0));
  attack.Optional("kind", &f->attack.kind, config::OneOf(AttackKinds()));
  attack.Optional("scale", &f->attack.scale, config::GreaterThan(0.0));
  attack.Optional("sigma", &f->attack.sigma, config::GreaterThan(0.0));
  if (attack.Has("scale") && f->attack.kind != "scale") {
    attack.Fail("scale", "applies only to kind: scale");
  }
  if (attack.Has("sigma") && f->attack.kind != "gaussian") {
    attack.Fail("sigma", "applies only to kind: gaussian");
  }
}

}  // namespace

void SetSeed(uint64_t seed, SimConfig* config) {
  config->seed = seed;
  config->server.seed = seed;
  if (!config->fleet.partition_seed_set) config->fleet.partition.seed = seed;
}

absl::StatusOr<SimConfig> ParseSimConfig(const std::string& yaml,
                                         const std::string& origin,
                                         const std::string& base_dir) {
  FEDGE_ASSIGN_OR_RETURN(config::YamlDocument doc,
                         config::YamlDocument::Parse(yaml, origin, base_dir));
  SimConfig c;
  c.source_path = origin;
  MapReader root = doc.root();
  root.Optional("name", &c.name, config::SafeName(/*allow_empty=*/true));
  root.Optional("seed", &c.seed);
  root.OptionalPath("run_dir", &c.run_dir, config::NonEmpty());
  MapReader server = root.Child("server");
  config::ReadServerConfig(server, &c.server, /*simulated=*/true);
  // The audit log records the whole simulation config's digest.
  c.server.source_path = origin;
  c.server.source_sha256 = crypto::ToHex(crypto::Sha256(yaml));
  // The simulation names, places and seeds its server itself.
  MapReader run = server.Child("run");
  for (const char* key : {"id", "dir", "seed"}) {
    if (run.Has(key)) {
      run.Fail(key, absl::StrCat("set by the simulation; use the top-level ",
                                 std::string(key) == "dir"  ? "run_dir"
                                 : std::string(key) == "id" ? "name"
                                                            : "seed",
                                 " instead"));
    }
  }
  if (c.server.evaluation.federated_every > 0) {
    server.Child("evaluation")
        .Fail("federated_every",
              "virtual clients hold no evaluation data, so federated "
              "evaluation would only wait out its deadline; use "
              "central_every with central_data instead");
  }
  ReadFleet(root.Child("fleet"), &c.fleet);
  if (c.server.cohort.min_clients > c.fleet.clients) {
    server.Child("cohort").Fail(
        "min_clients",
        absl::StrCat(c.server.cohort.min_clients, " is more than the fleet's ",
                     c.fleet.clients, " clients"));
  }
  FEDGE_RETURN_IF_ERROR(doc.Finish());
  if (c.name.empty()) c.name = "simulation";
  c.run_dir = std::filesystem::path(c.run_dir).lexically_normal().string();
  SetSeed(c.seed, &c);
  c.server.source_path = origin;
  return c;
}

absl::StatusOr<SimConfig> LoadSimConfig(const std::string& path) {
  FEDGE_ASSIGN_OR_RETURN(std::string text, config::ReadConfigFile(path));
  return ParseSimConfig(text, path, config::ConfigBaseDir(path));
}

}  // namespace fedge::sim
