#ifndef FEDGE_COMMON_AUDIT_REPORT_COMPLIANCE_REPORT_H_
#define FEDGE_COMMON_AUDIT_REPORT_COMPLIANCE_REPORT_H_

// The facts of a run's GDPR compliance report, taken from its verified audit
// log and its run directory. The report is plain data in sections; the
// renderers (report_json.h, report_markdown.h, report_html.h) only format
// it, so the three forms always state the same facts.
//
// Digests are lowercase hex (empty when the log carries none); times are
// milliseconds since the Unix epoch as the log recorded them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/audit/audit_log.h"

namespace fedge::audit::report {

// The report format's name and version, first in every rendering.
inline constexpr char kReportFormat[] = "fedge-compliance-report/1";

struct ModelFacts {
  uint64_t version = 0;
  std::string sha256;
};

struct PartyFacts {
  std::string name;
  std::string contact;
};

// GDPR Art. 30(1), as the operator declared it (RunStarted.processing).
struct ProcessingRecordSection {
  PartyFacts controller;
  PartyFacts dpo;
  std::vector<std::string> purposes;
  std::string legal_basis;
  std::vector<std::string> data_subject_categories;
  std::vector<std::string> data_categories;
  std::vector<std::string> recipients;
  std::vector<std::string> transfers;
  std::string retention;
  std::vector<std::string> security_measures;
};

struct Evaluation {
  int64_t time_unix_ms = 0;
  uint64_t round = 0;
  std::string source;  // "central" or "federated"
  uint64_t model_version = 0;
  double loss = 0;
  double accuracy = 0;
  uint64_t examples = 0;
  uint64_t log_index = 0;
};

struct RunSection {
  std::string run_id;
  std::string origin;  // the log's name in its checkpoints
  std::string software_version;
  std::string config_sha256;
  std::string purpose;
  std::string legal_basis;
  bool secure_aggregation = false;
  // RunStarted entries with resumed set: server restarts on the run.
  uint64_t resumes = 0;
  std::map<std::string, std::string> settings;
  ModelFacts initial_model;
  // The last committed model; the initial one if no round committed.
  ModelFacts final_model;
  std::optional<int64_t> started_unix_ms;
  std::optional<int64_t> ended_unix_ms;  // unset while the run has not ended
  std::string end_reason;
  // Evaluations logged under a round the log has no attempt of (for
  // example the initial model, round 0).
  std::vector<Evaluation> evaluations;
};

struct VerificationSection {
  // The log's frames, checkpoint signatures and roots verified (the caller
  // passes only a log VerifyAuditLog accepted) and at least one checkpoint
  // signs its entries.
  bool log_ok = false;
  bool invariants_ok = false;
  std::string invariants;  // "ok" or the violation
  uint64_t entries = 0;
  uint64_t checkpoints = 0;
  uint64_t unsigned_entries = 0;
  std::string key_source;
  std::string final_checkpoint;  // the signed note
};

struct Totals {
  uint64_t clients_joined = 0;
  uint64_t joins_refused = 0;
  uint64_t rounds_committed = 0;
  uint64_t rounds_abandoned = 0;  // attempts, including interrupted ones
  uint64_t uploads_accepted = 0;
  uint64_t uploads_rejected = 0;
  uint64_t dropouts = 0;
  uint64_t withdrawals = 0;
  uint64_t erasures = 0;
  uint64_t bytes_uploaded = 0;
  uint64_t data_bytes_declared = 0;
  uint64_t authentication_failures = 0;
};

struct AcceptedUpload {
  std::string client_id;
  uint64_t bytes = 0;
  std::string sha256;
  std::vector<std::string> shapes;
  int64_t time_unix_ms = 0;
  uint64_t log_index = 0;
};

struct RejectedUpload {
  std::string client_id;
  std::string reason;
  int64_t time_unix_ms = 0;
  uint64_t log_index = 0;
};

struct Dropout {
  std::string client_id;
  std::string reason;
  // The round's stage then: "training", or a secure aggregation stage.
  std::string stage;
  int64_t time_unix_ms = 0;
  uint64_t log_index = 0;
};

struct SecureAggregationFacts {
  uint32_t threshold = 0;
  uint32_t degree = 0;
  std::vector<std::string> survivors;
};

enum class RoundStatus { kCommitted, kAbandoned, kOpen };

// "committed", "abandoned" or "open".
const char* RoundStatusName(RoundStatus status);

// One attempt at a round. A round appears twice when a server restart
// interrupted it and it was run again; the first attempt is then abandoned.
struct RoundAttempt {
  uint64_t round = 0;
  int attempt = 1;
  RoundStatus status = RoundStatus::kOpen;
  std::string reason;  // why it was abandoned
  // The round used secure aggregation (an unmask stage closed, a masked
  // upload, or a secure run with no plaintext upload in this round).
  bool secure = false;
  std::optional<int64_t> started_unix_ms;  // its cohort selection
  std::optional<int64_t> ended_unix_ms;    // its commit or abandonment
  // The model the cohort was sent (CohortSelected), if a selection was
  // logged for this attempt.
  std::optional<ModelFacts> base_model;
  // The model the round committed.
  std::optional<ModelFacts> committed_model;
  std::vector<std::string> selected;
  std::vector<std::string> contributors;
  uint64_t examples = 0;
  std::vector<AcceptedUpload> accepted;
  std::vector<RejectedUpload> rejected;
  std::vector<Dropout> dropped;
  std::optional<SecureAggregationFacts> secure_aggregation;
  std::vector<Evaluation> evaluations;
};

// A client, from its latest ClientJoined entry and its uploads. A client
// the log shows selected or uploading without a join is listed with
// `joined` false, so nobody the log names is left out.
struct Participant {
  std::string client_id;
  bool joined = false;
  uint64_t joins = 0;
  std::string region;
  std::string consent_version;
  std::optional<int64_t> consent_time_unix_ms;
  std::string cert_sha256;
  std::string runtime_version;
  uint64_t data_examples = 0;
  uint64_t data_bytes = 0;
  uint64_t bytes_uploaded = 0;
  uint64_t rounds_selected = 0;     // distinct rounds
  uint64_t rounds_contributed = 0;  // commits whose aggregate holds it
  bool withdrawn = false;
  bool erased = false;
};

// One method of the client-facing service and what its requests can carry.
struct RpcFacts {
  std::string service;
  std::string method;
  std::string request;   // the request message's full name
  std::string response;  // the response message's full name
  bool client_streaming = false;
  bool server_streaming = false;
  // Every field of the request, flattened: "consent.purpose_id:string".
  std::vector<std::string> fields;
};

struct DataMinimisationSection {
  uint64_t bytes_uploaded = 0;
  uint64_t data_bytes_declared = 0;
  std::vector<RpcFacts> rpcs;
};

struct PrivacySpend {
  uint64_t round = 0;
  int64_t time_unix_ms = 0;
  double epsilon = 0;  // cumulative
  double round_epsilon = 0;
  double delta = 0;
  double noise_multiplier = 0;
  double clip_norm = 0;
  uint64_t log_index = 0;
};

struct PrivacySection {
  bool secure_aggregation = false;
  // RunStarted settings about secure aggregation and differential privacy
  // (keys under "secure_aggregation.", "differential_privacy.", "privacy."
  // and "dp.").
  std::map<std::string, std::string> settings;
  bool differential_privacy = false;
  double epsilon_budget = 0;
  double delta = 0;
  double epsilon_spent = 0;  // the last cumulative figure logged
  std::vector<PrivacySpend> spent;
};

struct AdminActionFacts {
  int64_t time_unix_ms = 0;
  std::string actor;
  std::string action;
  std::string target;
  std::string reason;
  uint64_t log_index = 0;
};

struct AuthenticationFailure {
  int64_t time_unix_ms = 0;
  std::string caller;
  std::string reason;
  uint64_t count = 0;  // failures this entry stands for
  uint64_t log_index = 0;
};

// GDPR Art. 32: what the run logged about its own security.
struct SecuritySection {
  std::string tls_min_version;
  bool mutual_tls = false;
  std::string ca_sha256;
  std::string server_cert_sha256;
  uint32_t revoked_certificates_at_start = 0;
  std::vector<AdminActionFacts> admin_actions;
  std::vector<AuthenticationFailure> authentication_failures;
};

struct Withdrawal {
  std::string client_id;
  int64_t time_unix_ms = 0;
  uint64_t round = 0;
  uint64_t log_index = 0;
  // Committed model versions whose aggregate holds the client's updates.
  std::vector<uint64_t> model_versions;
};

struct Erasure {
  std::string client_id;
  int64_t time_unix_ms = 0;
  // As the server declared them in the entry.
  std::vector<uint64_t> model_versions;
  // As the log shows them (commits whose contributors name the client);
  // equal to `model_versions` unless the server's account is wrong.
  std::vector<uint64_t> log_model_versions;
  std::vector<std::string> actions;
  uint64_t log_index = 0;
};

struct ConsentSection {
  std::vector<Withdrawal> withdrawals;
  std::vector<Erasure> erasures;
};

struct Deletion {
  uint64_t round = 0;
  int64_t time_unix_ms = 0;
  uint32_t clients = 0;
  uint64_t bytes = 0;
  uint64_t log_index = 0;
};

struct RetentionSection {
  std::string policy;  // the processing record's retention
  std::vector<Deletion> deletions;
  // Rounds that accepted uploads but have no logged buffer deletion.
  std::vector<uint64_t> rounds_without_deletion;
};

struct ResidencyRow {
  std::string region;
  // The run allows it (allowed_regions empty, or naming it).
  bool allowed = true;
  // Distinct clients that joined from it (for the empty region: clients
  // that uploaded without a logged join).
  uint64_t clients = 0;
  uint64_t uploads = 0;  // accepted uploads from clients joined from it
  uint64_t bytes = 0;
};

struct RefusedJoin {
  std::string client_id;
  std::string region;
  std::string reason;
  int64_t time_unix_ms = 0;
  uint64_t log_index = 0;
};

struct ResidencySection {
  std::string aggregator_region;
  std::vector<std::string> allowed_regions;
  std::vector<ResidencyRow> matrix;  // by region
  std::vector<RefusedJoin> refused;
};

struct Incident {
  std::optional<int64_t> time_unix_ms;
  uint64_t round = 0;
  // "round_abandoned", "round_interrupted", "upload_rejected",
  // "join_refused", "authentication_failed", "secure_aggregation_dropout",
  // "server_restart", "invariant_violation", "run_start_missing".
  std::string kind;
  std::string detail;
  std::optional<uint64_t> log_index;
};

// A file of the run's checkpoints directory.
struct Artifact {
  std::string path;  // relative to the run directory
  uint64_t bytes = 0;
  std::string sha256;
  // The round its name gives ("round-000002.fedge").
  std::optional<uint64_t> round;
  // What the log committed for that round (the initial model for round 0);
  // empty if the log committed nothing.
  std::string expected_sha256;
  bool logged = false;  // sha256 == expected_sha256
};

struct ComplianceReport {
  RunSection run;
  ProcessingRecordSection processing_record;
  VerificationSection verification;
  Totals totals;
  std::vector<RoundAttempt> rounds;       // in log order
  std::vector<Participant> participants;  // by client id
  DataMinimisationSection data_minimisation;
  PrivacySection privacy;
  SecuritySection security;
  ConsentSection consent;
  RetentionSection retention;
  ResidencySection residency;
  std::vector<Incident> incidents;  // in log order
  std::vector<Artifact> artifacts;  // by path
  int64_t generated_unix_ms = 0;
};

struct ReportInputs {
  std::string run_dir;
  // A log VerifyAuditLog accepted (a log that fails verification gets no
  // report: the caller reports the failure instead).
  VerifiedLog log;
  // CheckInvariants over the decoded entries.
  absl::Status invariants;
  // Where the audit public key came from, e.g. the --key path.
  std::string key_source;
  int64_t generated_unix_ms = 0;
};

// Builds the report: decodes every record (DataLoss naming the first that
// is not an audit event), replays the events, and hashes the files of
// run_dir/checkpoints against the digests the log committed. The result
// depends only on `in` and the files.
absl::StatusOr<ComplianceReport> BuildComplianceReport(const ReportInputs& in);

}  // namespace fedge::audit::report

#endif  // FEDGE_COMMON_AUDIT_REPORT_COMPLIANCE_REPORT_H_
