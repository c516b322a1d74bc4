#ifndef FEDGE_COMMON_CONFIG_KEY_SUGGESTION_H_
#define FEDGE_COMMON_CONFIG_KEY_SUGGESTION_H_

// "Did you mean ...?" for unknown config keys.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace fedge::config {

// The known key closest to `unknown`, or "" if none is close: the one at the
// smallest edit distance (insert, delete, substitute, swap neighbours) if
// that is at most 2 and less than unknown's length (first declared wins a
// tie); otherwise the only key sharing the longest common prefix with
// `unknown`, if that prefix is at least 3 characters long or is the whole
// key (of 2 or more characters).
std::string SuggestKey(absl::string_view unknown,
                       const std::vector<std::string>& known);

}  // namespace fedge::config

#endif  // FEDGE_COMMON_CONFIG_KEY_SUGGESTION_H_
