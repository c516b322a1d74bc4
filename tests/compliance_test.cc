// A scripted run, end to end: real server and clients, a join refused for
// its region, a rejected upload, a dropout, a withdrawal and an erasure.
// The audit log must verify, each contributor's receipt must check against
// it, and the JSON compliance report must hold exactly these facts.

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "common/audit/receipt.h"
#include "common/audit/report/compliance_report.h"
#include "common/audit/report/report_json.h"
#include "common/audit/run_verifier.h"
#include "common/util/file_util.h"
#include "fedge/v1/admin.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_federation.h"

namespace fedge::testing {
namespace {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

const Value& Field(const Struct& s, const std::string& key) {
  static const Value* const kMissing = new Value();
  auto it = s.fields().find(key);
  EXPECT_NE(it, s.fields().end()) << "no key " << key;
  return it == s.fields().end() ? *kMissing : it->second;
}

const Struct& Obj(const Struct& s, const std::string& key) {
  return Field(s, key).struct_value();
}

const ListValue& List(const Struct& s, const std::string& key) {
  return Field(s, key).list_value();
}

double Num(const Struct& s, const std::string& key) {
  return Field(s, key).number_value();
}

// The values of `key` in each object of the list.
std::vector<std::string> Strings(const ListValue& list,
                                 const std::string& key = "") {
  std::vector<std::string> out;
  for (const Value& v : list.values()) {
    out.push_back(key.empty() ? v.string_value()
                              : Field(v.struct_value(), key).string_value());
  }
  return out;
}

std::vector<double> Numbers(const ListValue& list) {
  std::vector<double> out;
  for (const Value& v : list.values()) out.push_back(v.number_value());
  return out;
}

TEST(ComplianceTest, AScriptedRunGivesExactlyItsFactsInTheReport) {
  TestPki pki = MakePki({"c0", "c1", "c2", "rejected", "dropout", "faraway"});
  const std::string run_dir = MakeTempDir("fedge_run");
  config::ServerConfig config = SmallServerConfig(pki, run_dir, 2, 2);
  config.allowed_regions = {"eu-west", "eu-north"};
  v1::ProcessingRecord& record = config.compliance.record;
  record.mutable_controller()->set_name("Example Health GmbH");
  record.mutable_dpo()->set_contact("dpo@example");
  record.add_purposes("fedge-training");
  record.set_legal_basis("consent, GDPR Art. 6(1)(a)");
  record.set_retention("run directory kept 90 days");
  config.compliance.aggregator_region = "eu-west";

  // Round 1 starts once all five are online; before round 2 selects, c2
  // withdraws its consent.
  server::FederationServer* running = nullptr;
  absl::Notification started;
  std::unique_ptr<RawClient> c2_leaver;
  server::ServerOptions options;
  options.config = config;
  options.show_progress = false;
  options.before_selection = [&](uint64_t round) {
    started.WaitForNotification();
    if (round == 1) {
      ASSERT_TRUE(
          running->AwaitConnectedClients(5, absl::Now() + absl::Seconds(60)));
    } else if (round == 2) {
      ASSERT_TRUE(c2_leaver->Leave(true, "changed my mind").ok());
    }
  };
  auto server = server::FederationServer::Start(std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  running = server->get();
  const int port = (*server)->port();
  c2_leaver = std::make_unique<RawClient>(pki, "c2", port);

  const data::Dataset& data = FashionMnistTest();
  const std::string state_dir = MakeTempDir("fedge_state");
  ClientThread c0(
      pki, "c0", port, Slice(data, 0, 100),
      [&](client::EdgeClientOptions& o) { o.state_dir = state_dir; });
  ClientThread c1(pki, "c1", port, Slice(data, 100, 100));
  ClientThread c2(pki, "c2", port, Slice(data, 200, 100),
                  [](client::EdgeClientOptions& o) { o.region = "eu-north"; });
  RawClient faraway(pki, "faraway", port);
  EXPECT_EQ(faraway.Connect("us-east").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  RawClient rejected(pki, "rejected", port);
  RawClient dropout(pki, "dropout", port);
  ASSERT_TRUE(rejected.Connect("eu-north").ok());
  ASSERT_TRUE(dropout.Connect("eu-west").ok());
  c0.Start();
  c1.Start();
  c2.Start();
  started.Notify();

  // Round 1: one uploads what the round cannot take (a masked input in a
  // plaintext round) and leaves; the other vanishes.
  v1::Task task = rejected.NextTask();
  ASSERT_TRUE(task.has_train());
  v1::UpdateChunk chunk;
  *chunk.mutable_header()->mutable_metrics() = v1::TrainMetrics();
  chunk.mutable_header()->set_round(task.train().round());
  chunk.mutable_header()->set_model_version(task.train().model().version());
  chunk.mutable_header()->set_masked(true);
  chunk.mutable_header()->set_total_size(8);
  chunk.mutable_header()->set_sha256(std::string(32, 'x'));
  EXPECT_EQ(rejected.Upload({chunk}).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(rejected.Leave(false, "done").ok());
  ASSERT_TRUE(dropout.NextTask().has_train());
  dropout.Disconnect();

  ASSERT_TRUE((*server)->Wait().ok());
  EXPECT_TRUE(c0.Join().ok());
  EXPECT_TRUE(c1.Join().ok());
  EXPECT_EQ(c2.Join().code(), absl::StatusCode::kPermissionDenied);

  // An erasure request for c1 after the run.
  auto admin = v1::Admin::NewStub(AdminChannel(pki, port));
  grpc::ClientContext context;
  v1::EraseClientRequest erase;
  erase.set_client_id("c1");
  erase.set_reason("data subject request #17");
  v1::EraseClientResponse erased;
  ASSERT_TRUE(admin->EraseClient(&context, erase, &erased).ok());
  EXPECT_THAT(erased.model_versions(), ElementsAre(1, 2));
  (*server)->Shutdown();

  // The log verifies under the federation's key, invariants included.
  const std::string audit_dir = util::JoinPath(run_dir, "audit");
  auto key = audit::ReadAuditPublicKey(pki.paths().audit_pub());
  ASSERT_TRUE(key.ok()) << key.status();
  auto run = audit::VerifyRun(audit_dir, *key);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->invariants.ok()) << run->invariants;
  // Entries after the run's end (c2's refused return, the erasure) were
  // signed at shutdown.
  EXPECT_EQ(run->log.unsigned_entries, 0u);

  // c0 kept a receipt per round, and each checks against the log.
  for (const char* name : {"round-000001.receipt", "round-000002.receipt"}) {
    auto bytes = util::ReadFile(
        util::JoinPath(util::JoinPath(state_dir, "receipts"), name));
    ASSERT_TRUE(bytes.ok()) << name;
    v1::AuditReceipt receipt;
    ASSERT_TRUE(receipt.ParseFromString(*bytes));
    EXPECT_EQ(receipt.client_id(), "c0");
    auto checked = audit::CheckReceiptAgainstLog(receipt, audit_dir, *key);
    EXPECT_TRUE(checked.ok()) << name << ": " << checked.status();
  }

  audit::report::ReportInputs inputs;
  inputs.run_dir = run_dir;
  inputs.log = run->log;
  inputs.invariants = run->invariants;
  inputs.key_source = pki.paths().audit_pub();
  inputs.generated_unix_ms = 1;
  auto report = audit::report::BuildComplianceReport(inputs);
  ASSERT_TRUE(report.ok()) << report.status();
  const std::string json = audit::report::RenderJson(*report);
  Struct doc;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &doc).ok());

  const Struct& verification = Obj(doc, "verification");
  EXPECT_TRUE(Field(verification, "log_ok").bool_value());
  EXPECT_TRUE(Field(verification, "invariants_ok").bool_value());

  const Struct& totals = Obj(doc, "totals");
  EXPECT_EQ(Num(totals, "rounds_committed"), 2);
  EXPECT_EQ(Num(totals, "rounds_abandoned"), 0);
  EXPECT_EQ(Num(totals, "uploads_accepted"), 5);  // 3 + 2
  EXPECT_EQ(Num(totals, "uploads_rejected"), 1);
  EXPECT_EQ(Num(totals, "dropouts"), 2);
  EXPECT_EQ(Num(totals, "withdrawals"), 1);
  EXPECT_EQ(Num(totals, "erasures"), 1);
  EXPECT_EQ(Num(totals, "joins_refused"), 2);  // faraway; c2 coming back

  const ListValue& rounds = List(doc, "rounds");
  ASSERT_EQ(rounds.values_size(), 2);
  const Struct& r1 = rounds.values(0).struct_value();
  EXPECT_EQ(Field(r1, "status").string_value(), "committed");
  EXPECT_EQ(Num(r1, "model_version"), 1);
  EXPECT_THAT(Strings(List(r1, "selected")),
              UnorderedElementsAre("c0", "c1", "c2", "dropout", "rejected"));
  EXPECT_THAT(Strings(List(r1, "accepted"), "client_id"),
              UnorderedElementsAre("c0", "c1", "c2"));
  EXPECT_THAT(Strings(List(r1, "rejected"), "client_id"),
              ElementsAre("rejected"));
  EXPECT_THAT(Strings(List(r1, "dropped"), "client_id"),
              UnorderedElementsAre("dropout", "rejected"));
  const Struct& r2 = rounds.values(1).struct_value();
  EXPECT_EQ(Num(r2, "model_version"), 2);
  EXPECT_THAT(Strings(List(r2, "selected")), UnorderedElementsAre("c0", "c1"));
  EXPECT_THAT(Strings(List(r2, "accepted"), "client_id"),
              UnorderedElementsAre("c0", "c1"));

  EXPECT_THAT(Strings(List(doc, "participants"), "client_id"),
              ElementsAre("c0", "c1", "c2", "dropout", "rejected"));

  const Struct& consent = Obj(doc, "consent");
  ASSERT_EQ(List(consent, "withdrawals").values_size(), 1);
  const Struct& withdrawal =
      List(consent, "withdrawals").values(0).struct_value();
  EXPECT_EQ(Field(withdrawal, "client_id").string_value(), "c2");
  EXPECT_THAT(Numbers(List(withdrawal, "model_versions")), ElementsAre(1));
  ASSERT_EQ(List(consent, "erasures").values_size(), 1);
  const Struct& erasure = List(consent, "erasures").values(0).struct_value();
  EXPECT_EQ(Field(erasure, "client_id").string_value(), "c1");
  EXPECT_THAT(Numbers(List(erasure, "model_versions")), ElementsAre(1, 2));

  const Struct& residency = Obj(doc, "residency");
  EXPECT_EQ(Field(residency, "aggregator_region").string_value(), "eu-west");
  EXPECT_THAT(Strings(List(residency, "refused"), "client_id"),
              UnorderedElementsAre("faraway", "c2"));
  std::set<std::string> regions;
  for (const Value& row : List(residency, "matrix").values()) {
    regions.insert(Field(row.struct_value(), "region").string_value());
  }
  EXPECT_THAT(regions, UnorderedElementsAre("eu-west", "eu-north"));

  EXPECT_EQ(Field(Obj(doc, "processing_record"), "legal_basis").string_value(),
            "consent, GDPR Art. 6(1)(a)");
  // Every checkpoint file is accounted for in the log.
  const ListValue& artifacts = List(Obj(doc, "evidence"), "artifacts");
  EXPECT_EQ(artifacts.values_size(), 3);  // rounds 0, 1 and 2
  for (const Value& a : artifacts.values()) {
    EXPECT_TRUE(Field(a.struct_value(), "logged").bool_value())
        << Field(a.struct_value(), "path").string_value();
  }
}

}  // namespace
}  // namespace fedge::testing
