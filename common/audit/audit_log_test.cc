#include "common/audit/audit_log.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/temp_dir.h"
#include "common/util/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fedge::audit {
namespace {

using ::testing::HasSubstr;

constexpr char kOrigin[] = "fedge.test/run-1";

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = util::JoinPath(fedge::testing::MakeTempDir("audit"), "audit");
    key_ = *crypto::GenerateEd25519KeyPair();
  }

  std::unique_ptr<AuditLogWriter> Open() {
    auto log = AuditLogWriter::Open(
        dir_, kOrigin, crypto::SecretBytes::Copy(key_.private_key.view()));
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  // Two rounds of entries, each closed by a checkpoint.
  void WriteTwoRounds() {
    auto log = Open();
    for (int round = 1; round <= 2; ++round) {
      for (const char* what : {"selected", "upload accepted", "committed"}) {
        ASSERT_TRUE(log->Append(absl::StrCat("round ", round, " ", what)).ok());
      }
      ASSERT_TRUE(log->SignCheckpoint({absl::StrCat("round ", round)}).ok());
    }
  }

  absl::StatusOr<VerifiedLog> Verify() {
    return VerifyAuditLog(dir_, kOrigin, key_.public_key);
  }

  // Rewrites records.log with `entries`, as someone editing it would:
  // every frame valid, only the content changed.
  void ReplaceEntries(const std::vector<std::string>& entries) {
    const std::string path = util::JoinPath(dir_, "records.log");
    ASSERT_EQ(std::remove(path.c_str()), 0);
    auto writer = RecordLogWriter::Open(path);
    ASSERT_TRUE(writer.ok());
    for (const std::string& e : entries) ASSERT_TRUE((*writer)->Append(e).ok());
  }

  std::vector<std::string> Entries() {
    return ReadRecordLog(util::JoinPath(dir_, "records.log"))->records;
  }

  void ExpectTamperingFound(const std::string& what) {
    absl::StatusOr<VerifiedLog> verified = Verify();
    ASSERT_FALSE(verified.ok()) << what;
    EXPECT_EQ(verified.status().code(), absl::StatusCode::kDataLoss) << what;
  }

  std::string dir_;
  crypto::Ed25519KeyPair key_;
};

TEST_F(AuditLogTest, AnUntouchedLogVerifies) {
  WriteTwoRounds();
  absl::StatusOr<VerifiedLog> verified = Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->entries, 6u);
  EXPECT_EQ(verified->checkpoints, 2u);
  EXPECT_EQ(verified->unsigned_entries, 0u);
  EXPECT_EQ(verified->records[3], "round 2 selected");

  // Reopening continues the same log.
  auto log = Open();
  EXPECT_EQ(log->size(), 6u);
  ASSERT_TRUE(log->Append("run ended").ok());
  EXPECT_EQ(Verify()->unsigned_entries, 1u);
  ASSERT_TRUE(log->SignCheckpoint({}).ok());
  EXPECT_EQ(Verify()->checkpoints, 3u);
}

TEST_F(AuditLogTest, EditedEntriesAreFound) {
  WriteTwoRounds();
  const std::vector<std::string> original = Entries();

  std::vector<std::string> changed = original;
  changed[1] = "round 1 upload rejected";
  ReplaceEntries(changed);
  ExpectTamperingFound("a changed entry");
  EXPECT_THAT(std::string(Verify().status().message()),
              HasSubstr("checkpoint 0"));

  std::vector<std::string> removed = original;
  removed.erase(removed.begin() + 4);
  ReplaceEntries(removed);
  ExpectTamperingFound("a removed entry");

  std::vector<std::string> swapped = original;
  std::swap(swapped[3], swapped[4]);
  ReplaceEntries(swapped);
  ExpectTamperingFound("two entries swapped");
  EXPECT_THAT(std::string(Verify().status().message()),
              HasSubstr("from 3 to 5"));

  // Cut back to the first round, then continued differently: the second
  // checkpoint no longer matches.
  std::vector<std::string> rewritten(original.begin(), original.begin() + 3);
  for (const char* e : {"round 2 selected", "round 2 nothing", "x"}) {
    rewritten.push_back(e);
  }
  ReplaceEntries(rewritten);
  ExpectTamperingFound("truncated and re-extended");

  std::vector<std::string> truncated(original.begin(), original.begin() + 4);
  ReplaceEntries(truncated);
  ExpectTamperingFound("truncated");
  EXPECT_THAT(std::string(Verify().status().message()), HasSubstr("removed"));

  ReplaceEntries(original);
  EXPECT_TRUE(Verify().ok());
}

TEST_F(AuditLogTest, AFlippedByteIsFound) {
  WriteTwoRounds();
  const std::string path = util::JoinPath(dir_, "records.log");
  std::string bytes = *util::ReadFile(path);
  bytes[bytes.size() - 2] ^= 0x01;
  ASSERT_TRUE(util::WriteFileAtomically(path, bytes).ok());
  ExpectTamperingFound("a flipped byte");
}

TEST_F(AuditLogTest, CheckpointsOfAnotherKeyOrLogAreRefused) {
  WriteTwoRounds();
  crypto::Ed25519KeyPair other = *crypto::GenerateEd25519KeyPair();
  absl::StatusOr<VerifiedLog> wrong_key =
      VerifyAuditLog(dir_, kOrigin, other.public_key);
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_THAT(std::string(wrong_key.status().message()),
              HasSubstr("checkpoint 0"));
  EXPECT_FALSE(VerifyAuditLog(dir_, "fedge.test/run-2", key_.public_key).ok());

  // Re-signing edited entries with another key does not help the forger.
  std::vector<std::string> changed = Entries();
  changed[0] = "forged";
  ReplaceEntries(changed);
  ASSERT_EQ(std::remove(util::JoinPath(dir_, "checkpoints.log").c_str()), 0);
  auto forger = AuditLogWriter::Open(
      dir_, kOrigin, crypto::SecretBytes::Copy(other.private_key.view()));
  ASSERT_TRUE(forger.ok());
  ASSERT_TRUE((*forger)->SignCheckpoint({}).ok());
  ExpectTamperingFound("a checkpoint signed by another key");
}

TEST_F(AuditLogTest, ReceiptsVerifyAgainstTheirLogOnly) {
  auto log = Open();
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(log->Append(absl::StrCat("e", i)).ok());
  EXPECT_EQ(log->MakeReceipt(0).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(log->SignCheckpoint({}).ok());
  absl::StatusOr<Receipt> receipt = log->MakeReceipt(3);
  ASSERT_TRUE(receipt.ok()) << receipt.status();
  EXPECT_TRUE(VerifyReceipt(*receipt, kOrigin, key_.public_key).ok());

  Receipt other_entry = *receipt;
  other_entry.leaf = LeafHash("e2");
  EXPECT_FALSE(VerifyReceipt(other_entry, kOrigin, key_.public_key).ok());

  // The same entry in a different log (same key) does not verify with this
  // log's checkpoint.
  MerkleTree different;
  for (const char* e : {"e0", "e1", "x", "e3", "e4"}) different.Append(e);
  Receipt foreign = *receipt;
  foreign.proof = *different.InclusionProof(3, 5);
  EXPECT_FALSE(VerifyReceipt(foreign, kOrigin, key_.public_key).ok());
  EXPECT_FALSE(VerifyReceipt(*receipt, "elsewhere", key_.public_key).ok());
}

}  // namespace
}  // namespace fedge::audit
