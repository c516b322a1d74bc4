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

class Counter {
 public:
  void Increment(double by = 1.0);
  double value() const;

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double value);
  void Add(double delta);
  double value() const;

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds` are the buckets' upper bounds, ascending (+Inf is implicit).
  explicit Histogram(std::vector<double> bounds);
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
  // Returns the metric with this name and labels, creating it on first use.
  // A name is registered with one type and help text; pointers stay valid
  // for the registry's lifetime. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*.
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
  Family* GetFamily(const std::string& name, const std::string& help,
                    const std::string& type) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Family>> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fedge::metrics

#endif  // FEDGE_COMMON_METRICS_REGISTRY_H_
