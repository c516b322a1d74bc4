// `fedge audit`: checks a run's audit log, a participant's receipt, and
// writes the run's GDPR compliance report. Reads files only; needs no
// server.

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/command.h"
#include "cli/command_support.h"
#include "cli/flags.h"
#include "common/audit/audit_log.h"
#include "common/audit/receipt.h"
#include "common/audit/report/compliance_report.h"
#include "common/audit/report/report_html.h"
#include "common/audit/report/report_json.h"
#include "common/audit/report/report_markdown.h"
#include "common/audit/run_verifier.h"
#include "common/crypto/sha256.h"
#include "common/util/file_util.h"

namespace fedge::cli {
namespace {

constexpr char kCommand[] = "fedge audit";

constexpr char kUsage[] =
    "usage: fedge audit <command> [flags]\n"
    "\n"
    "commands:\n"
    "  verify          check a run's audit log: every record, Merkle root\n"
    "                  and checkpoint signature, and the invariants of its\n"
    "                  events (--run; exit 0 when all hold)\n"
    "  verify-receipt  check a participant's receipt (--receipt, --key):\n"
    "                  its signature and inclusion proof, and that the log\n"
    "                  still holds its entry: against the run's log (--run)\n"
    "                  or a later checkpoint with its consistency proof\n"
    "                  (--evidence, made by `prove`)\n"
    "  prove           write the evidence that the run's latest checkpoint\n"
    "                  extends a receipt's (--run, --receipt, --out), for a\n"
    "                  receipt holder who does not have the log\n"
    "  report          write the run's GDPR compliance report (--run, --out)\n"
    "\n"
    "flags:\n";

const std::vector<FlagDef>& Flags() {
  static const auto* flags = new std::vector<FlagDef>{
      {"run", "DIR", "the server's run directory (holds audit/)"},
      {"key", "PUB",
       "the federation's audit public key (audit.pub from `fedge pki "
       "init`); default: the copy in DIR/audit"},
      {"receipt", "FILE", "a receipt a client kept (verify-receipt, prove)"},
      {"evidence", "FILE", "a later checkpoint with its consistency proof"},
      {"out", "FILE", "where to write the report"},
      {"format", "FORMAT", "html, json or md (default: from --out, else html)"},
      {"help", "", "show this help"},
  };
  return *flags;
}

struct Key {
  crypto::Ed25519PublicKey key{};
  std::string source;
};

// --key, or the copy beside the log (with a warning: it proves only that
// whoever holds the matching private key wrote the log).
absl::StatusOr<Key> LoadKey(const ParsedFlags& flags,
                            const std::string& audit_dir) {
  Key key;
  if (flags.Has("key")) {
    key.source = flags.Get("key");
  } else {
    if (audit_dir.empty()) {
      return absl::InvalidArgumentError(
          "--key is required: the federation's audit public key (audit.pub)");
    }
    key.source = util::JoinPath(audit_dir, audit::kPublicKeyCopyFile);
    std::cerr << "fedge audit: note: using the public key stored in the run "
                 "directory ("
              << key.source
              << "); to rule out a log and key replaced together, pass "
                 "--key with the key the operator published\n";
  }
  auto loaded = audit::ReadAuditPublicKey(key.source);
  if (!loaded.ok()) return loaded.status();
  key.key = *loaded;
  return key;
}

template <typename Message>
absl::StatusOr<Message> ReadProto(const std::string& path,
                                  const std::string& what) {
  auto bytes = util::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  Message message;
  if (!message.ParseFromString(*bytes)) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not ", what));
  }
  return message;
}

std::string AuditDir(const ParsedFlags& flags) {
  return util::JoinPath(flags.Get("run"), "audit");
}

// NotFound, saying what --run should be, if `dir` holds no audit log.
absl::Status RequireLog(const ParsedFlags& flags, const std::string& dir) {
  if (std::filesystem::exists(util::JoinPath(dir, "records.log"))) {
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat(
      flags.Get("run"), " holds no audit log (no ", dir,
      "/records.log): --run takes a server's run directory (run.dir in its "
      "config; RUN_DIR/server for `fedge sim`)"));
}

int Verify(const ParsedFlags& flags) {
  const std::string dir = AuditDir(flags);
  if (absl::Status s = RequireLog(flags, dir); !s.ok()) {
    return Fail(kCommand, s, kExitUsage);
  }
  auto key = LoadKey(flags, dir);
  if (!key.ok()) return Fail(kCommand, key.status(), kExitUsage);
  auto run = audit::VerifyRun(dir, key->key);
  if (!run.ok()) {
    std::cout << "audit log " << dir << ": FAILED\n  " << run.status().message()
              << "\n";
    return kExitFailure;
  }
  std::cout << "audit log " << dir << " (" << run->origin << ")\n"
            << "  entries:      " << run->log.entries << "\n"
            << "  checkpoints:  " << run->log.checkpoints << "\n"
            << "  integrity:    OK (every record, Merkle root and checkpoint "
               "signature, key "
            << key->source << ")\n";
  if (run->log.unsigned_entries > 0) {
    std::cout << "  unsigned:     " << run->log.unsigned_entries
              << " entries after the last checkpoint (the server is running, "
                 "or stopped before signing them)\n";
  }
  if (!run->invariants.ok()) {
    std::cout << "  invariants:   FAILED: " << run->invariants.message()
              << "\n";
    return kExitFailure;
  }
  std::cout << "  invariants:   OK (rounds in order; aggregates only of "
               "accepted uploads of selected clients; nothing after a "
               "withdrawal or erasure; secure aggregation thresholds met; "
               "privacy budget kept)\n";
  return kExitOk;
}

int VerifyReceipt(const ParsedFlags& flags) {
  if (absl::Status s =
          RequireFlag(flags, "receipt", "fedge audit verify-receipt");
      !s.ok()) {
    return Fail(kCommand, s, kExitUsage);
  }
  const std::string dir = flags.Has("run") ? AuditDir(flags) : "";
  if (!dir.empty()) {
    if (absl::Status s = RequireLog(flags, dir); !s.ok()) {
      return Fail(kCommand, s, kExitUsage);
    }
  }
  auto key = LoadKey(flags, dir);
  if (!key.ok()) return Fail(kCommand, key.status(), kExitUsage);
  auto receipt =
      ReadProto<v1::AuditReceipt>(flags.Get("receipt"),
                                  "an audit receipt (clients keep them in "
                                  "STATE_DIR/receipts/round-NNNNNN.receipt)");
  if (!receipt.ok()) return Fail(kCommand, receipt.status(), kExitUsage);
  std::optional<v1::ConsistencyEvidence> evidence;
  if (flags.Has("evidence")) {
    auto read = ReadProto<v1::ConsistencyEvidence>(
        flags.Get("evidence"), "consistency evidence (`fedge audit prove`)");
    if (!read.ok()) return Fail(kCommand, read.status(), kExitUsage);
    evidence = *read;
  }
  absl::StatusOr<audit::CheckedReceipt> checked =
      dir.empty() ? audit::CheckReceipt(*receipt, key->key)
                  : audit::CheckReceiptAgainstLog(*receipt, dir, key->key);
  if (checked.ok() && evidence.has_value()) {
    if (absl::Status s = audit::CheckEvidence(*checked, *evidence, key->key);
        !s.ok()) {
      checked = s;
    }
  }
  if (!checked.ok()) {
    std::cout << "receipt " << flags.Get("receipt") << ": FAILED\n  "
              << checked.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << "receipt " << flags.Get("receipt") << ": OK\n"
            << "  client " << receipt->client_id() << ", round "
            << receipt->round() << ", upload sha256 "
            << crypto::ToHex(receipt->upload_sha256()) << "\n"
            << "  entry " << receipt->index() << " of the log "
            << receipt->origin() << ", in its checkpoint of "
            << checked->checkpoint.size << " entries (signature verified)\n";
  if (!dir.empty()) {
    std::cout << "  the log in " << dir
              << " still holds the entry, and its latest checkpoint extends "
                 "the receipt's (consistency proof verified)\n";
  }
  if (evidence.has_value()) {
    std::cout << "  the evidence's checkpoint extends the receipt's "
                 "(consistency proof verified)\n";
  }
  return kExitOk;
}

int Prove(const ParsedFlags& flags) {
  for (const char* required : {"run", "receipt", "out"}) {
    if (absl::Status s = RequireFlag(flags, required, "fedge audit prove");
        !s.ok()) {
      return Fail(kCommand, s, kExitUsage);
    }
  }
  const std::string dir = AuditDir(flags);
  if (absl::Status s = RequireLog(flags, dir); !s.ok()) {
    return Fail(kCommand, s, kExitUsage);
  }
  auto key = LoadKey(flags, dir);
  if (!key.ok()) return Fail(kCommand, key.status(), kExitUsage);
  auto receipt =
      ReadProto<v1::AuditReceipt>(flags.Get("receipt"), "an audit receipt");
  if (!receipt.ok()) return Fail(kCommand, receipt.status(), kExitUsage);
  auto checked = audit::CheckReceiptAgainstLog(*receipt, dir, key->key);
  if (!checked.ok()) return Fail(kCommand, checked.status(), kExitFailure);
  auto evidence = audit::ProveStillLogged(*checked, dir, key->key);
  if (!evidence.ok()) return Fail(kCommand, evidence.status(), kExitFailure);
  if (absl::Status s = util::WriteFileAtomically(
          flags.Get("out"), evidence->SerializeAsString(), 0644);
      !s.ok()) {
    return Fail(kCommand, s, kExitFailure);
  }
  std::cout << "wrote " << flags.Get("out") << ": the log's checkpoint of "
            << "its latest size extends the receipt's tree of "
            << evidence->from_size() << " entries (" << evidence->proof_size()
            << " proof hashes)\n";
  return kExitOk;
}

int Report(const ParsedFlags& flags) {
  for (const char* required : {"run", "out"}) {
    if (absl::Status s = RequireFlag(flags, required, "fedge audit report");
        !s.ok()) {
      return Fail(kCommand, s, kExitUsage);
    }
  }
  const std::string out = flags.Get("out");
  std::string format = flags.Get("format");
  if (format.empty()) {
    format = absl::EndsWith(out, ".json") ? "json"
             : absl::EndsWith(out, ".md") ? "md"
                                          : "html";
  }
  if (format != "html" && format != "json" && format != "md") {
    return Fail(
        kCommand,
        absl::StrCat("--format must be html, json or md, not '", format, "'"),
        kExitUsage);
  }
  const std::string dir = AuditDir(flags);
  if (absl::Status s = RequireLog(flags, dir); !s.ok()) {
    return Fail(kCommand, s, kExitUsage);
  }
  auto key = LoadKey(flags, dir);
  if (!key.ok()) return Fail(kCommand, key.status(), kExitUsage);
  auto run = audit::VerifyRun(dir, key->key);
  if (!run.ok()) {
    return Fail(kCommand,
                absl::StrCat("the audit log does not verify, so no report is "
                             "written: ",
                             run.status().message()),
                kExitFailure);
  }
  audit::report::ReportInputs inputs;
  inputs.run_dir = flags.Get("run");
  inputs.log = std::move(run->log);
  inputs.invariants = run->invariants;
  inputs.key_source = key->source;
  inputs.generated_unix_ms = absl::ToUnixMillis(absl::Now());
  auto report = audit::report::BuildComplianceReport(inputs);
  if (!report.ok()) return Fail(kCommand, report.status(), kExitFailure);
  std::string text = format == "json" ? audit::report::RenderJson(*report)
                     : format == "md" ? audit::report::RenderMarkdown(*report)
                                      : audit::report::RenderHtml(*report);
  if (absl::Status s = util::WriteFileAtomically(out, text, 0644); !s.ok()) {
    return Fail(kCommand, s, kExitFailure);
  }
  std::cout << "wrote " << out << " (" << format << ", " << text.size()
            << " bytes)\n";
  if (!run->invariants.ok()) {
    std::cerr << "fedge audit: the log's invariants do not hold: "
              << run->invariants.message()
              << " (the report says so in its verification section)\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int RunAudit(const Args& all_args) {
  if (all_args.empty() || all_args[0] == "--help") {
    (all_args.empty() ? std::cerr : std::cout) << kUsage << FlagsUsage(Flags());
    return all_args.empty() ? kExitUsage : kExitOk;
  }
  const std::string command = all_args[0];
  if (command != "verify" && command != "verify-receipt" &&
      command != "report" && command != "prove") {
    return UsageError(
        absl::StrCat(kCommand, ": unknown command '", command, "'"),
        absl::StrCat(kUsage, FlagsUsage(Flags())));
  }
  Args args(all_args.begin() + 1, all_args.end());
  auto flags = ParseFlags(Flags(), args, absl::StrCat(kCommand, " ", command));
  if (!flags.ok()) {
    std::cerr << flags.status().message() << "\n";
    return kExitUsage;
  }
  if (flags->Switch("help")) {
    std::cout << kUsage << FlagsUsage(Flags());
    return kExitOk;
  }
  if (command == "verify") {
    if (absl::Status s = RequireFlag(*flags, "run", "fedge audit verify");
        !s.ok()) {
      return Fail(kCommand, s, kExitUsage);
    }
    return Verify(*flags);
  }
  if (command == "verify-receipt") return VerifyReceipt(*flags);
  if (command == "prove") return Prove(*flags);
  return Report(*flags);
}

}  // namespace fedge::cli
