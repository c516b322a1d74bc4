#ifndef FEDGE_CLIENT_RECEIPT_KEEPER_H_
#define FEDGE_CLIENT_RECEIPT_KEEPER_H_

// The device's copies of its audit receipts: after each round it
// contributed to, the server sends proof that its upload is in the signed
// audit log (v1::AuditReceipt). The device keeps them in
// STATE_DIR/receipts/round-NNNNNN.receipt (the serialized message), so its
// owner can later check, with `fedge audit verify-receipt`, that the log
// still holds the entry.

#include <string>

#include "absl/status/status.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::client {

// STATE_DIR/receipts.
std::string ReceiptDir(const std::string& state_dir);

// Checks that `receipt` is about this client (`client_id`) and that its
// entry is the acceptance of its upload, then writes it into `dir`
// (atomically; "" keeps nothing). InvalidArgument for a receipt about
// someone or something else.
absl::Status KeepReceipt(const std::string& dir, const std::string& client_id,
                         const v1::AuditReceipt& receipt);

}  // namespace fedge::client

#endif  // FEDGE_CLIENT_RECEIPT_KEEPER_H_
