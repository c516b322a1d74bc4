#include "client/receipt_keeper.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/audit/audit_event.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::client {

std::string ReceiptDir(const std::string& state_dir) {
  return util::JoinPath(state_dir, "receipts");
}

absl::Status KeepReceipt(const std::string& dir, const std::string& client_id,
                         const v1::AuditReceipt& receipt) {
  if (receipt.client_id() != client_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("an audit receipt for ", receipt.client_id(),
                     " reached this client (", client_id, ")"));
  }
  absl::StatusOr<v1::AuditEvent> entry = audit::DecodeEvent(receipt.entry());
  if (!entry.ok() || !entry->has_upload_accepted() ||
      entry->upload_accepted().client_id() != client_id ||
      entry->upload_accepted().sha256() != receipt.upload_sha256()) {
    return absl::InvalidArgumentError(
        "an audit receipt whose entry is not the acceptance of this client's "
        "upload");
  }
  if (dir.empty()) return absl::OkStatus();
  FEDGE_RETURN_IF_ERROR(util::MakeDirectories(dir));
  return util::WriteFileAtomically(
      util::JoinPath(dir,
                     absl::StrFormat("round-%06d.receipt", receipt.round())),
      receipt.SerializeAsString(), 0644);
}

}  // namespace fedge::client
