#include "common/audit/report/report_html.h"

#include "absl/strings/str_cat.h"
#include "common/audit/report/html_escape.h"
#include "common/audit/report/report_document.h"
#include "common/audit/report/svg_bars.h"

namespace fedge::audit::report {
namespace {

// On paper: no backgrounds, each numbered section on a new page, and no
// table, row, chart or checkpoint split across pages.
constexpr char kStyle[] = R"css(
body{font-family:system-ui,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
  max-width:1120px;margin:2em auto;padding:0 1em;color:#1a1a1a;
  line-height:1.45}
h1{font-size:1.7em;margin-bottom:.1em}
.subtitle{color:#555;margin-top:0}
h2{border-bottom:2px solid #0072b2;padding-bottom:.2em;margin-top:2.2em}
h3{margin:1.4em 0 .4em}
table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.88em}
th,td{border:1px solid #c8c8c8;padding:.25em .5em;text-align:left;
  vertical-align:top}
thead th{background:#eaf2f8}
table.facts th{background:#f5f5f5;font-weight:600;min-width:16em}
code{font-family:ui-monospace,Menlo,Consolas,"DejaVu Sans Mono",monospace;
  font-size:.95em;word-break:break-all}
pre{background:#f5f5f5;border:1px solid #ddd;padding:.8em;
  white-space:pre-wrap;word-break:break-all}
.verdict{border-left:6px solid #d55e00;background:#fdf1e8;padding:.7em 1em}
.verdict.ok{border-left-color:#009e73;background:#eaf7f2}
.empty{color:#666;font-style:italic}
nav.toc ul{columns:2;list-style:none;padding-left:0}
svg.chart{max-width:100%;height:auto;display:block;margin:.5em 0}
@media print{
  body{max-width:none;margin:0;padding:0;color:#000;font-size:10pt}
  *{background:none!important;box-shadow:none!important}
  .verdict{border:1px solid #000;border-left-width:6px}
  nav.toc{break-after:page;page-break-after:always}
  section{break-before:page;page-break-before:always}
  table,tr,pre,svg,.verdict{break-inside:avoid;page-break-inside:avoid}
  thead{display:table-header-group}
  h2,h3{break-after:avoid;page-break-after:avoid}
  a{color:#000;text-decoration:none}
}
)css";

std::string CellHtml(const Cell& cell) {
  const std::string text = EscapeHtml(cell.text);
  return cell.code ? absl::StrCat("<code>", text, "</code>") : text;
}

void RenderBlock(const Block& block, std::string* out) {
  switch (block.kind) {
    case Block::Kind::kVerdict:
      absl::StrAppend(out, "<p class=\"verdict", block.ok ? " ok" : "",
                      "\"><strong>", EscapeHtml(block.label), "</strong> ",
                      EscapeHtml(block.text), "</p>\n");
      return;
    case Block::Kind::kHeading:
      absl::StrAppend(out, "<h3>", EscapeHtml(block.text), "</h3>\n");
      return;
    case Block::Kind::kParagraph:
      absl::StrAppend(out, "<p>", EscapeHtml(block.text), "</p>\n");
      return;
    case Block::Kind::kBullets:
      out->append("<ul>\n");
      for (const std::string& item : block.items) {
        absl::StrAppend(out, "<li>", EscapeHtml(item), "</li>\n");
      }
      out->append("</ul>\n");
      return;
    case Block::Kind::kFacts:
      out->append("<table class=\"facts\"><tbody>\n");
      for (const auto& [label, value] : block.facts) {
        absl::StrAppend(out, "<tr><th scope=\"row\">", EscapeHtml(label),
                        "</th><td>", CellHtml(value), "</td></tr>\n");
      }
      out->append("</tbody></table>\n");
      return;
    case Block::Kind::kTable:
      if (block.rows.empty()) {
        if (!block.text.empty()) {
          absl::StrAppend(out, "<p class=\"empty\">", EscapeHtml(block.text),
                          "</p>\n");
        }
        return;
      }
      out->append("<table><thead><tr>");
      for (const std::string& header : block.headers) {
        absl::StrAppend(out, "<th scope=\"col\">", EscapeHtml(header), "</th>");
      }
      out->append("</tr></thead><tbody>\n");
      for (const std::vector<Cell>& row : block.rows) {
        out->append("<tr>");
        for (const Cell& cell : row) {
          absl::StrAppend(out, "<td>", CellHtml(cell), "</td>");
        }
        out->append("</tr>\n");
      }
      out->append("</tbody></table>\n");
      return;
    case Block::Kind::kPreformatted:
      absl::StrAppend(out, "<pre>", EscapeHtml(block.text), "</pre>\n");
      return;
    case Block::Kind::kChart:
      absl::StrAppend(out, StackedBarsSvg(block.chart), "\n");
      return;
  }
}

}  // namespace

std::string RenderHtml(const ComplianceReport& report) {
  const ReportDocument doc = BuildReportDocument(report);
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n",
      "<title>", EscapeHtml(doc.title), " — ", EscapeHtml(report.run.run_id),
      "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n<header><h1>",
      EscapeHtml(doc.title), "</h1><p class=\"subtitle\">",
      EscapeHtml(doc.subtitle), "</p></header>\n");

  out.append("<nav class=\"toc\"><h2>Contents</h2><ul>\n");
  for (const DocumentSection& section : doc.sections) {
    absl::StrAppend(&out, "<li><a href=\"#", section.anchor, "\">",
                    EscapeHtml(section.title), "</a></li>\n");
  }
  out.append("</ul></nav>\n");

  for (const DocumentSection& section : doc.sections) {
    absl::StrAppend(&out, "<section id=\"", section.anchor, "\"><h2>",
                    EscapeHtml(section.title), "</h2>\n");
    for (const Block& block : section.blocks) RenderBlock(block, &out);
    out.append("</section>\n");
  }
  out.append("</body>\n</html>\n");
  return out;
}

}  // namespace fedge::audit::report
