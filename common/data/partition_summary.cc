#include "common/data/partition_summary.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/util/json_writer.h"

namespace fedge::data {
namespace {

// min, median, mean and max of some counts; NaN (and 0) when there are none.
struct Stats {
  size_t min = 0;
  double median = std::numeric_limits<double>::quiet_NaN();
  double mean = std::numeric_limits<double>::quiet_NaN();
  size_t max = 0;
};

Stats StatsOf(std::vector<size_t> values) {
  Stats stats;
  if (values.empty()) return stats;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  stats.min = values.front();
  stats.max = values.back();
  // The mean of the two middle values for an even count.
  stats.median = n % 2 == 1 ? static_cast<double>(values[n / 2])
                            : (static_cast<double>(values[n / 2 - 1]) +
                               static_cast<double>(values[n / 2])) /
                                  2.0;
  double sum = 0.0;
  for (size_t v : values) sum += static_cast<double>(v);
  stats.mean = sum / static_cast<double>(n);
  return stats;
}

// Client k's label counts; empty if the summary has none for it.
const std::vector<size_t>& CountsOf(const PartitionSummary& summary, size_t k) {
  static const std::vector<size_t>* const kNone = new std::vector<size_t>();
  return k < summary.label_counts.size() ? summary.label_counts[k] : *kNone;
}

// Number of classes with at least one example, per client.
std::vector<size_t> LabelsHeld(const PartitionSummary& summary) {
  std::vector<size_t> held;
  held.reserve(summary.num_clients());
  for (size_t k = 0; k < summary.num_clients(); ++k) {
    const std::vector<size_t>& counts = CountsOf(summary, k);
    held.push_back(static_cast<size_t>(std::count_if(
        counts.begin(), counts.end(), [](size_t c) { return c > 0; })));
  }
  return held;
}

// "min 1, median 2.5, mean 2.67, max 4": whole numbers print without a
// fraction, others with up to 6 significant digits.
std::string StatsText(const Stats& stats) {
  return absl::StrCat("min ", stats.min, ", median ", stats.median, ", mean ",
                      stats.mean, ", max ", stats.max);
}

}  // namespace

size_t PartitionSummary::total() const {
  return std::accumulate(sizes.begin(), sizes.end(), size_t{0});
}

PartitionSummary Summarize(const std::vector<std::vector<size_t>>& parts,
                           absl::Span<const int64_t> labels,
                           int64_t num_classes, std::string scheme) {
  PartitionSummary summary;
  summary.scheme = std::move(scheme);
  summary.num_classes = num_classes;
  const size_t classes = num_classes > 0 ? static_cast<size_t>(num_classes) : 0;
  summary.sizes.reserve(parts.size());
  summary.label_counts.reserve(parts.size());
  for (const std::vector<size_t>& part : parts) {
    summary.sizes.push_back(part.size());
    std::vector<size_t> counts(classes, 0);
    for (size_t i : part) {
      // An index or label out of range is counted in the size only.
      if (i >= labels.size()) continue;
      const int64_t label = labels[i];
      if (label >= 0 && label < num_classes) ++counts[label];
    }
    summary.label_counts.push_back(std::move(counts));
  }
  return summary;
}

std::string SummaryText(const PartitionSummary& summary, size_t max_clients) {
  std::string out = absl::StrCat(
      "partition ", summary.scheme, ": ", summary.num_clients(), " clients, ",
      summary.total(), " examples, ", summary.num_classes, " classes\n");
  if (summary.num_clients() == 0) return out;
  absl::StrAppend(
      &out, "examples per client: ", StatsText(StatsOf(summary.sizes)), "\n");
  const std::vector<size_t> held = LabelsHeld(summary);
  absl::StrAppend(&out, "labels per client: ", StatsText(StatsOf(held)), "\n");

  // A table of the first clients: index, size, labels held, then the count
  // of each class; the last row totals every client, shown or not.
  const size_t shown = std::min(max_clients, summary.num_clients());
  const size_t classes =
      summary.num_classes > 0 ? static_cast<size_t>(summary.num_classes) : 0;
  std::vector<std::vector<std::string>> rows;
  // Class columns are headed c0, c1, ...: examples of class 0, 1, ...
  std::vector<std::string> header = {"client", "size", "labels"};
  for (size_t c = 0; c < classes; ++c) header.push_back(absl::StrCat("c", c));
  rows.push_back(std::move(header));
  std::vector<size_t> class_totals(classes, 0);
  for (size_t k = 0; k < summary.num_clients(); ++k) {
    const std::vector<size_t>& counts = CountsOf(summary, k);
    for (size_t c = 0; c < classes && c < counts.size(); ++c) {
      class_totals[c] += counts[c];
    }
    if (k >= shown) continue;
    std::vector<std::string> row = {
        absl::StrCat(k), absl::StrCat(summary.sizes[k]), absl::StrCat(held[k])};
    for (size_t c = 0; c < classes; ++c) {
      row.push_back(absl::StrCat(c < counts.size() ? counts[c] : 0));
    }
    rows.push_back(std::move(row));
  }
  if (shown > 0) {
    std::vector<std::string> total_row = {"all", absl::StrCat(summary.total()),
                                          ""};
    for (size_t total : class_totals) total_row.push_back(absl::StrCat(total));
    rows.push_back(std::move(total_row));

    std::vector<size_t> widths(rows.front().size(), 0);
    for (const std::vector<std::string>& row : rows) {
      for (size_t j = 0; j < row.size(); ++j) {
        widths[j] = std::max(widths[j], row[j].size());
      }
    }
    for (const std::vector<std::string>& row : rows) {
      std::string line;
      for (size_t j = 0; j < row.size(); ++j) {
        absl::StrAppend(&line, j == 0 ? "" : "  ",
                        absl::StrFormat("%*s", widths[j], row[j]));
      }
      absl::StrAppend(&out, line, "\n");
    }
  }
  if (shown < summary.num_clients()) {
    absl::StrAppend(&out, "(", summary.num_clients() - shown,
                    " more clients not shown)\n");
  }
  return out;
}

std::string SummaryJson(const PartitionSummary& summary) {
  const Stats sizes = StatsOf(summary.sizes);
  const bool any = summary.num_clients() > 0;
  util::JsonWriter json;
  json.BeginObject();
  json.Key("scheme").String(summary.scheme);
  json.Key("num_classes").Int(summary.num_classes);
  json.Key("num_clients").Uint(summary.num_clients());
  json.Key("total").Uint(summary.total());
  json.Key("size_min");
  any ? json.Uint(sizes.min) : json.Null();
  json.Key("size_median").Double(sizes.median);
  json.Key("size_mean").Double(sizes.mean);
  json.Key("size_max");
  any ? json.Uint(sizes.max) : json.Null();
  json.Key("clients").BeginArray();
  for (size_t k = 0; k < summary.num_clients(); ++k) {
    json.BeginObject();
    json.Key("size").Uint(summary.sizes[k]);
    json.Key("label_counts").BeginArray();
    for (size_t count : CountsOf(summary, k)) json.Uint(count);
    json.EndArray();
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.str();
}

}  // namespace fedge::data
