#ifndef FEDGE_SIMULATIONS_SIM_REPORT_H_
#define FEDGE_SIMULATIONS_SIM_REPORT_H_

// The results of a simulation for people (report.html: one self-contained
// page, plots as inline SVG, no network needed) and for tools (metrics.csv).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/data/partition_summary.h"

namespace fedge::sim {

// One round, as the server reported it plus what the fleet saw.
struct RoundRow {
  uint64_t round = 0;
  std::string status;     // "completed" or "abandoned"
  std::string reason;     // why it was abandoned
  double accuracy = 0;    // central evaluation; NaN if none
  double loss = 0;        // central evaluation; NaN if none
  double train_loss = 0;  // mean local training loss; NaN if unknown
  uint32_t selected = 0;
  uint32_t completed = 0;
  uint32_t dropped = 0;
  uint32_t rejected = 0;
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  double selection_seconds = 0;
  double training_seconds = 0;
  double aggregation_seconds = 0;
  double evaluation_seconds = 0;
  double total_seconds = 0;
  // Fleet side.
  uint32_t available = 0;       // virtual clients online when it started
  uint32_t stragglers = 0;      // selected clients too slow for the deadline
  uint32_t fleet_dropouts = 0;  // selected clients that vanished mid-round
  // Seconds the virtual clients spent training, summed over clients (the
  // compute pool runs several at once).
  double compute_seconds = 0;
  std::string model_sha256;  // the global model after the round (hex)
};

struct ReportInput {
  std::string title;         // e.g. "fmnist-dirichlet"
  std::string generated_at;  // RFC 3339
  // Key facts shown at the top, in order ("clients", "10000"), ...
  std::vector<std::pair<std::string, std::string>> facts;
  std::vector<RoundRow> rounds;
  data::PartitionSummary partition;
  std::string final_model_sha256;
};

// report.html: header with the facts; plots of accuracy and loss per round,
// bytes up and down per round, round time by stage (stacked), participation
// (selected, completed, dropped, stragglers) per round; the partition (size
// statistics and a label-distribution heat map of up to 50 clients); a
// table of all rounds. Self-contained: inline CSS and SVG, no scripts, no
// external references; prints cleanly. All text is HTML-escaped.
std::string RenderHtmlReport(const ReportInput& input);

// metrics.csv: a header line, then one line per round with every RoundRow
// field (RFC 4180 quoting; NaN as an empty field).
std::string RenderCsv(const std::vector<RoundRow>& rounds);

}  // namespace fedge::sim

#endif  // FEDGE_SIMULATIONS_SIM_REPORT_H_
