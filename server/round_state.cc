#include "server/round_state.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto/sha256.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::server {
namespace {

std::string StatePath(const std::string& run_dir, absl::string_view kind,
                      uint64_t round) {
  return util::JoinPath(run_dir,
                        absl::StrFormat("%s/round-%06d.state", kind, round));
}

}  // namespace

absl::Status SaveRoundState(const std::string& run_dir, absl::string_view kind,
                            uint64_t round, absl::string_view state) {
  FEDGE_RETURN_IF_ERROR(util::MakeDirectories(util::JoinPath(run_dir, kind)));
  std::string file =
      absl::StrCat(crypto::DigestBytes(crypto::Sha256(state)), state);
  FEDGE_RETURN_IF_ERROR(
      util::WriteFileAtomically(StatePath(run_dir, kind, round), file));
  if (round >= 2) {
    std::error_code ignored;
    std::filesystem::remove(StatePath(run_dir, kind, round - 2), ignored);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LoadRoundState(const std::string& run_dir,
                                           absl::string_view kind,
                                           uint64_t round) {
  const std::string path = StatePath(run_dir, kind, round);
  FEDGE_ASSIGN_OR_RETURN(std::string file, util::ReadFile(path));
  constexpr size_t kDigestBytes = sizeof(crypto::Sha256Digest);
  if (file.size() < kDigestBytes) {
    return absl::DataLossError(
        absl::StrCat(path, " is too short to hold its state"));
  }
  std::string state = file.substr(kDigestBytes);
  if (crypto::DigestBytes(crypto::Sha256(state)) !=
      file.substr(0, kDigestBytes)) {
    return absl::DataLossError(absl::StrCat(
        path, " does not match its SHA-256: the file was damaged"));
  }
  return state;
}

}  // namespace fedge::server
