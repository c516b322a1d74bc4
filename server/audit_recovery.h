#ifndef FEDGE_SERVER_AUDIT_RECOVERY_H_
#define FEDGE_SERVER_AUDIT_RECOVERY_H_

// The round driver records a round's end in the store first and in the
// audit log right after (coordinator.cc: Commit, RecordAbandoned): the
// store is the authority on what was committed. A server killed between
// the two leaves a round the store holds and the log does not show, and
// the log would then read as a round that never ended followed by a
// restart from a model it never committed. On the next start the missing
// end is appended from the store's record, before the restart is logged.

#include <string>

#include "absl/status/status.h"
#include "server/audit_trail.h"
#include "server/store.h"

namespace fedge::server {

// Appends to `audit` the end of every round `store` recorded after the
// last round whose end the log in `run_dir`/audit shows: RoundCommitted
// (contributors, examples, the model's version and SHA-256) or
// RoundAbandoned, each followed by BuffersDeleted when uploads had been
// accepted, as the round driver writes them. OK (and nothing written) when
// they agree.
//
// A committed round's PrivacySpent entry comes from the state the round
// driver saved with the round (round_state.h, kPrivacySpentState), also
// when the log shows the commit but stopped before its PrivacySpent entry.
//
// DataLoss if a completed round other than the newest model's is missing
// from the log (a crash loses at most the last round's end).
absl::Status RecordMissedRoundEnds(Store& store, AuditTrail& audit,
                                   const std::string& run_dir);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_AUDIT_RECOVERY_H_
