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

namespace fedge::server {
namespace {

// The last round whose end (commit or abandonment) the log shows; 0 if none.
absl::StatusOr<uint64_t> LastLoggedRoundEnd(const std::string& run_dir) {
  FEDGE_ASSIGN_OR_RETURN(audit::LogContents log,
                         audit::ReadRecordLog(util::JoinPath(
                             AuditTrail::DirFor(run_dir), "records.log")));
  uint64_t logged = 0;
  for (const std::string& record : log.records) {
    absl::StatusOr<v1::AuditEvent> event = audit::DecodeEvent(record);
    if (!event.ok()) continue;  // the verifier reports undecodable entries
    if (event->has_round_committed() || event->has_round_abandoned()) {
      logged = std::max<uint64_t>(logged, event->round());
    }
  }
  return logged;
}

}  // namespace

absl::Status RecordMissedRoundEnds(Store& store, AuditTrail& audit,
                                   const std::string& run_dir) {
  FEDGE_ASSIGN_OR_RETURN(std::vector<RoundRecord> rounds, store.ListRounds());
  if (rounds.empty()) return absl::OkStatus();
  FEDGE_ASSIGN_OR_RETURN(uint64_t logged, LastLoggedRoundEnd(run_dir));
  FEDGE_ASSIGN_OR_RETURN(std::optional<ModelRecord> latest,
                         store.LatestModel());
  for (const RoundRecord& r : rounds) {
    if (r.round <= logged) continue;
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
    FEDGE_LOG(Warning, "server")
        << "round " << r.round << " was " << r.status
        << " in the store but the server stopped before the audit log "
           "recorded it; recorded now";
  }
  return absl::OkStatus();
}

}  // namespace fedge::server
