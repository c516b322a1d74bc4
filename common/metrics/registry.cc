#include "common/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/util/logging.h"

namespace fedge::metrics {
namespace {

constexpr char kCounterType[] = "counter";
constexpr char kGaugeType[] = "gauge";
constexpr char kHistogramType[] = "histogram";

// std::atomic<double> has no fetch_add before C++20.
void AtomicAdd(std::atomic<double>* target, double delta) {
  double current = target->load(std::memory_order_relaxed);
  while (!target->compare_exchange_weak(current, current + delta,
                                        std::memory_order_relaxed)) {
  }
}

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(IsNameStart(c) || c == ':' || (i > 0 && IsDigit(c)))) return false;
  }
  return true;
}

// [a-zA-Z_][a-zA-Z0-9_]*, and names starting with "__" are reserved for
// Prometheus itself.
bool IsValidLabelName(const std::string& name) {
  if (name.empty() || name.rfind("__", 0) == 0) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!(IsNameStart(c) || (i > 0 && IsDigit(c)))) return false;
  }
  return true;
}

// Integral values print as integers ("3"), others as the shortest text that
// reads back to the same double; non-finite values as Prometheus spells them.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  std::to_chars_result result;
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    result = std::to_chars(buffer, buffer + sizeof(buffer),
                           static_cast<int64_t>(value));
  } else {
    result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  }
  return std::string(buffer, result.ptr);
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",le="0.5"}`, or "" when there are no labels. `le` (histogram
// buckets) comes last, as the Prometheus client libraries print it.
std::string FormatLabels(const Labels& labels, const std::string* le) {
  if (labels.empty() && le == nullptr) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    absl::StrAppend(&out, name, "=\"", EscapeLabelValue(value), "\"");
  }
  if (le != nullptr) {
    if (!first) out += ',';
    absl::StrAppend(&out, "le=\"", *le, "\"");
  }
  out += '}';
  return out;
}

// Sorted, without duplicates, NaN or +Inf (the +Inf bucket is implicit).
std::vector<double> NormalizeBounds(std::vector<double> bounds) {
  bounds.erase(
      std::remove_if(bounds.begin(), bounds.end(),
                     [](double b) {
                       return std::isnan(b) ||
                              b == std::numeric_limits<double>::infinity();
                     }),
      bounds.end());
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return bounds;
}

std::string LabelsKey(const Labels& labels) {
  return absl::StrJoin(labels, ",", absl::PairFormatter("="));
}

std::string FormatBounds(const std::vector<double>& bounds) {
  return absl::StrJoin(bounds, ", ", [](std::string* out, double bound) {
    out->append(FormatValue(bound));
  });
}

// Why `labels` cannot be exported, or "" if they can.
std::string LabelError(const std::string& name, const Labels& labels,
                       bool histogram) {
  for (const auto& [label, value] : labels) {
    if (!IsValidLabelName(label) || (histogram && label == "le")) {
      return absl::StrCat(
          "metric '", name, "' has invalid label name '", label,
          "' (must match [a-zA-Z_][a-zA-Z0-9_]*, must not start with '__'",
          histogram ? ", and 'le' is reserved for histogram buckets" : "", ")");
    }
  }
  return "";
}

// The metric stored under `key` in `unexported`, created (and the error
// logged, once) on first use.
template <typename Metric, typename... Args>
Metric* Unexported(std::map<std::string, std::shared_ptr<void>>* unexported,
                   const std::string& key, const std::string& error,
                   Args&&... args) {
  std::shared_ptr<void>& slot = (*unexported)[key];
  if (slot == nullptr) {
    FEDGE_LOG(Error, "metrics") << error << "; it will not be exported";
    slot = std::make_shared<Metric>(std::forward<Args>(args)...);
  }
  return static_cast<Metric*>(slot.get());
}

}  // namespace

void Counter::Increment(double by) {
  // A counter only goes up; a negative or NaN increment would corrupt every
  // rate() computed from it, so it is dropped.
  if (!(by >= 0)) return;
  AtomicAdd(&value_, by);
}

double Counter::value() const { return value_.load(std::memory_order_relaxed); }

void Gauge::Set(double value) {
  value_.store(value, std::memory_order_relaxed);
}

void Gauge::Add(double delta) { AtomicAdd(&value_, delta); }

double Gauge::value() const { return value_.load(std::memory_order_relaxed); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(NormalizeBounds(std::move(bounds))),
      counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    counts_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(double value) {
  // Bucket i counts observations with bounds_[i-1] < value <= bounds_[i];
  // the last slot is the overflow (+Inf) bucket, which also takes NaN.
  size_t bucket = bounds_.size();
  if (!std::isnan(value)) {
    bucket = static_cast<size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), value) -
        bounds_.begin());
  }
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(&sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> cumulative(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    cumulative[i] = running;
  }
  return cumulative;
}

double Histogram::sum() const { return sum_.load(std::memory_order_relaxed); }

uint64_t Histogram::count() const {
  return count_.load(std::memory_order_relaxed);
}

struct Registry::Family {
  std::string name;
  std::string help;
  std::string type;
  std::vector<double> bounds;  // histograms: shared by every series
  std::map<Labels, std::unique_ptr<Counter>> counters;
  std::map<Labels, std::unique_ptr<Gauge>> gauges;
  std::map<Labels, std::unique_ptr<Histogram>> histograms;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Family* Registry::GetFamily(const std::string& name,
                                      const std::string& help,
                                      const std::string& type,
                                      std::string* error) {
  if (!IsValidMetricName(name)) {
    *error = absl::StrCat("metric name '", name,
                          "' is invalid (must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
    return nullptr;
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->name = name;
    family->help = help;
    family->type = type;
    it = families_.emplace(name, std::move(family)).first;
  }
  if (it->second->type != type) {
    *error = absl::StrCat("metric '", name, "' is already registered as a ",
                          it->second->type, ", not a ", type);
    return nullptr;
  }
  return it->second.get();
}

Counter* Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
  absl::MutexLock lock(&mu_);
  std::string error = LabelError(name, labels, /*histogram=*/false);
  Family* family =
      error.empty() ? GetFamily(name, help, kCounterType, &error) : nullptr;
  if (family == nullptr) {
    return Unexported<Counter>(
        &unexported_,
        absl::StrCat(kCounterType, "\n", name, "\n", LabelsKey(labels)), error);
  }
  auto& slot = family->counters[labels];
  if (slot == nullptr) slot = std::make_unique<Counter>();
  return slot.get();
}

Gauge* Registry::GetGauge(const std::string& name, const std::string& help,
                          const Labels& labels) {
  absl::MutexLock lock(&mu_);
  std::string error = LabelError(name, labels, /*histogram=*/false);
  Family* family =
      error.empty() ? GetFamily(name, help, kGaugeType, &error) : nullptr;
  if (family == nullptr) {
    return Unexported<Gauge>(
        &unexported_,
        absl::StrCat(kGaugeType, "\n", name, "\n", LabelsKey(labels)), error);
  }
  auto& slot = family->gauges[labels];
  if (slot == nullptr) slot = std::make_unique<Gauge>();
  return slot.get();
}

Histogram* Registry::GetHistogram(const std::string& name,
                                  const std::string& help,
                                  const std::vector<double>& bounds,
                                  const Labels& labels) {
  const std::vector<double> normalized = NormalizeBounds(bounds);
  absl::MutexLock lock(&mu_);
  std::string error = LabelError(name, labels, /*histogram=*/true);
  Family* family =
      error.empty() ? GetFamily(name, help, kHistogramType, &error) : nullptr;
  if (family != nullptr) {
    if (family->histograms.empty()) {
      family->bounds = normalized;
    } else if (family->bounds != normalized) {
      error = absl::StrCat(
          "histogram '", name, "' is registered with buckets [",
          FormatBounds(family->bounds), "], but the series {",
          LabelsKey(labels), "} asks for [", FormatBounds(normalized),
          "] (use the same buckets for every series of a histogram)");
      family = nullptr;
    }
  }
  if (family == nullptr) {
    return Unexported<Histogram>(
        &unexported_,
        absl::StrCat(kHistogramType, "\n", name, "\n", LabelsKey(labels), "\n",
                     FormatBounds(normalized)),
        error, normalized);
  }
  auto& slot = family->histograms[labels];
  if (slot == nullptr) slot = std::make_unique<Histogram>(normalized);
  return slot.get();
}

std::string Registry::RenderText() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(family->help),
                    "\n# TYPE ", name, " ", family->type, "\n");
    for (const auto& [labels, counter] : family->counters) {
      absl::StrAppend(&out, name, FormatLabels(labels, nullptr), " ",
                      FormatValue(counter->value()), "\n");
    }
    for (const auto& [labels, gauge] : family->gauges) {
      absl::StrAppend(&out, name, FormatLabels(labels, nullptr), " ",
                      FormatValue(gauge->value()), "\n");
    }
    for (const auto& [labels, histogram] : family->histograms) {
      // One snapshot of the buckets; _count is taken from it so that it
      // always equals the +Inf bucket even while observations race.
      const std::vector<uint64_t> cumulative = histogram->CumulativeCounts();
      const std::vector<double>& bounds = histogram->bounds();
      for (size_t i = 0; i < cumulative.size(); ++i) {
        const std::string le =
            i < bounds.size() ? FormatValue(bounds[i]) : "+Inf";
        absl::StrAppend(&out, name, "_bucket", FormatLabels(labels, &le), " ",
                        cumulative[i], "\n");
      }
      const std::string series = FormatLabels(labels, nullptr);
      absl::StrAppend(&out, name, "_sum", series, " ",
                      FormatValue(histogram->sum()), "\n", name, "_count",
                      series, " ", cumulative.back(), "\n");
    }
  }
  return out;
}

}  // namespace fedge::metrics
