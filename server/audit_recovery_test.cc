#include "server/audit_recovery.h"

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_invariants.h"
#include "common/audit/record_log.h"
#include "common/pki/x509_builder.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/round_state.h"

namespace fedge::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSha1[] =
    "1111111111111111111111111111111111111111111111111111111111111111";

// A run directory with its store and audit log, as a server leaves it: the
// initial model, then round 1 selected with a, b and c, uploads accepted
// from a and b (secure aggregation closed over them), c dropped.
class AuditRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_dir_ = fedge::testing::MakeTempDir("fedge_audit_recovery");
    const std::string key_path = util::JoinPath(run_dir_, "audit.key");
    auto key = pki::GenerateEd25519Key();
    ASSERT_TRUE(key.ok()) << key.status();
    ASSERT_TRUE(pki::WritePrivateKey(key_path, key->get()).ok());
    auto store = Store::Open(util::JoinPath(run_dir_, "state.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    OpenTrail(key_path);

    ASSERT_TRUE(store_->RecordInitialModel(Model(0, "00")).ok());
    Log(0, RunStarted(0));
    v1::AuditEvent selected;
    selected.mutable_cohort_selected()->set_model_version(0);
    for (const char* id : {"a", "b", "c"}) {
      selected.mutable_cohort_selected()->add_client_ids(id);
    }
    Log(1, selected);
    for (const char* id : {"b", "a"}) {
      v1::AuditEvent accepted;
      accepted.mutable_upload_accepted()->set_client_id(id);
      Log(1, accepted);
    }
    v1::AuditEvent closed;
    closed.mutable_secure_aggregation()->set_threshold(2);
    closed.mutable_secure_aggregation()->add_survivors("a");
    closed.mutable_secure_aggregation()->add_survivors("b");
    Log(1, closed);
  }

  void OpenTrail(const std::string& key_path) {
    auto trail =
        AuditTrail::Open(run_dir_, "run-1", key_path, util::Clock::Real());
    ASSERT_TRUE(trail.ok()) << trail.status();
    trail_ = std::move(*trail);
  }

  static ModelRecord Model(uint64_t version, const std::string& sha256) {
    return {version, version, "checkpoints/x",
            sha256,  42,      absl::FromUnixSeconds(5)};
  }

  static v1::AuditEvent RunStarted(uint64_t model_version) {
    v1::AuditEvent e;
    e.mutable_run_started()->set_model_version(model_version);
    return e;
  }

  // Round `round`'s record as the round driver commits it.
  static RoundRecord Round1(const std::string& status) {
    RoundRecord r;
    r.round = 1;
    r.status = status;
    r.reason = status == "abandoned" ? "too few clients survived" : "";
    r.base_model_version = 0;
    r.model_version = status == "completed" ? 1 : 0;
    r.participants = {{"a", "accepted", "", 0, "d1", 1000},
                      {"b", "accepted", "", 0, "d2", 1200},
                      {"c", "dropped", "disconnected", 0, "", 0}};
    r.selected = 3;
    r.completed = 2;
    r.dropped = 1;
    // A secure round: the total is known, the participants' counts not.
    r.examples = status == "completed" ? 700 : 0;
    return r;
  }

  void Log(uint64_t round, v1::AuditEvent event) {
    ASSERT_TRUE(trail_->Record(round, "server", std::move(event)).ok());
  }

  std::vector<v1::AuditEvent> Events() {
    std::vector<v1::AuditEvent> out;
    auto log = audit::ReadRecordLog(
        util::JoinPath(AuditTrail::DirFor(run_dir_), "records.log"));
    EXPECT_TRUE(log.ok()) << log.status();
    if (!log.ok()) return out;
    for (const std::string& record : log->records) {
      auto event = audit::DecodeEvent(record);
      EXPECT_TRUE(event.ok()) << event.status();
      if (event.ok()) out.push_back(*event);
    }
    return out;
  }

  // Runs the recovery; returns the entries it appended to the log.
  std::vector<v1::AuditEvent> Recover() {
    const size_t before = Events().size();
    EXPECT_TRUE(RecordMissedRoundEnds(*store_, *trail_, run_dir_).ok());
    std::vector<v1::AuditEvent> events = Events();
    return {events.begin() + std::min(before, events.size()), events.end()};
  }

  // Round 1's privacy spending as the round driver saves it before commit.
  void SavePrivacySpent() {
    v1::PrivacySpent spent;
    spent.set_epsilon(1.25);
    spent.set_delta(1e-5);
    spent.set_round_epsilon(1.25);
    spent.set_noise_multiplier(1.1);
    spent.set_clip_norm(0.5);
    ASSERT_TRUE(SaveRoundState(run_dir_, kPrivacySpentState, 1,
                               spent.SerializeAsString())
                    .ok());
  }

  std::string run_dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<AuditTrail> trail_;
};

TEST_F(AuditRecoveryTest, CommitTheLogMissedIsRecordedFromTheStore) {
  ASSERT_TRUE(store_->CommitRound(Round1("completed"), Model(1, kSha1)).ok());
  const size_t before = Events().size();
  // The server was killed here: the log shows round 1 open, and a restart
  // from model version 1 does not verify.
  std::vector<v1::AuditEvent> unrecovered = Events();
  unrecovered.push_back(RunStarted(1));
  EXPECT_THAT(audit::CheckInvariants(unrecovered).message(),
              HasSubstr("resumed from model version 1"));

  ASSERT_TRUE(RecordMissedRoundEnds(*store_, *trail_, run_dir_).ok());
  std::vector<v1::AuditEvent> events = Events();
  ASSERT_EQ(events.size(), before + 2);
  const v1::AuditEvent& end = events[before];
  EXPECT_EQ(end.round(), 1u);
  ASSERT_TRUE(end.has_round_committed());
  EXPECT_EQ(end.round_committed().model_version(), 1u);
  EXPECT_EQ(absl::BytesToHexString(end.round_committed().model_sha256()),
            kSha1);
  EXPECT_THAT(end.round_committed().contributors(), ElementsAre("a", "b"));
  EXPECT_EQ(end.round_committed().examples(), 700u);
  const v1::AuditEvent& deleted = events[before + 1];
  ASSERT_TRUE(deleted.has_buffers_deleted());
  EXPECT_EQ(deleted.buffers_deleted().clients(), 2u);
  EXPECT_EQ(deleted.buffers_deleted().bytes(), 2200u);
  events.push_back(RunStarted(1));
  EXPECT_TRUE(audit::CheckInvariants(events).ok())
      << audit::CheckInvariants(events);
}

TEST_F(AuditRecoveryTest, AbandonmentTheLogMissedIsRecorded) {
  ASSERT_TRUE(store_->CommitRound(Round1("abandoned"), std::nullopt).ok());
  const size_t before = Events().size();
  ASSERT_TRUE(RecordMissedRoundEnds(*store_, *trail_, run_dir_).ok());
  std::vector<v1::AuditEvent> events = Events();
  ASSERT_EQ(events.size(), before + 2);
  ASSERT_TRUE(events[before].has_round_abandoned());
  EXPECT_EQ(events[before].round(), 1u);
  EXPECT_EQ(events[before].round_abandoned().reason(),
            "too few clients survived");
  EXPECT_TRUE(events[before + 1].has_buffers_deleted());
  events.push_back(RunStarted(0));
  EXPECT_TRUE(audit::CheckInvariants(events).ok())
      << audit::CheckInvariants(events);
}

TEST_F(AuditRecoveryTest, NothingIsWrittenWhenTheLogHasTheEnd) {
  ASSERT_TRUE(store_->CommitRound(Round1("completed"), Model(1, kSha1)).ok());
  v1::AuditEvent committed;
  committed.mutable_round_committed()->set_model_version(1);
  Log(1, committed);
  const size_t before = Events().size();
  ASSERT_TRUE(RecordMissedRoundEnds(*store_, *trail_, run_dir_).ok());
  ASSERT_TRUE(RecordMissedRoundEnds(*store_, *trail_, run_dir_).ok());
  EXPECT_EQ(Events().size(), before);
}

TEST_F(AuditRecoveryTest, RecoveryIsWrittenOnce) {
  ASSERT_TRUE(store_->CommitRound(Round1("completed"), Model(1, kSha1)).ok());
  ASSERT_TRUE(RecordMissedRoundEnds(*store_, *trail_, run_dir_).ok());
  const size_t after = Events().size();
  // A second restart finds the end in the log.
  ASSERT_TRUE(RecordMissedRoundEnds(*store_, *trail_, run_dir_).ok());
  EXPECT_EQ(Events().size(), after);
}

TEST_F(AuditRecoveryTest, PrivacySpentIsRecoveredWithTheCommit) {
  SavePrivacySpent();
  ASSERT_TRUE(store_->CommitRound(Round1("completed"), Model(1, kSha1)).ok());
  std::vector<v1::AuditEvent> added = Recover();
  ASSERT_EQ(added.size(), 3u);
  EXPECT_TRUE(added[0].has_round_committed());
  EXPECT_TRUE(added[1].has_buffers_deleted());
  EXPECT_EQ(added[2].round(), 1u);
  ASSERT_TRUE(added[2].has_privacy_spent());
  EXPECT_DOUBLE_EQ(added[2].privacy_spent().epsilon(), 1.25);
  EXPECT_DOUBLE_EQ(added[2].privacy_spent().delta(), 1e-5);
  EXPECT_DOUBLE_EQ(added[2].privacy_spent().clip_norm(), 0.5);
  std::vector<v1::AuditEvent> events = Events();
  events.push_back(RunStarted(1));
  EXPECT_TRUE(audit::CheckInvariants(events).ok())
      << audit::CheckInvariants(events);
}

TEST_F(AuditRecoveryTest, PrivacySpentMissingAfterALoggedCommitIsRecovered) {
  SavePrivacySpent();
  ASSERT_TRUE(store_->CommitRound(Round1("completed"), Model(1, kSha1)).ok());
  // Stopped after the commit's entries, before the privacy entry.
  v1::AuditEvent committed;
  committed.mutable_round_committed()->set_model_version(1);
  Log(1, committed);
  std::vector<v1::AuditEvent> added = Recover();
  ASSERT_EQ(added.size(), 1u);
  ASSERT_TRUE(added[0].has_privacy_spent());
  EXPECT_EQ(added[0].round(), 1u);
  // A second restart finds it in the log.
  EXPECT_TRUE(Recover().empty());
}

TEST_F(AuditRecoveryTest, DamagedPrivacySpentStillRecordsTheCommit) {
  ASSERT_TRUE(
      SaveRoundState(run_dir_, kPrivacySpentState, 1, "\xff\xff\xff").ok());
  ASSERT_TRUE(store_->CommitRound(Round1("completed"), Model(1, kSha1)).ok());
  std::vector<v1::AuditEvent> added = Recover();
  ASSERT_EQ(added.size(), 2u);
  EXPECT_TRUE(added[0].has_round_committed());
  EXPECT_TRUE(added[1].has_buffers_deleted());
}

TEST_F(AuditRecoveryTest, OlderCommitMissingFromTheLogIsDataLoss) {
  ASSERT_TRUE(store_->CommitRound(Round1("completed"), Model(1, kSha1)).ok());
  RoundRecord r2 = Round1("completed");
  r2.round = 2;
  r2.base_model_version = 1;
  r2.model_version = 2;
  ASSERT_TRUE(store_->CommitRound(r2, Model(2, kSha1)).ok());
  absl::Status s = RecordMissedRoundEnds(*store_, *trail_, run_dir_);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), HasSubstr("round 1 is committed in the store"));
}

}  // namespace
}  // namespace fedge::server
