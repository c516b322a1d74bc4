// The secure-aggregation stages of a round (SecAgg+). Around the training
// stage the coordinator runs the protocol's short stages: advertise keys and
// share keys before the clients train (so that they can mask their update
// as soon as it is ready), unmask after the masked inputs are in. Each stage
// ends when every live member answered or its deadline passed; a stage that
// leaves fewer clients than the threshold abandons the round.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/secagg/parameters.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "server/coordinator.h"

namespace fedge::server {

absl::Status Coordinator::PrepareSecureRound(uint64_t number,
                                             const GlobalModel& base,
                                             RoundOptions* options) {
  auto params = secagg::DeriveParameters(
      config_.secure_aggregation, options->cohort.size(),
      base.state.num_elements(), absl::StrCat(deps_.run_id, "/", number));
  if (!params.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("secure aggregation: ", params.status().message()));
  }
  for (const std::string& id : options->cohort) {
    std::shared_ptr<ClientSession> session = deps_.sessions->Find(id);
    if (session != nullptr) {
      options->certificates[id] = session->info().peer.certificate_pem;
    }
  }
  if (privacy_ != nullptr && privacy_->config().distributed()) {
    params->set_clip_range(privacy_->SecAggClipRange(params->threshold()));
  }
  options->secagg = *std::move(params);
  FEDGE_LOG(Info, "server")
      << "round " << number << ": secure aggregation "
      << "with threshold " << options->secagg->threshold() << ", "
      << options->secagg->degree() << " neighbours per client, "
      << options->secagg->ring_bits() << "-bit ring";
  return absl::OkStatus();
}

void Coordinator::PushToClients(const std::map<std::string, v1::Task>& tasks,
                                Round& round) {
  for (const auto& [id, task] : tasks) {
    std::shared_ptr<ClientSession> session = deps_.sessions->Find(id);
    if (session == nullptr || !session->Push(task)) {
      round.Drop(id, "disconnected");
    }
  }
}

absl::StatusOr<secagg::ServerTransition> Coordinator::RunSecAggStage(
    Round& round, const std::string& stage, const std::string& late_reason) {
  util::Clock* clock = deps_.clock;
  SetStage(round.number(), stage);
  const absl::Time start = clock->Now();
  const absl::Time deadline = start + config_.deadlines.secagg_stage;
  while (!round.AwaitSecAggStage(
      clock, std::min(clock->Now() + absl::Seconds(1), deadline))) {
    if (stopped() || clock->Now() >= deadline) break;
    if (deps_.observer != nullptr) {
      deps_.observer->OnWaiting(round.number(), stage, 0,
                                static_cast<uint32_t>(round.cohort().size()),
                                clock->Now() - start);
    }
  }
  if (stopped()) return absl::CancelledError(StoppedReason());
  auto transition = round.CloseSecAggStage(late_reason);
  if (!transition.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "secure aggregation (", stage, "): ", transition.status().message()));
  }
  return transition;
}

absl::Status Coordinator::RunSecureSetup(Round& round) {
  FEDGE_ASSIGN_OR_RETURN(
      secagg::ServerTransition to_share,
      RunSecAggStage(round, "advertising keys",
                     "did not advertise secure aggregation keys in time"));
  std::map<std::string, v1::Task> tasks;
  for (auto& [id, request] : to_share.share_keys) {
    *tasks[id].mutable_secagg_share_keys() = std::move(request);
  }
  PushToClients(tasks, round);
  FEDGE_ASSIGN_OR_RETURN(
      secagg::ServerTransition to_mask,
      RunSecAggStage(round, "sharing keys",
                     "did not share secure aggregation keys in time"));
  tasks.clear();
  for (auto& [id, request] : to_mask.masked_input) {
    *tasks[id].mutable_secagg_masked_input() = std::move(request);
  }
  PushToClients(tasks, round);
  FEDGE_LOG(Info, "server")
      << "round " << round.number() << ": " << tasks.size()
      << " clients shared their keys; they train and "
         "upload masked inputs now";
  return absl::OkStatus();
}

absl::Status Coordinator::RunSecureUnmask(Round& round) {
  // The masked inputs are in (the training stage closed): close the
  // masked-input stage and ask for the shares.
  auto to_unmask = round.CloseSecAggStage("missed the training deadline");
  if (!to_unmask.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "secure aggregation (masked input): ", to_unmask.status().message()));
  }
  std::map<std::string, v1::Task> tasks;
  for (auto& [id, request] : to_unmask->unmask) {
    *tasks[id].mutable_secagg_unmask() = std::move(request);
  }
  PushToClients(tasks, round);
  FEDGE_ASSIGN_OR_RETURN(
      secagg::ServerTransition done,
      RunSecAggStage(round, "unmasking",
                     "did not send its unmask shares in time"));
  (void)done;
  return absl::OkStatus();
}

}  // namespace fedge::server
