#include "common/audit/receipt.h"

#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_log.h"
#include "common/audit/signed_note.h"
#include "common/crypto/sha256.h"
#include "common/util/status_macros.h"

namespace fedge::audit {
namespace {

absl::StatusOr<Checkpoint> OpenSigned(absl::string_view note,
                                      const crypto::Ed25519PublicKey& key) {
  FEDGE_ASSIGN_OR_RETURN(std::string text, OpenNote(note, kAuditKeyName, key));
  return ParseCheckpoint(text);
}

absl::StatusOr<std::vector<MerkleHash>> Hashes(
    const google::protobuf::RepeatedPtrField<std::string>& raw) {
  std::vector<MerkleHash> out;
  for (const std::string& h : raw) {
    MerkleHash hash;
    if (h.size() != hash.size()) {
      return absl::DataLossError(absl::StrCat("a proof hash has ", h.size(),
                                              " bytes, not ", hash.size()));
    }
    std::memcpy(hash.data(), h.data(), hash.size());
    out.push_back(hash);
  }
  return out;
}

}  // namespace

v1::AuditReceipt MakeAuditReceipt(const Receipt& receipt,
                                  absl::string_view origin,
                                  absl::string_view entry) {
  v1::AuditReceipt out;
  out.set_origin(std::string(origin));
  out.set_index(receipt.index);
  out.set_entry(std::string(entry));
  for (const MerkleHash& h : receipt.proof) {
    out.add_proof(crypto::DigestBytes(h));
  }
  out.set_checkpoint(receipt.signed_checkpoint);
  // What the entry says it accepted (CheckReceipt holds the two together).
  absl::StatusOr<v1::AuditEvent> event = DecodeEvent(entry);
  if (event.ok() && event->has_upload_accepted()) {
    out.set_round(event->round());
    out.set_client_id(event->upload_accepted().client_id());
    out.set_upload_sha256(event->upload_accepted().sha256());
  }
  return out;
}

absl::StatusOr<CheckedReceipt> CheckReceipt(
    const v1::AuditReceipt& receipt,
    const crypto::Ed25519PublicKey& public_key) {
  CheckedReceipt checked;
  absl::StatusOr<Checkpoint> checkpoint =
      OpenSigned(receipt.checkpoint(), public_key);
  if (!checkpoint.ok()) {
    return absl::DataLossError(absl::StrCat("the receipt's checkpoint: ",
                                            checkpoint.status().message()));
  }
  checked.checkpoint = std::move(*checkpoint);
  if (checked.checkpoint.origin != receipt.origin()) {
    return absl::DataLossError(absl::StrCat(
        "the receipt names the log '", receipt.origin(),
        "' but its checkpoint is of '", checked.checkpoint.origin, "'"));
  }
  FEDGE_ASSIGN_OR_RETURN(std::vector<MerkleHash> proof,
                         Hashes(receipt.proof()));
  if (absl::Status s = VerifyInclusion(LeafHash(receipt.entry()),
                                       receipt.index(), checked.checkpoint.size,
                                       proof, checked.checkpoint.root);
      !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("entry ", receipt.index(),
                     " is not in the signed tree: ", s.message()));
  }
  FEDGE_ASSIGN_OR_RETURN(checked.event, DecodeEvent(receipt.entry()));
  const v1::UploadAccepted& accepted = checked.event.upload_accepted();
  if (!checked.event.has_upload_accepted() ||
      accepted.client_id() != receipt.client_id() ||
      accepted.sha256() != receipt.upload_sha256() ||
      checked.event.round() != receipt.round()) {
    return absl::DataLossError(
        absl::StrCat("entry ", receipt.index(),
                     " does not accept the upload of ", receipt.client_id(),
                     " in round ", receipt.round(), " that the receipt names"));
  }
  return checked;
}

absl::Status CheckReceiptStillLogged(
    const CheckedReceipt& receipt, absl::string_view later_note,
    absl::Span<const MerkleHash> consistency,
    const crypto::Ed25519PublicKey& public_key) {
  absl::StatusOr<Checkpoint> later = OpenSigned(later_note, public_key);
  if (!later.ok()) {
    return absl::DataLossError(
        absl::StrCat("the later checkpoint: ", later.status().message()));
  }
  if (later->origin != receipt.checkpoint.origin) {
    return absl::DataLossError(
        absl::StrCat("the later checkpoint is of the log '", later->origin,
                     "', not '", receipt.checkpoint.origin, "'"));
  }
  if (later->size < receipt.checkpoint.size) {
    return absl::DataLossError(absl::StrCat(
        "the later checkpoint signs ", later->size,
        " entries, fewer than the receipt's ", receipt.checkpoint.size));
  }
  if (absl::Status s =
          VerifyConsistency(receipt.checkpoint.size, later->size,
                            receipt.checkpoint.root, later->root, consistency);
      !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("the log was rewritten after the receipt: ", s.message()));
  }
  return absl::OkStatus();
}

namespace {

// The evidence from a log VerifyAuditLog accepted.
absl::StatusOr<v1::ConsistencyEvidence> EvidenceFrom(
    const CheckedReceipt& receipt, const VerifiedLog& log,
    const crypto::Ed25519PublicKey& public_key) {
  absl::StatusOr<Checkpoint> later =
      OpenSigned(log.last_checkpoint, public_key);
  if (!later.ok()) return later.status();
  MerkleTree tree;
  for (const std::string& entry : log.records) tree.Append(entry);
  FEDGE_ASSIGN_OR_RETURN(
      std::vector<MerkleHash> proof,
      tree.ConsistencyProof(receipt.checkpoint.size, later->size));
  v1::ConsistencyEvidence evidence;
  evidence.set_checkpoint(log.last_checkpoint);
  evidence.set_from_size(receipt.checkpoint.size);
  for (const MerkleHash& h : proof) evidence.add_proof(crypto::DigestBytes(h));
  return evidence;
}

}  // namespace

absl::StatusOr<v1::ConsistencyEvidence> ProveStillLogged(
    const CheckedReceipt& receipt, const std::string& dir,
    const crypto::Ed25519PublicKey& public_key) {
  FEDGE_ASSIGN_OR_RETURN(
      VerifiedLog log,
      VerifyAuditLog(dir, receipt.checkpoint.origin, public_key));
  return EvidenceFrom(receipt, log, public_key);
}

absl::Status CheckEvidence(const CheckedReceipt& receipt,
                           const v1::ConsistencyEvidence& evidence,
                           const crypto::Ed25519PublicKey& public_key) {
  if (evidence.from_size() != receipt.checkpoint.size) {
    return absl::DataLossError(absl::StrCat(
        "the evidence proves consistency from a tree of ", evidence.from_size(),
        " entries, but the receipt's has ", receipt.checkpoint.size));
  }
  FEDGE_ASSIGN_OR_RETURN(std::vector<MerkleHash> proof,
                         Hashes(evidence.proof()));
  return CheckReceiptStillLogged(receipt, evidence.checkpoint(), proof,
                                 public_key);
}

absl::StatusOr<CheckedReceipt> CheckReceiptAgainstLog(
    const v1::AuditReceipt& receipt, const std::string& dir,
    const crypto::Ed25519PublicKey& public_key) {
  FEDGE_ASSIGN_OR_RETURN(CheckedReceipt checked,
                         CheckReceipt(receipt, public_key));
  FEDGE_ASSIGN_OR_RETURN(VerifiedLog log,
                         VerifyAuditLog(dir, receipt.origin(), public_key));
  if (receipt.index() >= log.records.size() ||
      log.records[receipt.index()] != receipt.entry()) {
    return absl::DataLossError(absl::StrCat(
        "the log in ", dir, " does not hold the receipt's entry at index ",
        receipt.index()));
  }
  FEDGE_ASSIGN_OR_RETURN(v1::ConsistencyEvidence evidence,
                         EvidenceFrom(checked, log, public_key));
  FEDGE_RETURN_IF_ERROR(CheckEvidence(checked, evidence, public_key));
  return checked;
}

}  // namespace fedge::audit
