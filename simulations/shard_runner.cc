#include "simulations/shard_runner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/pki/authority.h"
#include "common/util/status_macros.h"

namespace fedge::sim {

absl::StatusOr<std::unique_ptr<ShardRunner>> ShardRunner::Create(
    ShardOptions options) {
  if (options.config.fleet.availability != "always") {
    return absl::InvalidArgumentError(absl::StrCat(
        options.config.source_path,
        ": fleet.availability.mode 'diurnal' needs the local simulator (it "
        "decides who is online when a round starts); a shard against a "
        "remote server keeps its clients online (mode 'always')"));
  }
  if (options.server_address.empty()) {
    return absl::InvalidArgumentError("a shard needs the server's address");
  }
  std::unique_ptr<ShardRunner> runner(new ShardRunner(std::move(options)));
  const ShardOptions& o = runner->options_;
  if (o.show_progress) runner->progress_ = std::make_unique<util::Progress>();
  pki::PkiPaths paths(o.pki_dir);
  FleetOptions fleet;
  fleet.config = o.config.fleet;
  fleet.seed = o.config.seed;
  fleet.simulator_tls.ca_cert = paths.ca_cert();
  fleet.simulator_tls.cert = paths.simulator_cert(o.simulator_id);
  fleet.simulator_tls.key = paths.simulator_key(o.simulator_id);
  fleet.simulator_tls.server_name = o.server_name;
  fleet.pki_dir = o.pki_dir;
  fleet.shard = o.shard;
  fleet.shard_count = o.shard_count;
  fleet.training_deadline = o.config.server.deadlines.training;
  fleet.purpose_id = o.config.server.purpose_id;
  fleet.torchscript_path = o.config.server.model.torchscript_path;
  fleet.reconnect_vanished = true;
  fleet.progress = runner->progress_.get();
  FEDGE_ASSIGN_OR_RETURN(runner->fleet_, Fleet::Create(std::move(fleet)));
  return runner;
}

absl::StatusOr<ShardResult> ShardRunner::Run() {
  const absl::Time start = absl::Now();
  FEDGE_RETURN_IF_ERROR(fleet_->Connect(options_.server_address));
  FEDGE_RETURN_IF_ERROR(fleet_->PrepareRound(1).status());
  const std::string name =
      absl::StrCat("shard ", options_.shard, "/", options_.shard_count);
  if (options_.out != nullptr) {
    *options_.out << name << ": " << fleet_->online_count() << " of "
                  << fleet_->size() << " virtual clients online at "
                  << options_.server_address << "\n"
                  << std::flush;
  }
  absl::Time last_line = start;
  while (fleet_->finished_count() + fleet_->failed_count() < fleet_->size()) {
    if (stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) break;
    const client::EdgeClientStats stats = fleet_->client_stats();
    const std::string line =
        absl::StrFormat("%s: %d online, %d updates accepted, %d finished", name,
                        fleet_->online_count(), stats.uploads_accepted,
                        fleet_->finished_count());
    if (progress_ != nullptr && progress_->interactive()) {
      progress_->Status(line);
    } else if (absl::Now() - last_line >= absl::Seconds(30)) {
      last_line = absl::Now();
      if (options_.out != nullptr) *options_.out << line << "\n" << std::flush;
    }
  }
  if (progress_ != nullptr) progress_->Clear();
  ShardResult result;
  result.clients = fleet_->size();
  result.finished = fleet_->finished_count();
  result.failed = fleet_->failed_count();
  result.stats = fleet_->client_stats();
  fleet_->Shutdown();
  result.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (stop_.HasBeenNotified()) {
    return absl::CancelledError(absl::StrCat(name, " stopped"));
  }
  if (result.failed == result.clients) {
    return absl::PermissionDeniedError(
        absl::StrCat("the server refused every virtual client of ", name,
                     "; see the errors above"));
  }
  return result;
}

void ShardRunner::Stop() {
  std::call_once(stop_once_, [this] { stop_.Notify(); });
}

}  // namespace fedge::sim
