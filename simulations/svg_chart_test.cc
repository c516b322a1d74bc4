#include "simulations/svg_chart.h"

#include <cmath>
#include <cstddef>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// The `d` attributes of the <path> elements stroked with `color`.
std::vector<std::string> PathsOf(const std::string& svg,
                                 const std::string& color) {
  std::vector<std::string> paths;
  const std::regex pattern("<path d=\"([^\"]*)\" fill=\"none\" stroke=\"" +
                           color + "\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), pattern);
       it != std::sregex_iterator(); ++it) {
    paths.push_back((*it)[1]);
  }
  return paths;
}

// The heights of the <rect> elements inside the <g fill="color"> group.
std::vector<double> BarHeights(const std::string& svg,
                               const std::string& color) {
  std::vector<double> heights;
  const std::string open = "<g fill=\"" + color + "\">";
  const size_t start = svg.find(open);
  if (start == std::string::npos) return heights;
  const size_t end = svg.find("</g>", start);
  const std::string group = svg.substr(start, end - start);
  const std::regex pattern("height=\"([0-9.]+)\"");
  for (auto it = std::sregex_iterator(group.begin(), group.end(), pattern);
       it != std::sregex_iterator(); ++it) {
    heights.push_back(std::stod((*it)[1]));
  }
  return heights;
}

ChartSpec LineSpec(std::vector<double> x, std::vector<double> values) {
  ChartSpec spec;
  spec.title = "Accuracy";
  spec.x_label = "round";
  spec.y_label = "accuracy";
  spec.x = std::move(x);
  spec.series.push_back({"eval", "#0072b2", std::move(values)});
  return spec;
}

TEST(EscapeXmlTest, ReplacesAllFiveSpecialCharacters) {
  EXPECT_EQ(EscapeXml("<a href=\"x\">Tom & 'Jerry'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
}

TEST(EscapeXmlTest, DropsControlCharactersButKeepsWhitespaceAndUtf8) {
  EXPECT_EQ(EscapeXml(std::string("a\x01"
                                  "b\tc\nd\x7f\xc3\xa9",
                                  10)),
            "ab\tc\nd\x7f\xc3\xa9");
}

TEST(NiceTicksTest, IntegerAxisOverThousandRoundsStepsByTwoHundred) {
  const AxisTicks ticks = NiceTicks(1, 1000, 5, /*extend=*/false, true);
  EXPECT_EQ(ticks.step, 200);
  EXPECT_EQ(ticks.lo, 1);
  EXPECT_EQ(ticks.hi, 1000);
  EXPECT_THAT(ticks.values, ElementsAre(200, 400, 600, 800, 1000));
  EXPECT_EQ(ticks.decimals, 0);
}

TEST(NiceTicksTest, SingleRoundGetsOneIntegerTick) {
  const AxisTicks ticks = NiceTicks(0.5, 1.5, 6, /*extend=*/false, true);
  EXPECT_EQ(ticks.step, 1);
  EXPECT_THAT(ticks.values, ElementsAre(1));
}

TEST(NiceTicksTest, ExtendWidensToMultiplesOfTheStep) {
  const AxisTicks ticks = NiceTicks(3.1, 9.7, 5, /*extend=*/true, false);
  EXPECT_EQ(ticks.step, 1);
  EXPECT_EQ(ticks.lo, 3);
  EXPECT_EQ(ticks.hi, 10);
  EXPECT_EQ(ticks.values.size(), 8u);
}

TEST(NiceTicksTest, FractionalStepsNeedDecimals) {
  const AxisTicks ticks = NiceTicks(0.12, 0.48, 4, /*extend=*/true, false);
  EXPECT_DOUBLE_EQ(ticks.step, 0.1);
  EXPECT_DOUBLE_EQ(ticks.lo, 0.1);
  EXPECT_DOUBLE_EQ(ticks.hi, 0.5);
  ASSERT_EQ(ticks.values.size(), 5u);
  EXPECT_EQ(ticks.decimals, 1);
}

TEST(NiceTicksTest, EmptyRangeIsWidened) {
  const AxisTicks ticks = NiceTicks(0, 0, 5, /*extend=*/true, false);
  EXPECT_LT(ticks.lo, 0);
  EXPECT_GT(ticks.hi, 0);
  EXPECT_GE(ticks.values.size(), 3u);
}

TEST(FormatTickTest, NeverPrintsNegativeZero) {
  EXPECT_EQ(FormatTick(-1e-12, 1, 0.1), "0");
  EXPECT_EQ(FormatTick(0.30000000000000004, 1, 0.1), "0.3");
}

TEST(FormatTickTest, ShortensThousandsWhenTheStepIsWhole) {
  EXPECT_EQ(FormatTick(25000, 0, 5000), "25k");
  EXPECT_EQ(FormatTick(10500, 0, 500), "10500");
  EXPECT_EQ(FormatTick(4000, 0, 1000), "4000");
}

TEST(RenderChartTest, NanBreaksTheLine) {
  const std::string svg =
      RenderChart(LineSpec({1, 2, 3, 4, 5}, {10, 20, kNaN, 40, 50}));
  const std::vector<std::string> paths = PathsOf(svg, "#0072b2");
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(Count(paths[0], "M"), 2u);
  EXPECT_EQ(Count(paths[0], "L"), 2u);
  EXPECT_EQ(Count(svg, "<circle"), 4u);  // few points: every one marked
  EXPECT_THAT(svg, Not(HasSubstr("nan")));
}

TEST(RenderChartTest, IsolatedPointAmongMissingOnesIsStillVisible) {
  std::vector<double> x, values;
  for (int i = 1; i <= 100; ++i) {
    x.push_back(i);
    values.push_back(i == 50 ? 0.5 : kNaN);
  }
  const std::string svg = RenderChart(LineSpec(x, values));
  EXPECT_EQ(Count(svg, "<circle"), 1u);
}

TEST(RenderChartTest, SingleRoundShowsOnePointAndOneRoundTick) {
  const std::string svg = RenderChart(LineSpec({1}, {0.5}));
  EXPECT_EQ(Count(svg, "<circle"), 1u);
  EXPECT_THAT(svg, HasSubstr("text-anchor=\"middle\" fill=\"#57606a\">1<"));
  EXPECT_THAT(svg,
              Not(HasSubstr("text-anchor=\"middle\" fill=\"#57606a\">0<")));
  EXPECT_THAT(svg,
              Not(HasSubstr("text-anchor=\"middle\" fill=\"#57606a\">2<")));
}

TEST(RenderChartTest, ThousandRoundsStayCompactWithRoundTicks) {
  std::vector<double> x, values;
  for (int i = 1; i <= 1000; ++i) {
    x.push_back(i);
    values.push_back(std::sin(i / 50.0));
  }
  const std::string svg = RenderChart(LineSpec(x, values));
  EXPECT_LT(svg.size(), 30000u);
  EXPECT_EQ(Count(svg, "<circle"), 0u);
  for (const char* tick : {">200<", ">400<", ">600<", ">800<", ">1000<"}) {
    EXPECT_THAT(svg, HasSubstr(tick));
  }
}

TEST(RenderChartTest, PercentAxisStopsAtItsLimit) {
  ChartSpec spec = LineSpec({1, 2, 3}, {96, 99, 100});
  spec.y_suffix = "%";
  spec.y_min_limit = 0;
  spec.y_max_limit = 100;
  const std::string svg = RenderChart(spec);
  EXPECT_THAT(svg, HasSubstr(">100%<"));
  EXPECT_THAT(svg, Not(HasSubstr(">101%<")));
  EXPECT_THAT(svg, Not(HasSubstr(">105%<")));
}

TEST(RenderChartTest, ChartWithoutFiniteValuesSaysNoData) {
  const std::string svg = RenderChart(LineSpec({1, 2}, {kNaN, kNaN}));
  EXPECT_THAT(svg, HasSubstr(">no data<"));
  EXPECT_THAT(svg, HasSubstr(">eval (no data)<"));
  EXPECT_TRUE(PathsOf(svg, "#0072b2").empty());
}

TEST(RenderChartTest, StackedBarsAreProportionalAndSkipMissingValues) {
  ChartSpec spec;
  spec.kind = ChartKind::kStackedBar;
  spec.title = "Time";
  spec.x = {1, 2};
  spec.series.push_back({"a", "#111111", {1, 2}});
  spec.series.push_back({"b", "#222222", {3, kNaN}});
  const std::string svg = RenderChart(spec);
  const std::vector<double> a = BarHeights(svg, "#111111");
  const std::vector<double> b = BarHeights(svg, "#222222");
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NEAR(a[1] / a[0], 2, 0.05);
  EXPECT_NEAR(b[0] / a[0], 3, 0.05);
}

TEST(RenderChartTest, TextIsEscaped) {
  ChartSpec spec = LineSpec({1}, {1});
  spec.title = "<b>&";
  spec.series[0].name = "\"q\"";
  const std::string svg = RenderChart(spec);
  EXPECT_THAT(svg, HasSubstr("<title>&lt;b&gt;&amp;</title>"));
  EXPECT_THAT(svg, HasSubstr("&quot;q&quot;"));
  EXPECT_THAT(svg, Not(HasSubstr("<b>")));
}

TEST(RenderHeatMapTest, ShadesCellsByShareWithTooltips) {
  HeatMapSpec spec;
  spec.title = "Labels";
  spec.row_labels = {"client 0", "client 1"};
  spec.column_labels = {"0", "1", "2"};
  spec.shares = {{1, 0, 0}, {0.5, 0.5, kNaN}};
  spec.cell_notes = {{"a", "b", "c"}, {"d", "e", "f"}};
  const std::string svg = RenderHeatMap(spec);
  EXPECT_EQ(Count(svg, "fill=\"#08306b\"><title>a</title>"), 1u);
  EXPECT_EQ(Count(svg, "fill=\"#f7fbff\"><title>"), 2u);
  EXPECT_EQ(Count(svg, "fill=\"#4292c6\"><title>"), 2u);
  EXPECT_EQ(Count(svg, "fill=\"#eef0f2\"><title>f</title>"), 1u);
  EXPECT_THAT(svg, HasSubstr(">client 1<"));
  EXPECT_THAT(svg, HasSubstr(">100%<"));
}

TEST(RenderHeatMapTest, SmallSharesAreScaledToTheLargest) {
  HeatMapSpec spec;
  spec.title = "Labels";
  spec.row_labels = {"client 0"};
  spec.column_labels = {"0", "1", "2"};
  spec.shares = {{0.08, 0.04, 0}};
  const std::string svg = RenderHeatMap(spec);
  EXPECT_EQ(Count(svg, "fill=\"#08306b\""), 2u);  // cell and legend
  EXPECT_EQ(Count(svg, "fill=\"#4292c6\""), 2u);
  EXPECT_THAT(svg, HasSubstr(">8.0%<"));
  EXPECT_THAT(svg, HasSubstr(">4.0%<"));
  EXPECT_THAT(svg, Not(HasSubstr(">100%<")));
}

TEST(RenderHeatMapTest, FixedShadeMaxKeepsTheScale) {
  HeatMapSpec spec;
  spec.title = "Labels";
  spec.row_labels = {"client 0"};
  spec.column_labels = {"0", "1"};
  spec.shares = {{0.5, 0.25}};
  spec.shade_max = 1;
  const std::string svg = RenderHeatMap(spec);
  EXPECT_EQ(Count(svg, "fill=\"#4292c6\""), 2u);  // 0.5: cell and legend
  EXPECT_THAT(svg, HasSubstr(">100%<"));
}

TEST(RenderHeatMapTest, EmptyGridSaysNoData) {
  HeatMapSpec spec;
  spec.title = "Labels";
  const std::string svg = RenderHeatMap(spec);
  EXPECT_THAT(svg, HasSubstr(">no data<"));
  EXPECT_EQ(Count(svg, "<svg"), 1u);
  EXPECT_EQ(Count(svg, "</svg>"), 1u);
}

}  // namespace
}  // namespace fedge::sim
