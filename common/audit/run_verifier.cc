#include "common/audit/run_verifier.h"

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_invariants.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::audit {

absl::StatusOr<RunVerification> VerifyRun(
    const std::string& dir, const crypto::Ed25519PublicKey& public_key) {
  RunVerification out;
  FEDGE_ASSIGN_OR_RETURN(out.origin, ReadLogOrigin(dir));
  FEDGE_ASSIGN_OR_RETURN(out.log, VerifyAuditLog(dir, out.origin, public_key));
  for (size_t i = 0; i < out.log.records.size(); ++i) {
    absl::StatusOr<v1::AuditEvent> event = DecodeEvent(out.log.records[i]);
    if (!event.ok()) {
      return absl::DataLossError(
          absl::StrCat("entry ", i, ": ", event.status().message()));
    }
    // The log names its run; every start entry must be of that run.
    if (event->has_run_started() &&
        RunLogOrigin(event->run_started().run_id()) != out.origin) {
      return absl::DataLossError(absl::StrCat(
          "entry ", i, ": starts run '", event->run_started().run_id(),
          "' in the log of '", out.origin, "'"));
    }
    out.events.push_back(std::move(*event));
  }
  out.invariants = CheckInvariants(out.events);
  return out;
}

absl::StatusOr<crypto::Ed25519PublicKey> ReadAuditPublicKey(
    const std::string& path) {
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(path));
  absl::StatusOr<crypto::Ed25519PublicKey> key =
      crypto::Ed25519PublicFromPem(pem);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", key.status().message(),
                     " (pass the federation's audit.pub)"));
  }
  return key;
}

}  // namespace fedge::audit
