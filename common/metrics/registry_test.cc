#include "common/metrics/registry.h"

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::metrics {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RegistryTest, EmptyRegistryRendersNothing) {
  Registry registry;
  EXPECT_EQ(registry.RenderText(), "");
}

TEST(RegistryTest, RendersCounterExactly) {
  Registry registry;
  Counter* rounds = registry.GetCounter("fedge_rounds_total", "Rounds run.");
  rounds->Increment();
  rounds->Increment(2);
  EXPECT_EQ(registry.RenderText(),
            "# HELP fedge_rounds_total Rounds run.\n"
            "# TYPE fedge_rounds_total counter\n"
            "fedge_rounds_total 3\n");
}

TEST(RegistryTest, RendersGaugeWithEscapedLabelValuesAndHelp) {
  Registry registry;
  registry
      .GetGauge("fedge_stage", "Current stage.\nOne of a \\ b.",
                {{"path", "C:\\tmp"}, {"quote", "say \"hi\""}})
      ->Set(1.5);
  registry.GetGauge("fedge_stage", "ignored", {{"path", "line1\nline2"}})
      ->Set(-2);
  EXPECT_EQ(registry.RenderText(),
            "# HELP fedge_stage Current stage.\\nOne of a \\\\ b.\n"
            "# TYPE fedge_stage gauge\n"
            "fedge_stage{path=\"C:\\\\tmp\",quote=\"say \\\"hi\\\"\"} 1.5\n"
            "fedge_stage{path=\"line1\\nline2\"} -2\n");
}

TEST(RegistryTest, RendersHistogramCumulativeBucketsSumAndCount) {
  Registry registry;
  Histogram* latency = registry.GetHistogram(
      "fedge_latency_seconds", "Latency.", {0.1, 0.5, 1}, {{"rpc", "Join"}});
  // Below, exactly on (le is inclusive), between and above the bounds.
  for (double v : {0.05, 0.1, 0.25, 0.5, 0.75, 2.0}) latency->Observe(v);
  EXPECT_THAT(latency->CumulativeCounts(), ElementsAre(2, 4, 5, 6));
  EXPECT_EQ(latency->count(), 6u);
  EXPECT_EQ(registry.RenderText(),
            "# HELP fedge_latency_seconds Latency.\n"
            "# TYPE fedge_latency_seconds histogram\n"
            "fedge_latency_seconds_bucket{rpc=\"Join\",le=\"0.1\"} 2\n"
            "fedge_latency_seconds_bucket{rpc=\"Join\",le=\"0.5\"} 4\n"
            "fedge_latency_seconds_bucket{rpc=\"Join\",le=\"1\"} 5\n"
            "fedge_latency_seconds_bucket{rpc=\"Join\",le=\"+Inf\"} 6\n"
            "fedge_latency_seconds_sum{rpc=\"Join\"} 3.65\n"
            "fedge_latency_seconds_count{rpc=\"Join\"} 6\n");
}

TEST(RegistryTest, HistogramWithoutLabelsAndNoObservations) {
  Registry registry;
  registry.GetHistogram("h", "Empty.", {2});
  EXPECT_EQ(registry.RenderText(),
            "# HELP h Empty.\n"
            "# TYPE h histogram\n"
            "h_bucket{le=\"2\"} 0\n"
            "h_bucket{le=\"+Inf\"} 0\n"
            "h_sum 0\n"
            "h_count 0\n");
}

TEST(HistogramTest, BoundsAreSortedAndDeduplicatedAndNanCountsAsInf) {
  Histogram h({1, std::numeric_limits<double>::infinity(), 0.5, 1,
               std::numeric_limits<double>::quiet_NaN()});
  EXPECT_THAT(h.bounds(), ElementsAre(0.5, 1));
  h.Observe(std::numeric_limits<double>::quiet_NaN());
  EXPECT_THAT(h.CumulativeCounts(), ElementsAre(0, 0, 1));
  EXPECT_TRUE(std::isnan(h.sum()));
}

TEST(RegistryTest, FormatsNumbersAsPrometheusExpects) {
  Registry registry;
  const Labels none;
  registry.GetGauge("g", "h", {{"v", "a_million"}})->Set(1e6);
  registry.GetGauge("g", "h", {{"v", "b_tenth"}})->Set(0.1);
  registry.GetGauge("g", "h", {{"v", "c_big"}})->Set(1e20);
  registry.GetGauge("g", "h", {{"v", "d_third"}})->Set(1.0 / 3.0);
  registry.GetGauge("g", "h", {{"v", "e_inf"}})
      ->Set(std::numeric_limits<double>::infinity());
  registry.GetGauge("g", "h", {{"v", "f_ninf"}})
      ->Set(-std::numeric_limits<double>::infinity());
  registry.GetGauge("g", "h", {{"v", "g_nan"}})
      ->Set(std::numeric_limits<double>::quiet_NaN());
  registry.GetGauge("g", "h", {{"v", "h_tiny"}})->Set(1e-300);
  EXPECT_EQ(registry.RenderText(),
            "# HELP g h\n"
            "# TYPE g gauge\n"
            "g{v=\"a_million\"} 1000000\n"
            "g{v=\"b_tenth\"} 0.1\n"
            "g{v=\"c_big\"} 1e+20\n"
            "g{v=\"d_third\"} 0.3333333333333333\n"
            "g{v=\"e_inf\"} +Inf\n"
            "g{v=\"f_ninf\"} -Inf\n"
            "g{v=\"g_nan\"} NaN\n"
            "g{v=\"h_tiny\"} 1e-300\n");
}

TEST(RegistryTest, SameNameAndLabelsReturnSameMetricAndOutputIsSorted) {
  Registry registry;
  Counter* b = registry.GetCounter("b_total", "B.", {{"x", "2"}});
  Counter* a = registry.GetCounter("a_total", "A.");
  Counter* b1 = registry.GetCounter("b_total", "B.", {{"x", "1"}});
  EXPECT_EQ(registry.GetCounter("b_total", "B.", {{"x", "2"}}), b);
  EXPECT_NE(b, b1);
  a->Increment();
  b->Increment(5);
  b1->Increment(0.5);
  EXPECT_EQ(registry.RenderText(),
            "# HELP a_total A.\n# TYPE a_total counter\na_total 1\n"
            "# HELP b_total B.\n# TYPE b_total counter\n"
            "b_total{x=\"1\"} 0.5\nb_total{x=\"2\"} 5\n");
}

TEST(CounterTest, NegativeAndNanIncrementsAreIgnored) {
  Counter c;
  c.Increment(2);
  c.Increment(-1);
  c.Increment(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(c.value(), 2);
}

TEST(GaugeTest, AddAndSet) {
  Gauge g;
  g.Add(3);
  g.Add(-1.5);
  EXPECT_EQ(g.value(), 1.5);
  g.Set(-7);
  EXPECT_EQ(g.value(), -7);
}

TEST(RegistryTest, SameNameWithOtherTypeReturnsWorkingUnexportedMetric) {
  Registry registry;
  registry.GetCounter("fedge_jobs", "Jobs.")->Increment(4);
  Gauge* clash = registry.GetGauge("fedge_jobs", "Jobs as a gauge.");
  ASSERT_NE(clash, nullptr);
  clash->Set(99);
  EXPECT_EQ(clash->value(), 99);
  // Repeated requests reuse one unexported metric instead of piling up.
  EXPECT_EQ(registry.GetGauge("fedge_jobs", "Jobs as a gauge."), clash);
  Histogram* clash_h = registry.GetHistogram("fedge_jobs", "x", {1});
  ASSERT_NE(clash_h, nullptr);
  clash_h->Observe(0.5);
  EXPECT_EQ(registry.RenderText(),
            "# HELP fedge_jobs Jobs.\n"
            "# TYPE fedge_jobs counter\n"
            "fedge_jobs 4\n");
}

TEST(RegistryTest, InvalidMetricAndLabelNamesAreNotExported) {
  Registry registry;
  registry.GetCounter("9starts_with_digit", "x")->Increment();
  registry.GetCounter("has-dash", "x")->Increment();
  registry.GetCounter("", "x")->Increment();
  registry.GetCounter("ok_total", "x", {{"bad-label", "v"}})->Increment();
  registry.GetCounter("ok_total", "x", {{"__reserved", "v"}})->Increment();
  registry.GetCounter("ok_total", "x", {{"1digit", "v"}})->Increment();
  registry.GetHistogram("hist", "x", {1}, {{"le", "5"}})->Observe(1);
  // Colons are valid in metric names; "le" is an ordinary label on counters.
  registry.GetCounter("job:ok_total", "x", {{"le", "v"}, {"_a1", "w"}})
      ->Increment();
  EXPECT_EQ(registry.RenderText(),
            "# HELP job:ok_total x\n"
            "# TYPE job:ok_total counter\n"
            "job:ok_total{_a1=\"w\",le=\"v\"} 1\n");
}

TEST(RegistryTest, HistogramSeriesWithOtherBoundsIsNotExported) {
  Registry registry;
  Histogram* first = registry.GetHistogram("h", "x", {1, 2}, {{"a", "1"}});
  Histogram* other = registry.GetHistogram("h", "x", {5}, {{"a", "2"}});
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other, first);
  other->Observe(3);
  // Bounds equal after normalisation are the same histogram.
  EXPECT_EQ(registry.GetHistogram("h", "x", {2, 1, 2}, {{"a", "1"}}), first);
  EXPECT_THAT(registry.RenderText(), Not(HasSubstr("a=\"2\"")));
  EXPECT_THAT(registry.RenderText(), HasSubstr("h_count{a=\"1\"} 0\n"));
}

TEST(RegistryTest, ConcurrentUpdatesSumExactly) {
  Registry registry;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry] {
      // Every thread looks the metrics up itself, which also exercises the
      // registry's lock.
      Counter* counter = registry.GetCounter("c_total", "c");
      Gauge* gauge = registry.GetGauge("g", "g");
      Histogram* histogram = registry.GetHistogram("h", "h", {0.5});
      for (int i = 0; i < kPerThread; ++i) {
        counter->Increment();
        gauge->Add(2);
        gauge->Add(-1);
        histogram->Observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  constexpr double kTotal = static_cast<double>(kThreads) * kPerThread;
  EXPECT_EQ(registry.GetCounter("c_total", "c")->value(), kTotal);
  EXPECT_EQ(registry.GetGauge("g", "g")->value(), kTotal);
  Histogram* histogram = registry.GetHistogram("h", "h", {0.5});
  EXPECT_EQ(histogram->count(), static_cast<uint64_t>(kTotal));
  EXPECT_THAT(histogram->CumulativeCounts(),
              ElementsAre(static_cast<uint64_t>(kTotal / 2),
                          static_cast<uint64_t>(kTotal)));
  EXPECT_EQ(histogram->sum(), kTotal / 2 * 0.25 + kTotal / 2 * 1.0);
}

}  // namespace
}  // namespace fedge::metrics
