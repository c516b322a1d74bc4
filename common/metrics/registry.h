#ifndef FEDGE_COMMON_METRICS_REGISTRY_H_
#define FEDGE_COMMON_METRICS_REGISTRY_H_

// Process metrics in the Prometheus text exposition format (version 0.0.4).
// Metrics are created once and updated lock-free from any thread; rendering
// takes a consistent-enough snapshot for scraping.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace fedge::metrics {

// Label name → value, e.g. {{"stage", "training"}}.
using Labels = std::map<std::string, std::string>;

// A value that only goes up. Safe to update from any thread.
class Counter {
 public:
  // Adds `by`. Negative and NaN increments are ignored: a counter must never
  // decrease.
  void Increment(double by = 1.0);
  double value() const;

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down. Safe to update from any thread.
class Gauge {
 public:
  void Set(double value);
  // Adds `delta` (may be negative) atomically.
  void Add(double delta);
  double value() const;

 private:
  std::atomic<double> value_{0};
};

// Counts observations into buckets. Safe to update from any thread.
class Histogram {
 public:
  // `bounds` are the buckets' upper bounds, ascending (+Inf is implicit).
  // They are sorted, and duplicates, NaN and +Inf are dropped.
  explicit Histogram(std::vector<double> bounds);
  // Counts `value` in the first bucket whose bound is >= value (NaN goes to
  // the +Inf bucket) and adds it to the sum.
  void Observe(double value);
  // Cumulative counts per bound, then +Inf; and the sum.
  std::vector<uint64_t> CumulativeCounts() const;
  double sum() const;
  uint64_t count() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, + overflow
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Returns the metric with this name and labels, creating it on first use.
  // A name is registered with one type and help text; pointers stay valid
  // for the registry's lifetime. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*.
  //
  // Programming errors never return null and never abort: an invalid metric
  // or label name (labels: [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__";
  // "le" is reserved for histograms), a name already registered with another
  // type, or a histogram series whose bounds differ from the ones its name
  // was first registered with, logs an error and returns a working metric
  // that is never rendered. The first help text given for a name is kept.
  Counter* GetCounter(const std::string& name, const std::string& help,
                      const Labels& labels = {});
  Gauge* GetGauge(const std::string& name, const std::string& help,
                  const Labels& labels = {});
  Histogram* GetHistogram(const std::string& name, const std::string& help,
                          const std::vector<double>& bounds,
                          const Labels& labels = {});

  // All metrics, sorted by name then labels, with # HELP and # TYPE lines;
  // label values escaped as the format requires.
  std::string RenderText() const;

 private:
  struct Family;
  // The family registered under `name`, created with `help` and `type` on
  // first use; null with `*error` set if the name is invalid or registered
  // with another type.
  Family* GetFamily(const std::string& name, const std::string& help,
                    const std::string& type, std::string* error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
  // The metrics handed out for the programming errors above, keyed by type,
  // name, labels (and bounds) so repeated calls reuse one instead of growing.
  std::map<std::string, std::shared_ptr<void>> unexported_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::metrics

#endif  // FEDGE_COMMON_METRICS_REGISTRY_H_
