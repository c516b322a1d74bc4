#ifndef FEDGE_COMMON_AUDIT_REPORT_ARTIFACTS_H_
#define FEDGE_COMMON_AUDIT_REPORT_ARTIFACTS_H_

// The run's model checkpoints as evidence: each file's size and SHA-256,
// set against the digest the audit log committed for its round, so a reader
// can tell that the models on disk are the ones the log vouches for.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/report/compliance_report.h"

namespace fedge::audit::report {

// The files of `run_dir`/checkpoints, by name. `expected` maps a round to
// the lowercase hex digest the log committed for it (round 0: the initial
// model). A missing checkpoints directory gives no artifacts; a file that
// cannot be read is an error naming it.
absl::StatusOr<std::vector<Artifact>> ListArtifacts(
    const std::string& run_dir,
    const std::map<uint64_t, std::string>& expected);

// The round of a checkpoint file named "round-NNNNNN.fedge"; nullopt for
// any other name.
std::optional<uint64_t> CheckpointRound(const std::string& file_name);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_ARTIFACTS_H_
