#include "common/audit/report/artifacts.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/crypto/sha256.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::audit::report {

std::optional<uint64_t> CheckpointRound(const std::string& file_name) {
  absl::string_view name = file_name;
  if (!absl::ConsumePrefix(&name, "round-") ||
      !absl::ConsumeSuffix(&name, ".fedge") || name.empty() ||
      !std::all_of(name.begin(), name.end(), absl::ascii_isdigit)) {
    return std::nullopt;
  }
  uint64_t round = 0;
  if (!absl::SimpleAtoi(name, &round)) return std::nullopt;
  return round;
}

absl::StatusOr<std::vector<Artifact>> ListArtifacts(
    const std::string& run_dir,
    const std::map<uint64_t, std::string>& expected) {
  const std::string dir = util::JoinPath(run_dir, "checkpoints");
  std::vector<Artifact> artifacts;
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return artifacts;

  std::vector<std::string> names;
  for (std::filesystem::directory_iterator it(dir, error), end;
       !error && it != end; it.increment(error)) {
    if (it->is_regular_file(error)) {
      names.push_back(it->path().filename().string());
    }
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", dir, ": ", error.message()));
  }
  // Directory order is the file system's; the report's must not be.
  std::sort(names.begin(), names.end());

  for (const std::string& name : names) {
    FEDGE_ASSIGN_OR_RETURN(std::string data,
                           util::ReadFile(util::JoinPath(dir, name)));
    Artifact artifact;
    artifact.path = util::JoinPath("checkpoints", name);
    artifact.bytes = data.size();
    artifact.sha256 = crypto::ToHex(crypto::Sha256(data));
    artifact.round = CheckpointRound(name);
    if (artifact.round.has_value()) {
      auto it = expected.find(*artifact.round);
      if (it != expected.end()) artifact.expected_sha256 = it->second;
    }
    artifact.logged = !artifact.expected_sha256.empty() &&
                      artifact.expected_sha256 == artifact.sha256;
    artifacts.push_back(std::move(artifact));
  }
  return artifacts;
}

}  // namespace fedge::audit::report
