#ifndef FEDGE_COMMON_AUDIT_REPORT_REPORT_MARKDOWN_H_
#define FEDGE_COMMON_AUDIT_REPORT_REPORT_MARKDOWN_H_

// The report as CommonMark with GitHub tables: a summary paragraph (did the
// log verify, and what that proves), then the same sections as the HTML
// report as headings and tables. Nothing is left to a chart: printed, it
// carries every fact.

#include <string>

#include "common/audit/report/compliance_report.h"

namespace fedge::audit::report {

std::string RenderMarkdown(const ComplianceReport& report);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_REPORT_MARKDOWN_H_
