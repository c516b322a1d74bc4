#ifndef FEDGE_CLIENT_MODEL_DESCRIPTOR_H_
#define FEDGE_CLIENT_MODEL_DESCRIPTOR_H_

// The federation's model as the server describes it at Join, turned into the
// architecture a device builds, and kept in the device's state directory so
// that a restarted device knows it before it reaches the server (`fedge
// client --serve` serves the kept model at once).

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/models/model_spec.h"
#include "fedge/v1/federation.pb.h"

namespace fedge::client {

// The architecture `descriptor` names. A TorchScript model needs the local
// file `torchscript_path`, whose SHA-256 must be the descriptor's.
// FailedPrecondition (with what to do) if the file is missing or differs, or
// the kind is unknown to this build.
absl::StatusOr<models::ModelSpec> SpecFromDescriptor(
    const v1::ModelDescriptor& descriptor, const std::string& torchscript_path);

// Keeps `descriptor` in `state_dir` (atomically).
absl::Status SaveDescriptor(const std::string& state_dir,
                            const v1::ModelDescriptor& descriptor);

// The descriptor kept in `state_dir`; nullopt if none was kept. DataLoss if
// the file is damaged.
absl::StatusOr<std::optional<v1::ModelDescriptor>> LoadDescriptor(
    const std::string& state_dir);

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_MODEL_DESCRIPTOR_H_
