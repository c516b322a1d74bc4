#include "server/audit_recovery.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/record_log.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "server/round_state.h"

namespace fedge::server {
namespace {

// What the log shows of the rounds' ends.
struct LoggedEnds {
  uint64_t last = 0;  // the last round whose end (commit or abandonment)
                      // the log shows; 0 if none
  bool last_committed = false;
  bool last_privacy_spent = false;  // a PrivacySpent entry of round `last`
};

absl::StatusOr<LoggedEnds> ReadLoggedEnds(const std::string& run_dir) {
  FEDGE_ASSIGN_OR_RETURN(audit::LogContents log,
                         audit::ReadRecordLog(util::JoinPath(
                             AuditTrail::DirFor(run_dir), "records.log")));
  LoggedEnds ends;
  for (const std::string& record : log.records) {
    absl::StatusOr<v1::AuditEvent> event = audit::DecodeEvent(record);
    if (!event.ok()) continue;  // the verifier reports undecodable entries
    if ((event->has_round_committed() || event->has_round_abandoned()) &&
        event->round() >= ends.last) {
      ends.last = event->round();
      ends.last_committed = event->has_round_committed();
      ends.last_privacy_spent = false;
    } else if (event->has_privacy_spent() && event->round() == ends.last) {
      ends.last_privacy_spent = true;
    }
  }
  return ends;
}

// Appends round `round`'s PrivacySpent entry from the state the round
// driver saved before committing it; nothing without differential privacy.
absl::Status RecordMissedPrivacySpent(AuditTrail& audit,
                                      const std::string& run_dir,
                                      uint64_t round) {
  absl::StatusOr<std::string> saved =
      LoadRoundState(run_dir, kPrivacySpentState, round);
  if (absl::IsNotFound(saved.status())) return absl::OkStatus();
  v1::PrivacySpent spent;
  if (!saved.ok() || !spent.ParseFromString(*saved)) {
    // The next round's entry carries the cumulative epsilon.
    FEDGE_LOG(Warning, "server")
        << "round " << round
        << "'s privacy spending could not be read back for the audit log ("
        << (saved.ok() ? "not a PrivacySpent message"
                       : saved.status().message())
        << "); the log goes on without it";
    return absl::OkStatus();
  }
  v1::AuditEvent event;
  *event.mutable_privacy_spent() = std::move(spent);
  return audit.Record(round, kServerActor, std::move(event)).status();
}

}  // namespace

absl::Status RecordMissedRoundEnds(Store& store, AuditTrail& audit,
                                   const std::string& run_dir) {
  FEDGE_ASSIGN_OR_RETURN(std::vector<RoundRecord> rounds, store.ListRounds());
  if (rounds.empty()) return absl::OkStatus();
  FEDGE_ASSIGN_OR_RETURN(LoggedEnds logged, ReadLoggedEnds(run_dir));
  FEDGE_ASSIGN_OR_RETURN(std::optional<ModelRecord> latest,
                         store.LatestModel());
  for (const RoundRecord& r : rounds) {
    if (r.round == logged.last && logged.last_committed &&
        !logged.last_privacy_spent) {
      // Stopped between the commit's entries and the privacy entry.
      FEDGE_RETURN_IF_ERROR(RecordMissedPrivacySpent(audit, run_dir, r.round));
    }
    if (r.round <= logged.last) continue;
    uint32_t accepted = 0;
    uint64_t bytes_up = 0, examples = 0;
    std::vector<std::string> contributors;
    for (const ParticipantRecord& p : r.participants) {
      bytes_up += p.bytes_up;  // only accepted uploads count bytes
      if (p.outcome != "accepted") continue;
      ++accepted;
      contributors.push_back(p.client_id);
      examples += p.num_examples;
    }
    v1::AuditEvent end;
    if (r.status == "completed") {
      if (!latest.has_value() || latest->version != r.model_version) {
        return absl::DataLossError(absl::StrCat(
            "round ", r.round,
            " is committed in the store but not in the audit log, and its "
            "model version ",
            r.model_version, " is not the newest; the run directory ", run_dir,
            " was changed by hand"));
      }
      v1::RoundCommitted* c = end.mutable_round_committed();
      c->set_model_version(r.model_version);
      c->set_model_sha256(absl::HexStringToBytes(latest->sha256));
      std::sort(contributors.begin(), contributors.end());
      for (const std::string& id : contributors) c->add_contributors(id);
      // Stores from before rounds.examples: the plaintext participants'
      // counts (secure rounds have none one by one).
      c->set_examples(r.examples > 0 ? r.examples : examples);
    } else {
      end.mutable_round_abandoned()->set_reason(r.reason);
    }
    FEDGE_RETURN_IF_ERROR(
        audit.Record(r.round, kServerActor, std::move(end)).status());
    if (accepted > 0) {
      v1::AuditEvent deleted;
      deleted.mutable_buffers_deleted()->set_clients(accepted);
      deleted.mutable_buffers_deleted()->set_bytes(bytes_up);
      FEDGE_RETURN_IF_ERROR(
          audit.Record(r.round, kServerActor, std::move(deleted)).status());
    }
    if (r.status == "completed") {
      FEDGE_RETURN_IF_ERROR(RecordMissedPrivacySpent(audit, run_dir, r.round));
    }
    FEDGE_LOG(Warning, "server")
        << "round " << r.round << " was " << r.status
        << " in the store but the server stopped before the audit log "
           "recorded it; recorded now";
  }
  return absl::OkStatus();
}

}  // namespace fedge::server
