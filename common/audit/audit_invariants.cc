#include "common/audit/audit_invariants.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"

namespace fedge::audit {
namespace {

// The replay: what the log has established so far.
class Replay {
 public:
  absl::Status Apply(size_t index, const v1::AuditEvent& e) {
    index_ = index;
    switch (e.event_case()) {
      case v1::AuditEvent::kCohortSelected:
        return Selected(e.round(), e.cohort_selected());
      case v1::AuditEvent::kUploadAccepted:
        return Accepted(e.round(), e.upload_accepted());
      case v1::AuditEvent::kRunStarted:
        return Started(e.run_started());
      case v1::AuditEvent::kClientJoined:
        return Joined(e.client_joined());
      case v1::AuditEvent::kUploadRejected:
        // A late upload may be refused after its round ended.
        if (e.round() > round_ || (!open_ && e.round() > closed_)) {
          return Fail(absl::StrCat("an upload rejected for round ", e.round(),
                                   ", which has not started"));
        }
        return absl::OkStatus();
      case v1::AuditEvent::kClientDropped:
        return InOpenRound(e.round(), "a dropout");
      case v1::AuditEvent::kSecureAggregation:
        return SecureClosed(e.round(), e.secure_aggregation());
      case v1::AuditEvent::kRoundCommitted:
        return Committed(e.round(), e.round_committed());
      case v1::AuditEvent::kRoundAbandoned:
        return Abandoned(e.round());
      case v1::AuditEvent::kConsentWithdrawn:
        withdrawn_.insert(e.consent_withdrawn().client_id());
        return absl::OkStatus();
      case v1::AuditEvent::kErasureRequested:
        // The client is revoked: nothing of it may be accepted again.
        withdrawn_.insert(e.erasure_requested().client_id());
        return absl::OkStatus();
      case v1::AuditEvent::kPrivacySpent:
        return Spent(e.privacy_spent());
      case v1::AuditEvent::kUpstreamModel:
        return AdoptedUpstream(e.upstream_model());
      default:
        return absl::OkStatus();  // run-level facts
    }
  }

 private:
  absl::Status Fail(const std::string& why) const {
    return absl::FailedPreconditionError(
        absl::StrCat("entry ", index_, ": ", why));
  }

  absl::Status InOpenRound(uint64_t round, const char* what) const {
    if (!open_ || round != round_) {
      return Fail(
          absl::StrCat(what, " for round ", round, ", which is not ",
                       open_ ? "the round in progress" : "in progress"));
    }
    return absl::OkStatus();
  }

  void Close() {
    open_ = false;
    closed_ = round_;
  }

  absl::Status Started(const v1::RunStarted& r) {
    // A resumed run keeps its first start's residency and budget, and must
    // resume from the model its log last committed.
    if (started_ && r.model_version() != committed_version_) {
      return Fail(absl::StrCat("the server resumed from model version ",
                               r.model_version(), " but the log's last ",
                               "committed version is ", committed_version_));
    }
    // (A site's adopted upstream model is not a commit: a restarted site
    // resumes from its own last commit and adopts the upstream's again.)
    current_version_ = r.model_version();
    if (!started_) {
      started_ = true;
      allowed_regions_ = std::set<std::string>(r.allowed_regions().begin(),
                                               r.allowed_regions().end());
      epsilon_budget_ = r.epsilon_budget();
      committed_version_ = r.model_version();
      current_version_ = r.model_version();
    }
    return absl::OkStatus();
  }

  absl::Status Joined(const v1::ClientJoined& j) {
    if (withdrawn_.count(j.client_id())) {
      return Fail(absl::StrCat(j.client_id(), " joined again after ",
                               "withdrawing consent or being erased"));
    }
    if (!allowed_regions_.empty() && !allowed_regions_.count(j.region())) {
      return Fail(absl::StrCat(j.client_id(), " joined from region '",
                               j.region(), "', which the run does not allow"));
    }
    return absl::OkStatus();
  }

  absl::Status Abandoned(uint64_t round) {
    if (open_ && round == round_) {
      Close();
      return absl::OkStatus();
    }
    // A round can end before it selected anyone (too few clients).
    if (!open_ && round > closed_) {
      closed_ = round;
      return absl::OkStatus();
    }
    return Fail(absl::StrCat("an abandonment for round ", round,
                             ", which is not the round in progress"));
  }

  absl::Status Spent(const v1::PrivacySpent& p) {
    if (p.epsilon() < epsilon_spent_) {
      return Fail(absl::StrCat("privacy spent went down from ", epsilon_spent_,
                               " to ", p.epsilon()));
    }
    epsilon_spent_ = p.epsilon();
    if (epsilon_budget_ > 0 && p.epsilon() > epsilon_budget_) {
      return Fail(absl::StrCat("privacy spent (epsilon ", p.epsilon(),
                               ") exceeds the run's budget of ",
                               epsilon_budget_));
    }
    return absl::OkStatus();
  }

  // A site's next base model comes from its upstream: between rounds, and
  // as a newer version than any it committed.
  absl::Status AdoptedUpstream(const v1::UpstreamModelAdopted& u) {
    if (open_) {
      return Fail(absl::StrCat("an upstream model adopted while round ", round_,
                               " is in progress"));
    }
    if (u.model_version() <= current_version_) {
      return Fail(absl::StrCat("an upstream model adopted as version ",
                               u.model_version(), " after version ",
                               current_version_, ": versions must rise"));
    }
    current_version_ = u.model_version();
    return absl::OkStatus();
  }

  absl::Status Selected(uint64_t round, const v1::CohortSelected& s) {
    // The same round selected again while open: the server restarted
    // mid-round and runs it anew.
    const bool rerun = open_ && round == round_;
    if (!rerun && (open_ || round <= closed_)) {
      return Fail(absl::StrCat(
          "round ", round, " selected ",
          open_ ? absl::StrCat("while round ", round_, " is in progress")
                : absl::StrCat("after round ", closed_, " ended")));
    }
    for (const std::string& id : s.client_ids()) {
      if (withdrawn_.count(id)) {
        return Fail(absl::StrCat(id, " selected for round ", round,
                                 " after withdrawing consent"));
      }
    }
    if (started_ && s.model_version() != current_version_) {
      return Fail(absl::StrCat("round ", round, " was sent model version ",
                               s.model_version(), " but the latest committed ",
                               "version is ", current_version_));
    }
    open_ = true;
    round_ = round;
    base_version_ = s.model_version();
    selected_ =
        std::set<std::string>(s.client_ids().begin(), s.client_ids().end());
    accepted_.clear();
    secure_closed_ = false;
    survivors_.clear();
    threshold_ = 0;
    return absl::OkStatus();
  }

  absl::Status Accepted(uint64_t round, const v1::UploadAccepted& u) {
    if (absl::Status s = InOpenRound(round, "an accepted upload"); !s.ok()) {
      return s;
    }
    const std::string& id = u.client_id();
    if (!selected_.count(id)) {
      return Fail(absl::StrCat("upload accepted from ", id,
                               ", which was not selected for round ", round));
    }
    if (withdrawn_.count(id)) {
      return Fail(absl::StrCat("upload accepted from ", id,
                               " after it withdrew consent"));
    }
    if (!accepted_.insert(id).second) {
      return Fail(absl::StrCat("a second upload accepted from ", id,
                               " in round ", round));
    }
    return absl::OkStatus();
  }

  absl::Status SecureClosed(uint64_t round,
                            const v1::SecureAggregationClosed& s) {
    if (absl::Status st = InOpenRound(round, "secure aggregation"); !st.ok()) {
      return st;
    }
    for (const std::string& id : s.survivors()) {
      if (!accepted_.count(id)) {
        return Fail(absl::StrCat(id, " counted among the survivors of round ",
                                 round, " without an accepted upload"));
      }
    }
    if (static_cast<uint32_t>(s.survivors_size()) < s.threshold()) {
      return Fail(absl::StrCat(
          "round ", round, " unmasked a sum of ", s.survivors_size(),
          " clients, fewer than its threshold ", s.threshold()));
    }
    secure_closed_ = true;
    threshold_ = s.threshold();
    survivors_ =
        std::set<std::string>(s.survivors().begin(), s.survivors().end());
    return absl::OkStatus();
  }

  absl::Status Committed(uint64_t round, const v1::RoundCommitted& c) {
    if (absl::Status s = InOpenRound(round, "a commit"); !s.ok()) return s;
    std::set<std::string> contributors;
    for (const std::string& id : c.contributors()) {
      if (!accepted_.count(id)) {
        return Fail(absl::StrCat("round ", round, "'s aggregate includes ", id,
                                 ", whose upload was not accepted"));
      }
      contributors.insert(id);
    }
    if (secure_closed_ && contributors != survivors_) {
      return Fail(absl::StrCat("round ", round,
                               "'s aggregate is not exactly "
                               "the survivors of its secure aggregation"));
    }
    if (secure_closed_ && contributors.size() < threshold_) {
      return Fail(absl::StrCat(
          "round ", round, "'s aggregate holds ", contributors.size(),
          " clients, fewer than its threshold ", threshold_));
    }
    if (c.model_version() <= base_version_) {
      return Fail(absl::StrCat("round ", round, " committed model version ",
                               c.model_version(), " on top of version ",
                               base_version_, ": versions must rise"));
    }
    current_version_ = c.model_version();
    committed_version_ = c.model_version();
    Close();
    return absl::OkStatus();
  }

  size_t index_ = 0;
  bool started_ = false;
  std::set<std::string> allowed_regions_;
  double epsilon_budget_ = 0;
  double epsilon_spent_ = 0;
  // The model version the next cohort must be sent: the latest committed
  // (or the start's), or a site's adopted upstream model.
  uint64_t current_version_ = 0;
  // The latest committed model version (or the first start's).
  uint64_t committed_version_ = 0;
  bool open_ = false;
  uint64_t round_ = 0;
  uint64_t closed_ = 0;
  uint64_t base_version_ = 0;
  std::set<std::string> selected_;
  std::set<std::string> accepted_;
  std::set<std::string> withdrawn_;
  bool secure_closed_ = false;
  uint32_t threshold_ = 0;
  std::set<std::string> survivors_;
};

}  // namespace

absl::Status CheckInvariants(absl::Span<const v1::AuditEvent> events) {
  Replay replay;
  for (size_t i = 0; i < events.size(); ++i) {
    if (absl::Status s = replay.Apply(i, events[i]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace fedge::audit
