#ifndef FEDGE_COMMON_AUDIT_REPORT_REPORT_TEST_LOG_H_
#define FEDGE_COMMON_AUDIT_REPORT_REPORT_TEST_LOG_H_

// Test support: a scripted run written as a real, signed audit log with its
// model checkpoints, and the report inputs an auditor would assemble for it.
//
// The script: a secure run in eu-west; clients c1, c2 (eu-west) and c3, c4
// (eu-central) join, c5 (us-east) is refused. Round 1 is plaintext: c1-c3
// accepted, c4 rejected and dropped, model 1 committed. Round 2 is secure:
// c3 drops out, c1, c2, c4 are unmasked, model 2 committed. Then c2
// withdraws consent, an admin erases c1, and the run ends. Checkpoint files
// for rounds 0-2 hold the models the log committed.

#include <cstdint>
#include <string>
#include <vector>

#include "common/audit/report/compliance_report.h"
#include "common/crypto/ed25519.h"
#include "fedge/v1/audit.pb.h"

namespace fedge::audit::report::testing {

inline constexpr char kTestOrigin[] = "fedge.test/run-42";
inline constexpr int64_t kTestStartMs = 1795000000000;  // 2026-11-18T11:06:40Z

struct TestRun {
  std::string run_dir;
  crypto::Ed25519KeyPair key;
  std::vector<v1::AuditEvent> events;  // as written, in log order
  // The model checkpoint files' contents, by round.
  std::vector<std::string> models;
};

// Writes the scripted run under a new temp dir. With `unsigned_tail` the
// last entries are appended after the last checkpoint.
TestRun WriteTestRun(bool unsigned_tail = false);

// Verifies the run's log and checks its invariants, as `fedge audit report`
// does; fails the test if the log does not verify.
ReportInputs InputsFor(const TestRun& run);

// The index of the first event of `kind` (and, if not empty, naming
// `client_id`), or -1.
int64_t IndexOf(const TestRun& run, v1::AuditEvent::EventCase kind,
                const std::string& client_id = "");

// Report inputs from events alone (no files, no checkpoints), for tests of
// the replay and the renderers.
ReportInputs InputsFromEvents(const std::vector<v1::AuditEvent>& events);

}  // namespace fedge::audit::report::testing

#endif  // FEDGE_COMMON_AUDIT_REPORT_REPORT_TEST_LOG_H_
