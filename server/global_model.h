#ifndef FEDGE_SERVER_GLOBAL_MODEL_H_
#define FEDGE_SERVER_GLOBAL_MODEL_H_

// A committed global model version: its state, its serialized bytes (what
// clients download and what the checkpoint file holds) and their SHA-256.
// Immutable once made, so RPC handlers share it without locks.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/crypto/sha256.h"
#include "common/tensor/parameter_set.h"
#include "fedge/v1/federation.pb.h"

namespace fedge::server {

struct GlobalModel {
  uint64_t version = 0;
  tensor::ParameterSet state;
  std::string blob;  // tensor::Serialize(state)
  crypto::Sha256Digest sha256{};

  // The reference sent in tasks.
  v1::ModelRef Ref() const;
};

// Serializes and digests `state` as version `version`.
std::shared_ptr<const GlobalModel> MakeGlobalModel(uint64_t version,
                                                   tensor::ParameterSet state);

// Checkpoint files in the run directory: checkpoints/round-000003.fedge holds
// the model that round 3 produced (round 0: the initial model).
std::string CheckpointRelativePath(uint64_t round);

// Writes the model's bytes to `run_dir`/CheckpointRelativePath(round)
// atomically (temporary file, fsync, rename).
absl::Status WriteCheckpoint(const std::string& run_dir, uint64_t round,
                             const GlobalModel& model);

// Reads a checkpoint back and checks it against the SHA-256 (hex) recorded in
// the store. DataLoss if the file does not match its record.
absl::StatusOr<std::shared_ptr<const GlobalModel>> LoadCheckpoint(
    const std::string& path, uint64_t version, const std::string& sha256_hex);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_GLOBAL_MODEL_H_
