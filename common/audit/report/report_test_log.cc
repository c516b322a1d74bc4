#include "common/audit/report/report_test_log.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_event.h"
#include "common/audit/audit_invariants.h"
#include "common/audit/audit_log.h"
#include "common/crypto/sha256.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gtest/gtest.h"

namespace fedge::audit::report::testing {
namespace {

// Builds the script's events with increasing times.
class Script {
 public:
  v1::AuditEvent& Add(uint64_t round, const std::string& actor = "server") {
    events_.emplace_back();
    v1::AuditEvent& e = events_.back();
    e.set_time_unix_ms(kTestStartMs +
                       1000 * static_cast<int64_t>(events_.size() - 1));
    e.set_round(round);
    e.set_actor(actor);
    return e;
  }

  void Joined(const std::string& id, const std::string& region,
              uint64_t examples) {
    v1::ClientJoined* j = Add(0, id).mutable_client_joined();
    j->set_client_id(id);
    j->set_region(region);
    j->set_consent_version("consent-v3");
    j->set_consent_time_unix_ms(kTestStartMs - 86400000);
    j->set_cert_sha256(crypto::DigestBytes(crypto::Sha256("cert " + id)));
    j->set_data_examples(examples);
    j->set_data_bytes(examples * 1000);
    j->set_runtime_version("fedge-client 0.1.0");
  }

  void Selected(uint64_t round, const std::vector<std::string>& ids,
                uint64_t version, const std::string& model) {
    v1::CohortSelected* s = Add(round).mutable_cohort_selected();
    for (const std::string& id : ids) s->add_client_ids(id);
    s->set_model_version(version);
    s->set_model_sha256(crypto::DigestBytes(crypto::Sha256(model)));
  }

  void Accepted(uint64_t round, const std::string& id, uint64_t bytes,
                const std::string& shape) {
    v1::UploadAccepted* u = Add(round, id).mutable_upload_accepted();
    u->set_client_id(id);
    u->set_bytes(bytes);
    u->set_sha256(crypto::DigestBytes(crypto::Sha256(absl::StrCat(id, round))));
    u->add_shapes(shape);
  }

  void Committed(uint64_t round, uint64_t version, const std::string& model,
                 const std::vector<std::string>& contributors,
                 uint64_t examples) {
    v1::RoundCommitted* c = Add(round).mutable_round_committed();
    c->set_model_version(version);
    c->set_model_sha256(crypto::DigestBytes(crypto::Sha256(model)));
    for (const std::string& id : contributors) c->add_contributors(id);
    c->set_examples(examples);
  }

  std::vector<v1::AuditEvent>& events() { return events_; }

 private:
  std::vector<v1::AuditEvent> events_;
};

v1::RunStarted& RunStart(Script& s, const std::string& model0) {
  v1::RunStarted& r = *s.Add(0).mutable_run_started();
  r.set_run_id("run-42");
  r.set_config_sha256(crypto::DigestBytes(crypto::Sha256("server.yaml")));
  r.set_purpose_id("keyboard-next-word");
  r.set_legal_basis("consent (Art. 6(1)(a))");
  r.set_software_version("fedge 0.1.0");
  r.set_secure_aggregation(true);
  v1::ProcessingRecord& p = *r.mutable_processing();
  p.mutable_controller()->set_name("Example Keyboards GmbH");
  p.mutable_controller()->set_contact("privacy@example.test");
  p.mutable_dpo()->set_name("Dana Officer");
  p.mutable_dpo()->set_contact("dpo@example.test");
  p.add_purposes("improve next-word prediction");
  p.set_legal_basis("consent");
  p.add_data_subject_categories("app users who opted in");
  p.add_data_categories("typing statistics (on device only)");
  p.add_recipients("none");
  p.add_transfers("none");
  p.set_retention("per-client updates deleted after aggregation");
  p.add_security_measures("mutual TLS");
  p.add_security_measures("secure aggregation");
  (*r.mutable_settings())["strategy.name"] = "fedavg";
  (*r.mutable_settings())["secure_aggregation.threshold"] = "2";
  (*r.mutable_settings())["secure_aggregation.degree"] = "3";
  (*r.mutable_settings())["cohort.size"] = "4";
  r.set_model_version(0);
  r.set_model_sha256(crypto::DigestBytes(crypto::Sha256(model0)));
  r.set_tls_min_version("TLSv1.3");
  r.set_mutual_tls(true);
  r.set_ca_sha256(crypto::DigestBytes(crypto::Sha256("ca")));
  r.set_server_cert_sha256(crypto::DigestBytes(crypto::Sha256("server")));
  r.set_revoked_certificates(1);
  r.add_allowed_regions("eu-west");
  r.add_allowed_regions("eu-central");
  r.set_aggregator_region("eu-west");
  return r;
}

std::vector<v1::AuditEvent> ScriptedEvents(
    const std::vector<std::string>& models) {
  Script s;
  RunStart(s, models[0]);
  s.Joined("c1", "eu-west", 100);
  s.Joined("c2", "eu-west", 110);
  s.Joined("c3", "eu-central", 120);
  s.Joined("c4", "eu-central", 130);
  v1::JoinRefused* refused = s.Add(0, "c5").mutable_join_refused();
  refused->set_client_id("c5");
  refused->set_region("us-east");
  refused->set_reason("region not allowed");

  // Round 1, plaintext.
  s.Selected(1, {"c1", "c2", "c3", "c4"}, 0, models[0]);
  s.Accepted(1, "c1", 1000, "fc.weight:10x784");
  s.Accepted(1, "c2", 1100, "fc.weight:10x784");
  s.Accepted(1, "c3", 1200, "fc.weight:10x784");
  v1::UploadRejected* rejected = s.Add(1, "c4").mutable_upload_rejected();
  rejected->set_client_id("c4");
  rejected->set_reason("shape mismatch in fc.weight");
  v1::ClientDropped* dropped = s.Add(1).mutable_client_dropped();
  dropped->set_client_id("c4");
  dropped->set_reason("upload rejected");
  s.Committed(1, 1, models[1], {"c1", "c2", "c3"}, 330);
  v1::BuffersDeleted* deleted = s.Add(1).mutable_buffers_deleted();
  deleted->set_clients(3);
  deleted->set_bytes(3300);

  // Round 2, secure.
  s.Selected(2, {"c1", "c2", "c3", "c4"}, 1, models[1]);
  s.Accepted(2, "c1", 500, "masked:7851");
  s.Accepted(2, "c2", 500, "masked:7851");
  s.Accepted(2, "c4", 500, "masked:7851");
  v1::ClientDropped* dropout = s.Add(2).mutable_client_dropped();
  dropout->set_client_id("c3");
  dropout->set_reason("no masked input before the deadline");
  v1::SecureAggregationClosed* closed = s.Add(2).mutable_secure_aggregation();
  closed->set_threshold(2);
  closed->set_degree(3);
  for (const char* id : {"c1", "c2", "c4"}) closed->add_survivors(id);
  s.Committed(2, 2, models[2], {"c1", "c2", "c4"}, 340);
  v1::ModelEvaluated* eval = s.Add(2).mutable_model_evaluated();
  eval->set_model_version(2);
  eval->set_source("central");
  eval->set_loss(0.5);
  eval->set_accuracy(0.875);
  eval->set_examples(1000);
  v1::BuffersDeleted* deleted2 = s.Add(2).mutable_buffers_deleted();
  deleted2->set_clients(3);
  deleted2->set_bytes(1500);

  // Consent and erasure after round 2.
  v1::AuthenticationFailed* auth =
      s.Add(0, "unknown").mutable_authentication_failed();
  auth->set_caller("CN=intruder");
  auth->set_reason("certificate not issued by the federation CA");
  auth->set_repeats(3);
  s.Add(2, "c2").mutable_consent_withdrawn()->set_client_id("c2");
  v1::AdminAction* admin = s.Add(0, "admin-1").mutable_admin_action();
  admin->set_action("erase");
  admin->set_target("c1");
  admin->set_reason("data subject request #17");
  v1::ErasureRequested* erasure =
      s.Add(0, "admin-1").mutable_erasure_requested();
  erasure->set_client_id("c1");
  erasure->add_model_versions(1);
  erasure->add_model_versions(2);
  erasure->add_actions("revoked");
  erasure->add_actions("refused from now on");
  s.Add(0).mutable_run_ended()->set_reason("max rounds reached");
  return std::move(s.events());
}

std::string ClientOf(const v1::AuditEvent& e) {
  switch (e.event_case()) {
    case v1::AuditEvent::kClientJoined:
      return e.client_joined().client_id();
    case v1::AuditEvent::kJoinRefused:
      return e.join_refused().client_id();
    case v1::AuditEvent::kUploadAccepted:
      return e.upload_accepted().client_id();
    case v1::AuditEvent::kUploadRejected:
      return e.upload_rejected().client_id();
    case v1::AuditEvent::kClientDropped:
      return e.client_dropped().client_id();
    case v1::AuditEvent::kConsentWithdrawn:
      return e.consent_withdrawn().client_id();
    case v1::AuditEvent::kErasureRequested:
      return e.erasure_requested().client_id();
    default:
      return "";
  }
}

}  // namespace

TestRun WriteTestRun(bool unsigned_tail) {
  TestRun run;
  run.run_dir = fedge::testing::MakeTempDir("report");
  run.key = *crypto::GenerateEd25519KeyPair();
  run.models = {"initial model weights", "model after round 1",
                "model after round 2"};
  run.events = ScriptedEvents(run.models);

  auto log = AuditLogWriter::Open(
      util::JoinPath(run.run_dir, "audit"), kTestOrigin,
      crypto::SecretBytes::Copy(run.key.private_key.view()));
  EXPECT_TRUE(log.ok()) << log.status();
  if (!log.ok()) return run;
  const size_t signed_count =
      unsigned_tail ? run.events.size() - 2 : run.events.size();
  for (size_t i = 0; i < run.events.size(); ++i) {
    EXPECT_TRUE((*log)->Append(EncodeEvent(run.events[i])).ok());
    // A checkpoint after each round, as the server signs them.
    if (run.events[i].has_round_committed() || i + 1 == signed_count) {
      EXPECT_TRUE((*log)->SignCheckpoint({absl::StrCat("entry ", i)}).ok());
    }
  }

  const std::string checkpoints = util::JoinPath(run.run_dir, "checkpoints");
  EXPECT_TRUE(util::MakeDirectories(checkpoints).ok());
  for (size_t round = 0; round < run.models.size(); ++round) {
    EXPECT_TRUE(util::WriteFileAtomically(
                    util::JoinPath(checkpoints, absl::StrCat("round-00000",
                                                             round, ".fedge")),
                    run.models[round])
                    .ok());
  }
  return run;
}

ReportInputs InputsFor(const TestRun& run) {
  ReportInputs in;
  in.run_dir = run.run_dir;
  absl::StatusOr<VerifiedLog> log = VerifyAuditLog(
      util::JoinPath(run.run_dir, "audit"), kTestOrigin, run.key.public_key);
  EXPECT_TRUE(log.ok()) << log.status();
  if (log.ok()) in.log = *std::move(log);
  std::vector<v1::AuditEvent> events;
  for (const std::string& record : in.log.records) {
    events.push_back(*DecodeEvent(record));
  }
  in.invariants = CheckInvariants(events);
  in.key_source = "pki/audit.pub";
  in.generated_unix_ms = kTestStartMs + 3600000;
  return in;
}

int64_t IndexOf(const TestRun& run, v1::AuditEvent::EventCase kind,
                const std::string& client_id) {
  for (size_t i = 0; i < run.events.size(); ++i) {
    if (run.events[i].event_case() == kind &&
        (client_id.empty() || ClientOf(run.events[i]) == client_id)) {
      return static_cast<int64_t>(i);
    }
  }
  return -1;
}

ReportInputs InputsFromEvents(const std::vector<v1::AuditEvent>& events) {
  ReportInputs in;
  in.run_dir = fedge::testing::MakeTempDir("report-events");
  for (const v1::AuditEvent& e : events)
    in.log.records.push_back(EncodeEvent(e));
  in.log.entries = events.size();
  in.log.unsigned_entries = events.size();
  in.invariants = CheckInvariants(events);
  in.key_source = "none";
  in.generated_unix_ms = kTestStartMs;
  return in;
}

}  // namespace fedge::audit::report::testing
