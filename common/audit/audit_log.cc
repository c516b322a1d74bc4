#include "common/audit/audit_log.h"

#include "absl/strings/str_cat.h"
#include "common/audit/signed_note.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::audit {
namespace {

std::string RecordsPath(const std::string& dir) {
  return util::JoinPath(dir, "records.log");
}
std::string CheckpointsPath(const std::string& dir) {
  return util::JoinPath(dir, "checkpoints.log");
}

// Opens and parses one signed checkpoint of `origin`.
absl::StatusOr<Checkpoint> OpenCheckpoint(
    absl::string_view note, absl::string_view origin,
    const crypto::Ed25519PublicKey& public_key) {
  FEDGE_ASSIGN_OR_RETURN(std::string text,
                         OpenNote(note, kAuditKeyName, public_key));
  FEDGE_ASSIGN_OR_RETURN(Checkpoint checkpoint, ParseCheckpoint(text));
  if (checkpoint.origin != origin) {
    return absl::DataLossError(absl::StrCat("the checkpoint is of the log '",
                                            checkpoint.origin, "', not '",
                                            origin, "'"));
  }
  return checkpoint;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLogWriter>> AuditLogWriter::Open(
    const std::string& dir, std::string origin,
    crypto::SecretBytes signing_key) {
  FEDGE_RETURN_IF_ERROR(util::MakeDirectories(dir));
  std::unique_ptr<AuditLogWriter> log(new AuditLogWriter());
  log->origin_ = std::move(origin);
  log->signing_key_ = std::move(signing_key);
  FEDGE_ASSIGN_OR_RETURN(log->records_,
                         RecordLogWriter::Open(RecordsPath(dir)));
  FEDGE_ASSIGN_OR_RETURN(log->checkpoints_,
                         RecordLogWriter::Open(CheckpointsPath(dir)));
  for (const std::string& entry : log->records_->existing()) {
    log->tree_.Append(entry);
  }
  if (!log->checkpoints_->existing().empty()) {
    FEDGE_ASSIGN_OR_RETURN(crypto::Ed25519PublicKey public_key,
                           crypto::Ed25519PublicFromPrivate(log->signing_key_));
    log->latest_note_ = log->checkpoints_->existing().back();
    FEDGE_ASSIGN_OR_RETURN(
        Checkpoint latest,
        OpenCheckpoint(log->latest_note_, log->origin_, public_key));
    if (latest.size > log->tree_.size()) {
      return absl::DataLossError(absl::StrCat(
          "the audit log in ", dir, " has ", log->tree_.size(),
          " entries but its last checkpoint signed ", latest.size));
    }
    log->latest_size_ = latest.size;
  }
  return log;
}

absl::StatusOr<uint64_t> AuditLogWriter::Append(
    absl::string_view entry, RecordLogWriter::Durability durability) {
  FEDGE_ASSIGN_OR_RETURN(uint64_t index, records_->Append(entry, durability));
  tree_.Append(entry);
  return index;
}

absl::StatusOr<std::string> AuditLogWriter::SignCheckpoint(
    const std::vector<std::string>& extensions) {
  // Never sign entries that a power loss could still take away.
  FEDGE_RETURN_IF_ERROR(records_->Sync());
  Checkpoint checkpoint;
  checkpoint.origin = origin_;
  checkpoint.size = tree_.size();
  checkpoint.root = tree_.Root();
  checkpoint.extensions = extensions;
  FEDGE_ASSIGN_OR_RETURN(std::string text, CheckpointText(checkpoint));
  FEDGE_ASSIGN_OR_RETURN(std::string note,
                         SignNote(text, kAuditKeyName, signing_key_));
  FEDGE_RETURN_IF_ERROR(checkpoints_->Append(note).status());
  latest_note_ = note;
  latest_size_ = checkpoint.size;
  return note;
}

absl::StatusOr<Receipt> AuditLogWriter::MakeReceipt(uint64_t index) const {
  if (index >= latest_size_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "entry ", index, " is not covered by a signed checkpoint yet (",
        latest_size_, " entries are)"));
  }
  Receipt receipt;
  receipt.index = index;
  receipt.leaf = tree_.leaf(index);
  FEDGE_ASSIGN_OR_RETURN(receipt.proof,
                         tree_.InclusionProof(index, latest_size_));
  receipt.signed_checkpoint = latest_note_;
  return receipt;
}

absl::StatusOr<VerifiedLog> VerifyAuditLog(
    const std::string& dir, absl::string_view origin,
    const crypto::Ed25519PublicKey& public_key) {
  FEDGE_ASSIGN_OR_RETURN(LogContents records, ReadRecordLog(RecordsPath(dir)));
  FEDGE_ASSIGN_OR_RETURN(LogContents notes,
                         ReadRecordLog(CheckpointsPath(dir)));
  MerkleTree tree;
  for (const std::string& entry : records.records) tree.Append(entry);
  VerifiedLog verified;
  uint64_t previous = 0;
  for (size_t i = 0; i < notes.records.size(); ++i) {
    absl::StatusOr<Checkpoint> checkpoint =
        OpenCheckpoint(notes.records[i], origin, public_key);
    if (!checkpoint.ok()) {
      return absl::DataLossError(
          absl::StrCat("checkpoint ", i, ": ", checkpoint.status().message()));
    }
    if (checkpoint->size < previous) {
      return absl::DataLossError(absl::StrCat(
          "checkpoint ", i, " signs ", checkpoint->size,
          " entries, fewer than the ", previous, " signed before it"));
    }
    if (checkpoint->size > tree.size()) {
      return absl::DataLossError(
          absl::StrCat("checkpoint ", i, " signs ", checkpoint->size,
                       " entries, but the "
                       "log holds only ",
                       tree.size(), ": entries were removed"));
    }
    if (*tree.Root(checkpoint->size) != checkpoint->root) {
      // The entries before `previous` matched the checkpoint before.
      return absl::DataLossError(absl::StrCat(
          "checkpoint ", i, " signed a root over the first ", checkpoint->size,
          " entries that the log no longer gives: an entry from ", previous,
          " to ", checkpoint->size - 1,
          " was changed, removed, reordered or replaced"));
    }
    previous = checkpoint->size;
  }
  verified.entries = tree.size();
  verified.checkpoints = notes.records.size();
  verified.unsigned_entries = tree.size() - previous;
  verified.records = std::move(records.records);
  if (!notes.records.empty()) verified.last_checkpoint = notes.records.back();
  return verified;
}

std::string RunLogOrigin(absl::string_view run_id) {
  return absl::StrCat("fedge/", run_id);
}

absl::StatusOr<std::string> ReadLogOrigin(const std::string& dir) {
  FEDGE_ASSIGN_OR_RETURN(LogContents notes,
                         ReadRecordLog(CheckpointsPath(dir)));
  if (notes.records.empty()) {
    return absl::NotFoundError(absl::StrCat("the audit log in ", dir,
                                            " has no signed checkpoint yet"));
  }
  const std::string& note = notes.records.front();
  return note.substr(0, note.find('\n'));
}

absl::Status VerifyReceipt(const Receipt& receipt, absl::string_view origin,
                           const crypto::Ed25519PublicKey& public_key) {
  FEDGE_ASSIGN_OR_RETURN(
      Checkpoint checkpoint,
      OpenCheckpoint(receipt.signed_checkpoint, origin, public_key));
  return VerifyInclusion(receipt.leaf, receipt.index, checkpoint.size,
                         receipt.proof, checkpoint.root);
}

}  // namespace fedge::audit
