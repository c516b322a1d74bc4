#ifndef FEDGE_COMMON_TESTING_TEMP_DIR_H_
#define FEDGE_COMMON_TESTING_TEMP_DIR_H_

// Test support: fresh directories under the test temp dir that go away when
// the test program ends. Link target `fedge_testing`.

#include <string>

namespace fedge::testing {

// Creates a new, empty directory under ::testing::TempDir() named `prefix`
// followed by a unique suffix, and returns its path (no trailing '/'). It is
// removed, with everything in it, when the test program exits normally.
// A failure to create it is reported as a test failure (ADD_FAILURE) and the
// unused path is returned. Thread-safe.
std::string MakeTempDir(const std::string& prefix);

}  // namespace fedge::testing

#endif  // FEDGE_COMMON_TESTING_TEMP_DIR_H_
