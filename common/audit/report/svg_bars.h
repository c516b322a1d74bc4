#ifndef FEDGE_COMMON_AUDIT_REPORT_SVG_BARS_H_
#define FEDGE_COMMON_AUDIT_REPORT_SVG_BARS_H_

// A stacked bar chart as inline SVG for the HTML report: static markup, no
// script, no external reference, sized by its viewBox so it scales with the
// page and prints as vector graphics. Inline in HTML5 an <svg> needs no
// namespace declaration, so the page holds no URL at all. (simulations/
// has a richer chart helper, but common/ must not depend on it.)

#include <cstdint>
#include <string>
#include <vector>

namespace fedge::audit::report {

struct BarSeries {
  std::string name;              // legend entry
  std::string color;             // a CSS colour, e.g. "#0072b2"
  std::vector<uint64_t> values;  // one per bar; missing values count as 0
};

struct StackedBarChart {
  std::string title;  // the chart's accessible name
  std::string y_label;
  std::vector<std::string> labels;  // one per bar, under it
  std::vector<BarSeries> series;    // stacked bottom-up in this order
};

// The chart as an <svg> element. Text is escaped; an empty chart is a frame
// with a "no data" note.
std::string StackedBarsSvg(const StackedBarChart& chart);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_SVG_BARS_H_
