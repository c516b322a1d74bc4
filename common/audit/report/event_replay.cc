#include "common/audit/report/event_replay.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/crypto/sha256.h"

namespace fedge::audit::report {
namespace {

// Settings the privacy section repeats: how updates are protected.
constexpr absl::string_view kPrivacySettingPrefixes[] = {
    "secure_aggregation.", "differential_privacy.", "privacy.", "dp."};

std::vector<std::string> ToVector(
    const google::protobuf::RepeatedPtrField<std::string>& values) {
  return {values.begin(), values.end()};
}

std::optional<int64_t> NonZeroTime(int64_t unix_ms) {
  if (unix_ms == 0) return std::nullopt;
  return unix_ms;
}

struct ClientState {
  Participant facts;
  std::set<uint64_t> rounds_selected;
  std::set<uint64_t> model_versions;  // commits that hold its updates
};

struct RegionState {
  std::set<std::string> clients;
  uint64_t uploads = 0;
  uint64_t bytes = 0;
};

// Replays the events in log order into the report.
class Replay {
 public:
  explicit Replay(ComplianceReport* report) : r_(*report) {}

  void Apply(uint64_t index, const v1::AuditEvent& e) {
    index_ = index;
    e_ = &e;
    switch (e.event_case()) {
      case v1::AuditEvent::kRunStarted:
        return RunStarted(e.run_started());
      case v1::AuditEvent::kClientJoined:
        return Joined(e.client_joined());
      case v1::AuditEvent::kJoinRefused:
        return Refused(e.join_refused());
      case v1::AuditEvent::kCohortSelected:
        return Selected(e.cohort_selected());
      case v1::AuditEvent::kUploadAccepted:
        return Accepted(e.upload_accepted());
      case v1::AuditEvent::kUploadRejected:
        return Rejected(e.upload_rejected());
      case v1::AuditEvent::kClientDropped:
        return Dropped(e.client_dropped());
      case v1::AuditEvent::kSecureAggregation:
        return SecureClosed(e.secure_aggregation());
      case v1::AuditEvent::kRoundCommitted:
        return Committed(e.round_committed());
      case v1::AuditEvent::kRoundAbandoned:
        return Abandoned(e.round_abandoned());
      case v1::AuditEvent::kConsentWithdrawn:
        return Withdrawn(e.consent_withdrawn());
      case v1::AuditEvent::kAdminAction:
        return Admin(e.admin_action());
      case v1::AuditEvent::kBuffersDeleted:
        return Deleted(e.buffers_deleted());
      case v1::AuditEvent::kRunEnded:
        r_.run.ended_unix_ms = e.time_unix_ms();
        r_.run.end_reason = e.run_ended().reason();
        return;
      case v1::AuditEvent::kModelEvaluated:
        return Evaluated(e.model_evaluated());
      case v1::AuditEvent::kErasureRequested:
        return Erased(e.erasure_requested());
      case v1::AuditEvent::kAuthenticationFailed:
        return AuthFailed(e.authentication_failed());
      case v1::AuditEvent::kPrivacySpent:
        return Spent(e.privacy_spent());
      case v1::AuditEvent::kUpstreamModel:
        // The next round's selection names it as its base model, which is
        // what the report shows of it.
        return;
      case v1::AuditEvent::EVENT_NOT_SET:
        return;  // DecodeEvent refuses these
    }
  }

  // The facts that need the whole log. Returns the digest the log committed
  // for each round's checkpoint file.
  std::map<uint64_t, std::string> Finish() {
    if (!run_seen_) {
      r_.incidents.push_back({std::nullopt, 0, "run_start_missing",
                              "the log has no RunStarted entry: the run's "
                              "facts and processing record are unknown",
                              std::nullopt});
    }
    std::set<uint64_t> rounds_with_uploads;
    for (RoundAttempt& attempt : r_.rounds) {
      FinishAttempt(attempt);
      if (!attempt.accepted.empty()) rounds_with_uploads.insert(attempt.round);
    }
    for (uint64_t round : rounds_with_uploads) {
      if (!deleted_rounds_.count(round)) {
        r_.retention.rounds_without_deletion.push_back(round);
      }
    }
    for (Withdrawal& w : r_.consent.withdrawals) {
      w.model_versions = VersionsOf(w.client_id);
    }
    for (Erasure& e : r_.consent.erasures) {
      e.log_model_versions = VersionsOf(e.client_id);
    }
    for (auto& [id, client] : clients_) {
      client.facts.rounds_selected = client.rounds_selected.size();
      if (client.facts.joined) {
        ++r_.totals.clients_joined;
        r_.totals.data_bytes_declared += client.facts.data_bytes;
      }
      r_.participants.push_back(client.facts);
    }
    for (const auto& [region, state] : regions_) {
      ResidencyRow row;
      row.region = region;
      row.allowed = r_.residency.allowed_regions.empty() ||
                    std::count(r_.residency.allowed_regions.begin(),
                               r_.residency.allowed_regions.end(), region) > 0;
      row.clients = state.clients.size();
      row.uploads = state.uploads;
      row.bytes = state.bytes;
      r_.residency.matrix.push_back(std::move(row));
    }
    r_.data_minimisation.bytes_uploaded = r_.totals.bytes_uploaded;
    r_.data_minimisation.data_bytes_declared = r_.totals.data_bytes_declared;
    // Dropout incidents were added late; keep the list in log order.
    std::stable_sort(r_.incidents.begin(), r_.incidents.end(),
                     [](const Incident& a, const Incident& b) {
                       return a.log_index.value_or(UINT64_MAX) <
                              b.log_index.value_or(UINT64_MAX);
                     });
    return expected_digests_;
  }

 private:
  void AddIncident(std::string kind, std::string detail) {
    r_.incidents.push_back({e_->time_unix_ms(), e_->round(), std::move(kind),
                            std::move(detail), index_});
  }

  ClientState& Client(const std::string& id) {
    ClientState& client = clients_[id];
    client.facts.client_id = id;
    return client;
  }

  std::vector<uint64_t> VersionsOf(const std::string& id) const {
    auto it = clients_.find(id);
    if (it == clients_.end()) return {};
    return {it->second.model_versions.begin(), it->second.model_versions.end()};
  }

  // The attempt an event of `round` belongs to: the one in progress, else
  // the latest attempt at that round, else a new one (a round whose
  // selection is not in the log).
  RoundAttempt& Attempt(uint64_t round) {
    for (auto it = r_.rounds.rbegin(); it != r_.rounds.rend(); ++it) {
      if (it->round == round) return *it;
    }
    return NewAttempt(round);
  }

  RoundAttempt* OpenAttempt() {
    for (auto it = r_.rounds.rbegin(); it != r_.rounds.rend(); ++it) {
      if (it->status == RoundStatus::kOpen) return &*it;
    }
    return nullptr;
  }

  RoundAttempt& NewAttempt(uint64_t round) {
    RoundAttempt attempt;
    attempt.round = round;
    for (const RoundAttempt& earlier : r_.rounds) {
      if (earlier.round == round) ++attempt.attempt;
    }
    r_.rounds.push_back(std::move(attempt));
    return r_.rounds.back();
  }

  void RunStarted(const v1::RunStarted& s) {
    if (s.model_version() == 0 && !expected_digests_.count(0)) {
      expected_digests_[0] = crypto::ToHex(s.model_sha256());
    }
    if (s.resumed()) {
      ++r_.run.resumes;
      restarted_since_selection_ = true;
      AddIncident("server_restart",
                  absl::StrCat("the server restarted and resumed the run from "
                               "model version ",
                               s.model_version()));
    }
    if (run_seen_) return;
    // A resumed run logs its settings again; the first start's are the
    // run's.
    run_seen_ = true;
    RunSection& run = r_.run;
    for (const auto& [key, value] : s.settings()) {
      run.settings[key] = value;
      for (absl::string_view prefix : kPrivacySettingPrefixes) {
        if (absl::StartsWith(key, prefix)) r_.privacy.settings[key] = value;
      }
    }
    run.run_id = s.run_id();
    run.software_version = s.software_version();
    run.config_sha256 = crypto::ToHex(s.config_sha256());
    run.purpose = s.purpose_id();
    run.legal_basis = s.legal_basis();
    run.secure_aggregation = s.secure_aggregation();
    run.initial_model = {s.model_version(), crypto::ToHex(s.model_sha256())};
    run.final_model = run.initial_model;
    run.started_unix_ms = e_->time_unix_ms();

    const v1::ProcessingRecord& p = s.processing();
    ProcessingRecordSection& record = r_.processing_record;
    record.controller = {p.controller().name(), p.controller().contact()};
    record.dpo = {p.dpo().name(), p.dpo().contact()};
    record.purposes = ToVector(p.purposes());
    record.legal_basis = p.legal_basis();
    record.data_subject_categories = ToVector(p.data_subject_categories());
    record.data_categories = ToVector(p.data_categories());
    record.recipients = ToVector(p.recipients());
    record.transfers = ToVector(p.transfers());
    record.retention = p.retention();
    record.security_measures = ToVector(p.security_measures());
    r_.retention.policy = p.retention();

    PrivacySection& privacy = r_.privacy;
    privacy.secure_aggregation = s.secure_aggregation();
    privacy.epsilon_budget = s.epsilon_budget();
    privacy.delta = s.delta();
    privacy.differential_privacy =
        privacy.differential_privacy || s.epsilon_budget() > 0;

    SecuritySection& security = r_.security;
    security.tls_min_version = s.tls_min_version();
    security.mutual_tls = s.mutual_tls();
    security.ca_sha256 = crypto::ToHex(s.ca_sha256());
    security.server_cert_sha256 = crypto::ToHex(s.server_cert_sha256());
    security.revoked_certificates_at_start = s.revoked_certificates();

    r_.residency.aggregator_region = s.aggregator_region();
    r_.residency.allowed_regions = ToVector(s.allowed_regions());
  }

  void Joined(const v1::ClientJoined& j) {
    ClientState& client = Client(j.client_id());
    Participant& p = client.facts;
    p.joined = true;
    ++p.joins;
    p.region = j.region();
    p.consent_version = j.consent_version();
    p.consent_time_unix_ms = NonZeroTime(j.consent_time_unix_ms());
    p.cert_sha256 = crypto::ToHex(j.cert_sha256());
    p.runtime_version = j.runtime_version();
    p.data_examples = j.data_examples();
    p.data_bytes = j.data_bytes();
    regions_[j.region()].clients.insert(j.client_id());
  }

  void Refused(const v1::JoinRefused& j) {
    ++r_.totals.joins_refused;
    r_.residency.refused.push_back(
        {j.client_id(), j.region(), j.reason(), e_->time_unix_ms(), index_});
    AddIncident("join_refused",
                absl::StrCat(j.client_id(), " (region \"", j.region(),
                             "\") refused: ", j.reason()));
  }

  void Selected(const v1::CohortSelected& s) {
    const uint64_t round = e_->round();
    RoundAttempt* open = OpenAttempt();
    // The same round selected again while in progress, or any round after a
    // restart: the server runs anew, so the open attempt ended without a
    // result. (A different round without a restart is an invariant
    // violation; that attempt stays open.)
    if (open != nullptr &&
        (open->round == round || restarted_since_selection_)) {
      open->status = RoundStatus::kAbandoned;
      open->reason =
          !restarted_since_selection_ ? "superseded by a new selection"
          : open->round == round      ? "interrupted by a server restart; "
                                        "run again"
                                      : "interrupted by a server restart";
      open->ended_unix_ms = e_->time_unix_ms();
      ++r_.totals.rounds_abandoned;
      AddIncident("round_interrupted",
                  absl::StrCat("round ", open->round, " attempt ",
                               open->attempt, " ", open->reason));
    }
    RoundAttempt& attempt = NewAttempt(round);
    attempt.started_unix_ms = e_->time_unix_ms();
    attempt.base_model =
        ModelFacts{s.model_version(), crypto::ToHex(s.model_sha256())};
    attempt.selected = ToVector(s.client_ids());
    for (const std::string& id : s.client_ids()) {
      Client(id).rounds_selected.insert(round);
    }
    restarted_since_selection_ = false;
  }

  void Accepted(const v1::UploadAccepted& u) {
    Attempt(e_->round())
        .accepted.push_back({u.client_id(), u.bytes(),
                             crypto::ToHex(u.sha256()), ToVector(u.shapes()),
                             e_->time_unix_ms(), index_});
    ++r_.totals.uploads_accepted;
    r_.totals.bytes_uploaded += u.bytes();
    ClientState& client = Client(u.client_id());
    client.facts.bytes_uploaded += u.bytes();
    // The region of its latest join; a client with none is still counted,
    // under an empty region, so the matrix adds up.
    RegionState& region = regions_[client.facts.region];
    region.clients.insert(u.client_id());
    ++region.uploads;
    region.bytes += u.bytes();
  }

  void Rejected(const v1::UploadRejected& u) {
    Attempt(e_->round())
        .rejected.push_back(
            {u.client_id(), u.reason(), e_->time_unix_ms(), index_});
    ++r_.totals.uploads_rejected;
    AddIncident("upload_rejected", absl::StrCat("upload from ", u.client_id(),
                                                " rejected: ", u.reason()));
  }

  void Dropped(const v1::ClientDropped& d) {
    Attempt(e_->round())
        .dropped.push_back(
            {d.client_id(), d.reason(), d.stage(), e_->time_unix_ms(), index_});
    ++r_.totals.dropouts;
  }

  void SecureClosed(const v1::SecureAggregationClosed& s) {
    Attempt(e_->round()).secure_aggregation = SecureAggregationFacts{
        s.threshold(), s.degree(), ToVector(s.survivors())};
  }

  void Committed(const v1::RoundCommitted& c) {
    RoundAttempt& attempt = Attempt(e_->round());
    attempt.status = RoundStatus::kCommitted;
    attempt.ended_unix_ms = e_->time_unix_ms();
    attempt.committed_model =
        ModelFacts{c.model_version(), crypto::ToHex(c.model_sha256())};
    attempt.contributors = ToVector(c.contributors());
    attempt.examples = c.examples();
    ++r_.totals.rounds_committed;
    r_.run.final_model = *attempt.committed_model;
    expected_digests_[e_->round()] = attempt.committed_model->sha256;
    for (const std::string& id : c.contributors()) {
      ClientState& client = Client(id);
      ++client.facts.rounds_contributed;
      client.model_versions.insert(c.model_version());
    }
  }

  void Abandoned(const v1::RoundAbandoned& a) {
    RoundAttempt& attempt = Attempt(e_->round());
    if (attempt.status != RoundStatus::kAbandoned) ++r_.totals.rounds_abandoned;
    attempt.status = RoundStatus::kAbandoned;
    attempt.reason = a.reason();
    attempt.ended_unix_ms = e_->time_unix_ms();
    AddIncident("round_abandoned", absl::StrCat("round ", e_->round(),
                                                " abandoned: ", a.reason()));
  }

  void Withdrawn(const v1::ConsentWithdrawn& w) {
    Client(w.client_id()).facts.withdrawn = true;
    ++r_.totals.withdrawals;
    r_.consent.withdrawals.push_back(
        {w.client_id(), e_->time_unix_ms(), e_->round(), index_, {}});
  }

  void Admin(const v1::AdminAction& a) {
    r_.security.admin_actions.push_back({e_->time_unix_ms(), e_->actor(),
                                         a.action(), a.target(), a.reason(),
                                         index_});
  }

  void Deleted(const v1::BuffersDeleted& d) {
    deleted_rounds_.insert(e_->round());
    r_.retention.deletions.push_back(
        {e_->round(), e_->time_unix_ms(), d.clients(), d.bytes(), index_});
  }

  void Evaluated(const v1::ModelEvaluated& m) {
    Evaluation evaluation{e_->time_unix_ms(), e_->round(), m.source(),
                          m.model_version(),  m.loss(),    m.accuracy(),
                          m.examples(),       index_};
    for (auto it = r_.rounds.rbegin(); it != r_.rounds.rend(); ++it) {
      if (it->round == e_->round()) {
        it->evaluations.push_back(std::move(evaluation));
        return;
      }
    }
    r_.run.evaluations.push_back(std::move(evaluation));
  }

  void Erased(const v1::ErasureRequested& e) {
    Client(e.client_id()).facts.erased = true;
    ++r_.totals.erasures;
    r_.consent.erasures.push_back(
        {e.client_id(),
         e_->time_unix_ms(),
         {e.model_versions().begin(), e.model_versions().end()},
         {},
         ToVector(e.actions()),
         index_});
  }

  void AuthFailed(const v1::AuthenticationFailed& a) {
    // The entry's own failure plus those folded into it.
    const uint64_t count = uint64_t{a.repeats()} + 1;
    r_.totals.authentication_failures += count;
    r_.security.authentication_failures.push_back(
        {e_->time_unix_ms(), a.caller(), a.reason(), count, index_});
    AddIncident(
        "authentication_failed",
        absl::StrCat(count, " failure(s) of ", a.caller(), ": ", a.reason()));
  }

  void Spent(const v1::PrivacySpent& p) {
    r_.privacy.differential_privacy = true;
    r_.privacy.epsilon_spent = p.epsilon();
    r_.privacy.spent.push_back({e_->round(), e_->time_unix_ms(), p.epsilon(),
                                p.round_epsilon(), p.delta(),
                                p.noise_multiplier(), p.clip_norm(), index_});
  }

  void FinishAttempt(RoundAttempt& attempt) {
    bool masked = false;
    bool plaintext = false;
    for (const AcceptedUpload& upload : attempt.accepted) {
      for (const std::string& shape : upload.shapes) {
        (absl::StartsWith(shape, "masked:") ? masked : plaintext) = true;
      }
    }
    attempt.secure = attempt.secure_aggregation.has_value() || masked ||
                     (r_.run.secure_aggregation && !plaintext);
    if (!attempt.secure) return;
    // A dropout in a secure round costs the protocol a share holder; past
    // the threshold the round cannot unmask.
    for (const Dropout& d : attempt.dropped) {
      r_.incidents.push_back(
          {d.time_unix_ms, attempt.round, "secure_aggregation_dropout",
           absl::StrCat(d.client_id, " dropped out of secure round ",
                        attempt.round,
                        d.stage.empty() ? "" : absl::StrCat(" (", d.stage, ")"),
                        ": ", d.reason),
           d.log_index});
    }
  }

  ComplianceReport& r_;
  uint64_t index_ = 0;
  const v1::AuditEvent* e_ = nullptr;
  bool run_seen_ = false;
  bool restarted_since_selection_ = false;
  std::map<std::string, ClientState> clients_;
  std::map<std::string, RegionState> regions_;
  std::set<uint64_t> deleted_rounds_;
  std::map<uint64_t, std::string> expected_digests_;
};

}  // namespace

std::map<uint64_t, std::string> ReplayEvents(
    absl::Span<const v1::AuditEvent> events, ComplianceReport* report) {
  Replay replay(report);
  for (size_t i = 0; i < events.size(); ++i) replay.Apply(i, events[i]);
  return replay.Finish();
}

}  // namespace fedge::audit::report
