#include "simulations/sim_report.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "simulations/svg_chart.h"

namespace fedge::sim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Shown in the page where a value is missing (an en dash).
constexpr char kMissing[] = "\u2013";
constexpr size_t kHeatMapMaxClients = 50;
constexpr size_t kHeatMapMaxClasses = 100;
// The page's content width at full size, so charts are drawn 1:1 on screen.
constexpr int kChartWidth = 1060;

// Okabe-Ito colours: distinguishable with the common colour-vision
// deficiencies and in greyscale print.
constexpr char kBlue[] = "#0072b2";
constexpr char kVermillion[] = "#d55e00";
constexpr char kGreen[] = "#009e73";
constexpr char kOrange[] = "#e69f00";
constexpr char kPurple[] = "#cc79a7";
constexpr char kSky[] = "#56b4e9";
constexpr char kGrey[] = "#6e7781";
constexpr char kBlack[] = "#1f2328";

constexpr char kStyle[] = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica,
       Arial, sans-serif; color: #1f2328; background: #ffffff;
       max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px;
       line-height: 1.45; }
h1 { font-size: 1.7rem; margin: 0 0 2px; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 36px 0 12px; padding-bottom: 4px;
     border-bottom: 1px solid #d0d7de; }
.meta { color: #57606a; margin: 0 0 16px; }
dl.facts { display: grid; gap: 8px 12px; margin: 0 0 12px;
           grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); }
dl.facts div { border: 1px solid #d0d7de; border-radius: 6px;
               padding: 6px 10px; }
dt { font-size: 0.72rem; color: #57606a; text-transform: uppercase;
     letter-spacing: 0.04em; }
dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas,
       monospace; font-size: 0.85em; overflow-wrap: anywhere; }
figure { margin: 16px 0 24px; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #57606a; margin-top: 4px; }
.note { font-size: 0.85rem; color: #57606a; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.78rem;
        font-variant-numeric: tabular-nums; }
th, td { padding: 3px 6px; border-bottom: 1px solid #eaeef2;
         text-align: right; white-space: nowrap; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; white-space: normal;
     vertical-align: bottom; }
thead tr:first-child th { text-align: center; white-space: nowrap;
                          border-bottom-color: #d0d7de; }
th.text, td.text { text-align: left; }
tr.abandoned td { background: #fff4f2; }
td .reason { display: block; white-space: normal; min-width: 13em;
             max-width: 24em; color: #a40e26; font-size: 0.9em; }
@page { margin: 14mm; }
@page rounds { size: landscape; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .table-wrap { overflow: visible; }
  #rounds { page: rounds; }
  table { font-size: 7pt; }
  th, td { padding: 1px 3px; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  dl.facts div { break-inside: avoid; }
}
)css";

std::string Escape(const std::string& text) { return EscapeXml(text); }

// NaN is missing; an infinity (a diverged loss) is shown as one.
std::string NonFinite(double value) {
  if (std::isnan(value)) return kMissing;
  return value > 0 ? "\u221e" : "\u2212\u221e";
}

std::string Percent(double fraction) {
  if (!std::isfinite(fraction)) return NonFinite(fraction);
  return absl::StrFormat("%.2f%%", fraction * 100);
}

std::string Fixed(double value, int decimals) {
  if (!std::isfinite(value)) return NonFinite(value);
  return absl::StrFormat("%.*f", decimals, value);
}

std::string Megabytes(double bytes) { return Fixed(bytes / 1e6, 2); }

// 1234567 -> "1,234,567".
std::string Grouped(uint64_t value) {
  std::string digits = absl::StrCat(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Fact(const std::string& term, const std::string& escaped_value) {
  return absl::StrCat("<div><dt>", Escape(term), "</dt><dd>", escaped_value,
                      "</dd></div>");
}

std::string Figure(const std::string& svg, const std::string& caption) {
  return absl::StrCat("<figure>", svg, "<figcaption>", Escape(caption),
                      "</figcaption></figure>\n");
}

std::vector<double> Column(const std::vector<RoundRow>& rounds,
                           double (*get)(const RoundRow&)) {
  std::vector<double> values;
  values.reserve(rounds.size());
  for (const RoundRow& row : rounds) values.push_back(get(row));
  return values;
}

ChartSpec BaseChart(const std::vector<RoundRow>& rounds, ChartKind kind,
                    std::string title, std::string y_label) {
  ChartSpec spec;
  spec.kind = kind;
  spec.title = std::move(title);
  spec.x_label = "round";
  spec.y_label = std::move(y_label);
  spec.width = kChartWidth;
  spec.height = 320;
  spec.x = Column(
      rounds, [](const RoundRow& r) { return static_cast<double>(r.round); });
  return spec;
}

std::string RenderHeader(const ReportInput& input) {
  const std::string title =
      input.title.empty() ? std::string("fedge simulation") : input.title;
  std::string out =
      absl::StrCat("<header>\n<h1>", Escape(title),
                   "</h1>\n<p class=\"meta\">fedge simulation "
                   "report \u00b7 generated ",
                   Escape(input.generated_at.empty() ? std::string(kMissing)
                                                     : input.generated_at),
                   "</p>\n");
  if (!input.facts.empty()) {
    absl::StrAppend(&out, "<dl class=\"facts\">");
    for (const auto& [term, value] : input.facts) {
      absl::StrAppend(&out, Fact(term, Escape(value)));
    }
    absl::StrAppend(&out, "</dl>\n");
  }
  absl::StrAppend(&out, "<p>Final model SHA-256: <code>",
                  input.final_model_sha256.empty()
                      ? std::string("none")
                      : Escape(input.final_model_sha256),
                  "</code></p>\n</header>\n");
  return out;
}

std::string RenderResults(const std::vector<RoundRow>& rounds) {
  size_t completed = 0;
  const RoundRow* last_evaluated = nullptr;
  const RoundRow* best = nullptr;
  double up = 0, down = 0, seconds = 0;
  for (const RoundRow& row : rounds) {
    if (row.status == "completed") ++completed;
    if (std::isfinite(row.accuracy)) {
      last_evaluated = &row;
      if (best == nullptr || row.accuracy > best->accuracy) best = &row;
    }
    up += static_cast<double>(row.bytes_up);
    down += static_cast<double>(row.bytes_down);
    if (std::isfinite(row.total_seconds)) seconds += row.total_seconds;
  }
  auto at_round = [](const RoundRow* row, const std::string& value) {
    return row == nullptr ? std::string(kMissing)
                          : absl::StrCat(value, " (round ", row->round, ")");
  };
  std::string out =
      "<section id=\"results\">\n<h2>Results</h2>\n<dl class=\"facts\">";
  absl::StrAppend(
      &out, Fact("rounds", absl::StrCat(rounds.size())),
      Fact("completed", absl::StrCat(completed)),
      Fact("abandoned", absl::StrCat(rounds.size() - completed)),
      Fact("final accuracy",
           at_round(last_evaluated,
                    last_evaluated ? Percent(last_evaluated->accuracy) : "")),
      Fact("best accuracy",
           at_round(best, best ? Percent(best->accuracy) : "")),
      Fact("final loss",
           at_round(last_evaluated,
                    last_evaluated ? Fixed(last_evaluated->loss, 4) : "")),
      Fact("uploaded", Megabytes(up) + " MB"),
      Fact("downloaded", Megabytes(down) + " MB"),
      Fact("round time, total", Fixed(seconds, 1) + " s"));
  absl::StrAppend(&out, "</dl>\n</section>\n");
  return out;
}

std::string RenderCharts(const std::vector<RoundRow>& rounds) {
  std::string out;

  absl::StrAppend(&out,
                  "<section id=\"accuracy\">\n<h2>Accuracy and loss</h2>\n");
  ChartSpec accuracy =
      BaseChart(rounds, ChartKind::kLine, "Accuracy per round", "accuracy (%)");
  accuracy.series.push_back(
      {"central evaluation", kBlue,
       Column(rounds, [](const RoundRow& r) { return r.accuracy * 100; })});
  accuracy.y_suffix = "%";
  accuracy.y_min_limit = 0;
  accuracy.y_max_limit = 100;
  absl::StrAppend(
      &out, Figure(RenderChart(accuracy),
                   "Accuracy of the global model on the central evaluation "
                   "set after each round; gaps are rounds without an "
                   "evaluation."));
  ChartSpec loss =
      BaseChart(rounds, ChartKind::kLine, "Loss per round", "loss");
  loss.series.push_back(
      {"central evaluation", kVermillion,
       Column(rounds, [](const RoundRow& r) { return r.loss; })});
  loss.series.push_back(
      {"local training (mean)", kGrey,
       Column(rounds, [](const RoundRow& r) { return r.train_loss; }),
       /*dashed=*/true});
  absl::StrAppend(&out, Figure(RenderChart(loss),
                               "Evaluation loss of the global model and the "
                               "mean local training loss of the clients."));
  absl::StrAppend(&out, "</section>\n");

  absl::StrAppend(&out, "<section id=\"traffic\">\n<h2>Traffic</h2>\n");
  ChartSpec bytes =
      BaseChart(rounds, ChartKind::kLine, "Bytes per round", "megabytes");
  bytes.y_from_zero = true;
  bytes.series.push_back(
      {"up (clients to server)", kBlue, Column(rounds, [](const RoundRow& r) {
         return static_cast<double>(r.bytes_up) / 1e6;
       })});
  bytes.series.push_back({"down (server to clients)", kOrange,
                          Column(rounds, [](const RoundRow& r) {
                            return static_cast<double>(r.bytes_down) / 1e6;
                          })});
  absl::StrAppend(&out, Figure(RenderChart(bytes),
                               "Model bytes sent in each round, in megabytes "
                               "(1 MB = 1,000,000 bytes)."));
  absl::StrAppend(&out, "</section>\n");

  absl::StrAppend(&out,
                  "<section id=\"timing\">\n<h2>Round time by stage</h2>\n");
  ChartSpec timing = BaseChart(rounds, ChartKind::kStackedBar,
                               "Round time by stage", "seconds");
  timing.series.push_back(
      {"selection", kSky,
       Column(rounds, [](const RoundRow& r) { return r.selection_seconds; })});
  timing.series.push_back(
      {"training", kBlue,
       Column(rounds, [](const RoundRow& r) { return r.training_seconds; })});
  timing.series.push_back(
      {"aggregation", kOrange, Column(rounds, [](const RoundRow& r) {
         return r.aggregation_seconds;
       })});
  timing.series.push_back(
      {"evaluation", kGreen,
       Column(rounds, [](const RoundRow& r) { return r.evaluation_seconds; })});
  absl::StrAppend(&out, Figure(RenderChart(timing),
                               "Wall time of each round, split into its "
                               "stages (stacked)."));
  absl::StrAppend(&out, "</section>\n");

  absl::StrAppend(&out,
                  "<section id=\"participation\">\n<h2>Participation</h2>\n");
  uint32_t max_selected = 0, max_available = 0;
  bool any_rejected = false;
  for (const RoundRow& row : rounds) {
    max_selected = std::max(max_selected, row.selected);
    max_available = std::max(max_available, row.available);
    any_rejected = any_rejected || row.rejected > 0;
  }
  // A fleet much larger than a round's cohort would flatten every other
  // line, so availability then gets a chart of its own.
  const bool separate_availability =
      static_cast<uint64_t>(max_available) > 4ull * std::max(max_selected, 1u);
  ChartSpec participation =
      BaseChart(rounds, ChartKind::kLine, "Participation per round", "clients");
  participation.y_from_zero = true;
  auto count = [&](uint32_t RoundRow::*field) {
    std::vector<double> values;
    for (const RoundRow& row : rounds) values.push_back(row.*field);
    return values;
  };
  if (!separate_availability) {
    participation.series.push_back(
        {"available", kGrey, count(&RoundRow::available), /*dashed=*/true});
  }
  participation.series.push_back(
      {"selected", kBlue, count(&RoundRow::selected)});
  participation.series.push_back(
      {"completed", kGreen, count(&RoundRow::completed)});
  participation.series.push_back(
      {"dropped", kVermillion, count(&RoundRow::dropped)});
  if (any_rejected) {
    participation.series.push_back(
        {"rejected", kBlack, count(&RoundRow::rejected)});
  }
  participation.series.push_back(
      {"stragglers", kOrange, count(&RoundRow::stragglers)});
  participation.series.push_back(
      {"fleet dropouts", kPurple, count(&RoundRow::fleet_dropouts)});
  absl::StrAppend(&out,
                  Figure(RenderChart(participation),
                         "Clients selected for each round, how many completed, "
                         "were dropped, were too slow for the deadline "
                         "(stragglers) or left the fleet mid-round."));
  if (separate_availability) {
    ChartSpec available = BaseChart(rounds, ChartKind::kLine,
                                    "Clients available per round", "clients");
    available.y_from_zero = true;
    available.height = 250;
    available.series.push_back(
        {"available", kGrey, count(&RoundRow::available)});
    absl::StrAppend(&out, Figure(RenderChart(available),
                                 "Virtual clients online when each round "
                                 "started."));
  }
  absl::StrAppend(&out, "</section>\n");
  return out;
}

std::string RenderPartition(const data::PartitionSummary& partition) {
  std::string out = "<section id=\"partition\">\n<h2>Partition</h2>\n";
  const size_t clients = partition.sizes.size();
  if (clients == 0) {
    absl::StrAppend(&out,
                    "<p class=\"note\">No partition summary was "
                    "recorded.</p>\n</section>\n");
    return out;
  }
  std::vector<size_t> sorted = partition.sizes;
  std::sort(sorted.begin(), sorted.end());
  double total = 0;
  for (size_t size : sorted) total += static_cast<double>(size);
  const double mean = total / clients;
  double squares = 0;
  for (size_t size : sorted) squares += (size - mean) * (size - mean);
  const double median = clients % 2 == 1
                            ? static_cast<double>(sorted[clients / 2])
                            : (static_cast<double>(sorted[clients / 2 - 1]) +
                               sorted[clients / 2]) /
                                  2;
  size_t classes =
      static_cast<size_t>(std::max<int64_t>(0, partition.num_classes));
  size_t empty_clients = 0;
  double classes_held = 0;
  for (size_t c = 0; c < clients; ++c) {
    if (partition.sizes[c] == 0) ++empty_clients;
  }
  for (const std::vector<size_t>& counts : partition.label_counts) {
    classes = std::max(classes, counts.size());
    for (size_t n : counts) classes_held += n > 0 ? 1 : 0;
  }

  absl::StrAppend(
      &out, "<dl class=\"facts\">",
      Fact("scheme", partition.scheme.empty() ? std::string(kMissing)
                                              : Escape(partition.scheme)),
      Fact("clients", Grouped(clients)), Fact("classes", Grouped(classes)),
      Fact("examples", Grouped(static_cast<uint64_t>(total))),
      Fact("smallest client", Grouped(sorted.front())),
      Fact("median client",
           Fixed(median, median == std::floor(median) ? 0 : 1)),
      Fact("mean client", Fixed(mean, 1)),
      Fact("largest client", Grouped(sorted.back())),
      Fact("size std. dev.", Fixed(std::sqrt(squares / clients), 1)),
      Fact("clients without data", Grouped(empty_clients)));
  if (!partition.label_counts.empty()) {
    absl::StrAppend(
        &out, Fact("classes per client (mean)",
                   Fixed(classes_held / partition.label_counts.size(), 2)));
  }
  absl::StrAppend(&out, "</dl>\n");

  const size_t shown_clients =
      std::min({clients, partition.label_counts.size(), kHeatMapMaxClients});
  const size_t shown_classes = std::min(classes, kHeatMapMaxClasses);
  if (shown_clients == 0 || shown_classes == 0) {
    absl::StrAppend(&out,
                    "<p class=\"note\">No label counts were "
                    "recorded.</p>\n</section>\n");
    return out;
  }
  HeatMapSpec heat;
  heat.title = "Label distribution";
  heat.x_label = "class";
  heat.width = kChartWidth;
  for (size_t k = 0; k < shown_classes; ++k) {
    heat.column_labels.push_back(absl::StrCat(k));
  }
  for (size_t c = 0; c < shown_clients; ++c) {
    const std::vector<size_t>& counts = partition.label_counts[c];
    size_t held = 0;
    for (size_t n : counts) held += n;
    heat.row_labels.push_back(absl::StrCat("client ", c));
    heat.row_bars.push_back(static_cast<double>(partition.sizes[c]));
    heat.row_bar_labels.push_back(Grouped(partition.sizes[c]));
    std::vector<double> shares;
    std::vector<std::string> notes;
    for (size_t k = 0; k < shown_classes; ++k) {
      const size_t n = k < counts.size() ? counts[k] : 0;
      const double share =
          held > 0 ? static_cast<double>(n) / static_cast<double>(held) : kNaN;
      shares.push_back(share);
      notes.push_back(absl::StrCat("client ", c, ", class ", k, ": ",
                                   Grouped(n), " of ", Grouped(held), " (",
                                   Fixed(share * 100, 1), "%)"));
    }
    heat.shares.push_back(std::move(shares));
    heat.cell_notes.push_back(std::move(notes));
  }
  std::string caption =
      "Share of each client's examples in each class; the darkest shade is "
      "the largest share in the grid (see the scale). The bar at the right "
      "is the client's size.";
  if (shown_clients < clients) {
    absl::StrAppend(&caption, " First ", shown_clients, " of ",
                    Grouped(clients), " clients.");
  }
  if (shown_classes < classes) {
    absl::StrAppend(&caption, " First ", shown_classes, " of ", classes,
                    " classes.");
  }
  absl::StrAppend(&out, Figure(RenderHeatMap(heat), caption), "</section>\n");
  return out;
}

std::string RenderRoundTable(const std::vector<RoundRow>& rounds) {
  std::string out =
      "<section id=\"rounds\">\n<h2>All rounds</h2>\n"
      "<div class=\"table-wrap\"><table>\n<thead>\n<tr><th colspan=\"2\">"
      "</th><th colspan=\"3\">Evaluation</th><th colspan=\"7\">Clients</th>"
      "<th colspan=\"2\">Traffic (MB)</th><th colspan=\"5\">Time (s)</th>"
      "</tr>\n<tr><th>Round</th><th class=\"text\">Status</th>"
      "<th>accuracy</th><th>loss</th><th>train loss</th><th>available</th>"
      "<th>selected</th><th>completed</th><th>dropped</th><th>rejected</th>"
      "<th>stragglers</th><th>fleet dropouts</th><th>up</th><th>down</th>"
      "<th>selection</th><th>training</th><th>aggregation</th>"
      "<th>evaluation</th><th>total</th></tr>\n</thead>\n<tbody>\n";
  for (const RoundRow& row : rounds) {
    const bool completed = row.status == "completed";
    absl::StrAppend(
        &out, completed ? "<tr>" : "<tr class=\"abandoned\">", "<td>",
        row.round, "</td><td class=\"text\">",
        Escape(row.status.empty() ? std::string(kMissing) : row.status));
    if (!row.reason.empty()) {
      absl::StrAppend(&out, "<span class=\"reason\">", Escape(row.reason),
                      "</span>");
    }
    absl::StrAppend(&out, "</td><td>", Percent(row.accuracy), "</td><td>",
                    Fixed(row.loss, 4), "</td><td>", Fixed(row.train_loss, 4),
                    "</td><td>", row.available, "</td><td>", row.selected,
                    "</td><td>", row.completed, "</td><td>", row.dropped,
                    "</td><td>", row.rejected, "</td><td>", row.stragglers,
                    "</td><td>", row.fleet_dropouts);
    absl::StrAppend(&out, "</td><td>",
                    Megabytes(static_cast<double>(row.bytes_up)), "</td><td>",
                    Megabytes(static_cast<double>(row.bytes_down)), "</td><td>",
                    Fixed(row.selection_seconds, 3), "</td><td>",
                    Fixed(row.training_seconds, 3), "</td><td>",
                    Fixed(row.aggregation_seconds, 3), "</td><td>",
                    Fixed(row.evaluation_seconds, 3), "</td><td>",
                    Fixed(row.total_seconds, 3), "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody></table></div>\n");
  if (rounds.empty()) {
    absl::StrAppend(&out, "<p class=\"note\">No rounds were run.</p>\n");
  }
  absl::StrAppend(&out, "</section>\n");
  return out;
}

// The shortest decimal form that reads back as the same double; NaN is
// empty, infinities are "inf" and "-inf" (as most CSV readers expect).
std::string CsvNumber(double value) {
  if (std::isnan(value)) return "";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // Whole numbers (seconds, counts) read better without an exponent.
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrFormat("%.0f", value == 0 ? 0.0 : value);
  }
  char buffer[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof buffer, "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

// RFC 4180: a field holding a comma, quote, CR or LF is quoted, with each
// quote doubled.
std::string CsvText(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string RenderHtmlReport(const ReportInput& input) {
  const std::string title =
      input.title.empty() ? std::string("fedge simulation") : input.title;
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n<title>",
      Escape(title), " \u2013 fedge simulation report</title>\n<style>", kStyle,
      "</style>\n</head>\n<body>\n");
  absl::StrAppend(
      &out, RenderHeader(input), "<main>\n", RenderResults(input.rounds),
      RenderCharts(input.rounds), RenderPartition(input.partition),
      RenderRoundTable(input.rounds), "</main>\n</body>\n</html>\n");
  return out;
}

std::string RenderCsv(const std::vector<RoundRow>& rounds) {
  std::string out =
      "round,status,reason,accuracy,loss,train_loss,selected,completed,"
      "dropped,rejected,bytes_up,bytes_down,selection_seconds,"
      "training_seconds,aggregation_seconds,evaluation_seconds,total_seconds,"
      "available,stragglers,fleet_dropouts,compute_seconds,model_sha256\r\n";
  for (const RoundRow& r : rounds) {
    absl::StrAppend(&out, r.round, ",", CsvText(r.status), ",",
                    CsvText(r.reason), ",", CsvNumber(r.accuracy), ",",
                    CsvNumber(r.loss), ",", CsvNumber(r.train_loss), ",",
                    r.selected, ",", r.completed, ",", r.dropped, ",",
                    r.rejected, ",", r.bytes_up, ",", r.bytes_down, ",");
    absl::StrAppend(
        &out, CsvNumber(r.selection_seconds), ",",
        CsvNumber(r.training_seconds), ",", CsvNumber(r.aggregation_seconds),
        ",", CsvNumber(r.evaluation_seconds), ",", CsvNumber(r.total_seconds),
        ",", r.available, ",", r.stragglers, ",", r.fleet_dropouts, ",",
        CsvNumber(r.compute_seconds), ",", CsvText(r.model_sha256), "\r\n");
  }
  return out;
}

}  // namespace fedge::sim
