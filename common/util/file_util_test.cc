#include "common/util/file_util.h"

#include <sys/stat.h>

#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::util {
namespace {

TEST(FileUtilTest, WriteAtomicallyThenReadBackWithExactMode) {
  std::string dir = fedge::testing::MakeTempDir("fedge_file_util");
  std::string path = JoinPath(dir, "key.pem");
  ASSERT_TRUE(WriteFileAtomically(path, "secret", 0600).ok());
  auto data = ReadFile(path);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(*data, "secret");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_TRUE(CheckPrivateFile(path).ok());
}

TEST(FileUtilTest, ReplaceKeepsOnlyNewContent) {
  std::string dir = fedge::testing::MakeTempDir("fedge_file_util");
  std::string path = JoinPath(dir, "f");
  ASSERT_TRUE(WriteFileAtomically(path, "a much longer first version").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "v2").ok());
  EXPECT_EQ(*ReadFile(path), "v2");
}

TEST(FileUtilTest, ReadMissingFileIsNotFound) {
  auto data = ReadFile("/nonexistent/fedge/file");
  EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(data.status().message()),
              ::testing::HasSubstr("/nonexistent/fedge/file"));
}

TEST(FileUtilTest, GroupReadableKeyIsRefusedWithChmodAdvice) {
  std::string dir = fedge::testing::MakeTempDir("fedge_file_util");
  std::string path = JoinPath(dir, "key.pem");
  ASSERT_TRUE(WriteFileAtomically(path, "k", 0644).ok());
  absl::Status status = CheckPrivateFile(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("chmod 600 " + path));
}

TEST(FileUtilTest, MakeDirectoriesCreatesParents) {
  std::string dir = fedge::testing::MakeTempDir("fedge_file_util");
  std::string deep = JoinPath(dir, "a/b/c");
  ASSERT_TRUE(MakeDirectories(deep).ok());
  struct stat st;
  ASSERT_EQ(::stat(deep.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(MakeDirectories(deep).ok());
}

}  // namespace
}  // namespace fedge::util
