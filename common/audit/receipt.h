#ifndef FEDGE_COMMON_AUDIT_RECEIPT_H_
#define FEDGE_COMMON_AUDIT_RECEIPT_H_

// A participant's receipt (v1::AuditReceipt): proof that the server logged
// its upload. A device keeps it; anyone with the federation's audit public
// key can check it on its own, and against the log (or any later signed
// checkpoint) to see that the entry was never taken out again.

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/audit/audit_log.h"
#include "common/audit/checkpoint.h"
#include "common/audit/merkle_tree.h"
#include "common/crypto/ed25519.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::audit {

// The receipt for entry `entry` (an UploadAccepted event, encoded) from
// the writer's `receipt` of it.
v1::AuditReceipt MakeAuditReceipt(const Receipt& receipt,
                                  absl::string_view origin,
                                  absl::string_view entry);

struct CheckedReceipt {
  Checkpoint checkpoint;  // the receipt's own, signature verified
  v1::AuditEvent event;   // its entry, decoded
};

// Checks a receipt on its own: the checkpoint's signature under
// `public_key` and its origin, that the entry is in that checkpoint's tree
// at the receipt's index (inclusion proof), and that the entry accepts the
// upload the receipt names (client and digest). DataLoss saying what fails.
absl::StatusOr<CheckedReceipt> CheckReceipt(
    const v1::AuditReceipt& receipt,
    const crypto::Ed25519PublicKey& public_key);

// Checks that `later_note`, a signed checkpoint of the same log, extends
// the receipt's checkpoint (`consistency` is the RFC 6962 proof between
// their sizes): the receipt's entry is still in the log it signs.
absl::Status CheckReceiptStillLogged(
    const CheckedReceipt& receipt, absl::string_view later_note,
    absl::Span<const MerkleHash> consistency,
    const crypto::Ed25519PublicKey& public_key);

// The evidence that the latest checkpoint of the log in `dir` extends the
// receipt's checkpoint (for CheckReceiptStillLogged without the log).
absl::StatusOr<v1::ConsistencyEvidence> ProveStillLogged(
    const CheckedReceipt& receipt, const std::string& dir,
    const crypto::Ed25519PublicKey& public_key);

// CheckReceiptStillLogged with `evidence` from ProveStillLogged.
absl::Status CheckEvidence(const CheckedReceipt& receipt,
                           const v1::ConsistencyEvidence& evidence,
                           const crypto::Ed25519PublicKey& public_key);

// Both, against the log in `dir` (its audit directory): the log verifies,
// holds the receipt's entry at its index, and its last checkpoint extends
// the receipt's.
absl::StatusOr<CheckedReceipt> CheckReceiptAgainstLog(
    const v1::AuditReceipt& receipt, const std::string& dir,
    const crypto::Ed25519PublicKey& public_key);

}  // namespace fedge::audit

#endif  // FEDGE_COMMON_AUDIT_RECEIPT_H_
