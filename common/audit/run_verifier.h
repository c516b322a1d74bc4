#ifndef FEDGE_COMMON_AUDIT_RUN_VERIFIER_H_
#define FEDGE_COMMON_AUDIT_RUN_VERIFIER_H_

// Everything `fedge audit verify` checks about a run's audit log, in one
// call: the log's integrity (frames, Merkle roots, checkpoint signatures;
// audit_log.h), that every entry is an audit event of this run, and the
// invariants of its events (audit_invariants.h).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"
#include "common/crypto/ed25519.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::audit {

struct RunVerification {
  std::string origin;
  VerifiedLog log;
  std::vector<v1::AuditEvent> events;
  // CheckInvariants' verdict: OK, or the first entry that breaks one.
  absl::Status invariants;
};

// Verifies the log in `dir` (a run's audit directory) under `public_key`.
// An error (DataLoss, naming the first bad record or checkpoint) means the
// log's integrity does not hold; broken invariants are in `invariants`.
absl::StatusOr<RunVerification> VerifyRun(
    const std::string& dir, const crypto::Ed25519PublicKey& public_key);

// Reads an audit public key (PEM, as `fedge pki init` writes audit.pub).
absl::StatusOr<crypto::Ed25519PublicKey> ReadAuditPublicKey(
    const std::string& path);

}  // namespace fedge::audit

#endif  // FEDGE_COMMON_AUDIT_RUN_VERIFIER_H_
