#include "common/audit/report/svg_bars.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/audit/report/html_escape.h"

namespace fedge::audit::report {
namespace {

constexpr double kLeft = 52;
constexpr double kRight = 16;
constexpr double kTop = 40;  // room for the legend
constexpr double kPlotHeight = 180;
constexpr double kBottom = 48;  // room for the bar labels
constexpr double kSlot = 34;    // horizontal space per bar
constexpr double kBar = 22;
constexpr double kMinWidth = 360;

// Integer tick step (1, 2 or 5 times a power of ten) giving at most five
// intervals up to `max`.
uint64_t TickStep(uint64_t max) {
  for (uint64_t scale = 1;; scale *= 10) {
    for (uint64_t base : {1, 2, 5}) {
      const uint64_t step = base * scale;
      if ((max + step - 1) / step <= 5) return step;
    }
  }
}

std::string Num(double value) { return absl::StrFormat("%.1f", value); }

}  // namespace

std::string StackedBarsSvg(const StackedBarChart& chart) {
  const size_t bars = chart.labels.size();
  std::vector<uint64_t> totals(bars, 0);
  for (const BarSeries& s : chart.series) {
    for (size_t i = 0; i < bars && i < s.values.size(); ++i) {
      totals[i] += s.values[i];
    }
  }
  const uint64_t max = std::max<uint64_t>(
      1, bars ? *std::max_element(totals.begin(), totals.end()) : 0);
  const uint64_t step = TickStep(max);
  const uint64_t top = (max + step - 1) / step * step;
  const double width =
      std::max(kMinWidth, kLeft + kRight + kSlot * static_cast<double>(bars));
  const double height = kTop + kPlotHeight + kBottom;
  const double base_y = kTop + kPlotHeight;
  const auto y_of = [&](uint64_t value) {
    return base_y -
           kPlotHeight * static_cast<double>(value) / static_cast<double>(top);
  };

  std::string svg = absl::StrCat(
      "<svg class=\"chart\" role=\"img\" "
      "viewBox=\"0 0 ",
      Num(width), " ", Num(height), "\" width=\"", Num(width), "\" height=\"",
      Num(height), "\" font-family=\"sans-serif\" font-size=\"11\">", "<title>",
      EscapeHtml(chart.title), "</title>");

  // Legend, left to right.
  double x = kLeft;
  for (const BarSeries& s : chart.series) {
    absl::StrAppend(&svg, "<rect x=\"", Num(x), "\" y=\"12\" width=\"12\" ",
                    "height=\"12\" fill=\"", EscapeHtml(s.color), "\"/>",
                    "<text x=\"", Num(x + 16), "\" y=\"22\">",
                    EscapeHtml(s.name), "</text>");
    x += 24 + 7.0 * static_cast<double>(s.name.size());
  }

  // Axis and grid lines with their counts.
  for (uint64_t v = 0; v <= top; v += step) {
    const double y = y_of(v);
    absl::StrAppend(&svg, "<line x1=\"", Num(kLeft), "\" x2=\"",
                    Num(width - kRight), "\" y1=\"", Num(y), "\" y2=\"", Num(y),
                    "\" stroke=\"#cccccc\" stroke-width=\"0.5\"/>",
                    "<text x=\"", Num(kLeft - 6), "\" y=\"", Num(y + 4),
                    "\" text-anchor=\"end\">", v, "</text>");
  }
  absl::StrAppend(&svg, "<text transform=\"translate(14 ",
                  Num(kTop + kPlotHeight / 2), ") rotate(-90)\" ",
                  "text-anchor=\"middle\">", EscapeHtml(chart.y_label),
                  "</text>");

  if (bars == 0) {
    absl::StrAppend(&svg, "<text x=\"", Num(width / 2), "\" y=\"",
                    Num(kTop + kPlotHeight / 2),
                    "\" text-anchor=\"middle\">no data</text>");
  }
  for (size_t i = 0; i < bars; ++i) {
    const double bar_x =
        kLeft + kSlot * static_cast<double>(i) + (kSlot - kBar) / 2;
    uint64_t below = 0;
    for (const BarSeries& s : chart.series) {
      const uint64_t value = i < s.values.size() ? s.values[i] : 0;
      if (value == 0) continue;
      const double y_top = y_of(below + value);
      absl::StrAppend(
          &svg, "<rect x=\"", Num(bar_x), "\" y=\"", Num(y_top), "\" width=\"",
          Num(kBar), "\" height=\"", Num(y_of(below) - y_top), "\" fill=\"",
          EscapeHtml(s.color), "\"><title>", EscapeHtml(chart.labels[i]), ": ",
          value, " ", EscapeHtml(s.name), "</title></rect>");
      below += value;
    }
    const double label_x = bar_x + kBar / 2;
    absl::StrAppend(&svg, "<text x=\"", Num(label_x), "\" y=\"",
                    Num(base_y + 14), "\" text-anchor=\"end\" transform=\"",
                    "rotate(-40 ", Num(label_x), " ", Num(base_y + 14), ")\">",
                    EscapeHtml(chart.labels[i]), "</text>");
  }
  absl::StrAppend(&svg, "<line x1=\"", Num(kLeft), "\" x2=\"",
                  Num(width - kRight), "\" y1=\"", Num(base_y), "\" y2=\"",
                  Num(base_y), "\" stroke=\"#333333\"/></svg>");
  return svg;
}

}  // namespace fedge::audit::report
