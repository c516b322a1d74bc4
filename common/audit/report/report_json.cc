#include "common/audit/report/report_json.h"

#include "common/audit/report/json_value.h"
#include "common/audit/report/report_text.h"

namespace fedge::audit::report {
namespace {

using J = JsonValue;

J Time(int64_t unix_ms) { return J::String(FormatReportTime(unix_ms)); }

J Time(const std::optional<int64_t>& unix_ms) {
  return unix_ms.has_value() ? Time(*unix_ms) : J::Null();
}

// A digest the log did not carry is absent, not an empty string.
J Digest(const std::string& hex) {
  return hex.empty() ? J::Null() : J::String(hex);
}

J Model(const ModelFacts& m) {
  return J::Object()
      .Set("version", J::Uint(m.version))
      .Set("sha256", Digest(m.sha256));
}

J StringMap(const std::map<std::string, std::string>& values) {
  J out = J::Object();
  for (const auto& [key, value] : values) out.Set(key, J::String(value));
  return out;
}

J Evaluations(const std::vector<Evaluation>& evaluations) {
  J out = J::Array();
  for (const Evaluation& e : evaluations) {
    out.Push(J::Object()
                 .Set("time", Time(e.time_unix_ms))
                 .Set("round", J::Uint(e.round))
                 .Set("source", J::String(e.source))
                 .Set("model_version", J::Uint(e.model_version))
                 .Set("loss", J::Double(e.loss))
                 .Set("accuracy", J::Double(e.accuracy))
                 .Set("examples", J::Uint(e.examples))
                 .Set("log_index", J::Uint(e.log_index)));
  }
  return out;
}

J Run(const RunSection& run) {
  return J::Object()
      .Set("run_id", J::String(run.run_id))
      .Set("origin", J::String(run.origin))
      .Set("software_version", J::String(run.software_version))
      .Set("config_sha256", Digest(run.config_sha256))
      .Set("purpose", J::String(run.purpose))
      .Set("legal_basis", J::String(run.legal_basis))
      .Set("secure_aggregation", J::Bool(run.secure_aggregation))
      .Set("resumes", J::Uint(run.resumes))
      .Set("settings", StringMap(run.settings))
      .Set("initial_model", Model(run.initial_model))
      .Set("final_model", Model(run.final_model))
      .Set("started", Time(run.started_unix_ms))
      .Set("ended", Time(run.ended_unix_ms))
      .Set("end_reason", J::String(run.end_reason))
      .Set("evaluations", Evaluations(run.evaluations));
}

J Party(const PartyFacts& p) {
  return J::Object()
      .Set("name", J::String(p.name))
      .Set("contact", J::String(p.contact));
}

J Processing(const ProcessingRecordSection& p) {
  return J::Object()
      .Set("controller", Party(p.controller))
      .Set("dpo", Party(p.dpo))
      .Set("purposes", J::Strings(p.purposes))
      .Set("legal_basis", J::String(p.legal_basis))
      .Set("data_subject_categories", J::Strings(p.data_subject_categories))
      .Set("data_categories", J::Strings(p.data_categories))
      .Set("recipients", J::Strings(p.recipients))
      .Set("transfers", J::Strings(p.transfers))
      .Set("retention", J::String(p.retention))
      .Set("security_measures", J::Strings(p.security_measures));
}

J Verification(const VerificationSection& v) {
  return J::Object()
      .Set("log_ok", J::Bool(v.log_ok))
      .Set("invariants_ok", J::Bool(v.invariants_ok))
      .Set("invariants", J::String(v.invariants))
      .Set("entries", J::Uint(v.entries))
      .Set("checkpoints", J::Uint(v.checkpoints))
      .Set("unsigned_entries", J::Uint(v.unsigned_entries))
      .Set("key_source", J::String(v.key_source))
      .Set("final_checkpoint", J::String(v.final_checkpoint));
}

J TotalsJson(const Totals& t) {
  return J::Object()
      .Set("clients_joined", J::Uint(t.clients_joined))
      .Set("joins_refused", J::Uint(t.joins_refused))
      .Set("rounds_committed", J::Uint(t.rounds_committed))
      .Set("rounds_abandoned", J::Uint(t.rounds_abandoned))
      .Set("uploads_accepted", J::Uint(t.uploads_accepted))
      .Set("uploads_rejected", J::Uint(t.uploads_rejected))
      .Set("dropouts", J::Uint(t.dropouts))
      .Set("withdrawals", J::Uint(t.withdrawals))
      .Set("erasures", J::Uint(t.erasures))
      .Set("bytes_uploaded", J::Uint(t.bytes_uploaded))
      .Set("data_bytes_declared", J::Uint(t.data_bytes_declared))
      .Set("authentication_failures", J::Uint(t.authentication_failures));
}

J Round(const RoundAttempt& a) {
  J accepted = J::Array();
  for (const AcceptedUpload& u : a.accepted) {
    accepted.Push(J::Object()
                      .Set("client_id", J::String(u.client_id))
                      .Set("bytes", J::Uint(u.bytes))
                      .Set("sha256", Digest(u.sha256))
                      .Set("shapes", J::Strings(u.shapes))
                      .Set("time", Time(u.time_unix_ms))
                      .Set("log_index", J::Uint(u.log_index)));
  }
  J rejected = J::Array();
  for (const RejectedUpload& u : a.rejected) {
    rejected.Push(J::Object()
                      .Set("client_id", J::String(u.client_id))
                      .Set("reason", J::String(u.reason))
                      .Set("time", Time(u.time_unix_ms))
                      .Set("log_index", J::Uint(u.log_index)));
  }
  J dropped = J::Array();
  for (const Dropout& d : a.dropped) {
    dropped.Push(J::Object()
                     .Set("client_id", J::String(d.client_id))
                     .Set("reason", J::String(d.reason))
                     .Set("stage", J::String(d.stage))
                     .Set("time", Time(d.time_unix_ms))
                     .Set("log_index", J::Uint(d.log_index)));
  }
  J secure = J::Null();
  if (a.secure_aggregation.has_value()) {
    secure = J::Object()
                 .Set("threshold", J::Uint(a.secure_aggregation->threshold))
                 .Set("degree", J::Uint(a.secure_aggregation->degree))
                 .Set("survivors", J::Strings(a.secure_aggregation->survivors));
  }
  const bool committed = a.committed_model.has_value();
  return J::Object()
      .Set("round", J::Uint(a.round))
      .Set("attempt", J::Int(a.attempt))
      .Set("status", J::String(RoundStatusName(a.status)))
      .Set("reason", J::String(a.reason))
      .Set("secure", J::Bool(a.secure))
      .Set("started", Time(a.started_unix_ms))
      .Set("ended", Time(a.ended_unix_ms))
      .Set("base_model", a.base_model ? Model(*a.base_model) : J::Null())
      .Set("model_version",
           committed ? J::Uint(a.committed_model->version) : J::Null())
      .Set("model_sha256",
           committed ? Digest(a.committed_model->sha256) : J::Null())
      .Set("selected", J::Strings(a.selected))
      .Set("contributors", J::Strings(a.contributors))
      .Set("examples", J::Uint(a.examples))
      .Set("accepted", std::move(accepted))
      .Set("rejected", std::move(rejected))
      .Set("dropped", std::move(dropped))
      .Set("secure_aggregation", std::move(secure))
      .Set("evaluations", Evaluations(a.evaluations));
}

J ParticipantJson(const Participant& p) {
  return J::Object()
      .Set("client_id", J::String(p.client_id))
      .Set("joined", J::Bool(p.joined))
      .Set("joins", J::Uint(p.joins))
      .Set("region", J::String(p.region))
      .Set("consent_version", J::String(p.consent_version))
      .Set("consent_time", Time(p.consent_time_unix_ms))
      .Set("cert_sha256", Digest(p.cert_sha256))
      .Set("runtime_version", J::String(p.runtime_version))
      .Set("data_examples", J::Uint(p.data_examples))
      .Set("data_bytes", J::Uint(p.data_bytes))
      .Set("bytes_uploaded", J::Uint(p.bytes_uploaded))
      .Set("rounds_selected", J::Uint(p.rounds_selected))
      .Set("rounds_contributed", J::Uint(p.rounds_contributed))
      .Set("withdrawn", J::Bool(p.withdrawn))
      .Set("erased", J::Bool(p.erased));
}

J Minimisation(const DataMinimisationSection& m) {
  J rpcs = J::Array();
  for (const RpcFacts& rpc : m.rpcs) {
    rpcs.Push(J::Object()
                  .Set("service", J::String(rpc.service))
                  .Set("method", J::String(rpc.method))
                  .Set("request", J::String(rpc.request))
                  .Set("response", J::String(rpc.response))
                  .Set("client_streaming", J::Bool(rpc.client_streaming))
                  .Set("server_streaming", J::Bool(rpc.server_streaming))
                  .Set("fields", J::Strings(rpc.fields)));
  }
  return J::Object()
      .Set("bytes_uploaded", J::Uint(m.bytes_uploaded))
      .Set("data_bytes_declared", J::Uint(m.data_bytes_declared))
      .Set("rpcs", std::move(rpcs));
}

J Privacy(const PrivacySection& p) {
  J spent = J::Array();
  for (const PrivacySpend& s : p.spent) {
    spent.Push(J::Object()
                   .Set("round", J::Uint(s.round))
                   .Set("time", Time(s.time_unix_ms))
                   .Set("epsilon", J::Double(s.epsilon))
                   .Set("round_epsilon", J::Double(s.round_epsilon))
                   .Set("delta", J::Double(s.delta))
                   .Set("noise_multiplier", J::Double(s.noise_multiplier))
                   .Set("clip_norm", J::Double(s.clip_norm))
                   .Set("log_index", J::Uint(s.log_index)));
  }
  return J::Object()
      .Set("secure_aggregation", J::Bool(p.secure_aggregation))
      .Set("settings", StringMap(p.settings))
      .Set("differential_privacy", J::Bool(p.differential_privacy))
      .Set("epsilon_budget", J::Double(p.epsilon_budget))
      .Set("delta", J::Double(p.delta))
      .Set("epsilon_spent", J::Double(p.epsilon_spent))
      .Set("spent", std::move(spent));
}

J Security(const SecuritySection& s) {
  J admin = J::Array();
  for (const AdminActionFacts& a : s.admin_actions) {
    admin.Push(J::Object()
                   .Set("time", Time(a.time_unix_ms))
                   .Set("actor", J::String(a.actor))
                   .Set("action", J::String(a.action))
                   .Set("target", J::String(a.target))
                   .Set("reason", J::String(a.reason))
                   .Set("log_index", J::Uint(a.log_index)));
  }
  J failures = J::Array();
  for (const AuthenticationFailure& f : s.authentication_failures) {
    failures.Push(J::Object()
                      .Set("time", Time(f.time_unix_ms))
                      .Set("caller", J::String(f.caller))
                      .Set("reason", J::String(f.reason))
                      .Set("count", J::Uint(f.count))
                      .Set("log_index", J::Uint(f.log_index)));
  }
  return J::Object()
      .Set("tls_min_version", J::String(s.tls_min_version))
      .Set("mutual_tls", J::Bool(s.mutual_tls))
      .Set("ca_sha256", Digest(s.ca_sha256))
      .Set("server_cert_sha256", Digest(s.server_cert_sha256))
      .Set("revoked_certificates_at_start",
           J::Uint(s.revoked_certificates_at_start))
      .Set("admin_actions", std::move(admin))
      .Set("authentication_failures", std::move(failures));
}

J Consent(const ConsentSection& c) {
  J withdrawals = J::Array();
  for (const Withdrawal& w : c.withdrawals) {
    withdrawals.Push(J::Object()
                         .Set("client_id", J::String(w.client_id))
                         .Set("time", Time(w.time_unix_ms))
                         .Set("round", J::Uint(w.round))
                         .Set("log_index", J::Uint(w.log_index))
                         .Set("model_versions", J::Uints(w.model_versions)));
  }
  J erasures = J::Array();
  for (const Erasure& e : c.erasures) {
    erasures.Push(J::Object()
                      .Set("client_id", J::String(e.client_id))
                      .Set("time", Time(e.time_unix_ms))
                      .Set("model_versions", J::Uints(e.model_versions))
                      .Set("log_model_versions", J::Uints(e.log_model_versions))
                      .Set("actions", J::Strings(e.actions))
                      .Set("log_index", J::Uint(e.log_index)));
  }
  return J::Object()
      .Set("withdrawals", std::move(withdrawals))
      .Set("erasures", std::move(erasures));
}

J Retention(const RetentionSection& r) {
  J deletions = J::Array();
  for (const Deletion& d : r.deletions) {
    deletions.Push(J::Object()
                       .Set("round", J::Uint(d.round))
                       .Set("time", Time(d.time_unix_ms))
                       .Set("clients", J::Uint(d.clients))
                       .Set("bytes", J::Uint(d.bytes))
                       .Set("log_index", J::Uint(d.log_index)));
  }
  return J::Object()
      .Set("policy", J::String(r.policy))
      .Set("deletions", std::move(deletions))
      .Set("rounds_without_deletion", J::Uints(r.rounds_without_deletion));
}

J Residency(const ResidencySection& r) {
  J matrix = J::Array();
  for (const ResidencyRow& row : r.matrix) {
    matrix.Push(J::Object()
                    .Set("region", J::String(row.region))
                    .Set("allowed", J::Bool(row.allowed))
                    .Set("clients", J::Uint(row.clients))
                    .Set("uploads", J::Uint(row.uploads))
                    .Set("bytes", J::Uint(row.bytes)));
  }
  J refused = J::Array();
  for (const RefusedJoin& j : r.refused) {
    refused.Push(J::Object()
                     .Set("client_id", J::String(j.client_id))
                     .Set("region", J::String(j.region))
                     .Set("reason", J::String(j.reason))
                     .Set("time", Time(j.time_unix_ms))
                     .Set("log_index", J::Uint(j.log_index)));
  }
  return J::Object()
      .Set("aggregator_region", J::String(r.aggregator_region))
      .Set("allowed_regions", J::Strings(r.allowed_regions))
      .Set("matrix", std::move(matrix))
      .Set("refused", std::move(refused));
}

J Incidents(const std::vector<Incident>& incidents) {
  J out = J::Array();
  for (const Incident& i : incidents) {
    out.Push(
        J::Object()
            .Set("time", Time(i.time_unix_ms))
            .Set("round", J::Uint(i.round))
            .Set("kind", J::String(i.kind))
            .Set("detail", J::String(i.detail))
            .Set("log_index", i.log_index ? J::Uint(*i.log_index) : J::Null()));
  }
  return out;
}

J Evidence(const ComplianceReport& r) {
  J artifacts = J::Array();
  for (const Artifact& a : r.artifacts) {
    artifacts.Push(J::Object()
                       .Set("path", J::String(a.path))
                       .Set("bytes", J::Uint(a.bytes))
                       .Set("sha256", Digest(a.sha256))
                       .Set("round", a.round ? J::Uint(*a.round) : J::Null())
                       .Set("expected_sha256", Digest(a.expected_sha256))
                       .Set("logged", J::Bool(a.logged)));
  }
  return J::Object()
      .Set("final_checkpoint", J::String(r.verification.final_checkpoint))
      .Set("verifier", Verification(r.verification))
      .Set("artifacts", std::move(artifacts));
}

}  // namespace

std::string RenderJson(const ComplianceReport& report) {
  J rounds = J::Array();
  for (const RoundAttempt& a : report.rounds) rounds.Push(Round(a));
  J participants = J::Array();
  for (const Participant& p : report.participants) {
    participants.Push(ParticipantJson(p));
  }
  J doc = J::Object()
              .Set("format", J::String(kReportFormat))
              .Set("run", Run(report.run))
              .Set("processing_record", Processing(report.processing_record))
              .Set("verification", Verification(report.verification))
              .Set("totals", TotalsJson(report.totals))
              .Set("rounds", std::move(rounds))
              .Set("participants", std::move(participants))
              .Set("data_minimisation", Minimisation(report.data_minimisation))
              .Set("privacy", Privacy(report.privacy))
              .Set("security", Security(report.security))
              .Set("consent", Consent(report.consent))
              .Set("retention", Retention(report.retention))
              .Set("residency", Residency(report.residency))
              .Set("incidents", Incidents(report.incidents))
              .Set("evidence", Evidence(report))
              .Set("generated", Time(report.generated_unix_ms));
  return doc.Write() + "\n";
}

}  // namespace fedge::audit::report
