#include "server/torn_writes.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::server {
namespace {

using ::testing::UnorderedElementsAre;

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

TEST(TornWritesTest, RemovesOnlyOtherProcessesTemporaryFiles) {
  const std::string run = fedge::testing::MakeTempDir("fedge_torn_writes");
  ASSERT_TRUE(util::MakeDirectories(util::JoinPath(run, "checkpoints")).ok());
  ASSERT_TRUE(util::MakeDirectories(util::JoinPath(run, "privacy")).ok());
  ASSERT_TRUE(util::MakeDirectories(util::JoinPath(run, "privacy-spent")).ok());
  const std::string torn =
      util::JoinPath(run, "checkpoints/round-000002.fedge.tmp-4242");
  const std::string torn_state =
      util::JoinPath(run, "privacy/round-000002.state.tmp-77");
  const std::string torn_spent =
      util::JoinPath(run, "privacy-spent/round-000002.state.tmp-77");
  const std::string whole =
      util::JoinPath(run, "checkpoints/round-000001.fedge");
  const std::string mine = util::JoinPath(
      run, absl::StrCat("checkpoints/round-000003.fedge.tmp-", ::getpid()));
  const std::string lookalike =
      util::JoinPath(run, "checkpoints/notes.tmp-draft");
  const std::string elsewhere = util::JoinPath(run, "state.db.tmp-4242");
  for (const std::string& path :
       {torn, torn_state, torn_spent, whole, mine, lookalike, elsewhere}) {
    ASSERT_TRUE(util::WriteFileAtomically(path, "x").ok()) << path;
  }
  EXPECT_THAT(RemoveTornWrites(run),
              UnorderedElementsAre(torn, torn_state, torn_spent));
  EXPECT_FALSE(Exists(torn));
  EXPECT_FALSE(Exists(torn_state));
  EXPECT_FALSE(Exists(torn_spent));
  EXPECT_TRUE(Exists(whole));
  EXPECT_TRUE(Exists(mine));
  EXPECT_TRUE(Exists(lookalike));
  EXPECT_TRUE(Exists(elsewhere));
  EXPECT_TRUE(RemoveTornWrites(run).empty());
}

TEST(TornWritesTest, NewRunDirectoryHasNothingToRemove) {
  EXPECT_TRUE(RemoveTornWrites(fedge::testing::MakeTempDir("fedge_torn_writes"))
                  .empty());
}

}  // namespace
}  // namespace fedge::server
