#ifndef FEDGE_COMMON_AUDIT_REPORT_REPORT_TEXT_H_
#define FEDGE_COMMON_AUDIT_REPORT_REPORT_TEXT_H_

// The report's prose and formats, shared by the Markdown and HTML renderers
// so both say the same thing in the same words. Text here is plain (not
// escaped); each renderer escapes it for its own format.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/audit/report/compliance_report.h"

namespace fedge::audit::report {

// RFC 3339 UTC with milliseconds: "2026-11-28T04:09:39.123Z".
std::string FormatReportTime(int64_t unix_ms);
// As above; "-" for no time.
std::string FormatReportTime(const std::optional<int64_t>& unix_ms);

// A section of the human-readable report: its anchor and heading.
struct SectionTitle {
  const char* anchor;
  const char* title;
};

// The sections in their order: summary, 1 to 10, appendix.
const std::vector<SectionTitle>& ReportSections();

// One paragraph: whether the log verified, what that proves, and the run in
// figures.
std::string SummaryParagraph(const ComplianceReport& report);

// What the report cannot show, one statement per entry; the facts that
// limit this report in particular (an unsigned tail, a broken invariant,
// mismatched artifacts) come first.
std::vector<std::string> ReportLimitations(const ComplianceReport& report);

// What an upload carries, for the data minimisation section.
std::string UploadContentNote();

// "a, b, c" (with `separator`); "-" when there is nothing.
std::string JoinList(const std::vector<std::string>& values,
                     absl::string_view separator = ", ");
std::string JoinVersions(const std::vector<uint64_t>& versions);

// Shortest round-trip text of a double (as the JSON has it).
std::string FormatDouble(double value);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_REPORT_TEXT_H_
