#include "common/audit/report/compliance_report.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit/report/report_test_log.h"
#include "common/crypto/sha256.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit::report {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IndexOf;
using testing::InputsFor;
using testing::InputsFromEvents;
using testing::TestRun;
using testing::WriteTestRun;

std::string Hex(const std::string& data) {
  return crypto::ToHex(crypto::Sha256(data));
}

std::vector<std::string> ClientIds(const std::vector<AcceptedUpload>& uploads) {
  std::vector<std::string> ids;
  for (const AcceptedUpload& u : uploads) ids.push_back(u.client_id);
  return ids;
}

class ComplianceReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_ = WriteTestRun();
    absl::StatusOr<ComplianceReport> report =
        BuildComplianceReport(InputsFor(run_));
    ASSERT_TRUE(report.ok()) << report.status();
    report_ = *std::move(report);
  }

  uint64_t Index(v1::AuditEvent::EventCase kind, const std::string& id = "") {
    const int64_t index = IndexOf(run_, kind, id);
    EXPECT_GE(index, 0);
    return static_cast<uint64_t>(index);
  }

  TestRun run_;
  ComplianceReport report_;
};

TEST_F(ComplianceReportTest, RunFactsComeFromTheFirstRunStarted) {
  const RunSection& run = report_.run;
  EXPECT_EQ(run.run_id, "run-42");
  EXPECT_EQ(run.origin, testing::kTestOrigin);
  EXPECT_EQ(run.config_sha256, Hex("server.yaml"));
  EXPECT_EQ(run.purpose, "keyboard-next-word");
  EXPECT_TRUE(run.secure_aggregation);
  EXPECT_EQ(run.resumes, 0u);
  EXPECT_EQ(run.initial_model.version, 0u);
  EXPECT_EQ(run.initial_model.sha256, Hex(run_.models[0]));
  EXPECT_EQ(run.final_model.version, 2u);
  EXPECT_EQ(run.final_model.sha256, Hex(run_.models[2]));
  EXPECT_EQ(run.started_unix_ms, testing::kTestStartMs);
  ASSERT_TRUE(run.ended_unix_ms.has_value());
  EXPECT_EQ(run.end_reason, "max rounds reached");
  EXPECT_EQ(run.settings.size(), 4u);
  EXPECT_EQ(report_.processing_record.controller.name,
            "Example Keyboards GmbH");
  EXPECT_EQ(report_.processing_record.dpo.contact, "dpo@example.test");
  EXPECT_THAT(report_.processing_record.security_measures,
              ElementsAre("mutual TLS", "secure aggregation"));
  EXPECT_EQ(report_.generated_unix_ms, testing::kTestStartMs + 3600000);
}

TEST_F(ComplianceReportTest, VerificationStatesWhatWasChecked) {
  const VerificationSection& v = report_.verification;
  EXPECT_TRUE(v.log_ok);
  EXPECT_TRUE(v.invariants_ok);
  EXPECT_EQ(v.invariants, "ok");
  EXPECT_EQ(v.entries, run_.events.size());
  EXPECT_EQ(v.checkpoints, 3u);  // after each commit and at the end
  EXPECT_EQ(v.unsigned_entries, 0u);
  EXPECT_EQ(v.key_source, "pki/audit.pub");
  EXPECT_THAT(v.final_checkpoint,
              HasSubstr(absl::StrCat(testing::kTestOrigin, "\n",
                                     run_.events.size(), "\n")));
}

TEST_F(ComplianceReportTest, TotalsCountTheScriptedRun) {
  const Totals& t = report_.totals;
  EXPECT_EQ(t.clients_joined, 4u);
  EXPECT_EQ(t.joins_refused, 1u);
  EXPECT_EQ(t.rounds_committed, 2u);
  EXPECT_EQ(t.rounds_abandoned, 0u);
  EXPECT_EQ(t.uploads_accepted, 6u);
  EXPECT_EQ(t.uploads_rejected, 1u);
  EXPECT_EQ(t.dropouts, 2u);
  EXPECT_EQ(t.withdrawals, 1u);
  EXPECT_EQ(t.erasures, 1u);
  EXPECT_EQ(t.bytes_uploaded, 1000u + 1100 + 1200 + 3 * 500);
  EXPECT_EQ(t.data_bytes_declared, (100u + 110 + 120 + 130) * 1000);
  EXPECT_EQ(t.authentication_failures, 4u);
}

TEST_F(ComplianceReportTest, RoundsListWhoDidWhat) {
  ASSERT_EQ(report_.rounds.size(), 2u);
  const RoundAttempt& r1 = report_.rounds[0];
  EXPECT_EQ(r1.round, 1u);
  EXPECT_EQ(r1.attempt, 1);
  EXPECT_EQ(r1.status, RoundStatus::kCommitted);
  EXPECT_FALSE(r1.secure);
  ASSERT_TRUE(r1.committed_model.has_value());
  EXPECT_EQ(r1.committed_model->version, 1u);
  EXPECT_EQ(r1.committed_model->sha256, Hex(run_.models[1]));
  ASSERT_TRUE(r1.base_model.has_value());
  EXPECT_EQ(r1.base_model->version, 0u);
  EXPECT_THAT(r1.selected, ElementsAre("c1", "c2", "c3", "c4"));
  EXPECT_THAT(ClientIds(r1.accepted), ElementsAre("c1", "c2", "c3"));
  EXPECT_EQ(r1.accepted[0].log_index,
            Index(v1::AuditEvent::kUploadAccepted, "c1"));
  EXPECT_EQ(r1.accepted[0].sha256, Hex("c11"));
  ASSERT_EQ(r1.rejected.size(), 1u);
  EXPECT_EQ(r1.rejected[0].client_id, "c4");
  EXPECT_EQ(r1.rejected[0].log_index,
            Index(v1::AuditEvent::kUploadRejected, "c4"));
  ASSERT_EQ(r1.dropped.size(), 1u);
  EXPECT_EQ(r1.dropped[0].client_id, "c4");
  EXPECT_FALSE(r1.secure_aggregation.has_value());
  EXPECT_EQ(r1.examples, 330u);

  const RoundAttempt& r2 = report_.rounds[1];
  EXPECT_EQ(r2.round, 2u);
  EXPECT_EQ(r2.status, RoundStatus::kCommitted);
  EXPECT_TRUE(r2.secure);
  EXPECT_EQ(r2.committed_model->version, 2u);
  EXPECT_THAT(ClientIds(r2.accepted), ElementsAre("c1", "c2", "c4"));
  ASSERT_EQ(r2.dropped.size(), 1u);
  EXPECT_EQ(r2.dropped[0].client_id, "c3");
  ASSERT_TRUE(r2.secure_aggregation.has_value());
  EXPECT_EQ(r2.secure_aggregation->threshold, 2u);
  EXPECT_EQ(r2.secure_aggregation->degree, 3u);
  EXPECT_THAT(r2.secure_aggregation->survivors, ElementsAre("c1", "c2", "c4"));
  ASSERT_EQ(r2.evaluations.size(), 1u);
  EXPECT_EQ(r2.evaluations[0].accuracy, 0.875);
  EXPECT_TRUE(report_.run.evaluations.empty());
}

TEST_F(ComplianceReportTest, ParticipantsAreSortedWithTheirLedger) {
  ASSERT_EQ(report_.participants.size(), 4u);  // c5 never joined
  std::vector<std::string> ids;
  for (const Participant& p : report_.participants) ids.push_back(p.client_id);
  EXPECT_THAT(ids, ElementsAre("c1", "c2", "c3", "c4"));

  const Participant& c1 = report_.participants[0];
  EXPECT_TRUE(c1.joined);
  EXPECT_EQ(c1.region, "eu-west");
  EXPECT_EQ(c1.consent_version, "consent-v3");
  EXPECT_EQ(c1.cert_sha256, Hex("cert c1"));
  EXPECT_EQ(c1.data_examples, 100u);
  EXPECT_EQ(c1.bytes_uploaded, 1500u);
  EXPECT_EQ(c1.rounds_selected, 2u);
  EXPECT_EQ(c1.rounds_contributed, 2u);
  EXPECT_FALSE(c1.withdrawn);
  EXPECT_TRUE(c1.erased);

  const Participant& c2 = report_.participants[1];
  EXPECT_TRUE(c2.withdrawn);
  EXPECT_FALSE(c2.erased);

  const Participant& c3 = report_.participants[2];
  EXPECT_EQ(c3.rounds_selected, 2u);
  EXPECT_EQ(c3.rounds_contributed, 1u);

  const Participant& c4 = report_.participants[3];
  EXPECT_EQ(c4.bytes_uploaded, 500u);
  EXPECT_EQ(c4.rounds_contributed, 1u);
}

TEST_F(ComplianceReportTest, WithdrawalAndErasureNameTheModelsHoldingUpdates) {
  ASSERT_EQ(report_.consent.withdrawals.size(), 1u);
  const Withdrawal& w = report_.consent.withdrawals[0];
  EXPECT_EQ(w.client_id, "c2");
  EXPECT_EQ(w.round, 2u);
  EXPECT_EQ(w.log_index, Index(v1::AuditEvent::kConsentWithdrawn, "c2"));
  EXPECT_THAT(w.model_versions, ElementsAre(1u, 2u));

  ASSERT_EQ(report_.consent.erasures.size(), 1u);
  const Erasure& e = report_.consent.erasures[0];
  EXPECT_EQ(e.client_id, "c1");
  EXPECT_THAT(e.model_versions, ElementsAre(1u, 2u));
  EXPECT_THAT(e.log_model_versions, ElementsAre(1u, 2u));
  EXPECT_THAT(e.actions, ElementsAre("revoked", "refused from now on"));
  EXPECT_EQ(e.log_index, Index(v1::AuditEvent::kErasureRequested, "c1"));

  ASSERT_EQ(report_.security.admin_actions.size(), 1u);
  EXPECT_EQ(report_.security.admin_actions[0].actor, "admin-1");
  EXPECT_EQ(report_.security.admin_actions[0].target, "c1");
}

TEST_F(ComplianceReportTest, ResidencyMatrixCountsClientsUploadsAndBytes) {
  const ResidencySection& r = report_.residency;
  EXPECT_EQ(r.aggregator_region, "eu-west");
  EXPECT_THAT(r.allowed_regions, ElementsAre("eu-west", "eu-central"));
  ASSERT_EQ(r.matrix.size(), 2u);
  EXPECT_EQ(r.matrix[0].region, "eu-central");
  EXPECT_TRUE(r.matrix[0].allowed);
  EXPECT_EQ(r.matrix[0].clients, 2u);
  EXPECT_EQ(r.matrix[0].uploads, 2u);  // c3 in round 1, c4 in round 2
  EXPECT_EQ(r.matrix[0].bytes, 1700u);
  EXPECT_EQ(r.matrix[1].region, "eu-west");
  EXPECT_EQ(r.matrix[1].clients, 2u);
  EXPECT_EQ(r.matrix[1].uploads, 4u);
  EXPECT_EQ(r.matrix[1].bytes, 3100u);
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].client_id, "c5");
  EXPECT_EQ(r.refused[0].region, "us-east");
  EXPECT_EQ(r.refused[0].reason, "region not allowed");
}

TEST_F(ComplianceReportTest, PrivacyRetentionAndSecurityFacts) {
  EXPECT_TRUE(report_.privacy.secure_aggregation);
  EXPECT_FALSE(report_.privacy.differential_privacy);
  EXPECT_EQ(report_.privacy.settings.size(), 2u);
  EXPECT_EQ(report_.privacy.settings.at("secure_aggregation.threshold"), "2");

  EXPECT_EQ(report_.retention.policy,
            "per-client updates deleted after aggregation");
  ASSERT_EQ(report_.retention.deletions.size(), 2u);
  EXPECT_EQ(report_.retention.deletions[1].round, 2u);
  EXPECT_EQ(report_.retention.deletions[1].bytes, 1500u);
  EXPECT_TRUE(report_.retention.rounds_without_deletion.empty());

  const SecuritySection& s = report_.security;
  EXPECT_EQ(s.tls_min_version, "TLSv1.3");
  EXPECT_TRUE(s.mutual_tls);
  EXPECT_EQ(s.ca_sha256, Hex("ca"));
  EXPECT_EQ(s.revoked_certificates_at_start, 1u);
  ASSERT_EQ(s.authentication_failures.size(), 1u);
  EXPECT_EQ(s.authentication_failures[0].count, 4u);
}

TEST_F(ComplianceReportTest, IncidentsAreInLogOrder) {
  std::vector<std::string> kinds;
  for (const Incident& i : report_.incidents) kinds.push_back(i.kind);
  EXPECT_THAT(kinds, ElementsAre("join_refused", "upload_rejected",
                                 "secure_aggregation_dropout",
                                 "authentication_failed"));
  EXPECT_EQ(report_.incidents[2].round, 2u);
  EXPECT_THAT(report_.incidents[2].detail, HasSubstr("c3"));
}

TEST_F(ComplianceReportTest, DataMinimisationListsEveryFederationMethod) {
  std::vector<std::string> methods;
  for (const RpcFacts& rpc : report_.data_minimisation.rpcs) {
    methods.push_back(rpc.method);
  }
  EXPECT_THAT(methods, ElementsAre("Join", "StreamTasks", "DownloadModel",
                                   "UploadUpdate", "ReportEvaluation", "Leave",
                                   "SubmitSecAgg"));
  const RpcFacts& join = report_.data_minimisation.rpcs[0];
  EXPECT_EQ(join.request, "fedge.v1.JoinRequest");
  EXPECT_THAT(join.fields, ::testing::Contains("consent.purpose_id:string"));
  EXPECT_THAT(join.fields, ::testing::Contains("data.bytes:uint64"));
  EXPECT_THAT(join.fields, ::testing::Contains(
                               "consent.given_at:google.protobuf.Timestamp"));
  EXPECT_THAT(
      join.fields,
      ::testing::Not(::testing::Contains(HasSubstr("given_at.seconds"))));
  const RpcFacts& upload = report_.data_minimisation.rpcs[3];
  EXPECT_TRUE(upload.client_streaming);
  EXPECT_THAT(upload.fields, ::testing::Contains("header.masked:bool"));
}

TEST_F(ComplianceReportTest, ArtifactsMatchTheLoggedDigests) {
  ASSERT_EQ(report_.artifacts.size(), 3u);
  for (size_t round = 0; round < 3; ++round) {
    const Artifact& a = report_.artifacts[round];
    EXPECT_EQ(a.path, absl::StrCat("checkpoints/round-00000", round, ".fedge"));
    EXPECT_EQ(a.round, round);
    EXPECT_EQ(a.bytes, run_.models[round].size());
    EXPECT_EQ(a.sha256, Hex(run_.models[round]));
    EXPECT_TRUE(a.logged) << a.path;
  }
}

TEST_F(ComplianceReportTest, ATamperedArtifactIsReportedAsNotMatching) {
  ASSERT_TRUE(
      util::WriteFileAtomically(
          util::JoinPath(run_.run_dir, "checkpoints/round-000001.fedge"),
          "a different model")
          .ok());
  ASSERT_TRUE(util::WriteFileAtomically(
                  util::JoinPath(run_.run_dir, "checkpoints/notes.txt"), "x")
                  .ok());
  absl::StatusOr<ComplianceReport> report =
      BuildComplianceReport(InputsFor(run_));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->artifacts.size(), 4u);
  // By name: the stray file sorts first.
  const Artifact& stray = report->artifacts[0];
  EXPECT_EQ(stray.path, "checkpoints/notes.txt");
  EXPECT_FALSE(stray.round.has_value());
  EXPECT_TRUE(stray.expected_sha256.empty());
  EXPECT_TRUE(report->artifacts[1].logged);
  const Artifact& tampered = report->artifacts[2];
  EXPECT_EQ(tampered.path, "checkpoints/round-000001.fedge");
  EXPECT_FALSE(tampered.logged);
  EXPECT_EQ(tampered.sha256, Hex("a different model"));
  EXPECT_EQ(tampered.expected_sha256, Hex(run_.models[1]));
  EXPECT_TRUE(report->artifacts[3].logged);
  EXPECT_FALSE(stray.logged);
}

TEST_F(ComplianceReportTest, BuildingTwiceGivesTheSameReport) {
  absl::StatusOr<ComplianceReport> again =
      BuildComplianceReport(InputsFor(run_));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->participants.size(), report_.participants.size());
  EXPECT_EQ(again->incidents.size(), report_.incidents.size());
}

TEST(ComplianceReportUnsignedTailTest, UnsignedEntriesAreCounted) {
  const TestRun run = WriteTestRun(/*unsigned_tail=*/true);
  absl::StatusOr<ComplianceReport> report =
      BuildComplianceReport(InputsFor(run));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->verification.log_ok);
  EXPECT_EQ(report->verification.unsigned_entries, 2u);
}

TEST(ComplianceReportDecodeTest, AnUnreadableRecordIsDataLossNamingIt) {
  v1::AuditEvent start;
  start.mutable_run_started()->set_run_id("r");
  ReportInputs in = InputsFromEvents({start, start});
  in.log.records[1] = "\xff\xff not a protobuf";
  absl::StatusOr<ComplianceReport> report = BuildComplianceReport(in);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(report.status().message(), HasSubstr("entry 1"));
}

v1::AuditEvent Event(uint64_t round, int64_t time) {
  v1::AuditEvent e;
  e.set_round(round);
  e.set_time_unix_ms(time);
  e.set_actor("server");
  return e;
}

TEST(ComplianceReportRestartTest, ARoundInterruptedByARestartIsTwoAttempts) {
  std::vector<v1::AuditEvent> events;
  v1::AuditEvent start = Event(0, 1);
  start.mutable_run_started()->set_run_id("r");
  events.push_back(start);
  v1::AuditEvent selected = Event(1, 2);
  selected.mutable_cohort_selected()->add_client_ids("a");
  events.push_back(selected);
  v1::AuditEvent resumed = Event(0, 3);
  resumed.mutable_run_started()->set_run_id("r");
  resumed.mutable_run_started()->set_resumed(true);
  events.push_back(resumed);
  selected.set_time_unix_ms(4);
  events.push_back(selected);
  v1::AuditEvent accepted = Event(1, 5);
  accepted.mutable_upload_accepted()->set_client_id("a");
  events.push_back(accepted);
  v1::AuditEvent committed = Event(1, 6);
  committed.mutable_round_committed()->set_model_version(1);
  committed.mutable_round_committed()->add_contributors("a");
  events.push_back(committed);

  absl::StatusOr<ComplianceReport> report =
      BuildComplianceReport(InputsFromEvents(events));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->verification.invariants_ok);
  EXPECT_FALSE(report->verification.log_ok);  // no checkpoint
  EXPECT_EQ(report->run.resumes, 1u);
  ASSERT_EQ(report->rounds.size(), 2u);
  EXPECT_EQ(report->rounds[0].attempt, 1);
  EXPECT_EQ(report->rounds[0].status, RoundStatus::kAbandoned);
  EXPECT_THAT(report->rounds[0].reason, HasSubstr("server restart"));
  EXPECT_EQ(report->rounds[1].attempt, 2);
  EXPECT_EQ(report->rounds[1].status, RoundStatus::kCommitted);
  EXPECT_EQ(report->totals.rounds_abandoned, 1u);
  EXPECT_EQ(report->totals.rounds_committed, 1u);
  // "a" was not in the log's joins but is still listed.
  ASSERT_EQ(report->participants.size(), 1u);
  EXPECT_FALSE(report->participants[0].joined);
  EXPECT_EQ(report->participants[0].rounds_selected, 1u);
  std::vector<std::string> kinds;
  for (const Incident& i : report->incidents) kinds.push_back(i.kind);
  EXPECT_THAT(kinds, ElementsAre("server_restart", "round_interrupted"));
}

TEST(ComplianceReportRestartTest, ARestartThenANewRoundClosesTheOpenAttempt) {
  std::vector<v1::AuditEvent> events;
  v1::AuditEvent start = Event(0, 1);
  start.mutable_run_started()->set_run_id("r");
  events.push_back(start);
  v1::AuditEvent selected = Event(1, 2);
  selected.mutable_cohort_selected()->add_client_ids("a");
  events.push_back(selected);
  start.set_time_unix_ms(3);
  start.mutable_run_started()->set_resumed(true);
  events.push_back(start);
  selected.set_round(2);
  selected.set_time_unix_ms(4);
  events.push_back(selected);

  absl::StatusOr<ComplianceReport> report =
      BuildComplianceReport(InputsFromEvents(events));
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->rounds.size(), 2u);
  EXPECT_EQ(report->rounds[0].status, RoundStatus::kAbandoned);
  EXPECT_EQ(report->rounds[0].reason, "interrupted by a server restart");
  EXPECT_EQ(report->rounds[0].ended_unix_ms, 4);
  EXPECT_EQ(report->rounds[1].round, 2u);
  EXPECT_EQ(report->rounds[1].status, RoundStatus::kOpen);
}

TEST(ComplianceReportInvariantTest, AViolationIsAnIncidentAtItsEntry) {
  std::vector<v1::AuditEvent> events;
  v1::AuditEvent start = Event(0, 1);
  start.mutable_run_started()->set_run_id("r");
  events.push_back(start);
  v1::AuditEvent selected = Event(1, 2);
  selected.mutable_cohort_selected()->add_client_ids("a");
  events.push_back(selected);
  v1::AuditEvent accepted = Event(1, 3);
  accepted.mutable_upload_accepted()->set_client_id("intruder");
  events.push_back(accepted);

  absl::StatusOr<ComplianceReport> report =
      BuildComplianceReport(InputsFromEvents(events));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->verification.invariants_ok);
  EXPECT_THAT(report->verification.invariants, HasSubstr("intruder"));
  ASSERT_EQ(report->incidents.size(), 1u);
  EXPECT_EQ(report->incidents[0].kind, "invariant_violation");
  EXPECT_EQ(report->incidents[0].log_index, 2u);
  EXPECT_EQ(report->incidents[0].time_unix_ms, 3);
  EXPECT_EQ(report->incidents[0].round, 1u);
  EXPECT_EQ(report->rounds[0].status, RoundStatus::kOpen);
}

}  // namespace
}  // namespace fedge::audit::report
