#include "server/torn_writes.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/util/file_util.h"
#include "common/util/logging.h"
#include "server/round_state.h"

namespace fedge::server {
namespace {

constexpr const char* kFolders[] = {"checkpoints",      "models",
                                    "strategy",         "privacy",
                                    kPrivacySpentState, "audit"};

// Whether `name` is NAME.tmp-PID of another process than this one.
bool IsOrphanedTemporary(const std::string& name) {
  const size_t at = name.rfind(".tmp-");
  if (at == std::string::npos || at == 0) return false;
  int pid = 0;
  if (!absl::SimpleAtoi(name.substr(at + 5), &pid)) return false;
  return pid != ::getpid();
}

}  // namespace

std::vector<std::string> RemoveTornWrites(const std::string& run_dir) {
  std::vector<std::string> removed;
  for (const char* folder : kFolders) {
    const std::filesystem::path dir = util::JoinPath(run_dir, folder);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (!entry.is_regular_file(ec)) continue;
      if (!IsOrphanedTemporary(entry.path().filename().string())) continue;
      std::error_code removal;
      if (!std::filesystem::remove(entry.path(), removal)) {
        FEDGE_LOG(Warning, "server")
            << "cannot remove " << entry.path().string()
            << ", the temporary file of a write a killed server left: "
            << removal.message();
        continue;
      }
      FEDGE_LOG(Info, "server")
          << "removed " << entry.path().string()
          << ", the temporary file of a write a killed server left";
      removed.push_back(entry.path().string());
    }
  }
  return removed;
}

}  // namespace fedge::server
