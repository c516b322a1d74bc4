#include "common/audit/checkpoint.h"

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fedge::audit {
namespace {

bool IsLine(absl::string_view line) {
  return !line.empty() && !absl::StrContains(line, '\n');
}

}  // namespace

absl::StatusOr<std::string> CheckpointText(const Checkpoint& checkpoint) {
  if (!IsLine(checkpoint.origin)) {
    return absl::InvalidArgumentError(
        "a checkpoint's origin must be one non-empty line");
  }
  std::string text =
      absl::StrCat(checkpoint.origin, "\n", checkpoint.size, "\n",
                   absl::Base64Escape(absl::string_view(
                       reinterpret_cast<const char*>(checkpoint.root.data()),
                       checkpoint.root.size())),
                   "\n");
  for (const std::string& extension : checkpoint.extensions) {
    if (!IsLine(extension)) {
      return absl::InvalidArgumentError(
          "a checkpoint's extension lines must be non-empty single lines");
    }
    absl::StrAppend(&text, extension, "\n");
  }
  return text;
}

absl::StatusOr<Checkpoint> ParseCheckpoint(absl::string_view text) {
  if (!absl::ConsumeSuffix(&text, "\n")) {
    return absl::DataLossError("a checkpoint must end in a newline");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.size() < 3) {
    return absl::DataLossError(
        "a checkpoint needs an origin, a size and a root hash");
  }
  Checkpoint checkpoint;
  if (lines[0].empty()) {
    return absl::DataLossError("line 1 of the checkpoint (origin) is empty");
  }
  checkpoint.origin = std::string(lines[0]);
  if (lines[1].empty() || !absl::c_all_of(lines[1], absl::ascii_isdigit) ||
      (lines[1].size() > 1 && lines[1][0] == '0') ||
      !absl::SimpleAtoi(lines[1], &checkpoint.size)) {
    return absl::DataLossError(absl::StrCat(
        "line 2 of the checkpoint is not a tree size: '", lines[1], "'"));
  }
  std::string root;
  if (!absl::Base64Unescape(lines[2], &root) ||
      root.size() != checkpoint.root.size() ||
      absl::Base64Escape(root) != lines[2]) {
    return absl::DataLossError(
        absl::StrCat("line 3 of the checkpoint is not a base64 SHA-256 hash: '",
                     lines[2], "'"));
  }
  std::copy(root.begin(), root.end(), checkpoint.root.begin());
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return absl::DataLossError(
          absl::StrCat("line ", i + 1, " of the checkpoint is empty"));
    }
    checkpoint.extensions.emplace_back(lines[i]);
  }
  return checkpoint;
}

}  // namespace fedge::audit
