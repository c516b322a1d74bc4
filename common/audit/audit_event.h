#ifndef FEDGE_COMMON_AUDIT_AUDIT_EVENT_H_
#define FEDGE_COMMON_AUDIT_AUDIT_EVENT_H_

// The byte form of an audit log entry: a v1::AuditEvent
// (proto/fedge/v1/audit.proto) serialized deterministically, so that the
// same event always makes the same Merkle leaf.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::audit {

std::string EncodeEvent(const v1::AuditEvent& event);

// DataLoss if `entry` is not an audit event (or names none).
absl::StatusOr<v1::AuditEvent> DecodeEvent(absl::string_view entry);

}  // namespace fedge::audit

#endif  // FEDGE_COMMON_AUDIT_AUDIT_EVENT_H_
