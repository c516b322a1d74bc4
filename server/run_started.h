#ifndef FEDGE_SERVER_RUN_STARTED_H_
#define FEDGE_SERVER_RUN_STARTED_H_

// The audit log's first entry of each server start: what the run is for
// (the processing record of the config's `compliance:` section), how it is
// configured, the model it starts from and the transport security in force.
// The compliance report's run, processing-record and security sections
// come from it.

#include <cstdint>
#include <string>

#include "common/config/server_config.h"
#include "common/crypto/sha256.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::server {

struct RunStartFacts {
  std::string run_id;
  bool resumed = false;
  uint64_t model_version = 0;
  crypto::Sha256Digest model_sha256{};
  bool mutual_tls = true;
  // Empty in the insecure local demo mode.
  std::string ca_certificate_pem;
  std::string server_certificate_pem;
  uint32_t revoked_certificates = 0;
};

v1::AuditEvent RunStartedEvent(const config::ServerConfig& config,
                               const RunStartFacts& facts);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_RUN_STARTED_H_
