#include "server/strategy_state.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crypto/sha256.h"
#include "common/util/file_util.h"
#include "common/util/status_macros.h"

namespace fedge::server {
namespace {

std::string StatePath(const std::string& run_dir, uint64_t round) {
  return util::JoinPath(run_dir,
                        absl::StrFormat("strategy/round-%06d.state", round));
}

}  // namespace

absl::Status SaveStrategyState(const std::string& run_dir, uint64_t round,
                               const AggregationStrategy& strategy) {
  if (!strategy.has_state()) return absl::OkStatus();
  FEDGE_ASSIGN_OR_RETURN(std::string state, strategy.SerializeState());
  FEDGE_RETURN_IF_ERROR(
      util::MakeDirectories(util::JoinPath(run_dir, "strategy")));
  std::string file = crypto::DigestBytes(crypto::Sha256(state)) + state;
  FEDGE_RETURN_IF_ERROR(
      util::WriteFileAtomically(StatePath(run_dir, round), file));
  if (round >= 2) {
    std::error_code ignored;
    std::filesystem::remove(StatePath(run_dir, round - 2), ignored);
  }
  return absl::OkStatus();
}

absl::Status RestoreStrategyState(const std::string& run_dir, uint64_t round,
                                  AggregationStrategy* strategy) {
  if (!strategy->has_state() || round == 0) return absl::OkStatus();
  const std::string path = StatePath(run_dir, round);
  FEDGE_ASSIGN_OR_RETURN(std::string file, util::ReadFile(path));
  constexpr size_t kDigestBytes = sizeof(crypto::Sha256Digest);
  if (file.size() < kDigestBytes) {
    return absl::DataLossError(
        absl::StrCat(path, " is too short to hold a strategy state"));
  }
  absl::string_view state = absl::string_view(file).substr(kDigestBytes);
  if (crypto::DigestBytes(crypto::Sha256(state)) !=
      file.substr(0, kDigestBytes)) {
    return absl::DataLossError(absl::StrCat(
        path, " does not match its SHA-256: the file was damaged"));
  }
  return strategy->RestoreState(state);
}

}  // namespace fedge::server
