#ifndef FEDGE_COMMON_AUDIT_REPORT_RPC_SURFACE_H_
#define FEDGE_COMMON_AUDIT_REPORT_RPC_SURFACE_H_

// What a client can send the server, read from the compiled descriptor of
// the Federation service rather than written down by hand: the report's
// data minimisation section then always matches the protocol the binary
// speaks.

#include <vector>

#include "absl/status/statusor.h"
#include "common/audit/report/compliance_report.h"

namespace fedge::audit::report {

// Every method of fedge.v1.Federation in declaration order, with its request
// fields flattened recursively ("consent.given_at:google.protobuf.Timestamp",
// "capabilities.model_formats:repeated string"). Recursion stops at
// google.protobuf.* types and at a depth of four fields. Internal if the
// service is missing from the generated pool.
absl::StatusOr<std::vector<RpcFacts>> FederationRpcs();

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_RPC_SURFACE_H_
