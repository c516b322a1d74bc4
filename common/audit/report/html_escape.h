#ifndef FEDGE_COMMON_AUDIT_REPORT_HTML_ESCAPE_H_
#define FEDGE_COMMON_AUDIT_REPORT_HTML_ESCAPE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace fedge::audit::report {

// `text` safe as HTML or SVG element text and inside a quoted attribute
// value: & < > " ' become character references, and control characters
// other than tab, line feed and carriage return (which XML forbids) are
// dropped. Every string from the log passes through here: client ids,
// reasons and settings are chosen by clients and operators.
std::string EscapeHtml(absl::string_view text);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_HTML_ESCAPE_H_
