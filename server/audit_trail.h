#ifndef FEDGE_SERVER_AUDIT_TRAIL_H_
#define FEDGE_SERVER_AUDIT_TRAIL_H_

// The aggregator's side of the audit log (common/audit): one per run, in
// RUN_DIR/audit, shared by the round driver, the rounds and the RPC
// handlers. Events are written to the file as they happen (a killed
// process loses none) and made durable and signed at each checkpoint: the
// end of every round and the end of the run.
//
// The trail fails closed. If an entry cannot be written, the trail stays
// failed and the round driver refuses to commit another model, so no model
// is ever published whose making the log does not show.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/audit/audit_log.h"
#include "common/util/clock.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::server {

// The actor of events the server does on its own.
inline constexpr char kServerActor[] = "server";

class AuditTrail {
 public:
  // Opens (or resumes) the log in `run_dir`/audit for run `run_id`, signing
  // with the Ed25519 key at `signing_key_path` (PKCS#8 PEM, as written by
  // `fedge pki init`). Errors name the file and what to do.
  static absl::StatusOr<std::unique_ptr<AuditTrail>> Open(
      const std::string& run_dir, const std::string& run_id,
      const std::string& signing_key_path, util::Clock* clock);

  // RUN_DIR/audit.
  static std::string DirFor(const std::string& run_dir);

  const std::string& origin() const { return origin_; }

  // Appends `event` with the time, `round` and `actor` filled in; returns
  // its index in the log. Thread-safe. After a failure every later call
  // fails too (see healthy()).
  absl::StatusOr<uint64_t> Record(uint64_t round, absl::string_view actor,
                                  v1::AuditEvent event);
  // As Record, and also gives the encoded entry (for receipts).
  absl::StatusOr<std::pair<uint64_t, std::string>> RecordEntry(
      uint64_t round, absl::string_view actor, v1::AuditEvent event);

  // A caller refused at authentication. The first failure of a caller for
  // a reason is logged at once; repeats within a minute are counted and
  // folded into the next entry for them, so a client retrying in a loop
  // cannot flood the log.
  void RecordAuthenticationFailure(const std::string& caller,
                                   const std::string& reason);

  // Flushes the entries to stable storage and signs a checkpoint of them;
  // returns the signed note.
  absl::StatusOr<std::string> Checkpoint();
  // Checkpoint(), if any entry is not signed yet (at shutdown).
  absl::Status SignPending();

  // A receipt for the UploadAccepted entry at `index` (with its encoded
  // `entry`) against the latest checkpoint.
  absl::StatusOr<v1::AuditReceipt> Receipt(uint64_t index,
                                           const std::string& entry);

  // OK until a write failed; then that error.
  absl::Status healthy() const;

 private:
  AuditTrail(std::string origin, util::Clock* clock,
             std::unique_ptr<audit::AuditLogWriter> log)
      : origin_(std::move(origin)), clock_(clock), log_(std::move(log)) {}

  absl::StatusOr<std::pair<uint64_t, std::string>> AppendLocked(
      uint64_t round, absl::string_view actor, v1::AuditEvent event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string origin_;
  util::Clock* const clock_;
  mutable absl::Mutex mu_;
  std::unique_ptr<audit::AuditLogWriter> log_ ABSL_GUARDED_BY(mu_);
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  struct Folded {
    absl::Time logged_at;
    uint32_t repeats = 0;
  };
  // Authentication failures by (caller, reason).
  std::map<std::pair<std::string, std::string>, Folded> auth_failures_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::server

#endif  // FEDGE_SERVER_AUDIT_TRAIL_H_
