#include "server/audit_trail.h"

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/receipt.h"
#include "common/crypto/ed25519.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"

namespace fedge::server {
namespace {

constexpr absl::Duration kAuthFailureFold = absl::Minutes(1);

}  // namespace

std::string AuditTrail::DirFor(const std::string& run_dir) {
  return util::JoinPath(run_dir, "audit");
}

absl::StatusOr<std::unique_ptr<AuditTrail>> AuditTrail::Open(
    const std::string& run_dir, const std::string& run_id,
    const std::string& signing_key_path, util::Clock* clock) {
  if (signing_key_path.empty()) {
    return absl::FailedPreconditionError(
        "no audit signing key: set audit.signing_key in the server config "
        "(`fedge pki init` writes audit.key next to ca.crt)");
  }
  if (absl::Status s = util::CheckPrivateFile(signing_key_path); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("audit signing key ", signing_key_path, ": ", s.message(),
                     " (`fedge pki init` writes it; set audit.signing_key "
                     "to its path)"));
  }
  FEDGE_ASSIGN_OR_RETURN(std::string pem, util::ReadFile(signing_key_path));
  absl::StatusOr<crypto::Ed25519KeyPair> key =
      crypto::Ed25519FromPrivatePem(pem);
  std::fill(pem.begin(), pem.end(), '\0');
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "audit signing key ", signing_key_path, ": ", key.status().message()));
  }
  // The public key beside the log, for a quick self-check; an auditor
  // uses the key the operator published instead (see docs/compliance.md).
  FEDGE_RETURN_IF_ERROR(util::MakeDirectories(DirFor(run_dir)));
  FEDGE_ASSIGN_OR_RETURN(std::string public_pem,
                         crypto::Ed25519PublicToPem(key->public_key));
  FEDGE_RETURN_IF_ERROR(util::WriteFileAtomically(
      util::JoinPath(DirFor(run_dir), audit::kPublicKeyCopyFile), public_pem,
      0644));
  std::string origin = audit::RunLogOrigin(run_id);
  auto log = audit::AuditLogWriter::Open(DirFor(run_dir), origin,
                                         std::move(key->private_key));
  if (!log.ok()) {
    return absl::Status(
        log.status().code(),
        absl::StrCat(
            "audit log in ", DirFor(run_dir), ": ", log.status().message(),
            " (check it with `fedge audit verify --run ", run_dir, "`)"));
  }
  return std::unique_ptr<AuditTrail>(
      new AuditTrail(std::move(origin), clock, std::move(*log)));
}

absl::StatusOr<std::pair<uint64_t, std::string>> AuditTrail::AppendLocked(
    uint64_t round, absl::string_view actor, v1::AuditEvent event) {
  FEDGE_RETURN_IF_ERROR(failure_);
  event.set_time_unix_ms(absl::ToUnixMillis(clock_->Now()));
  event.set_round(round);
  event.set_actor(std::string(actor));
  std::string entry = audit::EncodeEvent(event);
  absl::StatusOr<uint64_t> index =
      log_->Append(entry, audit::RecordLogWriter::Durability::kWritten);
  if (!index.ok()) {
    failure_ = absl::Status(index.status().code(),
                            absl::StrCat("the audit log cannot be written: ",
                                         index.status().message()));
    FEDGE_LOG(Error, "audit") << failure_.message();
    return failure_;
  }
  return std::make_pair(*index, std::move(entry));
}

absl::StatusOr<uint64_t> AuditTrail::Record(uint64_t round,
                                            absl::string_view actor,
                                            v1::AuditEvent event) {
  absl::MutexLock lock(&mu_);
  FEDGE_ASSIGN_OR_RETURN(auto appended,
                         AppendLocked(round, actor, std::move(event)));
  return appended.first;
}

absl::StatusOr<std::pair<uint64_t, std::string>> AuditTrail::RecordEntry(
    uint64_t round, absl::string_view actor, v1::AuditEvent event) {
  absl::MutexLock lock(&mu_);
  return AppendLocked(round, actor, std::move(event));
}

void AuditTrail::RecordAuthenticationFailure(const std::string& caller,
                                             const std::string& reason) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  auto [it, inserted] = auth_failures_.try_emplace({caller, reason});
  Folded& folded = it->second;
  if (!inserted && now - folded.logged_at < kAuthFailureFold) {
    ++folded.repeats;
    return;
  }
  v1::AuditEvent event;
  v1::AuthenticationFailed* failed = event.mutable_authentication_failed();
  failed->set_caller(caller);
  failed->set_reason(reason);
  failed->set_repeats(folded.repeats);
  // A failed write latches failure_, which the round driver reports.
  (void)AppendLocked(0, caller, std::move(event));
  folded.logged_at = now;
  folded.repeats = 0;
}

absl::StatusOr<std::string> AuditTrail::Checkpoint() {
  absl::MutexLock lock(&mu_);
  FEDGE_RETURN_IF_ERROR(failure_);
  absl::StatusOr<std::string> note = log_->SignCheckpoint(
      {absl::StrCat("time ", absl::ToUnixMillis(clock_->Now()))});
  if (!note.ok()) {
    failure_ = absl::Status(note.status().code(),
                            absl::StrCat("the audit log cannot be signed: ",
                                         note.status().message()));
    FEDGE_LOG(Error, "audit") << failure_.message();
    return failure_;
  }
  return note;
}

absl::Status AuditTrail::SignPending() {
  {
    absl::MutexLock lock(&mu_);
    if (log_->signed_size() == log_->size()) return absl::OkStatus();
  }
  return Checkpoint().status();
}

absl::StatusOr<v1::AuditReceipt> AuditTrail::Receipt(uint64_t index,
                                                     const std::string& entry) {
  absl::MutexLock lock(&mu_);
  FEDGE_ASSIGN_OR_RETURN(audit::Receipt receipt, log_->MakeReceipt(index));
  return audit::MakeAuditReceipt(receipt, origin_, entry);
}

absl::Status AuditTrail::healthy() const {
  absl::MutexLock lock(&mu_);
  return failure_;
}

}  // namespace fedge::server
