#ifndef FEDGE_COMMON_AUDIT_REPORT_REPORT_JSON_H_
#define FEDGE_COMMON_AUDIT_REPORT_REPORT_JSON_H_

// The report as canonical JSON, for machines and for diffing two reports:
// object keys in lexicographic (byte) order at every level, no whitespace
// between tokens, integers as integers, digests as lowercase hex, times as
// RFC 3339 UTC strings with milliseconds, absent facts as null, and a
// trailing newline. The same report always renders to the same bytes.

#include <string>

#include "common/audit/report/compliance_report.h"

namespace fedge::audit::report {

std::string RenderJson(const ComplianceReport& report);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_REPORT_JSON_H_
