#include "common/audit/report/report_document.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/report/report_text.h"

namespace fedge::audit::report {
namespace {

// Okabe–Ito colours: distinguishable with colour-blindness and in grey.
constexpr char kAcceptedColor[] = "#009e73";
constexpr char kRejectedColor[] = "#d55e00";
constexpr char kDroppedColor[] = "#e69f00";

Cell Text(std::string text) { return {std::move(text), false}; }
Cell Code(std::string text) { return {text.empty() ? "-" : text, true}; }
Cell Num(uint64_t n) { return {absl::StrCat(n), false}; }
Cell YesNo(bool value) { return {value ? "yes" : "no", false}; }
Cell When(int64_t unix_ms) { return {FormatReportTime(unix_ms), false}; }
Cell When(const std::optional<int64_t>& unix_ms) {
  return {FormatReportTime(unix_ms), false};
}
Cell Real(double value) { return {FormatDouble(value), false}; }

std::string ModelText(const ModelFacts& m) {
  return absl::StrCat("version ", m.version, ", sha256 ",
                      m.sha256.empty() ? "-" : m.sha256);
}

std::string AttemptLabel(const RoundAttempt& a) {
  return a.attempt == 1 ? absl::StrCat("round ", a.round)
                        : absl::StrCat("round ", a.round, " #", a.attempt);
}

// Appends blocks to one section.
class SectionWriter {
 public:
  explicit SectionWriter(DocumentSection* section) : section_(*section) {}

  void Verdict(std::string label, std::string text, bool ok) {
    Block& block = Add(Block::Kind::kVerdict);
    block.label = std::move(label);
    block.text = std::move(text);
    block.ok = ok;
  }
  void Heading(std::string text) {
    Add(Block::Kind::kHeading).text = std::move(text);
  }
  void Paragraph(std::string text) {
    Add(Block::Kind::kParagraph).text = std::move(text);
  }
  void Bullets(std::vector<std::string> items) {
    Add(Block::Kind::kBullets).items = std::move(items);
  }
  void Preformatted(std::string text) {
    Add(Block::Kind::kPreformatted).text = std::move(text);
  }
  void Chart(StackedBarChart chart) {
    Add(Block::Kind::kChart).chart = std::move(chart);
  }
  // A fact list; add pairs with Fact().
  Block& Facts() { return Add(Block::Kind::kFacts); }
  // A table; add rows to the returned block. `empty` is said if none.
  Block& Table(std::vector<std::string> headers, std::string empty) {
    Block& block = Add(Block::Kind::kTable);
    block.headers = std::move(headers);
    block.text = std::move(empty);
    return block;
  }

 private:
  Block& Add(Block::Kind kind) {
    section_.blocks.emplace_back();
    section_.blocks.back().kind = kind;
    return section_.blocks.back();
  }

  DocumentSection& section_;
};

void Fact(Block& facts, std::string label, Cell value) {
  facts.facts.emplace_back(std::move(label), std::move(value));
}

void Summary(const ComplianceReport& r, SectionWriter& w) {
  const VerificationSection& v = r.verification;
  bool ok = v.log_ok && v.invariants_ok && v.unsigned_entries == 0;
  for (const Artifact& a : r.artifacts) ok = ok && a.logged;
  w.Verdict(ok         ? "Verified."
            : v.log_ok ? "Verified, with reservations."
                       : "Not verified.",
            SummaryParagraph(r), ok);
  Block& facts = w.Facts();
  Fact(facts, "Run", Code(r.run.run_id));
  Fact(facts, "Log origin", Code(r.run.origin));
  Fact(facts, "Purpose", Text(r.run.purpose));
  Fact(facts, "Legal basis", Text(r.run.legal_basis));
  Fact(facts, "Started", When(r.run.started_unix_ms));
  Fact(facts, "Ended",
       Text(r.run.ended_unix_ms
                ? absl::StrCat(FormatReportTime(r.run.ended_unix_ms), " (",
                               r.run.end_reason, ")")
                : "not ended in this log"));
  Fact(facts, "Server restarts (resumes)", Num(r.run.resumes));
  Fact(facts, "Initial model", Code(ModelText(r.run.initial_model)));
  Fact(facts, "Final model", Code(ModelText(r.run.final_model)));
  Fact(facts, "Software version", Text(r.run.software_version));
  Fact(facts, "Server configuration sha256", Code(r.run.config_sha256));
  Fact(facts, "Report generated", When(r.generated_unix_ms));
  w.Heading("What this report does not prove");
  w.Bullets(ReportLimitations(r));
}

void Processing(const ComplianceReport& r, SectionWriter& w) {
  const ProcessingRecordSection& p = r.processing_record;
  w.Paragraph(
      "The record of processing activities as the operator declared it in "
      "the server configuration. It was logged in the run's first entry, so "
      "the signed checkpoints cover it: it cannot have been changed since "
      "the run started. Its content is the operator's declaration.");
  const auto party = [](const PartyFacts& party) {
    if (party.name.empty() && party.contact.empty()) return std::string("-");
    return absl::StrCat(party.name, party.contact.empty() ? "" : " — ",
                        party.contact);
  };
  Block& facts = w.Facts();
  Fact(facts, "Controller (Art. 30(1)(a))", Text(party(p.controller)));
  Fact(facts, "Data protection officer", Text(party(p.dpo)));
  Fact(facts, "Purposes (Art. 30(1)(b))", Text(JoinList(p.purposes, "; ")));
  Fact(facts, "Legal basis", Text(p.legal_basis.empty() ? "-" : p.legal_basis));
  Fact(facts, "Categories of data subjects (Art. 30(1)(c))",
       Text(JoinList(p.data_subject_categories, "; ")));
  Fact(facts, "Categories of personal data (Art. 30(1)(c))",
       Text(JoinList(p.data_categories, "; ")));
  Fact(facts, "Recipients (Art. 30(1)(d))", Text(JoinList(p.recipients, "; ")));
  Fact(facts, "Transfers to third countries (Art. 30(1)(e))",
       Text(JoinList(p.transfers, "; ")));
  Fact(facts, "Time limits for erasure (Art. 30(1)(f))",
       Text(p.retention.empty() ? "-" : p.retention));
  Fact(facts, "Security measures declared (Art. 30(1)(g))",
       Text(JoinList(p.security_measures, "; ")));
}

void Integrity(const ComplianceReport& r, SectionWriter& w) {
  const VerificationSection& v = r.verification;
  w.Paragraph(
      "Log entries are numbered from 0 in log order (their leaf index in the "
      "log's Merkle tree); the tables cite the entry each fact comes from.");
  Block& facts = w.Facts();
  Fact(facts, "Log verified against signed checkpoints", YesNo(v.log_ok));
  Fact(facts, "Entries", Num(v.entries));
  Fact(facts, "Signed checkpoints", Num(v.checkpoints));
  Fact(facts, "Entries after the last checkpoint (unsigned)",
       Num(v.unsigned_entries));
  Fact(facts, "Audit public key",
       Text(v.key_source.empty() ? "-" : v.key_source));
  Fact(facts, "Protocol invariants", Text(v.invariants));
  w.Heading("Last signed checkpoint");
  w.Preformatted(v.final_checkpoint.empty() ? "(none)" : v.final_checkpoint);

  w.Heading("Totals");
  const Totals& t = r.totals;
  Block& totals = w.Facts();
  Fact(totals, "Clients joined", Num(t.clients_joined));
  Fact(totals, "Joins refused", Num(t.joins_refused));
  Fact(totals, "Rounds committed", Num(t.rounds_committed));
  Fact(totals, "Round attempts abandoned", Num(t.rounds_abandoned));
  Fact(totals, "Uploads accepted", Num(t.uploads_accepted));
  Fact(totals, "Uploads rejected", Num(t.uploads_rejected));
  Fact(totals, "Dropouts", Num(t.dropouts));
  Fact(totals, "Consent withdrawals", Num(t.withdrawals));
  Fact(totals, "Erasure requests", Num(t.erasures));
  Fact(totals, "Bytes uploaded", Num(t.bytes_uploaded));
  Fact(totals, "Data bytes declared by clients", Num(t.data_bytes_declared));
  Fact(totals, "Authentication failures", Num(t.authentication_failures));

  w.Heading("Run settings");
  Block& settings =
      w.Table({"Setting", "Value"}, "The run logged no settings.");
  for (const auto& [key, value] : r.run.settings) {
    settings.rows.push_back({Code(key), Text(value)});
  }
}

void RoundDetail(const RoundAttempt& a, SectionWriter& w) {
  std::string label = AttemptLabel(a);
  label[0] = 'R';  // starts a heading
  w.Heading(
      absl::StrCat(label, ": ", RoundStatusName(a.status),
                   a.reason.empty() ? "" : absl::StrCat(" (", a.reason, ")")));
  Block& facts = w.Facts();
  Fact(facts, "Selected", Code(JoinList(a.selected)));
  Fact(facts, "Model sent",
       Code(a.base_model ? ModelText(*a.base_model) : "no selection logged"));
  Fact(facts, "Model committed",
       Code(a.committed_model ? ModelText(*a.committed_model) : "none"));
  Fact(facts, "Contributors to the aggregate", Code(JoinList(a.contributors)));
  Fact(facts, "Examples in the aggregate", Num(a.examples));
  if (a.secure_aggregation) {
    Fact(facts, "Secure aggregation",
         Text(absl::StrCat(
             "threshold ", a.secure_aggregation->threshold, ", degree ",
             a.secure_aggregation->degree,
             ", survivors: ", JoinList(a.secure_aggregation->survivors))));
  } else {
    Fact(facts, "Secure aggregation",
         Text(a.secure ? "secure round; no unmask stage closed" : "no"));
  }
  Block& accepted =
      w.Table({"Accepted from", "Bytes", "SHA-256", "Shapes", "Log entry"},
              "No upload accepted.");
  for (const AcceptedUpload& u : a.accepted) {
    accepted.rows.push_back({Code(u.client_id), Num(u.bytes), Code(u.sha256),
                             Code(JoinList(u.shapes)), Num(u.log_index)});
  }
  if (!a.rejected.empty()) {
    Block& rejected =
        w.Table({"Rejected from", "Reason", "Time", "Log entry"}, "");
    for (const RejectedUpload& u : a.rejected) {
      rejected.rows.push_back({Code(u.client_id), Text(u.reason),
                               When(u.time_unix_ms), Num(u.log_index)});
    }
  }
  if (!a.dropped.empty()) {
    Block& dropped =
        w.Table({"Dropped", "Reason", "Stage", "Time", "Log entry"}, "");
    for (const Dropout& d : a.dropped) {
      dropped.rows.push_back({Code(d.client_id), Text(d.reason), Text(d.stage),
                              When(d.time_unix_ms), Num(d.log_index)});
    }
  }
  if (!a.evaluations.empty()) {
    Block& evaluations = w.Table(
        {"Evaluation", "Model version", "Loss", "Accuracy", "Examples"}, "");
    for (const Evaluation& e : a.evaluations) {
      evaluations.rows.push_back({Text(e.source), Num(e.model_version),
                                  Real(e.loss), Real(e.accuracy),
                                  Num(e.examples)});
    }
  }
}

void Rounds(const ComplianceReport& r, SectionWriter& w) {
  w.Paragraph(
      "Every round attempt in log order: who was selected, whose upload was "
      "accepted, rejected or dropped, and which model each attempt "
      "committed. A round listed twice was interrupted by a server restart "
      "and run again.");
  StackedBarChart chart;
  chart.title = "Uploads per round attempt: accepted, rejected, dropped";
  chart.y_label = "clients";
  BarSeries accepted{"accepted", kAcceptedColor, {}};
  BarSeries rejected{"rejected", kRejectedColor, {}};
  BarSeries dropped{"dropped", kDroppedColor, {}};
  for (const RoundAttempt& a : r.rounds) {
    chart.labels.push_back(AttemptLabel(a));
    accepted.values.push_back(a.accepted.size());
    rejected.values.push_back(a.rejected.size());
    dropped.values.push_back(a.dropped.size());
  }
  chart.series = {accepted, rejected, dropped};
  w.Chart(std::move(chart));

  Block& table = w.Table({"Round", "Status", "Secure", "Started", "Ended",
                          "Model sent", "Model committed", "Selected",
                          "Accepted", "Rejected", "Dropped", "Examples"},
                         "The log has no rounds.");
  for (const RoundAttempt& a : r.rounds) {
    table.rows.push_back(
        {Text(AttemptLabel(a)), Text(RoundStatusName(a.status)),
         YesNo(a.secure), When(a.started_unix_ms), When(a.ended_unix_ms),
         Text(a.base_model ? absl::StrCat(a.base_model->version) : "-"),
         Text(a.committed_model ? absl::StrCat(a.committed_model->version)
                                : "-"),
         Num(a.selected.size()), Num(a.accepted.size()), Num(a.rejected.size()),
         Num(a.dropped.size()), Num(a.examples)});
  }
  for (const RoundAttempt& a : r.rounds) RoundDetail(a, w);

  if (!r.run.evaluations.empty()) {
    w.Heading("Evaluations outside a round");
    Block& evaluations = w.Table(
        {"Time", "Evaluation", "Model version", "Loss", "Accuracy", "Examples"},
        "");
    for (const Evaluation& e : r.run.evaluations) {
      evaluations.rows.push_back({When(e.time_unix_ms), Text(e.source),
                                  Num(e.model_version), Real(e.loss),
                                  Real(e.accuracy), Num(e.examples)});
    }
  }

  w.Heading("Participants");
  w.Paragraph(
      "Each client by its pseudonymous id, with the facts of its latest "
      "join. Data examples and bytes are the client's own declaration.");
  Block& identity = w.Table({"Client", "Joined", "Region", "Consent version",
                             "Consent given", "Certificate SHA-256", "Runtime"},
                            "No client joined.");
  for (const Participant& p : r.participants) {
    identity.rows.push_back(
        {Code(p.client_id),
         Text(p.joined ? absl::StrCat(p.joins, "x") : "never (no join logged)"),
         Text(p.region.empty() ? "-" : p.region), Text(p.consent_version),
         When(p.consent_time_unix_ms), Code(p.cert_sha256),
         Text(p.runtime_version)});
  }
  Block& participation = w.Table(
      {"Client", "Examples declared", "Data bytes declared", "Bytes uploaded",
       "Rounds selected", "Rounds contributed", "Withdrew consent", "Erased"},
      "");
  for (const Participant& p : r.participants) {
    participation.rows.push_back(
        {Code(p.client_id), Num(p.data_examples), Num(p.data_bytes),
         Num(p.bytes_uploaded), Num(p.rounds_selected),
         Num(p.rounds_contributed), YesNo(p.withdrawn), YesNo(p.erased)});
  }
}

void Minimisation(const ComplianceReport& r, SectionWriter& w) {
  const DataMinimisationSection& m = r.data_minimisation;
  w.Paragraph(UploadContentNote());
  Block& facts = w.Facts();
  Fact(facts, "Bytes uploaded by all clients", Num(m.bytes_uploaded));
  Fact(facts, "Data bytes the clients declared holding",
       Num(m.data_bytes_declared));
  w.Heading("What a client can send");
  w.Paragraph(
      "Every method of the client-facing service, read from the protocol "
      "compiled into this fedge binary, with every field its request can "
      "carry (nested fields as dotted names).");
  Block& rpcs = w.Table({"Method", "Request", "Fields"}, "");
  for (const RpcFacts& rpc : m.rpcs) {
    rpcs.rows.push_back(
        {Code(absl::StrCat(rpc.service, "/", rpc.method)),
         Code(absl::StrCat(rpc.client_streaming ? "stream " : "", rpc.request)),
         Code(JoinList(rpc.fields, "; "))});
  }
}

void Privacy(const ComplianceReport& r, SectionWriter& w) {
  const PrivacySection& p = r.privacy;
  uint64_t secure_rounds = 0;
  for (const RoundAttempt& a : r.rounds) {
    secure_rounds += a.status == RoundStatus::kCommitted && a.secure ? 1 : 0;
  }
  Block& facts = w.Facts();
  Fact(facts, "Secure aggregation enabled", YesNo(p.secure_aggregation));
  Fact(facts, "Committed rounds aggregated securely", Num(secure_rounds));
  Fact(facts, "Differential privacy", YesNo(p.differential_privacy));
  if (p.differential_privacy || p.epsilon_budget > 0) {
    Fact(facts, "Epsilon budget", Real(p.epsilon_budget));
    Fact(facts, "Delta", Real(p.delta));
    Fact(facts, "Epsilon spent (last logged)", Real(p.epsilon_spent));
  }
  w.Paragraph(
      "With secure aggregation the server sees only the sum of a round's "
      "masked updates, and only if at least the threshold of clients "
      "survive to the unmask stage. Differential privacy applies only when "
      "the log shows privacy spend entries; without them no (epsilon, "
      "delta) guarantee is claimed for this run, and none is applicable.");
  Block& settings =
      w.Table({"Setting", "Value"}, "The run logged no privacy settings.");
  for (const auto& [key, value] : p.settings) {
    settings.rows.push_back({Code(key), Text(value)});
  }
  Block& spent =
      w.Table({"Round", "Epsilon (cumulative)", "Round epsilon", "Delta",
               "Noise multiplier", "Clip norm", "Log entry"},
              "No differential privacy spend was logged.");
  for (const PrivacySpend& s : p.spent) {
    spent.rows.push_back({Num(s.round), Real(s.epsilon), Real(s.round_epsilon),
                          Real(s.delta), Real(s.noise_multiplier),
                          Real(s.clip_norm), Num(s.log_index)});
  }
}

void Security(const ComplianceReport& r, SectionWriter& w) {
  const SecuritySection& s = r.security;
  Block& facts = w.Facts();
  Fact(facts, "Lowest TLS version accepted",
       Text(s.tls_min_version.empty() ? "-" : s.tls_min_version));
  Fact(facts, "Mutual TLS (client certificates)", YesNo(s.mutual_tls));
  Fact(facts, "Federation CA certificate SHA-256", Code(s.ca_sha256));
  Fact(facts, "Server certificate SHA-256", Code(s.server_cert_sha256));
  Fact(facts, "Certificates revoked at run start",
       Num(s.revoked_certificates_at_start));
  Fact(facts, "Audit log",
       Text(absl::StrCat("Merkle tree (RFC 6962) with ",
                         r.verification.checkpoints,
                         " Ed25519-signed checkpoints")));
  Fact(facts, "Measures the operator declares",
       Text(JoinList(r.processing_record.security_measures, "; ")));
  w.Heading("Administrative actions");
  Block& admin =
      w.Table({"Time", "Actor", "Action", "Target", "Reason", "Log entry"},
              "No administrative action was logged.");
  for (const AdminActionFacts& a : s.admin_actions) {
    admin.rows.push_back({When(a.time_unix_ms), Code(a.actor), Text(a.action),
                          Code(a.target), Text(a.reason), Num(a.log_index)});
  }
  w.Heading("Authentication failures");
  Block& failures =
      w.Table({"Time", "Caller", "Reason", "Failures", "Log entry"},
              "No authentication failure was logged.");
  for (const AuthenticationFailure& f : s.authentication_failures) {
    failures.rows.push_back({When(f.time_unix_ms), Code(f.caller),
                             Text(f.reason), Num(f.count), Num(f.log_index)});
  }
}

void Consent(const ComplianceReport& r, SectionWriter& w) {
  w.Paragraph(absl::StrCat(
      "A withdrawal ends processing from then on (Art. 7(3)): ",
      r.verification.invariants_ok
          ? "replaying the log confirms that nothing was accepted from, and "
            "nobody was selected who, withdrew. "
          : "the invariant check failed (section 2), so the log does not "
            "confirm that processing stopped. ",
      "A withdrawal does not undo models already committed; the model "
      "versions that hold the client's updates are listed so that a decision "
      "about them can be taken."));
  Block& withdrawals = w.Table({"Client", "Time", "During round",
                                "Models holding its updates", "Log entry"},
                               "No client withdrew consent.");
  for (const Withdrawal& x : r.consent.withdrawals) {
    withdrawals.rows.push_back(
        {Code(x.client_id), When(x.time_unix_ms), Num(x.round),
         Text(JoinVersions(x.model_versions)), Num(x.log_index)});
  }
  w.Heading("Erasure requests (Art. 17)");
  Block& erasures = w.Table(
      {"Client", "Time", "Actions taken", "Models holding its updates (server)",
       "Models holding its updates (log)", "Accounts agree", "Log entry"},
      "No erasure was requested.");
  for (const Erasure& e : r.consent.erasures) {
    erasures.rows.push_back(
        {Code(e.client_id), When(e.time_unix_ms), Text(JoinList(e.actions)),
         Text(JoinVersions(e.model_versions)),
         Text(JoinVersions(e.log_model_versions)),
         YesNo(e.model_versions == e.log_model_versions), Num(e.log_index)});
  }
}

void Retention(const ComplianceReport& r, SectionWriter& w) {
  const RetentionSection& s = r.retention;
  Block& facts = w.Facts();
  Fact(facts, "Declared retention", Text(s.policy.empty() ? "-" : s.policy));
  Fact(facts, "Rounds with uploads but no logged deletion",
       Text(s.rounds_without_deletion.empty()
                ? "none"
                : JoinVersions(s.rounds_without_deletion)));
  w.Paragraph(
      "The server deletes a round's per-client update buffers once the round "
      "ends and logs each deletion; only the aggregate (the global model "
      "checkpoint) is kept.");
  Block& deletions =
      w.Table({"Round", "Time", "Clients' buffers", "Bytes", "Log entry"},
              "No deletion was logged.");
  for (const Deletion& d : s.deletions) {
    deletions.rows.push_back({Num(d.round), When(d.time_unix_ms),
                              Num(d.clients), Num(d.bytes), Num(d.log_index)});
  }
}

void Residency(const ComplianceReport& r, SectionWriter& w) {
  const ResidencySection& s = r.residency;
  Block& facts = w.Facts();
  Fact(facts, "Aggregator region",
       Text(s.aggregator_region.empty() ? "-" : s.aggregator_region));
  Fact(facts, "Regions allowed to join",
       Text(s.allowed_regions.empty() ? "any" : JoinList(s.allowed_regions)));
  Block& matrix = w.Table({"Client region", "Allowed", "Clients",
                           "Uploads accepted", "Bytes uploaded"},
                          "No client joined.");
  for (const ResidencyRow& row : s.matrix) {
    matrix.rows.push_back({Text(row.region.empty() ? "(unknown)" : row.region),
                           YesNo(row.allowed), Num(row.clients),
                           Num(row.uploads), Num(row.bytes)});
  }
  w.Heading("Joins refused");
  Block& refused = w.Table({"Client", "Region", "Reason", "Time", "Log entry"},
                           "No join was refused.");
  for (const RefusedJoin& j : s.refused) {
    refused.rows.push_back({Code(j.client_id), Text(j.region), Text(j.reason),
                            When(j.time_unix_ms), Num(j.log_index)});
  }
}

void Incidents(const ComplianceReport& r, SectionWriter& w) {
  w.Paragraph(
      "Everything that went other than planned: abandoned or interrupted "
      "rounds, rejected uploads, refused joins, authentication failures, "
      "dropouts during secure aggregation, server restarts and broken "
      "invariants, in log order.");
  Block& table = w.Table({"Time", "Round", "Kind", "Detail", "Log entry"},
                         "No incident was logged.");
  for (const Incident& i : r.incidents) {
    table.rows.push_back(
        {When(i.time_unix_ms), Num(i.round), Text(i.kind), Text(i.detail),
         Text(i.log_index ? absl::StrCat(*i.log_index) : "-")});
  }
}

void Evidence(const ComplianceReport& r, SectionWriter& w) {
  const VerificationSection& v = r.verification;
  w.Paragraph(
      "What a third party needs to check this report: the run directory's "
      "audit log, the audit public key, and the model checkpoints below. "
      "Verify the log with the public key, recompute each file's SHA-256 "
      "and compare it with the digest the log committed for its round.");
  Block& verifier = w.Facts();
  Fact(verifier, "Log verified", YesNo(v.log_ok));
  Fact(verifier, "Invariants", Text(v.invariants));
  Fact(verifier, "Entries", Num(v.entries));
  Fact(verifier, "Checkpoints", Num(v.checkpoints));
  Fact(verifier, "Unsigned entries", Num(v.unsigned_entries));
  Fact(verifier, "Key", Text(v.key_source.empty() ? "-" : v.key_source));
  w.Heading("Final signed checkpoint");
  w.Preformatted(v.final_checkpoint.empty() ? "(none)" : v.final_checkpoint);
  w.Heading("Artifacts");
  Block& artifacts =
      w.Table({"File", "Bytes", "SHA-256", "Digest in the log", "Matches"},
              "The run directory has no checkpoints.");
  for (const Artifact& a : r.artifacts) {
    artifacts.rows.push_back({Code(a.path), Num(a.bytes), Code(a.sha256),
                              Code(a.expected_sha256), YesNo(a.logged)});
  }
}

}  // namespace

ReportDocument BuildReportDocument(const ComplianceReport& report) {
  using Writer = void (*)(const ComplianceReport&, SectionWriter&);
  // In ReportSections() order.
  static constexpr Writer kWriters[] = {
      Summary,  Processing, Integrity, Rounds,    Minimisation, Privacy,
      Security, Consent,    Retention, Residency, Incidents,    Evidence};
  ReportDocument doc;
  doc.title = "GDPR compliance report";
  doc.subtitle = absl::StrCat(
      report.run.run_id.empty() ? "unnamed run" : report.run.run_id,
      " — generated ", FormatReportTime(report.generated_unix_ms), " (",
      kReportFormat, ")");
  const std::vector<SectionTitle>& titles = ReportSections();
  for (size_t i = 0; i < titles.size() && i < std::size(kWriters); ++i) {
    DocumentSection section;
    section.anchor = titles[i].anchor;
    section.title = titles[i].title;
    SectionWriter writer(&section);
    kWriters[i](report, writer);
    doc.sections.push_back(std::move(section));
  }
  return doc;
}

}  // namespace fedge::audit::report
