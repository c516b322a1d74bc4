#include "simulations/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fedge::sim {
namespace {

constexpr char kTextColor[] = "#1f2328";
constexpr char kMutedColor[] = "#57606a";
constexpr char kAxisColor[] = "#8c959f";
constexpr char kGridColor[] = "#e4e7eb";
// Rough width of one character of the 12px sans-serif labels, for layout.
constexpr double kCharWidth = 6.8;

// A coordinate with at most one decimal and no trailing ".0", to keep the
// markup of long series small.
std::string Coord(double v) {
  if (!std::isfinite(v)) v = 0;
  double rounded = std::round(v * 10) / 10;
  if (rounded == 0) rounded = 0;  // no "-0"
  if (rounded == std::floor(rounded)) {
    return absl::StrFormat("%.0f", rounded);
  }
  return absl::StrFormat("%.1f", rounded);
}

// Number of characters, counting a UTF-8 sequence as one.
size_t TextLength(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

double NiceStep(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  double nice = 10;
  if (normalized < 1.5) {
    nice = 1;
  } else if (normalized < 3) {
    nice = 2;
  } else if (normalized < 7) {
    nice = 5;
  }
  return nice * magnitude;
}

std::string SvgOpen(int width, int height, const std::string& title) {
  return absl::StrCat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", width, " ",
      height, "\" width=\"", width, "\" height=\"", height,
      "\" font-family=\"system-ui, sans-serif\" font-size=\"12\" "
      "role=\"img\"><title>",
      EscapeXml(title), "</title>");
}

std::string Text(double x, double y, const std::string& text,
                 const std::string& extra_attributes = "") {
  return absl::StrCat("<text x=\"", Coord(x), "\" y=\"", Coord(y), "\"",
                      extra_attributes.empty() ? "" : " ", extra_attributes,
                      ">", EscapeXml(text), "</text>");
}

std::string TitleText(const std::string& title) {
  return Text(8, 18, title,
              absl::StrCat("font-size=\"14\" font-weight=\"600\" fill=\"",
                           kTextColor, "\""));
}

double ValueAt(const ChartSeries& series, size_t i) {
  return i < series.values.size() ? series.values[i]
                                  : std::numeric_limits<double>::quiet_NaN();
}

bool HasFiniteValue(const ChartSeries& series, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (std::isfinite(ValueAt(series, i))) return true;
  }
  return false;
}

// Legend entries laid out left to right, wrapping at `width`; returns the
// markup and sets `bottom` to the y just below the last row.
std::string Legend(const ChartSpec& spec, double top, double* bottom) {
  std::string out;
  const double row_height = 18;
  double x = 8;
  double y = top;
  for (const ChartSeries& series : spec.series) {
    std::string label = series.name;
    if (!HasFiniteValue(series, spec.x.size()))
      absl::StrAppend(&label, " (no data)");
    const double item_width = 24 + TextLength(label) * kCharWidth + 18;
    if (x > 8 && x + item_width > spec.width - 8) {
      x = 8;
      y += row_height;
    }
    if (spec.kind == ChartKind::kLine) {
      absl::StrAppend(&out, "<line x1=\"", Coord(x), "\" y1=\"", Coord(y - 4),
                      "\" x2=\"", Coord(x + 18), "\" y2=\"", Coord(y - 4),
                      "\" stroke=\"", EscapeXml(series.color),
                      "\" stroke-width=\"2.5\"",
                      series.dashed ? " stroke-dasharray=\"5 3\"" : "", "/>");
    } else {
      absl::StrAppend(&out, "<rect x=\"", Coord(x + 3), "\" y=\"",
                      Coord(y - 10), "\" width=\"12\" height=\"12\" fill=\"",
                      EscapeXml(series.color), "\"/>");
    }
    absl::StrAppend(&out, Text(x + 24, y, label,
                               absl::StrCat("fill=\"", kTextColor, "\"")));
    x += item_width;
  }
  *bottom = spec.series.empty() ? top - row_height : y;
  return out;
}

struct YRange {
  bool has_data = false;
  double lo = 0;
  double hi = 1;
};

YRange DataRange(const ChartSpec& spec) {
  YRange range;
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  const size_t n = spec.x.size();
  if (spec.kind == ChartKind::kStackedBar) {
    for (size_t i = 0; i < n; ++i) {
      double sum = 0;
      for (const ChartSeries& series : spec.series) {
        const double v = ValueAt(series, i);
        if (std::isfinite(v)) {
          range.has_data = true;
          if (v > 0) sum += v;
        }
      }
      hi = std::max(hi, sum);
    }
    lo = 0;
  } else {
    for (const ChartSeries& series : spec.series) {
      for (size_t i = 0; i < n; ++i) {
        const double v = ValueAt(series, i);
        if (!std::isfinite(v)) continue;
        range.has_data = true;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  if (!range.has_data) return range;
  const bool pin_zero = spec.y_from_zero || spec.kind == ChartKind::kStackedBar;
  if (pin_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  const double span = hi - lo;
  const double pad =
      span > 0 ? span * 0.05 : (lo != 0 ? std::fabs(lo) * 0.05 : 1);
  double padded_lo = (pin_zero && lo == 0) ? 0 : lo - pad;
  double padded_hi = (pin_zero && hi == 0 && lo < 0) ? 0 : hi + pad;
  // Padding never invents a sign the data does not have.
  if (lo >= 0 && padded_lo < 0) padded_lo = 0;
  if (hi <= 0 && padded_hi > 0 && lo < 0) padded_hi = 0;
  range.lo = std::max(padded_lo, spec.y_min_limit);
  range.hi = std::min(padded_hi, spec.y_max_limit);
  if (!(range.hi > range.lo)) {
    range.lo = padded_lo;
    range.hi = padded_hi;
  }
  return range;
}

}  // namespace

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' &&
            c != '\r') {
          break;
        }
        out += c;
    }
  }
  return out;
}

AxisTicks NiceTicks(double lo, double hi, int target_count, bool extend,
                    bool integer_steps) {
  if (!std::isfinite(lo)) lo = 0;
  if (!std::isfinite(hi)) hi = lo + 1;
  if (!(hi > lo)) {
    const double widen = lo != 0 ? std::fabs(lo) * 0.1 : 1;
    lo -= widen;
    hi += widen;
  }
  AxisTicks ticks;
  ticks.step = NiceStep((hi - lo) / std::max(1, target_count));
  if (integer_steps && ticks.step < 1) ticks.step = 1;
  const double step = ticks.step;
  constexpr double kSlack = 1e-9;
  if (extend) {
    lo = std::floor(lo / step + kSlack) * step;
    hi = std::ceil(hi / step - kSlack) * step;
  }
  ticks.lo = lo;
  ticks.hi = hi;
  const double first = std::ceil(lo / step - kSlack);
  const double last = std::floor(hi / step + kSlack);
  for (double k = first; k <= last; ++k) {
    double v = k * step;
    if (std::fabs(v) < step * 1e-9) v = 0;
    ticks.values.push_back(v);
  }
  ticks.decimals =
      std::max(0, -static_cast<int>(std::floor(std::log10(step) + kSlack)));
  return ticks;
}

std::string FormatTick(double value, int decimals, double step) {
  if (!std::isfinite(value)) return "";
  if (std::fabs(value) < std::fabs(step) * 1e-6) return "0";
  if (std::fabs(value) >= 10000 && step >= 1000 && std::fmod(step, 1000) == 0) {
    return absl::StrFormat("%.0fk", value / 1000);
  }
  return absl::StrFormat("%.*f", std::max(0, decimals), value);
}

std::string RenderChart(const ChartSpec& spec) {
  const int width = spec.width;
  const int height = spec.height;
  const size_t n = spec.x.size();
  std::string out = SvgOpen(width, height, spec.title);
  absl::StrAppend(&out, TitleText(spec.title));

  double legend_bottom = 0;
  absl::StrAppend(&out, Legend(spec, 40, &legend_bottom));

  // Axes.
  const YRange range = DataRange(spec);
  AxisTicks y_ticks = NiceTicks(range.lo, range.hi, 5, true, false);
  y_ticks.lo = std::max(y_ticks.lo, spec.y_min_limit);
  y_ticks.hi = std::min(y_ticks.hi, spec.y_max_limit);
  std::vector<std::string> y_labels;
  size_t widest = 1;
  for (double v : y_ticks.values) {
    if (v < y_ticks.lo - y_ticks.step * 1e-9 ||
        v > y_ticks.hi + y_ticks.step * 1e-9) {
      continue;
    }
    y_labels.push_back(FormatTick(v, y_ticks.decimals, y_ticks.step) +
                       spec.y_suffix);
    widest = std::max(widest, TextLength(y_labels.back()));
  }

  bool integer_x = true;
  double unit = 0;
  for (size_t i = 0; i < n; ++i) {
    if (spec.x[i] != std::floor(spec.x[i])) integer_x = false;
    if (i > 0) {
      const double gap = spec.x[i] - spec.x[i - 1];
      if (gap > 0 && (unit == 0 || gap < unit)) unit = gap;
    }
  }
  if (unit == 0) unit = 1;
  double x_lo = n > 0 ? spec.x.front() : 0;
  double x_hi = n > 0 ? spec.x.back() : 1;
  // Half a step of room at each end keeps the first and last points (or
  // bars) off the axes.
  x_lo -= unit / 2;
  x_hi += unit / 2;
  const double left = (spec.y_label.empty() ? 8 : 26) + widest * kCharWidth + 8;
  const double right = width - 16;
  const double top = legend_bottom + 14;
  const double bottom = height - 42;
  const double plot_width = right - left;
  const double plot_height = bottom - top;
  const int x_target = std::max(2, static_cast<int>(plot_width / 90));
  const AxisTicks x_ticks =
      NiceTicks(x_lo, x_hi, x_target, /*extend=*/false, integer_x);

  auto px = [&](double x) {
    return left + (x - x_lo) / (x_hi - x_lo) * plot_width;
  };
  auto py = [&](double y) {
    const double t = (y - y_ticks.lo) / (y_ticks.hi - y_ticks.lo);
    return bottom - std::clamp(t, 0.0, 1.0) * plot_height;
  };

  // Grid and y tick labels.
  size_t label_index = 0;
  for (double v : y_ticks.values) {
    if (v < y_ticks.lo - y_ticks.step * 1e-9 ||
        v > y_ticks.hi + y_ticks.step * 1e-9) {
      continue;
    }
    const std::string y = Coord(py(v));
    absl::StrAppend(&out, "<line x1=\"", Coord(left), "\" y1=\"", y, "\" x2=\"",
                    Coord(right), "\" y2=\"", y, "\" stroke=\"", kGridColor,
                    "\"/>");
    absl::StrAppend(&out, Text(left - 6, py(v) + 4, y_labels[label_index++],
                               absl::StrCat("text-anchor=\"end\" fill=\"",
                                            kMutedColor, "\"")));
  }
  // x ticks.
  if (n > 0) {
    for (double v : x_ticks.values) {
      const std::string x = Coord(px(v));
      absl::StrAppend(&out, "<line x1=\"", x, "\" y1=\"", Coord(bottom),
                      "\" x2=\"", x, "\" y2=\"", Coord(bottom + 5),
                      "\" stroke=\"", kAxisColor, "\"/>");
      absl::StrAppend(&out, Text(px(v), bottom + 18,
                                 FormatTick(v, x_ticks.decimals, x_ticks.step),
                                 absl::StrCat("text-anchor=\"middle\" fill=\"",
                                              kMutedColor, "\"")));
    }
  }
  // Axis lines and labels.
  absl::StrAppend(&out, "<path d=\"M", Coord(left), " ", Coord(top), "V",
                  Coord(bottom), "H", Coord(right),
                  "\" fill=\"none\" stroke=\"", kAxisColor, "\"/>");
  if (!spec.x_label.empty()) {
    absl::StrAppend(&out, Text((left + right) / 2, height - 6, spec.x_label,
                               absl::StrCat("text-anchor=\"middle\" fill=\"",
                                            kTextColor, "\"")));
  }
  if (!spec.y_label.empty()) {
    absl::StrAppend(&out, Text(-(top + bottom) / 2, 14, spec.y_label,
                               absl::StrCat("transform=\"rotate(-90)\" "
                                            "text-anchor=\"middle\" fill=\"",
                                            kTextColor, "\"")));
  }

  if (!range.has_data || n == 0) {
    absl::StrAppend(
        &out, Text((left + right) / 2, (top + bottom) / 2, "no data",
                   absl::StrCat("text-anchor=\"middle\" fill=\"", kMutedColor,
                                "\"")));
    absl::StrAppend(&out, "</svg>");
    return out;
  }

  if (spec.kind == ChartKind::kStackedBar) {
    const double spacing = plot_width * unit / (x_hi - x_lo);
    const double bar_width = spacing > 6 ? spacing * 0.75 : spacing;
    std::vector<double> base(n, 0);
    for (const ChartSeries& series : spec.series) {
      absl::StrAppend(&out, "<g fill=\"", EscapeXml(series.color), "\">");
      for (size_t i = 0; i < n; ++i) {
        const double v = ValueAt(series, i);
        if (!std::isfinite(v) || v <= 0) continue;
        const double y0 = py(base[i]);
        const double y1 = py(base[i] + v);
        base[i] += v;
        if (y0 - y1 < 0.05) continue;
        absl::StrAppend(
            &out, "<rect x=\"", Coord(px(spec.x[i]) - bar_width / 2), "\" y=\"",
            Coord(y1), "\" width=\"", absl::StrFormat("%.2f", bar_width),
            "\" height=\"", Coord(y0 - y1), "\"/>");
      }
      absl::StrAppend(&out, "</g>");
    }
  } else {
    const bool all_markers = n <= 60;
    const char* stroke_width = n <= 200 ? "2" : "1.25";
    for (const ChartSeries& series : spec.series) {
      std::string path;
      std::string markers;
      bool pen_down = false;
      for (size_t i = 0; i < n; ++i) {
        const double v = ValueAt(series, i);
        if (!std::isfinite(v)) {
          pen_down = false;
          continue;
        }
        const std::string x = Coord(px(spec.x[i]));
        const std::string y = Coord(py(v));
        absl::StrAppend(&path, pen_down ? "L" : "M", x, " ", y);
        pen_down = true;
        const bool isolated =
            (i == 0 || !std::isfinite(ValueAt(series, i - 1))) &&
            !std::isfinite(ValueAt(series, i + 1));
        if (all_markers || isolated) {
          absl::StrAppend(&markers, "<circle cx=\"", x, "\" cy=\"", y,
                          "\" r=\"", all_markers ? "2.5" : "2", "\"/>");
        }
      }
      if (path.empty()) continue;
      absl::StrAppend(&out, "<path d=\"", path, "\" fill=\"none\" stroke=\"",
                      EscapeXml(series.color), "\" stroke-width=\"",
                      stroke_width,
                      "\" stroke-linejoin=\"round\" stroke-linecap=\"round\"",
                      series.dashed ? " stroke-dasharray=\"6 4\"" : "", "/>");
      if (!markers.empty()) {
        absl::StrAppend(&out, "<g fill=\"", EscapeXml(series.color), "\">",
                        markers, "</g>");
      }
    }
  }
  absl::StrAppend(&out, "</svg>");
  return out;
}

namespace {

// White through mid blue to dark blue, linear between the stops.
std::string ShadeColor(double share) {
  if (!std::isfinite(share)) return "#eef0f2";
  share = std::clamp(share, 0.0, 1.0);
  struct Stop {
    double at;
    double r, g, b;
  };
  constexpr Stop kStops[] = {
      {0.0, 247, 251, 255}, {0.5, 66, 146, 198}, {1.0, 8, 48, 107}};
  const Stop& a = share <= 0.5 ? kStops[0] : kStops[1];
  const Stop& b = share <= 0.5 ? kStops[1] : kStops[2];
  const double t = (share - a.at) / (b.at - a.at);
  auto mix = [t](double from, double to) {
    return static_cast<int>(std::lround(from + (to - from) * t));
  };
  return absl::StrFormat("#%02x%02x%02x", mix(a.r, b.r), mix(a.g, b.g),
                         mix(a.b, b.b));
}

}  // namespace

std::string RenderHeatMap(const HeatMapSpec& spec) {
  const size_t rows = spec.row_labels.size();
  const size_t columns = spec.column_labels.size();
  const double cell_height = 14;
  const double grid_top = 48;
  const double grid_bottom = grid_top + rows * cell_height;
  const int height = static_cast<int>(grid_bottom + 78);
  if (rows == 0 || columns == 0) {
    return absl::StrCat(
        SvgOpen(spec.width, height, spec.title), TitleText(spec.title),
        Text(spec.width / 2.0, grid_top + 20, "no data",
             absl::StrCat("text-anchor=\"middle\" fill=\"", kMutedColor, "\"")),
        "</svg>");
  }

  size_t widest_label = 1;
  for (const std::string& label : spec.row_labels) {
    widest_label = std::max(widest_label, TextLength(label));
  }
  const double grid_left = 8 + widest_label * kCharWidth + 8;
  const double bar_space = spec.row_bars.empty() ? 0 : 130;
  const double grid_space = spec.width - grid_left - bar_space - 12;
  const double cell_width = std::min(32.0, grid_space / columns);
  const double grid_right = grid_left + columns * cell_width;
  // As wide as the content (and the scale legend) needs, at most spec.width.
  const int width = std::min(
      spec.width,
      static_cast<int>(std::ceil(std::max(grid_right + bar_space + 12,
                                          std::max(grid_left + 380, 240.0)))));
  std::string out = SvgOpen(width, height, spec.title);
  absl::StrAppend(&out, TitleText(spec.title));

  // Column labels, thinned so they do not overlap.
  size_t widest_column = 1;
  for (const std::string& label : spec.column_labels) {
    widest_column = std::max(widest_column, TextLength(label));
  }
  const size_t label_every = std::max<size_t>(
      1, static_cast<size_t>(
             std::ceil((widest_column * kCharWidth + 4) / cell_width)));
  for (size_t c = 0; c < columns; c += label_every) {
    absl::StrAppend(&out, Text(grid_left + (c + 0.5) * cell_width, grid_top - 6,
                               spec.column_labels[c],
                               absl::StrCat("text-anchor=\"middle\" fill=\"",
                                            kMutedColor, "\"")));
  }

  double shade_max = spec.shade_max;
  if (!(shade_max > 0) || !std::isfinite(shade_max)) {
    shade_max = 0;
    for (const std::vector<double>& row : spec.shares) {
      for (double share : row) {
        if (std::isfinite(share)) shade_max = std::max(shade_max, share);
      }
    }
    if (shade_max == 0) shade_max = 1;
  }
  double bar_max = 0;
  for (double v : spec.row_bars) {
    if (std::isfinite(v)) bar_max = std::max(bar_max, v);
  }
  absl::StrAppend(&out, "<g stroke=\"#ffffff\" stroke-width=\"0.5\">");
  for (size_t r = 0; r < rows; ++r) {
    const double y = grid_top + r * cell_height;
    for (size_t c = 0; c < columns; ++c) {
      const double share = r < spec.shares.size() && c < spec.shares[r].size()
                               ? spec.shares[r][c] / shade_max
                               : std::numeric_limits<double>::quiet_NaN();
      absl::StrAppend(&out, "<rect x=\"", Coord(grid_left + c * cell_width),
                      "\" y=\"", Coord(y), "\" width=\"",
                      absl::StrFormat("%.2f", cell_width), "\" height=\"",
                      Coord(cell_height), "\" fill=\"", ShadeColor(share),
                      "\"");
      if (r < spec.cell_notes.size() && c < spec.cell_notes[r].size()) {
        absl::StrAppend(&out, "><title>", EscapeXml(spec.cell_notes[r][c]),
                        "</title></rect>");
      } else {
        absl::StrAppend(&out, "/>");
      }
    }
  }
  absl::StrAppend(&out, "</g>");

  for (size_t r = 0; r < rows; ++r) {
    const double y = grid_top + r * cell_height;
    absl::StrAppend(
        &out, Text(grid_left - 6, y + cell_height - 3, spec.row_labels[r],
                   absl::StrCat("text-anchor=\"end\" font-size=\"11\" fill=\"",
                                kMutedColor, "\"")));
    if (r < spec.row_bars.size() && bar_max > 0 &&
        std::isfinite(spec.row_bars[r])) {
      const double bar_left = grid_right + 10;
      const double length = spec.row_bars[r] / bar_max * (bar_space - 60);
      absl::StrAppend(&out, "<rect x=\"", Coord(bar_left), "\" y=\"",
                      Coord(y + 2), "\" width=\"", Coord(length),
                      "\" height=\"", Coord(cell_height - 4), "\" fill=\"",
                      kAxisColor, "\"/>");
      if (r < spec.row_bar_labels.size()) {
        absl::StrAppend(&out, Text(bar_left + length + 4, y + cell_height - 3,
                                   spec.row_bar_labels[r],
                                   absl::StrCat("font-size=\"11\" fill=\"",
                                                kMutedColor, "\"")));
      }
    }
  }

  if (!spec.x_label.empty()) {
    absl::StrAppend(
        &out,
        Text((grid_left + grid_right) / 2, grid_bottom + 18, spec.x_label,
             absl::StrCat("text-anchor=\"middle\" fill=\"", kTextColor, "\"")));
  }
  // Scale legend.
  const double legend_y = grid_bottom + 34;
  absl::StrAppend(&out, Text(grid_left, legend_y + 12, "share:",
                             absl::StrCat("fill=\"", kMutedColor, "\"")));
  for (int i = 0; i <= 4; ++i) {
    const double share = i / 4.0;
    const double shown = share * shade_max * 100;
    const double x = grid_left + 50 + i * 66;
    absl::StrAppend(&out, "<rect x=\"", Coord(x), "\" y=\"", Coord(legend_y),
                    "\" width=\"16\" height=\"16\" fill=\"", ShadeColor(share),
                    "\" stroke=\"", kAxisColor, "\" stroke-width=\"0.5\"/>");
    absl::StrAppend(
        &out,
        Text(x + 20, legend_y + 12,
             absl::StrFormat(shade_max < 0.2 ? "%.1f%%" : "%.0f%%", shown),
             absl::StrCat("fill=\"", kMutedColor, "\"")));
  }
  absl::StrAppend(&out, "</svg>");
  return out;
}

}  // namespace fedge::sim
