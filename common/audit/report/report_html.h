#ifndef FEDGE_COMMON_AUDIT_REPORT_REPORT_HTML_H_
#define FEDGE_COMMON_AUDIT_REPORT_REPORT_HTML_H_

// The report as one self-contained HTML page for a data protection officer
// to read, print and file: inline CSS (with print rules), inline SVG, no
// script and no reference to anything outside the file. Every string from
// the log is escaped.

#include <string>

#include "common/audit/report/compliance_report.h"

namespace fedge::audit::report {

std::string RenderHtml(const ComplianceReport& report);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_REPORT_HTML_H_
