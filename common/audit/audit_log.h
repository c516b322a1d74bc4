#ifndef FEDGE_COMMON_AUDIT_AUDIT_LOG_H_
#define FEDGE_COMMON_AUDIT_AUDIT_LOG_H_

// The aggregator's tamper-evident audit log, in a directory of its own:
//
//   records.log      the entries, each an opaque payload (record_log.h)
//   checkpoints.log  signed checkpoints (C2SP notes over checkpoint text),
//                    one appended whenever the writer signs one
//   audit.pub        a copy of the public key, for a quick self-check (an
//                    auditor should use the key the operator published)
//
// Every entry is a leaf of an RFC 6962 Merkle tree (merkle_tree.h); a
// checkpoint signs the tree's size and root with the federation's audit key
// (Ed25519, from `fedge pki init`). VerifyAuditLog recomputes everything
// from the files and the public key alone, so an auditor needs nothing from
// the operator but the directory: an entry changed, removed, reordered or
// replaced after a checkpoint no longer matches a signed root.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/audit/checkpoint.h"
#include "common/audit/merkle_tree.h"
#include "common/audit/record_log.h"
#include "common/crypto/ed25519.h"
#include "common/crypto/secret_bytes.h"

namespace fedge::audit {

// The name checkpoints are signed under.
inline constexpr char kAuditKeyName[] = "fedge-audit";
// The public key's copy in the log's directory.
inline constexpr char kPublicKeyCopyFile[] = "audit.pub";

// The name a run's log carries in its checkpoints: "fedge/<run id>".
std::string RunLogOrigin(absl::string_view run_id);

// What a participant keeps to prove its entry is in the log: the entry's
// leaf index and inclusion proof against a signed checkpoint.
struct Receipt {
  uint64_t index = 0;
  MerkleHash leaf{};
  std::vector<MerkleHash> proof;
  std::string signed_checkpoint;  // the note
};

class AuditLogWriter {
 public:
  // Opens (or creates) the log in `dir`. `origin` names the log in its
  // checkpoints (for example the run id). A torn last entry is cut off
  // (it was never acknowledged); a damaged one fails the open.
  static absl::StatusOr<std::unique_ptr<AuditLogWriter>> Open(
      const std::string& dir, std::string origin,
      crypto::SecretBytes signing_key);

  uint64_t size() const { return tree_.size(); }
  // Entries the latest signed checkpoint covers.
  uint64_t signed_size() const { return latest_size_; }

  // Appends an entry and returns its index. kSynced: durable when this
  // returns. kWritten: in the file at once (a killed process loses
  // nothing), on stable storage by the next checkpoint, which syncs the
  // entries before signing them.
  absl::StatusOr<uint64_t> Append(absl::string_view entry,
                                  RecordLogWriter::Durability durability =
                                      RecordLogWriter::Durability::kSynced);

  // Signs a checkpoint of the log as it stands, with `extensions` (for
  // example "time ...") and appends it to checkpoints.log. Returns the note.
  absl::StatusOr<std::string> SignCheckpoint(
      const std::vector<std::string>& extensions);

  // A receipt for entry `index` against the latest signed checkpoint.
  // FailedPrecondition if no checkpoint covers it yet.
  absl::StatusOr<Receipt> MakeReceipt(uint64_t index) const;

 private:
  AuditLogWriter() = default;

  std::string origin_;
  crypto::SecretBytes signing_key_;
  std::unique_ptr<RecordLogWriter> records_;
  std::unique_ptr<RecordLogWriter> checkpoints_;
  MerkleTree tree_;
  std::string latest_note_;
  uint64_t latest_size_ = 0;
};

struct VerifiedLog {
  uint64_t entries = 0;
  uint64_t checkpoints = 0;
  // Entries after the last checkpoint: present, but not yet signed for.
  uint64_t unsigned_entries = 0;
  std::vector<std::string> records;
  // The last signed checkpoint (the note), empty if there is none.
  std::string last_checkpoint;
};

// The origin the log's checkpoints name (read from its first checkpoint,
// unverified: VerifyAuditLog then checks every checkpoint against it).
// NotFound if the log has no checkpoint yet.
absl::StatusOr<std::string> ReadLogOrigin(const std::string& dir);

// Checks the log in `dir` against the audit public key: every record
// frame, every checkpoint's signature and origin, each checkpoint's root
// against the entries, and that checkpoints never shrink. OK with what was
// checked, or DataLoss naming the first record or checkpoint that fails and
// why.
absl::StatusOr<VerifiedLog> VerifyAuditLog(
    const std::string& dir, absl::string_view origin,
    const crypto::Ed25519PublicKey& public_key);

// Checks a receipt on its own: the checkpoint's signature and the entry's
// inclusion proof against its root.
absl::Status VerifyReceipt(const Receipt& receipt, absl::string_view origin,
                           const crypto::Ed25519PublicKey& public_key);

}  // namespace fedge::audit

#endif  // FEDGE_COMMON_AUDIT_AUDIT_LOG_H_
