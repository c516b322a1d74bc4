#ifndef FEDGE_COMMON_CONFIG_CONFIG_TEST_UTIL_H_
#define FEDGE_COMMON_CONFIG_CONFIG_TEST_UTIL_H_

// Helpers shared by the config tests.

#include <string>

namespace fedge::config::testing {

// `relative` (e.g. "configs/server/server.yaml") as a path from the
// repository root, found from this header's own location so that tests do
// not depend on the working directory. A relative __FILE__ (ccache's
// base_dir makes one) cannot locate anything; then `relative` is returned
// as is, for ctest runs the tests from the repository root.
inline std::string RepoPath(const std::string& relative) {
  const std::string here = __FILE__;
  const size_t pos = here.rfind("common/config/");
  if (pos == std::string::npos || here.front() != '/') return relative;
  return here.substr(0, pos) + relative;
}

}  // namespace fedge::config::testing

#endif  // FEDGE_COMMON_CONFIG_CONFIG_TEST_UTIL_H_
