#ifndef FEDGE_COMMON_AUDIT_AUDIT_INVARIANTS_H_
#define FEDGE_COMMON_AUDIT_AUDIT_INVARIANTS_H_

// What a run's audit log must show, checked by replaying its events in log
// order:
//   - rounds never go back, and a round's events lie between its selection
//     and its commit or abandonment;
//   - an upload is accepted only from a client selected for that round;
//   - a committed aggregate holds only accepted uploads of that round;
//     each round trains the latest committed model, model versions rise
//     with every commit, and a restarted server resumes from the last one;
//   - nothing is accepted from, nobody is selected or joins who, withdrew
//     consent or was erased;
//   - clients join only from the regions the run allows;
//   - the privacy spent never falls and never exceeds the run's budget;
//   - a secure round's aggregate holds at least its threshold of clients,
//     exactly the survivors of its unmask stage.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::audit {

// OK if every invariant holds; otherwise FailedPrecondition naming the
// first entry (by index) that breaks one, and which.
absl::Status CheckInvariants(absl::Span<const v1::AuditEvent> events);

}  // namespace fedge::audit

#endif  // FEDGE_COMMON_AUDIT_AUDIT_INVARIANTS_H_
