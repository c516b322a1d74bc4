#ifndef FEDGE_COMMON_AUDIT_REPORT_REPORT_DOCUMENT_H_
#define FEDGE_COMMON_AUDIT_REPORT_REPORT_DOCUMENT_H_

// The human-readable report as a format-neutral document: sections of
// paragraphs, fact lists, tables and charts. The Markdown and HTML renderers
// only lay it out, so both carry the same facts under the same headings.
// All text is plain; the renderers escape it.

#include <string>
#include <utility>
#include <vector>

#include "common/audit/report/compliance_report.h"
#include "common/audit/report/svg_bars.h"

namespace fedge::audit::report {

struct Cell {
  std::string text;
  // A digest, id or other literal, shown in a monospace face.
  bool code = false;
};

struct Block {
  enum class Kind {
    kVerdict,       // `label` and `text`: the summary; `ok` if every check held
    kHeading,       // a subheading: `text`
    kParagraph,     // `text`
    kBullets,       // `items`
    kFacts,         // `facts`: label and value pairs
    kTable,         // `headers` and `rows`; `text` is said instead when empty
    kPreformatted,  // `text`, verbatim (the signed checkpoint)
    kChart,         // `chart`; the same counts are in a table nearby
  };
  Kind kind = Kind::kParagraph;
  std::string text;
  std::string label;
  bool ok = false;
  std::vector<std::string> items;
  std::vector<std::pair<std::string, Cell>> facts;
  std::vector<std::string> headers;
  std::vector<std::vector<Cell>> rows;
  StackedBarChart chart;
};

struct DocumentSection {
  std::string anchor;  // letters only, usable as an HTML id
  std::string title;
  std::vector<Block> blocks;
};

struct ReportDocument {
  std::string title;
  std::string subtitle;
  std::vector<DocumentSection> sections;  // in ReportSections() order
};

ReportDocument BuildReportDocument(const ComplianceReport& report);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_REPORT_DOCUMENT_H_
