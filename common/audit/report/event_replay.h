#ifndef FEDGE_COMMON_AUDIT_REPORT_EVENT_REPLAY_H_
#define FEDGE_COMMON_AUDIT_REPORT_EVENT_REPLAY_H_

// Turns a run's audit events into the report's sections by replaying them
// in log order: rounds and their attempts, participants, consent, privacy,
// security, retention, residency and incidents.

#include <cstdint>
#include <map>
#include <string>

#include "absl/types/span.h"
#include "common/audit/report/compliance_report.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::audit::report {

// Fills every section of `report` that the events determine (the
// verification facts, rpcs and artifacts are the caller's). Incidents
// already in `report` are kept and merged into log order. Returns, by round,
// the lowercase hex digest the log committed for that round's model
// checkpoint; round 0 is the initial model.
std::map<uint64_t, std::string> ReplayEvents(
    absl::Span<const v1::AuditEvent> events, ComplianceReport* report);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_EVENT_REPLAY_H_
