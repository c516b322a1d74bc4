#include "common/audit/report/compliance_report.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/audit/audit_event.h"
#include "common/audit/report/artifacts.h"
#include "common/audit/report/event_replay.h"
#include "common/audit/report/rpc_surface.h"
#include "common/util/status_macros.h"

namespace fedge::audit::report {
namespace {

// The first line of a signed note: the log's origin.
std::string NoteOrigin(absl::string_view note) {
  return std::string(note.substr(0, note.find('\n')));
}

// The entry index CheckInvariants names ("entry 12: ..."), if any.
std::optional<uint64_t> ViolationIndex(absl::string_view message) {
  if (!absl::ConsumePrefix(&message, "entry ")) return std::nullopt;
  uint64_t index = 0;
  if (!absl::SimpleAtoi(message.substr(0, message.find(':')), &index)) {
    return std::nullopt;
  }
  return index;
}

}  // namespace

const char* RoundStatusName(RoundStatus status) {
  switch (status) {
    case RoundStatus::kCommitted:
      return "committed";
    case RoundStatus::kAbandoned:
      return "abandoned";
    case RoundStatus::kOpen:
      return "open";
  }
  return "open";
}

absl::StatusOr<ComplianceReport> BuildComplianceReport(const ReportInputs& in) {
  const VerifiedLog& log = in.log;
  if (log.records.size() != log.entries) {
    return absl::InvalidArgumentError(
        absl::StrCat("the verified log holds ", log.records.size(),
                     " records but counts ", log.entries, " entries"));
  }
  ComplianceReport report;
  report.generated_unix_ms = in.generated_unix_ms;

  VerificationSection& v = report.verification;
  v.log_ok = log.checkpoints > 0;
  v.invariants_ok = in.invariants.ok();
  v.invariants =
      in.invariants.ok() ? "ok" : std::string(in.invariants.message());
  v.entries = log.entries;
  v.checkpoints = log.checkpoints;
  v.unsigned_entries = log.unsigned_entries;
  v.key_source = in.key_source;
  v.final_checkpoint = log.last_checkpoint;
  report.run.origin = NoteOrigin(log.last_checkpoint);

  std::vector<v1::AuditEvent> events;
  events.reserve(log.records.size());
  for (size_t i = 0; i < log.records.size(); ++i) {
    absl::StatusOr<v1::AuditEvent> event = DecodeEvent(log.records[i]);
    if (!event.ok()) {
      return absl::DataLossError(
          absl::StrCat("audit log entry ", i,
                       " cannot be read: ", event.status().message()));
    }
    events.push_back(*std::move(event));
  }

  if (!in.invariants.ok()) {
    const std::optional<uint64_t> index =
        ViolationIndex(in.invariants.message());
    Incident incident{std::nullopt, 0, "invariant_violation",
                      std::string(in.invariants.message()), index};
    if (index.has_value() && *index < events.size()) {
      incident.time_unix_ms = events[*index].time_unix_ms();
      incident.round = events[*index].round();
    }
    report.incidents.push_back(std::move(incident));
  }
  const std::map<uint64_t, std::string> expected =
      ReplayEvents(events, &report);

  FEDGE_ASSIGN_OR_RETURN(report.data_minimisation.rpcs, FederationRpcs());
  FEDGE_ASSIGN_OR_RETURN(report.artifacts, ListArtifacts(in.run_dir, expected));
  return report;
}

}  // namespace fedge::audit::report
