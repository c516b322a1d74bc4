#include "server/coordinator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/models/initial_state.h"
#include "common/models/torchscript_export.h"
#include "common/net/proto_time.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "common/util/status_macros.h"
#include "server/audit_recovery.h"
#include "server/returning_clients.h"
#include "server/round_state.h"
#include "server/selection.h"
#include "server/torn_writes.h"

namespace fedge::server {
namespace {

// Waits in slices so observers can show live progress; the slices only
// refresh the display, the wait itself ends as soon as its condition holds.
constexpr absl::Duration kProgressSlice = absl::Seconds(1);

double Seconds(absl::Time from, absl::Time to) {
  return absl::ToDoubleSeconds(to - from);
}

}  // namespace

Coordinator::Coordinator(const config::ServerConfig& config,
                         CoordinatorDeps deps)
    : config_(config), deps_(deps) {}

absl::Status Coordinator::Initialize() {
  RemoveTornWrites(config_.run_dir);
  FEDGE_ASSIGN_OR_RETURN(tensor::ParameterSet initial,
                         models::InitialState(config_.model));
  FEDGE_ASSIGN_OR_RETURN(
      strategy_, AggregationStrategy::Make(config_.strategy, initial.specs()));
  if (config_.privacy.enabled()) {
    FEDGE_ASSIGN_OR_RETURN(
        privacy_,
        DifferentialPrivacy::Make(config_.privacy,
                                  std::max(config_.cohort.min_clients,
                                           config_.cohort.available_clients)));
  }
  FEDGE_ASSIGN_OR_RETURN(std::optional<ModelRecord> latest,
                         deps_.store->LatestModel());
  std::shared_ptr<const GlobalModel> model;
  if (latest.has_value()) {
    FEDGE_ASSIGN_OR_RETURN(
        model, LoadCheckpoint(util::JoinPath(config_.run_dir, latest->path),
                              latest->version, latest->sha256));
    absl::Status layout =
        tensor::CheckSameLayout(initial.specs(), model->state.specs());
    if (!layout.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run directory ", config_.run_dir,
          " holds a model of another architecture than the config's (",
          layout.message(), "); use a new run directory"));
    }
    if (deps_.audit != nullptr) {
      FEDGE_RETURN_IF_ERROR(
          RecordMissedRoundEnds(*deps_.store, *deps_.audit, config_.run_dir));
    }
    FEDGE_ASSIGN_OR_RETURN(uint64_t last_round, deps_.store->LastRound());
    next_round_ = last_round + 1;
    FEDGE_RETURN_IF_ERROR(RestoreRoundStates(latest->round));
    FEDGE_LOG(Info, "server")
        << "resuming run in " << config_.run_dir << " from model version "
        << model->version << "; next round " << next_round_;
  } else {
    model = MakeGlobalModel(0, std::move(initial));
    FEDGE_RETURN_IF_ERROR(WriteCheckpoint(config_.run_dir, 0, *model));
    FEDGE_RETURN_IF_ERROR(ExportModel(0, *model));
    ModelRecord record;
    record.version = 0;
    record.round = 0;
    record.path = CheckpointRelativePath(0);
    record.sha256 = crypto::ToHex(model->sha256);
    record.size_bytes = model->blob.size();
    record.created_at = deps_.clock->Now();
    FEDGE_RETURN_IF_ERROR(deps_.store->RecordInitialModel(record));
  }
  deps_.run->PublishModel(model);
  deps_.metrics->model_version->Set(static_cast<double>(model->version));
  deps_.run->UpdateSummary([&](RunSummary& s) {
    s.state = "running";
    s.total_rounds = config_.rounds;
    s.started_at = deps_.clock->Now();
  });
  return absl::OkStatus();
}

absl::Status Coordinator::RestoreRoundStates(uint64_t round) {
  if (round == 0) return absl::OkStatus();
  if (strategy_->has_state()) {
    absl::StatusOr<std::string> state =
        LoadRoundState(config_.run_dir, "strategy", round);
    absl::Status restored =
        state.ok() ? strategy_->RestoreState(*state) : state.status();
    if (!restored.ok()) {
      // The model is intact; only the optimiser's momentum is lost.
      FEDGE_LOG(Warning, "server")
          << "strategy " << strategy_->name()
          << " starts with fresh state: the state saved with round " << round
          << " could not be used (" << restored.message() << ")";
    }
  }
  if (privacy_ != nullptr) {
    absl::StatusOr<std::string> ledger =
        LoadRoundState(config_.run_dir, "privacy", round);
    absl::Status restored =
        ledger.ok() ? privacy_->RestoreState(*ledger) : ledger.status();
    if (!restored.ok()) {
      // Without the ledger the privacy already spent is unknown: going on
      // could only understate it.
      return absl::FailedPreconditionError(absl::StrCat(
          "differential privacy is on, but the privacy ledger of round ", round,
          " in ", config_.run_dir, " cannot be used (", restored.message(),
          "); either the run's earlier rounds had no differential privacy "
          "or the file was lost. Restore "
          "privacy/round-NNNNNN.state, or start a new run directory"));
    }
    FEDGE_ASSIGN_OR_RETURN(double epsilon, privacy_->Epsilon());
    FEDGE_LOG(Info, "server") << "privacy spent so far: epsilon " << epsilon
                              << " at delta " << config_.privacy.delta;
  }
  return absl::OkStatus();
}

absl::Status Coordinator::ExportModel(uint64_t round,
                                      const GlobalModel& model) {
  if (config_.model.kind != "torchscript") return absl::OkStatus();
  // Like the checkpoint, written before the store records the round.
  return models::ExportTorchScript(
      config_.model, model.state,
      util::JoinPath(config_.run_dir,
                     models::TorchScriptExportRelativePath(round)));
}

absl::StatusOr<std::string> Coordinator::PrivacyBudgetExceeded(double q) const {
  if (privacy_ == nullptr || config_.privacy.epsilon_budget <= 0) return "";
  FEDGE_ASSIGN_OR_RETURN(double after, privacy_->EpsilonAfter(q));
  if (after <= config_.privacy.epsilon_budget) return "";
  FEDGE_ASSIGN_OR_RETURN(double now, privacy_->Epsilon());
  return absl::StrFormat(
      "the privacy budget is spent: this round would take epsilon from %.4g "
      "to %.4g, over privacy.epsilon_budget %g (delta %g); the run ends",
      now, after, config_.privacy.epsilon_budget, config_.privacy.delta);
}

void Coordinator::Stop(const std::string& reason, StopKind kind) {
  {
    absl::MutexLock lock(&stop_mu_);
    if (stopped_.load()) return;
    stop_reason_ = reason;
    stop_kind_ = kind;
    stopped_.store(true);
  }
  deps_.run->UpdateSummary([](RunSummary& s) { s.state = "stopping"; });
  deps_.sessions->Interrupt();
  if (std::shared_ptr<Round> round = deps_.run->round()) round->Interrupt();
}

std::string Coordinator::StoppedReason() {
  absl::MutexLock lock(&stop_mu_);
  return absl::StrCat(
      stop_kind_ == StopKind::kShutdown ? "server stopped (" : "run stopped (",
      stop_reason_, ")");
}

std::string Coordinator::stop_reason() {
  absl::MutexLock lock(&stop_mu_);
  return stop_reason_;
}

void Coordinator::OnClientEnded(const std::string& client_id) {
  if (std::shared_ptr<Round> round = deps_.run->round()) {
    round->Drop(client_id, "disconnected");
  }
}

absl::Status Coordinator::Run() {
  const bool resumed_finished = next_round_ > config_.rounds;
  for (uint64_t r = next_round_; r <= config_.rounds && !stopped(); ++r) {
    FEDGE_ASSIGN_OR_RETURN(RoundReport report, RunRound(r));
    next_round_ = r + 1;
    RoundDone(report);
  }
  absl::Status finished = Finish("");
  if (resumed_finished && !stopped()) {
    // The server that committed the last round was killed before it could
    // tell the clients; they are away, retrying with backoff.
    AwaitReturningClients(*deps_.store, *deps_.sessions,
                          deps_.clock->Now() + config_.deadlines.selection);
  }
  return finished;
}

void Coordinator::RoundDone(const RoundReport& report) {
  (report.status == "completed" ? completed_ : abandoned_)++;
  deps_.metrics->round_seconds->Observe(report.total_seconds);
  if (deps_.observer != nullptr) deps_.observer->OnRound(report);
}

uint64_t Coordinator::CommittedVersion(uint64_t round) const {
  return config_.upstream.enabled() ? 2 * round : round;
}

absl::StatusOr<Coordinator::SiteRound> Coordinator::RunSiteRound(
    tensor::ParameterSet upstream_model, uint64_t upstream_version) {
  if (stopped()) return absl::CancelledError(StoppedReason());
  std::shared_ptr<const GlobalModel> current = deps_.run->model();
  if (absl::Status layout = tensor::CheckSameLayout(current->state.specs(),
                                                    upstream_model.specs());
      !layout.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the upstream's model is not the model this site's config describes (",
        layout.message(), "); give the site the upstream's model section"));
  }
  const uint64_t number = next_round_;
  std::shared_ptr<const GlobalModel> base =
      MakeGlobalModel(2 * number - 1, std::move(upstream_model));
  v1::AuditEvent adopted;
  v1::UpstreamModelAdopted* u = adopted.mutable_upstream_model();
  u->set_model_version(base->version);
  u->set_model_sha256(crypto::DigestBytes(base->sha256));
  u->set_upstream(config_.upstream.server_address);
  u->set_upstream_version(upstream_version);
  Audit(0, std::move(adopted));
  // Fail closed: the round's base must be in the log before it is sent.
  if (deps_.audit != nullptr) FEDGE_RETURN_IF_ERROR(deps_.audit->healthy());
  deps_.run->PublishModel(std::move(base));
  FEDGE_ASSIGN_OR_RETURN(RoundReport report, RunRound(number));
  next_round_ = number + 1;
  RoundDone(report);
  if (report.status != "completed") {
    if (stopped()) return absl::CancelledError(report.reason);
    return absl::UnavailableError(
        absl::StrCat("site round ", number, " abandoned: ", report.reason));
  }
  SiteRound out;
  out.round = number;
  out.model = deps_.run->model()->state;
  out.examples = report.train.num_examples;
  out.loss = report.train.loss;
  out.accuracy = report.train.accuracy;
  return out;
}

absl::Status Coordinator::Finish(const std::string& upstream_outcome) {
  const uint32_t completed = completed_, abandoned = abandoned_;
  deps_.run->SetRound(nullptr);
  StopKind kind;
  {
    absl::MutexLock lock(&stop_mu_);
    kind = stop_kind_;
  }
  std::string outcome;
  if (stopped() && kind == StopKind::kShutdown) {
    outcome = absl::StrCat("server stopped (", stop_reason(),
                           "); the run resumes when it starts again");
    deps_.sessions->CloseAll(
        grpc::Status(grpc::StatusCode::UNAVAILABLE,
                     "the server is shutting down; reconnect later"));
  } else {
    if (stopped()) {
      outcome = absl::StrCat("run stopped (", stop_reason(), ")");
    } else {
      outcome = absl::StrCat("run finished: ", completed, " rounds completed, ",
                             abandoned, " abandoned");
      if (!upstream_outcome.empty()) {
        absl::StrAppend(
            &outcome, " (the upstream ended its run: ", upstream_outcome, ")");
      }
    }
    v1::Task finished;
    finished.mutable_finished()->set_reason(outcome);
    if (auto model = deps_.run->model()) {
      *finished.mutable_finished()->mutable_final_model() = model->Ref();
    }
    deps_.sessions->FinishRun(finished);
  }
  const bool resumable = stopped() && kind == StopKind::kShutdown;
  deps_.run->UpdateSummary([resumable](RunSummary& s) {
    s.state = resumable ? "stopped" : "finished";
    s.stage.clear();
  });
  v1::AuditEvent ended;
  ended.mutable_run_ended()->set_reason(outcome);
  Audit(0, std::move(ended));
  absl::Status signed_end = SignRound(nullptr);
  if (deps_.observer != nullptr) deps_.observer->OnRunFinished(outcome);
  FEDGE_LOG(Info, "server") << outcome;
  return signed_end;
}

void Coordinator::SetStage(uint64_t round, const std::string& stage) {
  deps_.run->UpdateSummary([&](RunSummary& s) {
    s.round = round;
    s.stage = stage;
  });
  if (deps_.observer != nullptr) deps_.observer->OnStage(round, stage);
}

v1::TrainTask Coordinator::MakeTrainTask(uint64_t round,
                                         const GlobalModel& model,
                                         absl::Time deadline) const {
  v1::TrainTask task;
  task.set_round(round);
  *task.mutable_model() = model.Ref();
  v1::TrainingConfig* tc = task.mutable_config();
  tc->set_local_epochs(config_.training.local_epochs);
  tc->set_batch_size(config_.training.batch_size);
  tc->set_learning_rate(static_cast<float>(config_.training.learning_rate));
  tc->set_momentum(static_cast<float>(config_.training.momentum));
  tc->set_weight_decay(static_cast<float>(config_.training.weight_decay));
  tc->set_max_examples(config_.training.max_examples);
  tc->set_proximal_mu(static_cast<float>(config_.strategy.proximal_mu));
  tc->set_seed(config_.seed * 1000003 + round);
  net::ToProtoTimestamp(deadline, task.mutable_deadline());
  return task;
}

absl::StatusOr<RoundReport> Coordinator::RunRound(uint64_t number) {
  util::Clock* clock = deps_.clock;
  RoundReport report;
  report.round = number;
  report.total_rounds = config_.rounds;
  report.started_at = clock->Now();
  deps_.metrics->current_round->Set(static_cast<double>(number));

  // Select.
  SetStage(number, "selecting");
  if (deps_.before_selection) deps_.before_selection(number);
  const size_t need = config_.cohort.available_clients > 0
                          ? config_.cohort.available_clients
                          : config_.cohort.min_clients;
  const absl::Time selection_deadline =
      report.started_at + config_.deadlines.selection;
  while (!deps_.sessions->AwaitStreaming(
      need, std::min(clock->Now() + kProgressSlice, selection_deadline))) {
    if (stopped() || clock->Now() >= selection_deadline) break;
    if (deps_.observer != nullptr) {
      deps_.observer->OnWaiting(
          number, "selecting",
          static_cast<uint32_t>(deps_.sessions->NumStreaming()),
          static_cast<uint32_t>(need), clock->Now() - report.started_at);
    }
  }
  deps_.metrics->connected_clients->Set(
      static_cast<double>(deps_.sessions->NumStreaming()));
  if (stopped()) {
    std::string reason = StoppedReason();
    FEDGE_RETURN_IF_ERROR(RecordAbandoned(nullptr, number, reason, report));
    return report;
  }
  std::vector<std::string> candidates;
  for (const auto& session : deps_.sessions->Streaming()) {
    candidates.push_back(session->client_id());
  }
  if (candidates.size() < need) {
    FEDGE_RETURN_IF_ERROR(RecordAbandoned(
        nullptr, number,
        absl::StrCat("only ", candidates.size(), " of the ", need,
                     " clients needed were connected when the selection "
                     "deadline (",
                     absl::FormatDuration(config_.deadlines.selection),
                     ") passed"),
        report));
    return report;
  }
  std::shared_ptr<const GlobalModel> base = deps_.run->model();
  RoundOptions options;
  options.number = number;
  options.base = base;
  const size_t connected = candidates.size();
  options.cohort =
      SelectCohort(std::move(candidates),
                   {config_.cohort.min_clients, config_.cohort.fraction,
                    config_.cohort.max_clients},
                   config_.seed, number);
  options.sampling_rate = static_cast<double>(options.cohort.size()) /
                          static_cast<double>(std::max<size_t>(connected, 1));
  FEDGE_ASSIGN_OR_RETURN(std::string over_budget,
                         PrivacyBudgetExceeded(options.sampling_rate));
  if (!over_budget.empty()) {
    FEDGE_LOG(Warning, "server") << "round " << number << ": " << over_budget;
    FEDGE_RETURN_IF_ERROR(
        RecordAbandoned(nullptr, number, over_budget, report));
    Stop(over_budget, StopKind::kEndRun);
    return report;
  }
  if (privacy_ != nullptr && privacy_->config().central()) {
    options.clip_norm = privacy_->clip_norm();
  }
  options.max_example_weight = config_.strategy.max_example_weight;
  options.keep_updates = strategy_->needs_updates();
  options.audit = deps_.audit;
  if (config_.secure_aggregation.enabled) {
    if (absl::Status s = PrepareSecureRound(number, *base, &options); !s.ok()) {
      FEDGE_RETURN_IF_ERROR(
          RecordAbandoned(nullptr, number, std::string(s.message()), report));
      return report;
    }
  }
  auto round = std::make_shared<Round>(options);
  // Logged before the tasks go out: the members' outcomes follow it.
  AuditSelection(*round);
  deps_.run->SetRound(round);
  deps_.run->UpdateSummary([&](RunSummary& s) { s.cohort = round->cohort(); });
  report.selected = static_cast<uint32_t>(round->cohort().size());
  const absl::Time training_start = clock->Now();
  report.selection_seconds = Seconds(report.started_at, training_start);

  // Configure and train. In a secure round the clients advertise and share
  // keys first; the training deadline counts from the task.
  const absl::Time training_deadline =
      training_start + config_.deadlines.training;
  v1::Task task;
  *task.mutable_train() = MakeTrainTask(number, *base, training_deadline);
  if (round->secure())
    *task.mutable_train()->mutable_secagg() = *options.secagg;
  if (privacy_ != nullptr && privacy_->config().distributed()) {
    v1::TrainingConfig* tc = task.mutable_train()->mutable_config();
    tc->set_dp_clip_norm(privacy_->clip_norm());
    tc->set_dp_noise_stddev(
        privacy_->NoiseShareStddev(options.secagg->threshold()));
  }
  for (const std::string& id : round->cohort()) {
    std::shared_ptr<ClientSession> session = deps_.sessions->Find(id);
    if (session == nullptr || !session->Push(task)) {
      round->Drop(id, "disconnected before the task was sent");
    }
  }
  FEDGE_LOG(Info, "server") << "round " << number << ": sent the task to "
                            << round->cohort().size() << " clients";
  if (round->secure()) {
    if (absl::Status s = RunSecureSetup(*round); !s.ok()) {
      FEDGE_RETURN_IF_ERROR(RecordAbandoned(round.get(), number,
                                            std::string(s.message()), report));
      return report;
    }
  }
  SetStage(number, "training");
  while (!round->AwaitSettled(
      clock, std::min(clock->Now() + kProgressSlice, training_deadline))) {
    if (stopped() || clock->Now() >= training_deadline) break;
    if (deps_.observer != nullptr) {
      deps_.observer->OnWaiting(number, "training", round->num_accepted(),
                                report.selected, clock->Now() - training_start);
    }
  }
  std::vector<std::string> late = round->CloseTraining(
      stopped() ? "run stopped" : "missed the training deadline");
  for (const std::string& id : late) {
    v1::Task cancel;
    cancel.mutable_cancel()->set_round(number);
    cancel.mutable_cancel()->set_reason("missed the training deadline");
    if (auto session = deps_.sessions->Find(id)) session->Push(cancel);
  }
  const absl::Time aggregation_start = clock->Now();
  report.training_seconds = Seconds(training_start, aggregation_start);

  // Aggregate and commit, or abandon.
  SetStage(number, "aggregating");
  if (stopped()) {
    std::string reason = StoppedReason();
    FEDGE_RETURN_IF_ERROR(RecordAbandoned(round.get(), number, reason, report));
    return report;
  }
  const uint32_t accepted = round->num_accepted();
  if (accepted < config_.cohort.min_clients) {
    uint32_t dropped = 0, rejected = 0;
    for (const auto& p : round->Participants()) {
      if (p.outcome == "dropped") ++dropped;
      if (p.outcome == "rejected") ++rejected;
    }
    FEDGE_RETURN_IF_ERROR(RecordAbandoned(
        round.get(), number,
        absl::StrCat("only ", accepted, " of ", report.selected,
                     " updates were accepted (", dropped, " dropped, ",
                     rejected, " rejected); the round needs at least ",
                     config_.cohort.min_clients),
        report));
    return report;
  }
  if (round->secure()) {
    if (absl::Status s = RunSecureUnmask(*round); !s.ok()) {
      FEDGE_RETURN_IF_ERROR(RecordAbandoned(round.get(), number,
                                            std::string(s.message()), report));
      return report;
    }
    AuditSecureClose(*round);
    SetStage(number, "aggregating");
  }
  absl::StatusOr<tensor::ParameterSet> next = NextModel(*round);
  if (!next.ok()) {
    FEDGE_RETURN_IF_ERROR(RecordAbandoned(
        round.get(), number,
        absl::StrCat("aggregation failed: ", next.status().message()), report));
    return report;
  }
  std::shared_ptr<const GlobalModel> committed;
  FEDGE_RETURN_IF_ERROR(Commit(*round, *std::move(next), report, &committed));
  const absl::Time evaluation_start = clock->Now();
  report.aggregation_seconds = Seconds(aggregation_start, evaluation_start);

  // Evaluate.
  Evaluate(*round, *committed, report);
  FEDGE_RETURN_IF_ERROR(SignRound(round.get()));
  report.finished_at = clock->Now();
  report.evaluation_seconds = Seconds(evaluation_start, report.finished_at);
  report.total_seconds = Seconds(report.started_at, report.finished_at);
  report.bytes_down = deps_.run->TakeBytesDown();
  return report;
}

absl::StatusOr<tensor::ParameterSet> Coordinator::NextModel(Round& round) {
  FEDGE_ASSIGN_OR_RETURN(tensor::ParameterSet mean, round.Aggregate());
  if (privacy_ != nullptr && privacy_->config().central()) {
    FEDGE_RETURN_IF_ERROR(privacy_->AddCentralNoise(round.base().state, &mean,
                                                    round.num_accepted(),
                                                    round.num_within_clip()));
  }
  std::vector<KeptUpdate> kept = round.TakeKeptUpdates();
  std::vector<absl::Span<const float>> updates;
  std::vector<double> weights;
  updates.reserve(kept.size());
  weights.reserve(kept.size());
  for (const KeptUpdate& u : kept) {
    updates.push_back(u.delta);
    weights.push_back(static_cast<double>(u.weight));
  }
  return strategy_->Next(round.base().state, std::move(mean), updates, weights);
}

absl::Status Coordinator::Commit(
    Round& round, tensor::ParameterSet state, RoundReport& report,
    std::shared_ptr<const GlobalModel>* committed) {
  // Fail closed: no model is published that the audit log cannot show.
  if (deps_.audit != nullptr) FEDGE_RETURN_IF_ERROR(deps_.audit->healthy());
  std::shared_ptr<const GlobalModel> model =
      MakeGlobalModel(CommittedVersion(round.number()), std::move(state));
  // The checkpoint is written (and renamed into place) before the store
  // records it: a crash in between leaves an unreferenced file, never a
  // record without its file.
  FEDGE_RETURN_IF_ERROR(
      WriteCheckpoint(config_.run_dir, round.number(), *model));
  FEDGE_RETURN_IF_ERROR(ExportModel(round.number(), *model));
  if (strategy_->has_state()) {
    FEDGE_ASSIGN_OR_RETURN(std::string state, strategy_->SerializeState());
    FEDGE_RETURN_IF_ERROR(
        SaveRoundState(config_.run_dir, "strategy", round.number(), state));
  }
  std::optional<v1::PrivacySpent> spent;
  if (privacy_ != nullptr) {
    FEDGE_ASSIGN_OR_RETURN(spent, privacy_->Account(round.sampling_rate()));
    FEDGE_RETURN_IF_ERROR(SaveRoundState(config_.run_dir, "privacy",
                                         round.number(),
                                         privacy_->SerializeState()));
    FEDGE_RETURN_IF_ERROR(SaveRoundState(config_.run_dir, kPrivacySpentState,
                                         round.number(),
                                         spent->SerializeAsString()));
  }
  RoundRecord record;
  record.round = round.number();
  record.status = "completed";
  record.started_at = report.started_at;
  record.finished_at = deps_.clock->Now();
  record.base_model_version = round.base().version;
  record.model_version = model->version;
  record.examples = round.train_summary().num_examples;
  record.participants = round.Participants();
  for (const ParticipantRecord& p : record.participants) {
    if (p.outcome == "accepted") ++record.completed;
    if (p.outcome == "dropped") ++record.dropped;
    if (p.outcome == "rejected") ++record.rejected;
  }
  record.selected = static_cast<uint32_t>(record.participants.size());
  ModelRecord model_record;
  model_record.version = model->version;
  model_record.round = round.number();
  model_record.path = CheckpointRelativePath(round.number());
  model_record.sha256 = crypto::ToHex(model->sha256);
  model_record.size_bytes = model->blob.size();
  model_record.created_at = record.finished_at;
  FEDGE_RETURN_IF_ERROR(deps_.store->CommitRound(record, model_record));
  AuditCommit(round, *model, record.examples);
  if (spent.has_value()) {
    v1::AuditEvent event;
    *event.mutable_privacy_spent() = *spent;
    Audit(round.number(), std::move(event));
    report.epsilon = spent->epsilon();
    report.round_epsilon = spent->round_epsilon();
    deps_.metrics->privacy_epsilon->Set(spent->epsilon());
    FEDGE_LOG(Info, "server")
        << "round " << round.number() << ": privacy spent epsilon "
        << spent->epsilon() << " (this round " << spent->round_epsilon()
        << ") at delta " << spent->delta();
  }
  // Fail closed: a model whose commit the log does not show is not served.
  if (deps_.audit != nullptr) FEDGE_RETURN_IF_ERROR(deps_.audit->healthy());
  deps_.run->PublishModel(model);

  report.status = "completed";
  report.model_version = model->version;
  report.model_sha256 = model_record.sha256;
  report.completed = record.completed;
  report.dropped = record.dropped;
  report.rejected = record.rejected;
  report.train = round.train_summary();
  report.bytes_up = round.bytes_up();
  deps_.metrics->rounds_completed->Increment();
  deps_.metrics->model_version->Set(static_cast<double>(model->version));
  FEDGE_LOG(Info, "server")
      << "round " << round.number() << " committed: model version "
      << model->version << " from " << record.completed << " updates";
  *committed = std::move(model);
  return absl::OkStatus();
}

absl::Status Coordinator::RecordAbandoned(Round* round, uint64_t number,
                                          const std::string& reason,
                                          RoundReport& report) {
  RoundRecord record;
  record.round = number;
  record.status = "abandoned";
  record.reason = reason;
  record.started_at = report.started_at;
  record.finished_at = deps_.clock->Now();
  std::shared_ptr<const GlobalModel> model = deps_.run->model();
  record.base_model_version = model ? model->version : 0;
  record.model_version = record.base_model_version;
  if (round != nullptr) {
    record.participants = round->Participants();
    for (const ParticipantRecord& p : record.participants) {
      if (p.outcome == "accepted") ++record.completed;
      if (p.outcome == "dropped") ++record.dropped;
      if (p.outcome == "rejected") ++record.rejected;
    }
    record.selected = static_cast<uint32_t>(record.participants.size());
    report.bytes_up = round->bytes_up();
  }
  FEDGE_RETURN_IF_ERROR(deps_.store->CommitRound(record, std::nullopt));
  v1::AuditEvent abandoned;
  abandoned.mutable_round_abandoned()->set_reason(reason);
  Audit(number, std::move(abandoned));
  if (round != nullptr && round->num_accepted() > 0) {
    // The accepted uploads were folded into a sum that is now discarded.
    v1::AuditEvent deleted;
    deleted.mutable_buffers_deleted()->set_clients(round->num_accepted());
    deleted.mutable_buffers_deleted()->set_bytes(round->bytes_up());
    Audit(number, std::move(deleted));
  }
  FEDGE_RETURN_IF_ERROR(SignRound(nullptr));
  report.status = "abandoned";
  report.reason = reason;
  report.model_version = record.model_version;
  report.model_sha256 = model ? crypto::ToHex(model->sha256) : "";
  report.selected = record.selected;
  report.completed = record.completed;
  report.dropped = record.dropped;
  report.rejected = record.rejected;
  report.finished_at = record.finished_at;
  report.total_seconds = Seconds(report.started_at, report.finished_at);
  report.bytes_down = deps_.run->TakeBytesDown();
  deps_.metrics->rounds_abandoned->Increment();
  FEDGE_LOG(Warning, "server")
      << "round " << number << " abandoned; model version "
      << record.model_version << " stands: " << reason;
  return absl::OkStatus();
}

void Coordinator::Evaluate(Round& round, const GlobalModel& model,
                           RoundReport& report) {
  const uint64_t number = round.number();
  const auto& ev = config_.evaluation;
  bool federated = ev.federated_every > 0 && number % ev.federated_every == 0;
  bool central = deps_.evaluator != nullptr && deps_.central_data != nullptr &&
                 ev.central_every > 0 &&
                 (number % ev.central_every == 0 || number == config_.rounds);
  if (!federated && !central) return;
  SetStage(number, "evaluating");
  if (federated) {
    std::vector<std::string> evaluators;
    for (const std::string& id : round.AcceptedClients()) {
      auto session = deps_.sessions->Find(id);
      if (session != nullptr && session->streaming()) evaluators.push_back(id);
    }
    round.OpenEvaluation(model.version, evaluators);
    util::Clock* clock = deps_.clock;
    const absl::Time start = clock->Now();
    const absl::Time deadline = start + config_.deadlines.evaluation;
    v1::Task task;
    v1::EvaluateTask* et = task.mutable_evaluate();
    et->set_round(number);
    *et->mutable_model() = model.Ref();
    et->set_batch_size(ev.batch_size);
    net::ToProtoTimestamp(deadline, et->mutable_deadline());
    size_t sent = 0;
    for (const std::string& id : evaluators) {
      auto session = deps_.sessions->Find(id);
      if (session != nullptr && session->Push(task)) ++sent;
    }
    while (!round.AwaitEvaluations(
        clock, sent, std::min(clock->Now() + kProgressSlice, deadline))) {
      if (stopped() || clock->Now() >= deadline) break;
      if (deps_.observer != nullptr) {
        deps_.observer->OnWaiting(
            number, "evaluating", round.eval_summary().reports,
            static_cast<uint32_t>(sent), clock->Now() - start);
      }
    }
    round.CloseEvaluation();
    report.federated_eval = round.eval_summary();
    if (report.federated_eval.reports > 0) {
      AuditEvaluation(
          number, model.version, "federated", report.federated_eval.loss,
          report.federated_eval.accuracy, report.federated_eval.num_examples);
    }
  }
  if (central) {
    auto metrics = deps_.evaluator->Evaluate(model.state, *deps_.central_data,
                                             ev.batch_size);
    if (metrics.ok()) {
      report.central_eval = *metrics;
      AuditEvaluation(number, model.version, "central", metrics->loss,
                      metrics->accuracy, metrics->num_examples);
    } else {
      FEDGE_LOG(Error, "server") << "central evaluation of round " << number
                                 << " failed: " << metrics.status();
    }
  }
  double accuracy = report.central_eval ? report.central_eval->accuracy
                                        : report.federated_eval.accuracy;
  double loss = report.central_eval ? report.central_eval->loss
                                    : report.federated_eval.loss;
  deps_.metrics->accuracy->Set(accuracy);
  deps_.metrics->loss->Set(loss);
  deps_.run->UpdateSummary([&](RunSummary& s) {
    s.last_accuracy = accuracy;
    s.last_loss = loss;
  });
}

}  // namespace fedge::server
