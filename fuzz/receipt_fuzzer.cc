// Feeds a hostile receipt (v1::AuditReceipt, common/audit/receipt.h), as a
// device or an auditor holds one, to CheckReceipt, and consistency evidence
// (v1::ConsistencyEvidence) to CheckEvidence.
//
// Input: u8 flags, u16 length and the receipt's bytes, then the evidence's
// bytes. Flags bit 0 / bit 1: the harness signs the receipt's / evidence's
// checkpoint text with the fixed fuzz key (when SignNote accepts it), so the
// fuzzer reaches the inclusion and consistency proofs and the entry's
// decoding. Checks: an accepted receipt names the upload its entry accepts,
// in the log its checkpoint names.

#include <cstdint>
#include <string>

#include "common/audit/audit_log.h"
#include "common/audit/receipt.h"
#include "common/audit/signed_note.h"
#include "fedge/v1/audit.pb.h"
#include "fuzz/fuzz_support.h"

namespace {

// Replaces the note in `note` by the note signing its text, if SignNote
// takes it.
void SignInPlace(std::string* note) {
  absl::StatusOr<std::string> s =
      fedge::audit::SignNote(*note, fedge::audit::kAuditKeyName,
                             fedge::fuzz::FixedAuditKey().private_key);
  if (s.ok()) *note = *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fedge::audit;
  fedge::fuzz::FuzzInput in(data, size);
  const uint8_t flags = in.U8();
  absl::string_view receipt_bytes = in.LengthPrefixed();
  absl::string_view evidence_bytes = in.Rest();
  const auto& key = fedge::fuzz::FixedAuditKey();

  fedge::v1::AuditReceipt receipt;
  if (!receipt.ParseFromArray(receipt_bytes.data(),
                              static_cast<int>(receipt_bytes.size()))) {
    return 0;
  }
  if ((flags & 1) != 0) SignInPlace(receipt.mutable_checkpoint());
  absl::StatusOr<CheckedReceipt> checked =
      CheckReceipt(receipt, key.public_key);
  if (!checked.ok()) {
    FEDGE_FUZZ_CHECK(checked.status().code() == absl::StatusCode::kDataLoss);
    return 0;
  }
  FEDGE_FUZZ_CHECK(checked->checkpoint.origin == receipt.origin());
  FEDGE_FUZZ_CHECK(checked->event.has_upload_accepted());
  FEDGE_FUZZ_CHECK(checked->event.upload_accepted().client_id() ==
                   receipt.client_id());
  FEDGE_FUZZ_CHECK(receipt.index() < checked->checkpoint.size);

  fedge::v1::ConsistencyEvidence evidence;
  if (!evidence.ParseFromArray(evidence_bytes.data(),
                               static_cast<int>(evidence_bytes.size()))) {
    return 0;
  }
  if ((flags & 2) != 0) SignInPlace(evidence.mutable_checkpoint());
  CheckEvidence(*checked, evidence, key.public_key).IgnoreError();
  return 0;
}
