#include "common/pki/revocation.h"

#include <string>

#include "absl/strings/ascii.h"
#include "common/pki/authority.h"
#include "common/pki/identity.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::pki {
namespace {

using ::testing::HasSubstr;

class RevocationListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fedge::testing::MakeTempDir("revocation");
    ASSERT_TRUE(InitFederation(dir_, InitOptions()).ok());
    ASSERT_TRUE(IssueClient(dir_, "dev1").ok());
    ASSERT_TRUE(IssueClient(dir_, "dev2").ok());
    absl::StatusOr<std::unique_ptr<RevocationList>> list =
        RevocationList::Load(paths().crl(), paths().ca_cert());
    ASSERT_TRUE(list.ok()) << list.status();
    list_ = std::move(*list);
  }

  PkiPaths paths() const { return PkiPaths(dir_); }

  std::string SerialOf(const std::string& id) {
    return IdentityFromPem(*util::ReadFile(paths().client_cert(id)))
        ->serial_hex;
  }

  // A second, unrelated federation.
  std::string OtherFederation() {
    std::string other = fedge::testing::MakeTempDir("revocation");
    InitOptions options;
    options.federation_name = "other";
    EXPECT_TRUE(InitFederation(other, options).ok());
    return other;
  }

  std::string dir_;
  std::unique_ptr<RevocationList> list_;
};

TEST_F(RevocationListTest, EmptyCrlRevokesNothing) {
  EXPECT_FALSE(list_->IsRevoked(SerialOf("dev1"), "dev1"));
  EXPECT_FALSE(list_->IsRevoked(SerialOf("dev2"), "dev2"));
}

TEST_F(RevocationListTest, RevokedSerialIsSeenAfterTheFileChanges) {
  const std::string serial = SerialOf("dev1");
  ASSERT_FALSE(list_->IsRevoked(serial, "dev1"));
  ASSERT_TRUE(RevokeClient(dir_, "dev1").ok());
  EXPECT_TRUE(list_->IsRevoked(serial, "dev1"));
  // The serial alone is enough, in any hex spelling.
  EXPECT_TRUE(list_->IsRevoked("00" + absl::AsciiStrToUpper(serial), ""));
  EXPECT_FALSE(list_->IsRevoked(SerialOf("dev2"), "dev2"));
  // The id is not revoked: a re-issued certificate for dev1 is accepted.
  ASSERT_TRUE(IssueClient(dir_, "dev1").ok());
  EXPECT_FALSE(list_->IsRevoked(SerialOf("dev1"), "dev1"));
}

TEST_F(RevocationListTest, CrlSignedByAnotherCaIsRefusedAtLoad) {
  std::string other = OtherFederation();
  absl::StatusOr<std::unique_ptr<RevocationList>> list =
      RevocationList::Load(PkiPaths(other).crl(), paths().ca_cert());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(list.status().message(), HasSubstr("not signed by"));
}

TEST_F(RevocationListTest, ForeignCrlAtRunTimeKeepsThePreviousList) {
  const std::string serial = SerialOf("dev1");
  ASSERT_TRUE(RevokeClient(dir_, "dev1").ok());
  ASSERT_TRUE(list_->IsRevoked(serial, "dev1"));
  // Replace the CRL with one from another CA (which lists nothing).
  std::string foreign = *util::ReadFile(PkiPaths(OtherFederation()).crl());
  ASSERT_TRUE(util::WriteFileAtomically(paths().crl(), foreign).ok());
  EXPECT_TRUE(list_->IsRevoked(serial, "dev1"));
}

TEST_F(RevocationListTest, OlderCrlIsNotReplayed) {
  std::string before = *util::ReadFile(paths().crl());
  const std::string serial = SerialOf("dev1");
  ASSERT_TRUE(RevokeClient(dir_, "dev1").ok());
  ASSERT_TRUE(list_->IsRevoked(serial, "dev1"));
  ASSERT_TRUE(util::WriteFileAtomically(paths().crl(), before).ok());
  EXPECT_TRUE(list_->IsRevoked(serial, "dev1"));
}

TEST_F(RevocationListTest, DeletedCrlKeepsThePreviousList) {
  const std::string serial = SerialOf("dev1");
  ASSERT_TRUE(RevokeClient(dir_, "dev1").ok());
  ASSERT_TRUE(list_->IsRevoked(serial, "dev1"));
  ASSERT_EQ(::unlink(paths().crl().c_str()), 0);
  EXPECT_TRUE(list_->IsRevoked(serial, "dev1"));
}

TEST_F(RevocationListTest, RevokeIdRevokesEveryCertificateOfThatId) {
  EXPECT_FALSE(list_->IsRevoked(SerialOf("dev2"), "dev2"));
  list_->RevokeId("dev2");
  EXPECT_TRUE(list_->IsRevoked(SerialOf("dev2"), "dev2"));
  EXPECT_TRUE(list_->IsRevoked("123", "dev2"));
  EXPECT_FALSE(list_->IsRevoked(SerialOf("dev1"), "dev1"));
}

TEST(RevocationListLoadTest, EmptyPathMeansNoCrlFile) {
  std::string dir = fedge::testing::MakeTempDir("revocation");
  ASSERT_TRUE(InitFederation(dir, InitOptions()).ok());
  absl::StatusOr<std::unique_ptr<RevocationList>> list =
      RevocationList::Load("", PkiPaths(dir).ca_cert());
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_FALSE((*list)->IsRevoked("1", "dev"));
  (*list)->RevokeId("dev");
  EXPECT_TRUE((*list)->IsRevoked("1", "dev"));
}

TEST(RevocationListLoadTest, MissingFilesAreNamed) {
  std::string dir = fedge::testing::MakeTempDir("revocation");
  ASSERT_TRUE(InitFederation(dir, InitOptions()).ok());
  absl::StatusOr<std::unique_ptr<RevocationList>> list =
      RevocationList::Load(dir + "/nope.pem", PkiPaths(dir).ca_cert());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(list.status().message(), HasSubstr("nope.pem"));
  list = RevocationList::Load(PkiPaths(dir).crl(), PkiPaths(dir).crl());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fedge::pki
