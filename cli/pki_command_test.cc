#include <sys/stat.h>

#include <string>

#include "cli/command.h"
#include "common/pki/authority.h"
#include "common/pki/identity.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Runs `fedge pki <args>` and captures what it prints.
struct PkiRun {
  explicit PkiRun(const Args& args) {
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    exit_code = RunPki(args);
    out = ::testing::internal::GetCapturedStdout();
    err = ::testing::internal::GetCapturedStderr();
  }
  int exit_code;
  std::string out;
  std::string err;
};

class PkiCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = util::JoinPath(fedge::testing::MakeTempDir("cli-pki"), "pki");
  }
  pki::PkiPaths paths() const { return pki::PkiPaths(dir_); }
  std::string dir_;
};

TEST_F(PkiCommandTest, InitCreatesTheFilesAndListsThem) {
  PkiRun run({"init", "--dir", dir_, "--server-name", "agg.example.org",
              "--server-name=10.0.0.7", "--federation", "acme", "--days",
              "90"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.err;
  EXPECT_EQ(run.err, "");
  for (const std::string& path :
       {paths().ca_cert(), paths().ca_key(), paths().server_cert(),
        paths().server_key(), paths().admin_cert(), paths().admin_key(),
        paths().audit_key(), paths().audit_pub(), paths().crl(),
        paths().issued_index()}) {
    EXPECT_TRUE(util::PathExists(path)) << path;
    EXPECT_THAT(run.out, HasSubstr(path));
  }
  EXPECT_THAT(run.out, HasSubstr("created federation 'acme'"));
  absl::StatusOr<pki::PeerIdentity> server =
      pki::IdentityFromPem(*util::ReadFile(paths().server_cert()));
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->id, "agg.example.org");
  EXPECT_TRUE(util::CheckPrivateFile(paths().ca_key()).ok());
}

TEST_F(PkiCommandTest, InitTwiceFailsUnlessForced) {
  ASSERT_EQ(PkiRun({"init", "--dir", dir_}).exit_code, kExitOk);
  PkiRun again({"init", "--dir", dir_});
  EXPECT_EQ(again.exit_code, kExitFailure);
  EXPECT_THAT(again.err, StartsWith("fedge pki: "));
  EXPECT_THAT(again.err, HasSubstr("--force"));
  EXPECT_EQ(PkiRun({"init", "--dir", dir_, "--force"}).exit_code, kExitOk);
}

TEST_F(PkiCommandTest, IssueAndRevokeAClient) {
  ASSERT_EQ(PkiRun({"init", "--dir", dir_}).exit_code, kExitOk);
  PkiRun issue({"issue-client", "--dir", dir_, "--id", "dev-1", "--days", "7"});
  ASSERT_EQ(issue.exit_code, kExitOk) << issue.err;
  EXPECT_THAT(issue.out, HasSubstr(paths().client_cert("dev-1")));
  EXPECT_THAT(issue.out, HasSubstr(paths().client_key("dev-1")));
  EXPECT_TRUE(util::PathExists(paths().client_cert("dev-1")));
  EXPECT_TRUE(util::CheckPrivateFile(paths().client_key("dev-1")).ok());

  PkiRun duplicate({"issue-client", "--dir", dir_, "--id", "dev-1"});
  EXPECT_EQ(duplicate.exit_code, kExitFailure);
  EXPECT_THAT(duplicate.err, StartsWith("fedge pki: client 'dev-1'"));

  std::string crl_before = *util::ReadFile(paths().crl());
  PkiRun revoke({"revoke", "--dir", dir_, "--id", "dev-1"});
  ASSERT_EQ(revoke.exit_code, kExitOk) << revoke.err;
  EXPECT_THAT(revoke.out, HasSubstr(paths().crl()));
  EXPECT_NE(*util::ReadFile(paths().crl()), crl_before);

  PkiRun again({"revoke", "--dir", dir_, "--id", "dev-1"});
  EXPECT_EQ(again.exit_code, kExitFailure);
  EXPECT_THAT(again.err, HasSubstr("already revoked"));

  PkiRun unknown({"revoke", "--dir", dir_, "--id", "nobody"});
  EXPECT_EQ(unknown.exit_code, kExitFailure);
  EXPECT_THAT(unknown.err, HasSubstr("'nobody'"));

  EXPECT_EQ(PkiRun({"issue-client", "--dir", dir_, "--id", "dev-1"}).exit_code,
            kExitOk);
}

TEST_F(PkiCommandTest, IssueASimulatorCertificate) {
  ASSERT_EQ(PkiRun({"init", "--dir", dir_}).exit_code, kExitOk);
  PkiRun issue({"issue-simulator", "--dir", dir_, "--id", "shard-0"});
  ASSERT_EQ(issue.exit_code, kExitOk) << issue.err;
  EXPECT_THAT(issue.out, HasSubstr(paths().simulator_cert("shard-0")));
  EXPECT_TRUE(util::CheckPrivateFile(paths().simulator_key("shard-0")).ok());
  absl::StatusOr<pki::PeerIdentity> simulator =
      pki::IdentityFromPem(*util::ReadFile(paths().simulator_cert("shard-0")));
  ASSERT_TRUE(simulator.ok()) << simulator.status();
  EXPECT_EQ(simulator->id, "shard-0");
  EXPECT_EQ(simulator->role, pki::Role::kSimulator);
  EXPECT_FALSE(util::PathExists(paths().client_cert("shard-0")));
}

TEST_F(PkiCommandTest, IssueWithoutInitSaysToRunInit) {
  PkiRun run({"issue-client", "--dir", dir_, "--id", "dev-1"});
  EXPECT_EQ(run.exit_code, kExitFailure);
  EXPECT_THAT(run.err, HasSubstr("fedge pki init --dir"));
}

TEST_F(PkiCommandTest, InvalidIdIsAUsageError) {
  ASSERT_EQ(PkiRun({"init", "--dir", dir_}).exit_code, kExitOk);
  PkiRun run({"issue-client", "--dir", dir_, "--id", "../escape"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_THAT(run.err, HasSubstr("invalid client id '../escape'"));
  EXPECT_FALSE(util::PathExists(util::JoinPath(dir_, "escape.crt")));
}

TEST_F(PkiCommandTest, UnknownFlagExitsTwoNamingIt) {
  PkiRun run({"init", "--dir", dir_, "--bogus", "1"});
  EXPECT_EQ(run.exit_code, kExitUsage);
  EXPECT_THAT(run.err, StartsWith("fedge pki: "));
  EXPECT_THAT(run.err, HasSubstr("--bogus"));
  EXPECT_THAT(run.err, HasSubstr("--server-name"));  // lists what is accepted
  EXPECT_FALSE(util::PathExists(dir_));
}

TEST_F(PkiCommandTest, MissingRequiredFlagAndBadValuesExitTwo) {
  PkiRun no_dir({"init"});
  EXPECT_EQ(no_dir.exit_code, kExitUsage);
  EXPECT_THAT(no_dir.err, HasSubstr("--dir is required"));

  PkiRun no_id({"issue-client", "--dir", dir_});
  EXPECT_EQ(no_id.exit_code, kExitUsage);
  EXPECT_THAT(no_id.err, HasSubstr("--id is required"));

  PkiRun bad_days({"init", "--dir", dir_, "--days", "ten"});
  EXPECT_EQ(bad_days.exit_code, kExitUsage);
  EXPECT_THAT(bad_days.err, HasSubstr("'ten'"));

  PkiRun bad_name({"init", "--dir", dir_, "--server-name", "no spaces"});
  EXPECT_EQ(bad_name.exit_code, kExitUsage);
  EXPECT_THAT(bad_name.err, HasSubstr("'no spaces'"));

  PkiRun stray({"revoke", "--dir", dir_, "--id", "x", "extra"});
  EXPECT_EQ(stray.exit_code, kExitUsage);
  EXPECT_THAT(stray.err, HasSubstr("'extra'"));

  PkiRun unknown_command({"rotate"});
  EXPECT_EQ(unknown_command.exit_code, kExitUsage);
  EXPECT_THAT(unknown_command.err, HasSubstr("unknown command 'rotate'"));
}

TEST_F(PkiCommandTest, HelpAndBareCommandPrintUsage) {
  PkiRun bare({});
  EXPECT_EQ(bare.exit_code, kExitUsage);
  EXPECT_THAT(bare.err, StartsWith("usage: fedge pki <command>"));

  PkiRun help({"--help"});
  EXPECT_EQ(help.exit_code, kExitOk);
  EXPECT_THAT(help.out, StartsWith("usage: fedge pki <command>"));
  EXPECT_THAT(help.out, HasSubstr("issue-client"));

  PkiRun init_help({"init", "--help"});
  EXPECT_EQ(init_help.exit_code, kExitOk);
  EXPECT_THAT(init_help.out, HasSubstr("--server-name NAME"));
  EXPECT_THAT(init_help.out, HasSubstr("--force"));
  EXPECT_FALSE(util::PathExists(dir_));
}

}  // namespace
}  // namespace fedge::cli
