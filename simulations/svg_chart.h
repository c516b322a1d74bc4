#ifndef FEDGE_SIMULATIONS_SVG_CHART_H_
#define FEDGE_SIMULATIONS_SVG_CHART_H_

// Small static charts as inline SVG for the simulation report: line charts,
// stacked bar charts and a heat map. The output is plain SVG 1.1 markup (no
// script, no external reference, no CSS needed), sized by its viewBox so the
// page can scale it.

#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace fedge::sim {

// `text` with & < > " ' replaced by character references, safe both as
// element text and inside a quoted attribute value (HTML and XML). C0
// control characters other than tab, line feed and carriage return, which
// XML forbids, are dropped.
std::string EscapeXml(std::string_view text);

// Ticks for one axis: `values` are multiples of `step` from `lo` to `hi`
// (both included) and `decimals` is how many digits a label needs after the
// point so that neighbouring ticks differ.
struct AxisTicks {
  double lo = 0;
  double hi = 1;
  double step = 1;
  int decimals = 0;
  std::vector<double> values;
};

// "Nice" ticks (steps of 1, 2 or 5 times a power of ten) for about
// `target_count` intervals. With `extend` the range grows outward to the
// nearest multiples of the step, so the data never touches the frame;
// without it the range stays [lo, hi] and only the multiples of the step
// inside it are listed. With `integer_steps` the step is at least 1 (round
// numbers). If hi <= lo the range is widened around lo first.
AxisTicks NiceTicks(double lo, double hi, int target_count, bool extend,
                    bool integer_steps);

// `value` as a tick label with `decimals` digits after the point; "0" for a
// value that is zero within rounding (never "-0"); from 10000 up, shortened
// to thousands when `step` is a multiple of 1000 (e.g. 25000 -> "25k").
std::string FormatTick(double value, int decimals, double step);

struct ChartSeries {
  std::string name;            // legend entry
  std::string color;           // any CSS colour, e.g. "#0072b2"
  std::vector<double> values;  // one per ChartSpec::x; NaN = missing
  bool dashed = false;         // line charts only
};

enum class ChartKind {
  kLine,        // one line per series; a NaN breaks the line
  kStackedBar,  // one bar per x, series stacked bottom-up; NaN counts as 0
};

struct ChartSpec {
  ChartKind kind = ChartKind::kLine;
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<double> x;  // ascending, e.g. round numbers
  std::vector<ChartSeries> series;
  bool y_from_zero = false;  // keep 0 on the y axis (counts, sizes)
  // The y axis never extends past these (e.g. 0 and 100 for a percentage).
  double y_min_limit = -std::numeric_limits<double>::infinity();
  double y_max_limit = std::numeric_limits<double>::infinity();
  std::string y_suffix;  // appended to y tick labels, e.g. "%"
  int width = 760;
  int height = 300;
};

// One chart as an <svg> element with a <title>, a legend, axes with ticks
// and labels, and horizontal grid lines. The y range comes from the finite
// values (padded, then widened to nice ticks); the x range from `x`, with
// half the smallest step between x values of room at each end. A chart
// without any finite value says "no data" inside its frame. Series whose
// `values` are shorter than `x` are treated as missing at the end.
std::string RenderChart(const ChartSpec& spec);

struct HeatMapSpec {
  std::string title;
  std::string x_label;  // under the columns
  std::vector<std::string> row_labels;
  std::vector<std::string> column_labels;
  // shares[row][column] in [0, 1], the cell's shade; NaN = no value.
  std::vector<std::vector<double>> shares;
  // The share drawn darkest (larger ones too); 0 means the largest share in
  // the grid, so a grid of many small shares still shows its pattern.
  double shade_max = 0;
  // Optional per-cell tooltip text, same shape as `shares`.
  std::vector<std::vector<std::string>> cell_notes;
  // Optional bar at the end of each row (e.g. the row's size), scaled to the
  // largest, with `row_bar_labels` as its text.
  std::vector<double> row_bars;
  std::vector<std::string> row_bar_labels;
  int width = 760;  // the most it may take; cells are at most 32 wide
};

// A grid of rows × columns shaded from white (0) to dark blue (shade_max),
// with a legend of the scale in percent. Height follows the number of rows;
// width follows the number of columns, up to `width`.
std::string RenderHeatMap(const HeatMapSpec& spec);

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_SVG_CHART_H_
