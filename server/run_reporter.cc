#include "server/run_reporter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/util/json_writer.h"
#include "common/util/logging.h"

namespace fedge::server {
namespace {

std::string HumanBytes(uint64_t bytes) {
  if (bytes >= (1u << 20)) {
    return absl::StrFormat("%.1f MB", static_cast<double>(bytes) / 1e6);
  }
  if (bytes >= 1000) {
    return absl::StrFormat("%.1f kB", static_cast<double>(bytes) / 1e3);
  }
  return absl::StrCat(bytes, " B");
}

}  // namespace

RunReporter::RunReporter(std::string metrics_path, util::Progress* progress)
    : metrics_path_(std::move(metrics_path)), progress_(progress) {}

std::string RunReporter::Eta(uint64_t round) const {
  if (rounds_seen_ == 0 || total_rounds_ < round) return "";
  double mean = seconds_sum_ / rounds_seen_;
  double remaining = mean * static_cast<double>(total_rounds_ - round + 1);
  return absl::StrCat(" · ETA ",
                      util::Progress::FormatEta(absl::Seconds(remaining)));
}

void RunReporter::OnStage(uint64_t round, const std::string& stage) {
  if (progress_ == nullptr) return;
  absl::MutexLock lock(&mu_);
  progress_->Status(absl::StrCat("round ", round, "/", total_rounds_, " · ",
                                 stage, Eta(round)));
}

void RunReporter::OnWaiting(uint64_t round, const std::string& stage,
                            uint32_t done, uint32_t expected,
                            absl::Duration elapsed) {
  if (progress_ == nullptr) return;
  absl::MutexLock lock(&mu_);
  std::string what = stage == "selecting"    ? "clients connected"
                     : stage == "evaluating" ? "reports"
                                             : "updates";
  progress_->Status(absl::StrCat("round ", round, "/", total_rounds_, " · ",
                                 stage, " · ", done, "/", expected, " ", what,
                                 " · ", util::Progress::FormatEta(elapsed),
                                 " elapsed", Eta(round)));
}

void RunReporter::OnRound(const RoundReport& report) {
  std::string line = JsonLine(report) + "\n";
  int fd = ::open(metrics_path_.c_str(),
                  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || ::write(fd, line.data(), line.size()) !=
                    static_cast<ssize_t>(line.size())) {
    FEDGE_LOG(Error, "server") << "cannot append to " << metrics_path_;
  }
  if (fd >= 0) ::close(fd);
  absl::MutexLock lock(&mu_);
  total_rounds_ = report.total_rounds;
  seconds_sum_ += report.total_seconds;
  ++rounds_seen_;
  if (progress_ != nullptr) progress_->Line(SummaryLine(report));
}

void RunReporter::OnRunFinished(const std::string& outcome) {
  if (progress_ == nullptr) return;
  progress_->Clear();
}

std::string RunReporter::SummaryLine(const RoundReport& r) {
  std::string line =
      absl::StrFormat("round %d/%d %s · %d/%d clients", r.round, r.total_rounds,
                      r.status, r.completed, r.selected);
  if (r.status != "completed") {
    return absl::StrCat(line, " · ", r.reason);
  }
  if (r.central_eval.has_value()) {
    absl::StrAppendFormat(&line, " · acc %.2f%% · loss %.4f",
                          100 * r.central_eval->accuracy, r.central_eval->loss);
  } else if (r.federated_eval.reports > 0) {
    absl::StrAppendFormat(&line, " · fed acc %.2f%% · loss %.4f",
                          100 * r.federated_eval.accuracy,
                          r.federated_eval.loss);
  }
  if (!std::isnan(r.train.loss)) {
    absl::StrAppendFormat(&line, " · train loss %.4f", r.train.loss);
  }
  if (!std::isnan(r.epsilon)) {
    absl::StrAppendFormat(&line, " · ε %.3g", r.epsilon);
  }
  absl::StrAppendFormat(&line, " · up %s · down %s · %.1f s",
                        HumanBytes(r.bytes_up), HumanBytes(r.bytes_down),
                        r.total_seconds);
  return line;
}

std::string RunReporter::JsonLine(const RoundReport& r) {
  util::JsonWriter w;
  w.BeginObject();
  w.Key("round").Uint(r.round);
  w.Key("status").String(r.status);
  if (!r.reason.empty()) w.Key("reason").String(r.reason);
  w.Key("model_version").Uint(r.model_version);
  w.Key("model_sha256").String(r.model_sha256);
  w.Key("accuracy");
  if (r.central_eval.has_value()) {
    w.Double(r.central_eval->accuracy);
  } else {
    w.Null();
  }
  w.Key("loss");
  if (r.central_eval.has_value()) {
    w.Double(r.central_eval->loss);
  } else {
    w.Null();
  }
  w.Key("federated_eval").BeginObject();
  w.Key("reports").Uint(r.federated_eval.reports);
  w.Key("examples").Uint(r.federated_eval.num_examples);
  w.Key("accuracy");
  r.federated_eval.reports > 0 ? w.Double(r.federated_eval.accuracy) : w.Null();
  w.Key("loss");
  r.federated_eval.reports > 0 ? w.Double(r.federated_eval.loss) : w.Null();
  w.EndObject();
  w.Key("train").BeginObject();
  w.Key("loss").Double(r.train.loss);
  w.Key("accuracy").Double(r.train.accuracy);
  w.Key("examples").Uint(r.train.num_examples);
  w.EndObject();
  w.Key("clients").BeginObject();
  w.Key("selected").Uint(r.selected);
  w.Key("completed").Uint(r.completed);
  w.Key("dropped").Uint(r.dropped);
  w.Key("rejected").Uint(r.rejected);
  w.EndObject();
  if (!std::isnan(r.epsilon)) {
    w.Key("epsilon").Double(r.epsilon);
    w.Key("round_epsilon").Double(r.round_epsilon);
  }
  w.Key("bytes").BeginObject();
  w.Key("up").Uint(r.bytes_up);
  w.Key("down").Uint(r.bytes_down);
  w.EndObject();
  w.Key("seconds").BeginObject();
  w.Key("selection").Double(r.selection_seconds);
  w.Key("training").Double(r.training_seconds);
  w.Key("aggregation").Double(r.aggregation_seconds);
  w.Key("evaluation").Double(r.evaluation_seconds);
  w.Key("total").Double(r.total_seconds);
  w.EndObject();
  w.Key("started_at")
      .String(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", r.started_at,
                               absl::UTCTimeZone()));
  w.Key("finished_at")
      .String(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", r.finished_at,
                               absl::UTCTimeZone()));
  w.EndObject();
  return w.str();
}

}  // namespace fedge::server
