#ifndef FEDGE_SERVER_ROUND_STATE_H_
#define FEDGE_SERVER_ROUND_STATE_H_

// State that must advance with the committed model, saved beside each
// checkpoint so that a restarted server resumes it where the model left it:
// a server optimiser's moments (kind "strategy"), the privacy ledger (kind
// "privacy") and the round's privacy spending as the audit log records it
// (kind kPrivacySpentState, an encoded v1::PrivacySpent, which lets a
// restart append the entry the log missed: audit_recovery.h). The file of
// round r is RUN_DIR/KIND/round-NNNNNN.state: the SHA-256 of the state, then
// the state. Like the checkpoint it is written atomically before the store
// records the round; the file of round r - 2 and older is then removed.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fedge::server {

inline constexpr char kPrivacySpentState[] = "privacy-spent";

// Saves `state` as round `round`'s state of `kind`.
absl::Status SaveRoundState(const std::string& run_dir, absl::string_view kind,
                            uint64_t round, absl::string_view state);

// Loads round `round`'s state of `kind`. NotFound if there is none; DataLoss
// if the file is damaged.
absl::StatusOr<std::string> LoadRoundState(const std::string& run_dir,
                                           absl::string_view kind,
                                           uint64_t round);

}  // namespace fedge::server

#endif  // FEDGE_SERVER_ROUND_STATE_H_
