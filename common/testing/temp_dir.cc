#include "common/testing/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

#include "gtest/gtest.h"

namespace fedge::testing {
namespace {

// Every directory made by MakeTempDir; its destructor runs at exit (after
// main returns) and removes them.
class MadeDirs {
 public:
  ~MadeDirs() {
    for (const std::string& dir : dirs_) {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  }
  void Add(std::string dir) {
    std::lock_guard<std::mutex> lock(mu_);
    dirs_.push_back(std::move(dir));
  }

 private:
  std::mutex mu_;
  std::vector<std::string> dirs_;
};

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  static MadeDirs made_dirs;
  std::string pattern =
      (std::filesystem::path(::testing::TempDir()) / (prefix + "-XXXXXX"))
          .string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "cannot create a temp directory " << pattern << ": "
                  << std::strerror(errno);
    return pattern;
  }
  made_dirs.Add(pattern);
  return pattern;
}

}  // namespace fedge::testing
