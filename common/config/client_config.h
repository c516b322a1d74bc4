#ifndef FEDGE_COMMON_CONFIG_CLIENT_CONFIG_H_
#define FEDGE_COMMON_CONFIG_CLIENT_CONFIG_H_

// An edge client's configuration (`fedge client --config F`).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/data/data_source.h"

namespace fedge::config {

struct ClientTlsFiles {
  std::string ca_cert;  // the federation CA (to check the server)
  std::string cert;     // this device's certificate (its identity)
  std::string key;      // its private key (must be mode 0600)
  // Name the server's certificate must carry ("" = host part of `server`).
  std::string server_name;
};

struct ConsentConfig {
  std::string purpose_id = "fedge-training";
  std::string version = "1";
  absl::Time given_at = absl::UnixEpoch();
};

struct BackoffConfig {
  absl::Duration initial = absl::Milliseconds(500);
  absl::Duration max = absl::Seconds(30);
  double multiplier = 2.0;
  // Random spread of each wait, as a fraction (0.2 = ±20%).
  double jitter = 0.2;
  // Give up after this long without a connection (0: never).
  absl::Duration give_up_after = absl::ZeroDuration();
};

// Serving the global model the client holds while it trains (`fedge client
// --serve`); both "" (the default): not served.
struct ClientServeConfig {
  std::string listen;  // HTTP "host:port" (POST /v1/predict, /metrics)
  std::string grpc;    // gRPC "host:port" (fedge.v1.Inference/Predict)
};

struct ClientConfig {
  std::string source_path;

  std::string server_address = "localhost:50051";
  ClientTlsFiles tls;
  std::string region = "unspecified";
  ConsentConfig consent;
  data::DataSource data;
  // TorchScript file of the federation's model, if it is one.
  std::string torchscript_path;
  // LibTorch intra-op threads for training (0: LibTorch's default).
  uint32_t threads = 1;
  // Where the client keeps its state (downloaded models).
  std::string state_dir = "client-state";
  BackoffConfig reconnect;
  ClientServeConfig serve;
};

// Reads and validates a client config; errors as for the server config
// ("FILE:LINE:COL: KEY: ..."). Relative paths resolve against the file's
// directory.
absl::StatusOr<ClientConfig> LoadClientConfig(const std::string& path);

class MapReader;
// The `tls:` and `reconnect:` sections, as a client config has them; a site
// aggregator's `upstream:` section (server_config.h) has the same ones.
void ReadClientTls(MapReader tls, ClientTlsFiles* out);
void ReadReconnect(MapReader reconnect, BackoffConfig* out);

absl::StatusOr<ClientConfig> ParseClientConfig(const std::string& yaml,
                                               const std::string& origin,
                                               const std::string& base_dir);

}  // namespace fedge::config

#endif  // FEDGE_COMMON_CONFIG_CLIENT_CONFIG_H_
