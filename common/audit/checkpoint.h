#ifndef FEDGE_COMMON_AUDIT_CHECKPOINT_H_
#define FEDGE_COMMON_AUDIT_CHECKPOINT_H_

// A checkpoint commits to the audit log as it stands: its size and Merkle
// root. The text follows C2SP's transparency-log checkpoint
// (c2sp.org/tlog-checkpoint) so that it can be signed as a note
// (signed_note.h) and checked with standard tools:
//
//   <origin: the log's name, one line>
//   <tree size, decimal>
//   <root hash, base64>
//   <extension lines, optional: fedge writes "time <Unix milliseconds>">

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/audit/merkle_tree.h"

namespace fedge::audit {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  MerkleHash root{};
  std::vector<std::string> extensions;
};

// The checkpoint's text. InvalidArgument for an empty origin or a line that
// holds a newline or is empty.
absl::StatusOr<std::string> CheckpointText(const Checkpoint& checkpoint);

// Parses a checkpoint's text (as OpenNote returns it). DataLoss, saying
// which line is wrong, for anything else.
absl::StatusOr<Checkpoint> ParseCheckpoint(absl::string_view text);

}  // namespace fedge::audit

#endif  // FEDGE_COMMON_AUDIT_CHECKPOINT_H_
