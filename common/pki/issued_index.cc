#include "common/pki/issued_index.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/util/file_util.h"

namespace fedge::pki {
namespace {

constexpr char kIndexHeader[] = "# serial\trole\tid\tnot_after\tstatus\n";

}  // namespace

absl::StatusOr<std::vector<IssuedRecord>> ReadIssuedIndex(
    const std::string& path) {
  absl::StatusOr<std::string> text = util::ReadFile(path);
  if (absl::IsNotFound(text.status())) return std::vector<IssuedRecord>();
  if (!text.ok()) return text.status();
  std::vector<IssuedRecord> records;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (fields.size() != 5) {
      return absl::DataLossError(
          absl::StrCat(path, ":", line_number,
                       ": expected 5 tab-separated fields (serial, "
                       "role, id, not_after, status), found ",
                       fields.size()));
    }
    records.push_back({fields[0], fields[1], fields[2], fields[3], fields[4]});
  }
  return records;
}

absl::Status WriteIssuedIndex(const std::string& path,
                              const std::vector<IssuedRecord>& records) {
  std::string text = kIndexHeader;
  for (const IssuedRecord& r : records) {
    absl::StrAppend(
        &text,
        absl::StrJoin({r.serial, r.role, r.id, r.not_after, r.status}, "\t"),
        "\n");
  }
  return util::WriteFileAtomically(path, text, 0644);
}

}  // namespace fedge::pki
