#include "common/audit/report/report_text.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace fedge::audit::report {
namespace {

std::string Plural(uint64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace

std::string FormatReportTime(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::string FormatReportTime(const std::optional<int64_t>& unix_ms) {
  return unix_ms.has_value() ? FormatReportTime(*unix_ms) : "-";
}

const std::vector<SectionTitle>& ReportSections() {
  static const auto* const kSections = new std::vector<SectionTitle>{
      {"summary", "Summary"},
      {"processing", "1. Processing record (GDPR Art. 30(1))"},
      {"integrity", "2. Run integrity"},
      {"rounds", "3. Participation ledger per round"},
      {"minimisation", "4. Data minimisation"},
      {"privacy", "5. Privacy"},
      {"security", "6. Security measures (GDPR Art. 32)"},
      {"consent",
       "7. Consent withdrawals and erasure (GDPR Art. 7(3), Art. 17)"},
      {"retention", "8. Retention and deletion (GDPR Art. 5(1)(e))"},
      {"residency", "9. Data residency matrix"},
      {"incidents", "10. Incidents"},
      {"evidence", "Appendix: evidence"},
  };
  return *kSections;
}

std::string SummaryParagraph(const ComplianceReport& r) {
  const VerificationSection& v = r.verification;
  const std::string run =
      r.run.run_id.empty() ? "this run" : absl::StrCat("run ", r.run.run_id);
  std::string text;
  if (v.log_ok) {
    absl::StrAppend(
        &text, "The audit log of ", run,
        " verified: ", Plural(v.entries, "entry was", "entries were"),
        " checked frame by frame and against ",
        Plural(v.checkpoints, "signed checkpoint", "signed checkpoints"),
        " under the audit public key from ",
        v.key_source.empty() ? "an unnamed source" : v.key_source, ". ",
        "This proves that the signed entries are exactly those the "
        "aggregator wrote and signed, in their order, with nothing changed, "
        "removed or inserted since it signed them. ");
    if (v.unsigned_entries > 0) {
      absl::StrAppend(
          &text, Plural(v.unsigned_entries, "entry", "entries"),
          " after the last checkpoint ", v.unsigned_entries == 1 ? "is" : "are",
          " not signed and could have been altered without detection. ");
    }
  } else {
    absl::StrAppend(&text, "The audit log of ", run,
                    " has no signed checkpoint, so none of its ",
                    Plural(v.entries, "entry is", "entries are"),
                    " proven: the facts below are what the files say. ");
  }
  if (v.invariants_ok) {
    absl::StrAppend(&text,
                    "Replaying the entries, every protocol invariant holds "
                    "(uploads only from selected clients, aggregates only of "
                    "accepted uploads, nothing accepted after a withdrawal). ");
  } else {
    absl::StrAppend(&text, "Replaying the entries, an invariant is broken: ",
                    v.invariants, ". ");
  }
  const Totals& t = r.totals;
  absl::StrAppend(
      &text, "The run committed ",
      Plural(t.rounds_committed, "round", "rounds"), " (",
      Plural(t.rounds_abandoned, "attempt", "attempts"), " abandoned) with ",
      Plural(t.clients_joined, "client", "clients"), " joined and ",
      Plural(t.joins_refused, "join", "joins"), " refused; ",
      Plural(t.uploads_accepted, "upload was", "uploads were"), " accepted (",
      t.bytes_uploaded, " bytes), ", Plural(t.withdrawals, "client", "clients"),
      " withdrew consent and ",
      Plural(t.erasures, "erasure was", "erasures were"), " requested.");
  uint64_t matching = 0;
  for (const Artifact& a : r.artifacts) matching += a.logged ? 1 : 0;
  if (!r.artifacts.empty()) {
    absl::StrAppend(&text, " ", matching, " of ", r.artifacts.size(),
                    " files in the checkpoints directory match the model "
                    "digest the log committed for their round.");
  }
  return text;
}

std::vector<std::string> ReportLimitations(const ComplianceReport& r) {
  std::vector<std::string> out;
  const VerificationSection& v = r.verification;
  if (!v.log_ok) {
    out.push_back(
        "This log has no signed checkpoint: nothing in it is proven, and "
        "anyone with access to the run directory could have written it.");
  } else if (v.unsigned_entries > 0) {
    out.push_back(absl::StrCat(
        "The last ", Plural(v.unsigned_entries, "entry", "entries"),
        " of this log come after its last checkpoint: they are unsigned, so "
        "they could have been changed, added or (at the end) removed "
        "without detection."));
  }
  if (!v.invariants_ok) {
    out.push_back(absl::StrCat(
        "The entries break a protocol invariant (", v.invariants,
        "); the log is authentic but records a run that did not follow the "
        "protocol, or a server defect."));
  }
  for (const Artifact& a : r.artifacts) {
    if (!a.logged) {
      out.push_back(absl::StrCat(
          a.path,
          a.expected_sha256.empty()
              ? " has no digest in the log, so the log does not vouch for it."
              : " does not match the digest the log committed for it: it is "
                "not the model the run produced."));
    }
  }
  out.push_back(
      "The log records what the aggregator saw and did. It cannot show what "
      "a client did on its device: which data it trained on, whether its "
      "declared data footprint is true, or whether the consent it reported "
      "was given.");
  out.push_back(
      "The processing record, the settings and the retention policy are the "
      "operator's declarations, logged at run start. The signature proves "
      "they were declared for this run, not that they are accurate or "
      "lawful.");
  out.push_back(
      "A signed log proves integrity only since its signing: the aggregator "
      "that holds the audit key could have written a different log from the "
      "start. Checkpoints given to clients (receipts) and kept by a third "
      "party are what bind the operator to this log.");
  out.push_back(
      "Deleting buffers is recorded by the aggregator itself; the log cannot "
      "prove that storage media, backups or other copies were erased.");
  out.push_back(
      "Secure aggregation and differential privacy protect individual "
      "updates only as configured; the report states the settings and the "
      "spend the server logged, not a proof of the privacy guarantee.");
  return out;
}

std::string UploadContentNote() {
  return "No client-to-server message has a field that carries training "
         "examples, labels or features. The only bulk field a client sends "
         "is the upload's data: a model-shaped tensor set (a weight update "
         "whose tensor shapes the server checks against the global model) "
         "or, in a secure round, a masked vector of the model's length that "
         "the server can only sum. Everything else is counts, metrics, "
         "digests and protocol keys.";
}

std::string JoinList(const std::vector<std::string>& values,
                     absl::string_view separator) {
  return values.empty() ? "-" : absl::StrJoin(values, separator);
}

std::string JoinVersions(const std::vector<uint64_t>& versions) {
  return versions.empty() ? "-" : absl::StrJoin(versions, ", ");
}

std::string FormatDouble(double value) {
  if (!std::isfinite(value)) return "-";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

}  // namespace fedge::audit::report
