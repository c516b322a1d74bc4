#include "common/audit/report/report_markdown.h"

#include "absl/strings/str_cat.h"
#include "common/audit/report/report_document.h"

namespace fedge::audit::report {
namespace {

// Backslash-escapes the punctuation Markdown would read as markup (a client
// id like "<script>" or "*x*" stays literal text) and folds line breaks, so
// a value cannot end a table row.
std::string Escape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '<':
      case '>':
      case '|':
      case '#':
      case '!':
      case '~':
      case '&':
        out.push_back('\\');
        out.push_back(c);
        break;
      case '\n':
      case '\r':
      case '\t':
        out.push_back(' ');
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
    }
  }
  return out;
}

std::string CellText(const Cell& cell) { return Escape(cell.text); }

void TableRow(const std::vector<std::string>& cells, std::string* out) {
  out->append("|");
  for (const std::string& cell : cells) absl::StrAppend(out, " ", cell, " |");
  out->append("\n");
}

void RenderBlock(const Block& block, std::string* out) {
  switch (block.kind) {
    case Block::Kind::kVerdict:
      absl::StrAppend(out, "**", Escape(block.label), "** ", Escape(block.text),
                      "\n\n");
      return;
    case Block::Kind::kHeading:
      absl::StrAppend(out, "### ", Escape(block.text), "\n\n");
      return;
    case Block::Kind::kParagraph:
      absl::StrAppend(out, Escape(block.text), "\n\n");
      return;
    case Block::Kind::kBullets:
      for (const std::string& item : block.items) {
        absl::StrAppend(out, "- ", Escape(item), "\n");
      }
      out->append("\n");
      return;
    case Block::Kind::kFacts: {
      TableRow({"Fact", "Value"}, out);
      TableRow({"---", "---"}, out);
      for (const auto& [label, value] : block.facts) {
        TableRow({Escape(label), CellText(value)}, out);
      }
      out->append("\n");
      return;
    }
    case Block::Kind::kTable: {
      if (block.rows.empty()) {
        if (!block.text.empty())
          absl::StrAppend(out, Escape(block.text), "\n\n");
        return;
      }
      std::vector<std::string> headers;
      for (const std::string& h : block.headers) headers.push_back(Escape(h));
      TableRow(headers, out);
      TableRow(std::vector<std::string>(headers.size(), "---"), out);
      for (const std::vector<Cell>& row : block.rows) {
        std::vector<std::string> cells;
        for (const Cell& cell : row) cells.push_back(CellText(cell));
        TableRow(cells, out);
      }
      out->append("\n");
      return;
    }
    case Block::Kind::kPreformatted: {
      // A fence longer than any backtick run in the text cannot be closed
      // by it.
      std::string fence = "```";
      while (block.text.find(fence) != std::string::npos) fence.push_back('`');
      absl::StrAppend(
          out, fence, "\n", block.text,
          block.text.empty() || block.text.back() != '\n' ? "\n" : "", fence,
          "\n\n");
      return;
    }
    case Block::Kind::kChart:
      // The counts it shows are in the table that follows it.
      return;
  }
}

}  // namespace

std::string RenderMarkdown(const ComplianceReport& report) {
  const ReportDocument doc = BuildReportDocument(report);
  std::string out = absl::StrCat("# ", Escape(doc.title), "\n\n",
                                 Escape(doc.subtitle), "\n\n");
  for (const DocumentSection& section : doc.sections) {
    absl::StrAppend(&out, "## ", Escape(section.title), "\n\n");
    for (const Block& block : section.blocks) RenderBlock(block, &out);
  }
  return out;
}

}  // namespace fedge::audit::report
